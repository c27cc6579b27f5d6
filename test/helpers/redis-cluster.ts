/**
 * A local Redis Cluster for tests and benches: `redis-server` nodes on free loopback ports
 * (3 masters with 1 replica each by default), joined with `redis-cli --cluster create`,
 * and stopped by PID. Nothing here uses port 6379, `pkill` or `killall`.
 *
 * ```ts
 * const cluster = await startRedisCluster();
 * const client = new Cluster(cluster.startupNodes);
 * const { master, replica } = await cluster.killMaster(); // SIGKILL by PID
 * await cluster.waitForPromotion(replica);
 * await cluster.dispose();
 * ```
 *
 * @module
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { freePort, waitForRedis } from './redis-server.js';

const HOST = '127.0.0.1';

/** Options of {@link startRedisCluster}. */
export interface RedisClusterOptions {
  /** Masters (each gets a share of the 16384 slots). @defaultValue 3 */
  masters?: number;
  /** Replicas per master. @defaultValue 1 */
  replicas?: number;
  /** `cluster-node-timeout` in ms: how long a silent node takes to be judged failed. @defaultValue 1000 */
  nodeTimeout?: number;
  /** Extra `redis-server` arguments for every node, such as `['--appendonly', 'yes']`. */
  args?: string[];
  /** How long to wait for the cluster to be formed and healthy, in ms. @defaultValue 30000 */
  timeout?: number;
}

/** One `redis-server` process of the cluster. `role`, `id` and `masterId` are as of the last {@link RedisCluster.refresh}. */
export interface ClusterNode {
  /** Client port on 127.0.0.1. */
  port: number;
  /** Cluster bus port (`cluster-port`), chosen free like `port`. */
  busPort: number;
  /** PID of the running process (changes after {@link RedisCluster.restart}). */
  pid: number;
  /** The node's own directory (`nodes.conf` lives here). */
  dir: string;
  /** The node's cluster id (40 hex characters). */
  id: string;
  /** `'master'` or `'replica'`, as the cluster last said. */
  role: 'master' | 'replica';
  /** For a replica, the id of its master; `null` for a master. */
  masterId: string | null;
  /** Whether the process is running. */
  alive: boolean;
  /** The child process. */
  process: ChildProcess;
}

/** A running local cluster. */
export interface RedisCluster {
  /** Every node, dead or alive, in start order. */
  readonly nodes: readonly ClusterNode[];
  /** `{ host, port }` of every node, for `new Cluster(startupNodes)`. */
  readonly startupNodes: { host: string; port: number }[];
  /** The live masters (as of the last refresh). */
  masters(): ClusterNode[];
  /** The live replicas of `master` (as of the last refresh). */
  replicasOf(master: ClusterNode): ClusterNode[];
  /** The master that holds `slot` now (asks a live node). */
  masterOfSlot(slot: number): Promise<ClusterNode>;
  /** Re-reads ids and roles from a live node's `CLUSTER NODES`. */
  refresh(): Promise<void>;
  /** Sends one command to the node on `port` on a fresh connection and returns the reply. */
  command(port: number, ...args: (string | number)[]): Promise<unknown>;
  /** Resolves once every live node says `cluster_state:ok`, agrees on the masters, no master is without slots (a restarted node has rejoined as a replica), and every master's replicas are online (initial sync done). */
  waitUntilHealthy(timeout?: number): Promise<void>;
  /**
   * SIGKILLs `master` (default: the first live master) by PID and returns it with the
   * replica expected to take over. Does not wait for the promotion.
   */
  killMaster(master?: ClusterNode): Promise<{ master: ClusterNode; replica: ClusterNode }>;
  /** Resolves with the ms it took once `replica` is a master, holds slots, and the cluster is `ok` on every live node. */
  waitForPromotion(replica: ClusterNode, timeout?: number): Promise<number>;
  /** Sends `signal` to a live node by PID: `SIGSTOP` freezes it (a lagging replica), `SIGCONT` resumes it. */
  signal(node: ClusterNode, signal: NodeJS.Signals): void;
  /** Starts a dead node again on its port and directory; it rejoins (a killed master comes back as a replica). */
  restart(node: ClusterNode): Promise<void>;
  /** SIGKILLs every node by PID and removes their directories. */
  dispose(): Promise<void>;
}

/** Sends one command to the Redis on `port` over a short-lived connection. */
export async function nodeCommand(port: number, ...args: (string | number)[]): Promise<unknown> {
  const client = new Redis({
    host: HOST,
    port,
    lazyConnect: true,
    connectTimeout: 1000,
    commandTimeout: 2000,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
    // Redis 7.0 answers CLIENT SETINFO with ERR, which would muddle tests of INFO errorstats.
    disableClientInfo: true,
  });
  client.on('error', () => {});
  try {
    await client.connect();
    const [name, ...rest] = args;
    return await client.call(String(name), ...rest.map(String));
  } finally {
    client.disconnect();
  }
}

/** Parses `INFO`-style `key:value` lines. */
export function parseInfo(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\r\n')) {
    const i = line.indexOf(':');
    if (i > 0 && !line.startsWith('#')) out[line.slice(0, i)] = line.slice(i + 1);
  }
  return out;
}

interface NodesLine {
  id: string;
  port: number;
  flags: string[];
  masterId: string | null;
  slots: number;
}

function parseClusterNodes(text: string): NodesLine[] {
  return text
    .trim()
    .split('\n')
    .map((line) => {
      const [id, addr, flags, master, , , , , ...slots] = line.trim().split(' ');
      const port = Number(addr!.split('@')[0]!.split(':').pop());
      const count = slots
        .filter((s) => !s.startsWith('['))
        .reduce((n, s) => {
          const [a, b] = s.split('-').map(Number);
          return n + (b === undefined ? 1 : b - a! + 1);
        }, 0);
      return { id: id!, port, flags: flags!.split(','), masterId: master === '-' ? null : master!, slots: count };
    });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(what: string, timeout: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeout;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      throw new Error(`redis cluster: ${what} not reached within ${timeout} ms${last ? ` (last error: ${(last as Error).message})` : ''}`);
    }
    await sleep(50);
  }
}

/** Live children of every cluster in this process, killed by PID if the process exits first. */
const running = new Set<ChildProcess>();
let exitHookInstalled = false;
function track(child: ChildProcess): void {
  running.add(child);
  child.once('exit', () => running.delete(child));
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once('exit', () => {
      for (const c of running) if (c.pid !== undefined) try { process.kill(c.pid, 'SIGKILL'); } catch {}
    });
  }
}

/**
 * Starts a local Redis Cluster and resolves once it is healthy: `cluster_state:ok` on every
 * node and every replica online. Rejects (after stopping what it started) if it cannot.
 */
export async function startRedisCluster(options: RedisClusterOptions = {}): Promise<RedisCluster> {
  const { masters = 3, replicas = 1, nodeTimeout = 1000, args = [], timeout = 30_000 } = options;
  const nodes: ClusterNode[] = [];

  const serverArgs = (node: Pick<ClusterNode, 'port' | 'busPort' | 'dir'>) => [
    '--port', String(node.port),
    '--bind', HOST,
    '--cluster-enabled', 'yes',
    '--cluster-port', String(node.busPort),
    '--cluster-config-file', 'nodes.conf',
    '--cluster-node-timeout', String(nodeTimeout),
    // Fail over whatever the replica's lag; no replica moves to another master by itself.
    '--cluster-replica-validity-factor', '0',
    '--cluster-allow-replica-migration', 'no',
    // Start a replica's full sync at once instead of waiting 5 s for more replicas.
    '--repl-diskless-sync-delay', '0',
    '--save', '',
    '--appendonly', 'no',
    '--dir', node.dir,
    ...args,
  ];

  /** Spawns `redis-server` for `node` and resolves once it answers PING, or rejects if it exits first. */
  const launch = async (node: Pick<ClusterNode, 'port' | 'busPort' | 'dir'>): Promise<ChildProcess> => {
    const child = spawn('redis-server', serverArgs(node), { stdio: 'ignore' });
    track(child);
    const exited = new Promise<never>((_, reject) =>
      child.once('exit', (code, sig) => reject(new Error(`redis-server on port ${node.port} exited (${code ?? sig}) before answering`))),
    );
    exited.catch(() => {});
    try {
      await Promise.race([waitForRedis(node.port, 10_000), exited]);
    } catch (err) {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      throw err;
    }
    return child;
  };

  const kill = async (node: ClusterNode) => {
    const child = node.process;
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      process.kill(node.pid, 'SIGCONT');
      process.kill(node.pid, 'SIGKILL');
      await exited;
    }
    node.alive = false;
  };

  const dispose = async () => {
    await Promise.all(nodes.map(kill));
    for (const node of nodes) rmSync(node.dir, { recursive: true, force: true });
  };

  const live = () => nodes.filter((n) => n.alive);

  const refresh = async () => {
    let lines: NodesLine[] | undefined;
    for (const node of live()) {
      try {
        lines = parseClusterNodes(String(await nodeCommand(node.port, 'CLUSTER', 'NODES')));
        break;
      } catch {}
    }
    if (!lines) throw new Error('redis cluster: no live node answered CLUSTER NODES');
    for (const line of lines) {
      const node = nodes.find((n) => n.port === line.port);
      if (!node) continue;
      node.id = line.id;
      node.role = line.flags.includes('master') ? 'master' : 'replica';
      node.masterId = line.masterId;
    }
  };

  const healthy = async (): Promise<true | undefined> => {
    const alive = live();
    let view: string | undefined;
    const slotted = new Set<number>(); // ports of the masters that hold slots
    for (const node of alive) {
      const info = parseInfo(String(await nodeCommand(node.port, 'CLUSTER', 'INFO')));
      if (info.cluster_state !== 'ok') return undefined;
      const lines = parseClusterNodes(String(await nodeCommand(node.port, 'CLUSTER', 'NODES')));
      // Every live node sees every live node, none as failing, and the same masters with slots.
      for (const other of alive) {
        const line = lines.find((l) => l.port === other.port);
        if (!line || line.flags.some((f) => f === 'fail' || f === 'fail?' || f === 'handshake' || f === 'noaddr')) return undefined;
      }
      const masters = lines.filter((l) => l.flags.includes('master') && l.slots > 0 && alive.some((n) => n.port === l.port));
      const thisView = masters.map((l) => `${l.port}:${l.slots}`).sort().join(',');
      if (masters.reduce((n, l) => n + l.slots, 0) !== 16384) return undefined;
      if (view !== undefined && view !== thisView) return undefined;
      view = thisView;
      for (const l of masters) slotted.add(l.port);
    }
    await refresh();
    // A restarted master is a master without slots until it has rejoined as a replica.
    if (alive.some((n) => n.role === 'master' && !slotted.has(n.port))) return undefined;
    for (const master of alive.filter((n) => n.role === 'master')) {
      const info = parseInfo(String(await nodeCommand(master.port, 'INFO', 'replication')));
      const wanted = alive.filter((n) => n.masterId === master.id).length;
      // Online means the initial sync is done and the replica streams the master's writes.
      let inSync = 0;
      for (const [key, value] of Object.entries(info)) if (/^slave\d+$/.test(key) && value.includes('state=online')) inSync++;
      if (inSync < wanted) return undefined;
    }
    for (const replica of alive.filter((n) => n.role === 'replica')) {
      const info = parseInfo(String(await nodeCommand(replica.port, 'INFO', 'replication')));
      if (info.master_link_status !== 'up' || info.master_sync_in_progress !== '0') return undefined;
    }
    return true;
  };

  const waitUntilHealthy = async (ms = timeout) => {
    await until('a healthy cluster', ms, healthy);
  };

  try {
    // Start every node; a port taken between freePort() and bind() is retried with new ports.
    const count = masters * (1 + replicas);
    await Promise.all(
      Array.from({ length: count }, async (_, index) => {
        for (let attempt = 1; ; attempt++) {
          const port = await freePort();
          const busPort = await freePort();
          if (port === 6379 || busPort === 6379 || port === busPort) continue;
          const dir = mkdtempSync(join(tmpdir(), `agent-sessions-cluster-${index}-`));
          try {
            const child = await launch({ port, busPort, dir });
            nodes[index] = { port, busPort, dir, pid: child.pid!, id: '', role: 'master', masterId: null, alive: true, process: child };
            return;
          } catch (err) {
            rmSync(dir, { recursive: true, force: true });
            if (attempt >= 5) throw err;
          }
        }
      }),
    );

    const created = await new Promise<{ code: number | null; output: string }>((resolve, reject) => {
      const cli = spawn(
        'redis-cli',
        ['--cluster', 'create', ...nodes.map((n) => `${HOST}:${n.port}`), '--cluster-replicas', String(replicas), '--cluster-yes'],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let output = '';
      cli.stdout.on('data', (d) => (output += d));
      cli.stderr.on('data', (d) => (output += d));
      cli.once('error', reject);
      cli.once('exit', (code) => resolve({ code, output }));
    });
    if (created.code !== 0 || !created.output.includes('[OK] All 16384 slots covered')) {
      throw new Error(`redis-cli --cluster create failed (exit ${created.code}):\n${created.output}`);
    }
    await waitUntilHealthy();
  } catch (err) {
    await dispose();
    throw err;
  }

  return {
    nodes,
    startupNodes: nodes.map((n) => ({ host: HOST, port: n.port })),
    masters: () => live().filter((n) => n.role === 'master'),
    replicasOf: (master) => live().filter((n) => n.masterId === master.id),
    masterOfSlot: async (slot) => {
      for (const node of live()) {
        try {
          const slots = (await nodeCommand(node.port, 'CLUSTER', 'SLOTS')) as [number, number, [string, number, string]][];
          const range = slots.find(([a, b]) => a <= slot && slot <= b);
          const master = range && nodes.find((n) => n.port === Number(range[2][1]));
          if (master) return master;
        } catch {}
      }
      throw new Error(`redis cluster: no live node knows who holds slot ${slot}`);
    },
    refresh,
    command: nodeCommand as (port: number, ...args: (string | number)[]) => Promise<unknown>,
    waitUntilHealthy,
    killMaster: async (master) => {
      await refresh();
      const victim = master ?? live().find((n) => n.role === 'master');
      if (!victim || victim.role !== 'master' || !victim.alive) throw new Error('redis cluster: no live master to kill');
      const replica = live().find((n) => n.masterId === victim.id);
      if (!replica) throw new Error(`redis cluster: master on port ${victim.port} has no live replica to take over`);
      await kill(victim);
      return { master: victim, replica };
    },
    waitForPromotion: async (replica, ms = timeout) => {
      const start = Date.now();
      await until(`promotion of the replica on port ${replica.port}`, ms, async () => {
        const role = (await nodeCommand(replica.port, 'ROLE')) as [string];
        if (role[0] !== 'master') return undefined;
        for (const node of live()) {
          const info = parseInfo(String(await nodeCommand(node.port, 'CLUSTER', 'INFO')));
          if (info.cluster_state !== 'ok') return undefined;
          const lines = parseClusterNodes(String(await nodeCommand(node.port, 'CLUSTER', 'NODES')));
          const seen = lines.find((l) => l.port === replica.port);
          if (!seen || !seen.flags.includes('master') || seen.slots === 0) return undefined;
        }
        return true;
      });
      await refresh();
      return Date.now() - start;
    },
    signal: (node, signal) => {
      if (!node.alive) throw new Error(`redis cluster: node on port ${node.port} is not running`);
      process.kill(node.pid, signal);
    },
    restart: async (node) => {
      if (node.alive) throw new Error(`redis cluster: node on port ${node.port} is still running`);
      const child = await launch(node);
      node.process = child;
      node.pid = child.pid!;
      node.alive = true;
    },
    dispose,
  };
}
