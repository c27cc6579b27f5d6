/**
 * One ADK turn in a process of its own (bundled by adk-processes.test.ts):
 * `node child.cjs <redisUrl> <prefix> <sessionId> <text>` runs the scripted agent's Runner
 * over an AdkSessionService on Redis for one turn, then prints the session as it then reads
 * it: `{ events: [one line per event], state }`.
 */
import { Redis } from 'ioredis';
import { AdkSessionService } from '../../frameworks/adk/index.js';
import { RedisStore } from '../../adapters/redis/index.js';
import { SessionManager } from '../../src/index.js';
import { describeEvent, scriptedRunner, turn } from './adk-scripted.js';

async function main(): Promise<void> {
  const [url, prefix, sessionId, text] = process.argv.slice(2) as [string, string, string, string];
  const client = new Redis(url);
  const manager = new SessionManager({ store: new RedisStore({ client, prefix }) });
  const service = new AdkSessionService(manager);
  await turn(scriptedRunner(service), 'ann', sessionId, text, true);
  const session = await service.getSession({ appName: 'scripted-app', userId: 'ann', sessionId });
  process.stdout.write(JSON.stringify({ events: session?.events.map(describeEvent), state: session?.state }));
  await manager.close();
  await client.quit();
}

main().catch((error: unknown) => {
  process.stderr.write(String(error instanceof Error ? error.stack : error));
  process.exit(1);
});
