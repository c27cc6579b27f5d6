/**
 * A child process of openai-processes.test.ts, bundled with tsup into one CommonJS file and
 * run with plain `node`: `node child.cjs <url> <prefix> <sessionId>`. Each line on stdin is a
 * user's text: it plays that turn through Redis and answers one line of JSON, the model's
 * input on each call. It closes the manager and ends when stdin ends.
 */
import { createInterface } from 'node:readline';
import { RedisStore } from '../../adapters/redis/index.js';
import { AgentsSession } from '../../frameworks/openai-agents/index.js';
import { SessionManager } from '../../src/index.js';
import { playTurn } from './openai-turn.js';

async function main(): Promise<void> {
  const [url, prefix, id] = process.argv.slice(2);
  const manager = new SessionManager<unknown, unknown>({ store: new RedisStore({ url, prefix }) });
  const session = new AgentsSession(manager, id!);
  for await (const text of createInterface({ input: process.stdin })) {
    process.stdout.write(`${JSON.stringify(await playTurn(session, text))}\n`);
  }
  await manager.close();
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
