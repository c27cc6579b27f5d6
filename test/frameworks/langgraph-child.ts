/**
 * A child process of langgraph-graph.test.ts, bundled with tsup into one CommonJS file and run
 * with plain `node`: `node child.cjs <url> <prefix> <thread> <answer>`. It resumes the thread's
 * interrupted review graph with `answer` through Redis and prints the final state as JSON.
 */
import { Command } from '@langchain/langgraph';
import { RedisStore } from '../../adapters/redis/index.js';
import { SessionManager } from '../../src/index.js';
import { SessionsSaver } from '../../frameworks/langgraph/index.js';
import { reviewGraph } from './langgraph-graph.js';

async function main(): Promise<void> {
  const [url, prefix, thread, answer] = process.argv.slice(2);
  const manager = new SessionManager({ store: new RedisStore({ url, prefix }) });
  const graph = reviewGraph(new SessionsSaver(manager));
  const state = await graph.invoke(new Command({ resume: answer }), { configurable: { thread_id: thread } });
  await manager.close();
  process.stdout.write(JSON.stringify(state));
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
