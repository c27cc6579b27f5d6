/**
 * A child process of redis-processes.test.ts, bundled with tsup into one CommonJS file and
 * run with plain `node`: `node child.cjs <mode> <url> <prefix> <id> <count>`. Prints the
 * versions it got, as JSON, on stdout. It never calls process.exit: the parent also checks
 * that close() lets it end.
 */
import { RedisStore } from '../../adapters/redis/index.js';
import { SessionManager } from '../../src/index.js';

async function main(): Promise<void> {
  const [mode, url, prefix, id = 'x', count = '0'] = process.argv.slice(2);
  const sessions = new SessionManager<number | string>({ store: new RedisStore({ url, prefix }) });
  const versions: number[] = [];
  for (let n = 0; n < Number(count); n++) {
    if (mode === 'update') {
      const s = await sessions.update(id, (cur) => Number(cur?.data ?? 0) + 1, { retries: 100_000 });
      versions.push(s.version);
    } else if (mode === 'put') {
      versions.push((await sessions.put(id, `${process.pid}:${n}`)).version);
    }
  }
  if (mode === 'down') {
    // Redis is unreachable: the call fails within the deadline and close still lets us exit.
    await sessions.get(id).catch((err: Error) => versions.push(err.name === 'StoreUnavailableError' ? -1 : -2));
  }
  await sessions.close();
  process.stdout.write(JSON.stringify(versions));
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
