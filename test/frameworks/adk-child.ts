/**
 * A process that runs ADK turns on one session (bundled by adk-processes.test.ts):
 * `node child.cjs <redisUrl> <prefix> <sessionId>` reads one message per stdin line, runs the
 * scripted agent's Runner over an AdkSessionService on Redis for that turn, and answers one
 * line: the session as it then reads it, `{ events: [one line per event], state }`. It ends
 * when stdin does.
 */
import { createInterface } from 'node:readline';
import { Redis } from 'ioredis';
import { AdkSessionService } from '../../frameworks/adk/index.js';
import { RedisStore } from '../../adapters/redis/index.js';
import { SessionManager } from '../../src/index.js';
import { describeEvent, scriptedRunner, turn } from './adk-scripted.js';

async function main(): Promise<void> {
  const [url, prefix, sessionId] = process.argv.slice(2) as [string, string, string];
  const client = new Redis(url);
  const manager = new SessionManager({ store: new RedisStore({ client, prefix }) });
  const service = new AdkSessionService(manager);
  const runner = scriptedRunner(service);
  for await (const text of createInterface({ input: process.stdin })) {
    await turn(runner, 'ann', sessionId, text, true);
    const session = await service.getSession({ appName: 'scripted-app', userId: 'ann', sessionId });
    process.stdout.write(`${JSON.stringify({ events: session?.events.map(describeEvent), state: session?.state })}\n`);
  }
  await manager.close();
  await client.quit();
}

main().catch((error: unknown) => {
  process.stderr.write(String(error instanceof Error ? error.stack : error));
  process.exit(1);
});
