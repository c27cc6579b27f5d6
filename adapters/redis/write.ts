/**
 * Running the store's scripts: by SHA1 with the text as fallback, followed by `WAIT` when
 * `waitForReplicas` asks for it, and on a Cluster straight to the master of the slot.
 *
 * @module
 */
import { performance } from 'node:perf_hooks';
import type { Cluster, Redis } from 'ioredis';
import type { Milliseconds } from '../../src/types.js';
import { Nodes, Route, slotOf } from './cluster.js';
import { UnsentError } from './deadline.js';
import type { Script, ScriptArgs } from './scripts.js';

/** One reply of a pipeline: `[error, value]`. */
type Reply = [Error | null, unknown];

/** Sends the store's scripts on one client. */
export class Writer {
  readonly #client: Redis | Cluster;
  readonly #replicas: number;
  readonly #waitTimeout: Milliseconds;
  /** On a Cluster, its node connections, for writes sent straight to a slot's master. */
  readonly #nodes: Nodes | undefined;

  constructor(client: Redis | Cluster, replicas: number, waitTimeout: Milliseconds) {
    this.#client = client;
    this.#replicas = replicas;
    this.#waitTimeout = waitTimeout;
    this.#nodes = client.isCluster ? new Nodes(client as Cluster) : undefined;
  }

  /**
   * Runs a script by SHA1, sending its text once more if Redis does not know it (`NOSCRIPT`).
   * `args` are its KEYS, then its ARGV, as its builder in `scripts.ts` lays them out.
   */
  async eval(s: Script, args: ScriptArgs): Promise<unknown> {
    try {
      return await this.#client.evalsha(s.sha, s.keys, ...args);
    } catch (err) {
      if (!(err instanceof Error && err.message.startsWith('NOSCRIPT'))) throw err;
      return this.#client.eval(s.lua, s.keys, ...args);
    }
  }

  /**
   * Runs a write script. With `waitForReplicas`, `WAIT` goes in the same pipeline right after
   * it, on the same connection, so it waits for exactly this write. `wrote` tells whether the
   * script changed anything; a reply that changed nothing needs no replica.
   *
   * On a Cluster the script goes straight to the connection of the master that holds its
   * slot, not through the Cluster's routing: ioredis's Cluster sends a command again when the
   * connection it was on closes (`retryDelayOnFailover`), and a script that a dead master had
   * run and replicated would then run twice on the promoted replica. Here a closed connection
   * fails the write as indeterminate instead, and a {@link Route} follows `MOVED` and `ASK`
   * and waits out `CLUSTERDOWN` and `TRYAGAIN`. It never sends after `due` (the operation's
   * deadline, `performance.now()` time): a write the caller was told failed must not land
   * later, on top of the caller's next write.
   */
  async write(s: Script, args: ScriptArgs, wrote: (reply: unknown) => boolean, due: number): Promise<unknown> {
    const nodes = this.#nodes;
    if (nodes === undefined && this.#replicas === 0) return this.eval(s, args);
    const route = nodes && new Route(this.#client as Cluster, nodes, slotOf(String(args[0])));
    let [command, body] = ['evalsha', s.sha];
    for (;;) {
      const via = route === undefined ? this.#client : await route.connection(due);
      if (performance.now() >= due) throw new UnsentError(`the deadline passed before the write could be sent`);
      const [[scriptError, reply], [waitError, acknowledged]] = await this.#send(via, route?.asking ?? false, [
        command,
        body,
        s.keys,
        ...args,
      ]);
      if (scriptError?.message.startsWith('NOSCRIPT') && command === 'evalsha') {
        [command, body] = ['eval', s.lua];
        continue;
      }
      if (route !== undefined && scriptError && (await route.follow(scriptError, due))) continue;
      if (scriptError) throw scriptError;
      if (!wrote(reply)) return reply;
      // A plain Error, not a ReplyError: the script ran, so the outcome is indeterminate.
      if (waitError) throw new Error(`WAIT after the write failed: ${waitError.message}`);
      if (Number(acknowledged) < this.#replicas) {
        throw new Error(
          `only ${Number(acknowledged)} of ${this.#replicas} replicas acknowledged the write within ${this.#waitTimeout} ms (waitForReplicas); a failover could lose it`,
        );
      }
      return reply;
    }
  }

  /**
   * Sends a script, after `ASKING` if `asking`, followed by `WAIT` with `waitForReplicas`, in
   * one pipeline; a lone script as a plain command. Returns `[error, reply]` of the script and
   * of `WAIT` (`[null, 0]` without it).
   */
  async #send(via: Redis | Cluster, asking: boolean, script: (string | number)[]): Promise<[Reply, Reply]> {
    if (!asking && this.#replicas === 0) {
      try {
        return [[null, await via.call(String(script[0]), ...script.slice(1))], [null, 0]];
      } catch (err) {
        return [[err as Error, null], [null, 0]];
      }
    }
    const wait = this.#replicas > 0 ? [['wait', this.#replicas, this.#waitTimeout]] : [];
    const replies = await via.pipeline([...(asking ? [['asking']] : []), script, ...wait]).exec();
    if (!replies) throw new Error('pipeline was aborted');
    const [first, second = [null, 0]] = replies.slice(asking ? 1 : 0) as Reply[];
    return [first!, second];
  }
}
