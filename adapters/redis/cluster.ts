/**
 * Sending a write on a Redis Cluster straight to the master of its slot, following `MOVED`
 * and `ASK` and waiting out `CLUSTERDOWN` and `TRYAGAIN` here, rather than through the
 * Cluster's own routing (`Writer.write` in write.ts says why).
 *
 * @module
 */
import { performance } from 'node:perf_hooks';
import type { Cluster, Redis } from 'ioredis';
import { UnsentError } from './deadline.js';

/** The Cluster hash slot of a key: CRC16 (XMODEM) of its hash tag (or of the whole key) mod 16384. */
export function slotOf(key: string): number {
  const open = key.indexOf('{');
  const close = open < 0 ? -1 : key.indexOf('}', open + 1);
  let crc = 0;
  for (const byte of Buffer.from(close > open + 1 ? key.slice(open + 1, close) : key)) {
    crc ^= byte << 8;
    for (let i = 0; i < 8; i++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc % 16384;
}

/** The Cluster's node connections by `host:port`, looked up once and kept while they live. */
export class Nodes {
  readonly #cluster: Cluster;
  readonly #nodes = new Map<string, Redis>();

  constructor(cluster: Cluster) {
    this.#cluster = cluster;
  }

  /** The connection the Cluster keeps to node `host:port`, unless it has ended. */
  get(name: string): Redis | undefined {
    const cached = this.#nodes.get(name);
    if (cached !== undefined && cached.status !== 'end') return cached;
    const i = name.lastIndexOf(':');
    const [host, port] = [name.slice(0, i), Number(name.slice(i + 1))];
    const node = this.#cluster
      .nodes('all')
      .find((n) => n.options.port === port && n.options.host === host && n.status !== 'end');
    if (node === undefined) this.#nodes.delete(name);
    else this.#nodes.set(name, node);
    return node;
  }
}

/** Where one write goes: the master of its slot, or the node a `MOVED` or `ASK` named. */
export class Route {
  /** `host:port` named by the last `MOVED` or `ASK`, if any. */
  #redirect: string | undefined;
  #redirections = 0;
  /** Whether the next send must be preceded by `ASKING`. */
  asking = false;

  constructor(
    readonly cluster: Cluster,
    readonly nodes: Nodes,
    readonly slot: number,
  ) {}

  /**
   * The ready connection to send on, waiting for one while it is down (a node that is
   * connecting, or a slot map being refreshed). Sends only on a connection that is up, so that
   * a failure after sending means "sent". Throws {@link UnsentError} once `due` has passed.
   */
  async connection(due: number): Promise<Redis> {
    for (;;) {
      const name = this.#redirect ?? this.cluster.slots[this.slot]?.[0] ?? '';
      const node = this.nodes.get(name);
      if (node?.status === 'ready') return node;
      if (performance.now() >= due) {
        throw new UnsentError(`no connection to the master of slot ${this.slot} (${name || 'unknown'}) was ready`);
      }
      if (node === undefined) {
        this.cluster.refreshSlotsCache();
        [this.#redirect, this.asking] = [undefined, false];
      } else if (node.status === 'wait') node.connect().catch(() => undefined);
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          node?.off('ready', done);
          resolve();
        };
        const timer = setTimeout(done, node === undefined ? 100 : 50);
        node?.once('ready', done);
      });
    }
  }

  /**
   * Follows a script's error: `true` when it means the script did not run on that node and is
   * to be sent again (`MOVED`, `ASK`, `CLUSTERDOWN`, `TRYAGAIN`), the route now pointing where
   * to; `false` for any other error. Throws {@link UnsentError} after 16 redirections or `due`.
   */
  async follow(error: Error, due: number): Promise<boolean> {
    const [kind, , target] = error.name === 'ReplyError' ? error.message.split(' ') : [];
    if (!(kind === 'MOVED' || kind === 'ASK' || kind === 'CLUSTERDOWN' || kind === 'TRYAGAIN')) {
      // The connection failed: look the slot up afresh for the next write.
      if (error.name !== 'ReplyError') this.cluster.refreshSlotsCache();
      return false;
    }
    if (++this.#redirections > 16 || performance.now() >= due) {
      throw new UnsentError(`the cluster did not settle slot ${this.slot} in time (it last answered ${kind})`);
    }
    if (kind !== 'ASK') this.cluster.refreshSlotsCache();
    if (kind === 'CLUSTERDOWN' || kind === 'TRYAGAIN') await new Promise((r) => setTimeout(r, 100));
    [this.#redirect, this.asking] = kind === 'MOVED' || kind === 'ASK' ? [target, kind === 'ASK'] : [undefined, false];
    return true;
  }
}
