/**
 * A separate process for the cross-process test of redis-cluster.test.ts: it opens its own
 * ioredis `Cluster`, runs `count` increments of one counter with `update`, and prints the
 * versions it got as JSON. Bundled with esbuild by the test, then run with `node`.
 */
import { Cluster } from 'ioredis';
import { RedisStore } from '../../adapters/redis/index.js';
import { SessionManager } from '../../src/index.js';

interface Job {
  ports: number[];
  prefix: string;
  id: string;
  count: number;
}

async function main(): Promise<void> {
  const job = JSON.parse(process.argv[2]!) as Job;
  const client = new Cluster(job.ports.map((port) => ({ host: '127.0.0.1', port })));
  const sessions = new SessionManager<{ n: number }>({ store: new RedisStore({ client, prefix: job.prefix }) });
  const versions: number[] = [];
  for (let i = 0; i < job.count; i++) {
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
