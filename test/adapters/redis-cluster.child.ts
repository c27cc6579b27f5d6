/**
 * A separate process for the cross-process test of redis-cluster.test.ts: it opens its own
 * ioredis `Cluster`, runs `count` increments of one counter with `update`, and prints the
 * versions it got as JSON; with `mode: 'append'`, `count` appends of 3 items `"<pid>:<n>:<k>"`
 * on the store itself, printing its pid then the first seq of each. Bundled with esbuild by
 * the test, then run with `node`.
 */
import { Cluster } from 'ioredis';
import { RedisStore } from '../../adapters/redis/index.js';
import { SessionManager } from '../../src/index.js';

interface Job {
  ports: number[];
  prefix: string;
  id: string;
  count: number;
  mode?: 'append';
}

async function main(): Promise<void> {
  const job = JSON.parse(process.argv[2]!) as Job;
  const client = new Cluster(job.ports.map((port) => ({ host: '127.0.0.1', port })));
  const store = new RedisStore({ client, prefix: job.prefix });
  const sessions = new SessionManager<{ n: number }>({ store });
  const versions: number[] = job.mode === 'append' ? [process.pid] : [];
  for (let i = 0; i < job.count && job.mode === 'append'; i++) {
    const items = [0, 1, 2].map((k) => JSON.stringify(`${process.pid}:${i}:${k}`));
    const input = { id: job.id, items, now: Date.now(), idleExpiresAt: null, maxLifetime: null, maxItems: null, maxLogBytes: null };
    const done = await store.append({ ...input, dropOldest: false });
    if (!done.ok) throw new Error(`append refused: ${done.reason}`);
    versions.push(done.firstSeq);
  }
  for (let i = 0; i < job.count && job.mode === undefined; i++) {
    const s = await sessions.update(job.id, (cur) => ({ n: (cur?.data.n ?? 0) + 1 }), { retries: 1000 });
    versions.push(s.version);
  }
  await sessions.close();
  await client.quit();
  process.stdout.write(JSON.stringify({ versions }));
}

main().catch((err: unknown) => {
  process.stderr.write(String((err as Error)?.stack ?? err));
  process.exit(1);
});
