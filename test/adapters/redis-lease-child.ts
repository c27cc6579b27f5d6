/**
 * A child process of the Redis lease tests, bundled into one CommonJS file and run with plain
 * `node child.cjs '<job JSON>'`, on one Redis (`url`) or a Cluster (`ports`):
 *
 * - mode `exclusive`: `count` times `withLease(id, …)`, each critical section reading the
 *   counter session `id`, sleeping a few ms and writing it + 1 with the fence; prints the log of
 *   its sections as JSON: `{ pid, fence, read, enter, leave }`, times in µs of the host's
 *   monotonic clock (`process.hrtime`, one clock for every process of the host);
 * - mode `worker`: reads one command per line on stdin (`{"op":"acquire","ttl":…}`,
 *   `{"op":"put","fence":…,"data":…}`, `{"op":"release","fence":…}`, `{"op":"exit"}`) and
 *   answers each with one JSON line on stdout (`{ error, code }` when it threw).
 */
import { createInterface } from 'node:readline';
import { Cluster } from 'ioredis';
import { RedisStore } from '../../adapters/redis/index.js';
import { SessionManager, type Lease } from '../../src/index.js';

interface Job {
  url?: string;
  ports?: number[];
  prefix: string;
  id: string;
  mode: 'exclusive' | 'worker';
  count?: number;
}

const micros = () => Number(process.hrtime.bigint() / 1000n);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function exclusive(sessions: SessionManager<number>, job: Job): Promise<unknown[]> {
  const log: unknown[] = [];
  for (let i = 0; i < (job.count ?? 0); i++) {
    await sessions.withLease(
      job.id,
      async ({ fence }) => {
        const enter = micros();
        const read = (await sessions.get(job.id))?.data ?? 0;
        await sleep(2 + Math.floor(Math.random() * 3));
        await sessions.put(job.id, read + 1, { fence });
        log.push({ pid: process.pid, fence, read, enter, leave: micros() });
      },
      { ttl: 10_000, wait: 120_000 },
    );
  }
  return log;
}

async function worker(sessions: SessionManager<number | string>, id: string): Promise<void> {
  const held = new Map<number, Lease>();
  for await (const line of createInterface({ input: process.stdin })) {
    const command = JSON.parse(line) as { op: string; ttl?: number; fence?: number; data?: string };
    if (command.op === 'exit') break;
    let answer: unknown;
    try {
      if (command.op === 'acquire') {
        const lease = await sessions.acquire(id, { ttl: command.ttl });
        held.set(lease.fence, lease);
        answer = { fence: lease.fence, expiresAt: lease.expiresAt };
      } else if (command.op === 'put') {
        answer = { version: (await sessions.put(id, command.data!, { fence: command.fence })).version };
      } else if (command.op === 'release') {
        answer = { released: (await held.get(command.fence!)?.release()) ?? false };
      }
    } catch (err) {
      answer = { error: (err as Error).name, code: (err as { code?: string }).code, message: (err as Error).message };
    }
    process.stdout.write(`${JSON.stringify(answer)}\n`);
  }
}

async function main(): Promise<void> {
  const job = JSON.parse(process.argv[2]!) as Job;
  const cluster = job.ports && new Cluster(job.ports.map((port) => ({ host: '127.0.0.1', port })));
  const store = cluster ? new RedisStore({ client: cluster, prefix: job.prefix }) : new RedisStore({ url: job.url, prefix: job.prefix });
  const sessions = new SessionManager<number>({ store });
  if (job.mode === 'exclusive') process.stdout.write(JSON.stringify(await exclusive(sessions, job)));
  else await worker(sessions as SessionManager<number | string>, job.id);
  await sessions.close();
  await cluster?.quit();
}

main().catch((err: unknown) => {
  process.stderr.write(String((err as Error)?.stack ?? err));
  process.exit(1);
});
