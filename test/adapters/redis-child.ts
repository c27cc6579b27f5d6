/**
 * A child process of redis-processes.test.ts, bundled with tsup into one CommonJS file and
 * run with plain `node`: `node child.cjs <mode> <url> <prefix> <id> <count>`. Prints the
 * versions it got (mode `append`: its pid, then the first seq of each append of 3 items
 * `"<pid>:<n>:<k>"`, made on the store itself), as JSON, on stdout. It never calls process.exit: the parent also checks
 * that close() lets it end.
 */
import { RedisStore } from '../../adapters/redis/index.js';
import { SessionManager } from '../../src/index.js';

async function main(): Promise<void> {
  const [mode, url, prefix, id = 'x', count = '0'] = process.argv.slice(2);
  const store = new RedisStore({ url, prefix });
  const sessions = new SessionManager<number | string>({ store });
  const versions: number[] = mode === 'append' ? [process.pid] : [];
  for (let n = 0; n < Number(count); n++) {
    if (mode === 'append') {
      const items = [0, 1, 2].map((k) => JSON.stringify(`${process.pid}:${n}:${k}`));
      const input = { id, items, now: Date.now(), idleExpiresAt: null, maxLifetime: null, maxItems: null, maxLogBytes: null };
      const done = await store.append({ ...input, dropOldest: false });
      if (!done.ok) throw new Error(`append refused: ${done.reason}`);
      versions.push(done.firstSeq);
    } else if (mode === 'update') {
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
