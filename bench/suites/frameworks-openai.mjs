/**
 * Suite "frameworks-openai": the session traffic of one OpenAI Agents runner turn over Redis
 * — one `getItems()`, one `addItems()` of the turn's 4 items — at 1,000 items of history.
 * `AgentsSession` (the log: a page read, an append) against the way the SDK's own sessions
 * keep a conversation, as one JSON value: read it, parse it, append, write it back.
 * Each turn is rewound afterwards (not timed), so every timed turn starts at 1,000 items.
 *
 * Run: `node bench/suites/frameworks-openai.mjs` (imports the built package from dist/).
 * Env: REDIS_URL, BENCH_ROUNDS (default 7), BENCH_QUICK=1. Keys live under a prefix unique
 * to the run and are deleted at the end.
 */
import { deepStrictEqual } from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { entry } from '../lib/dist.mjs';
import { deletePrefix, findRedis } from '../lib/redis-server.mjs';
import { median, paired, ratio, table, Targets } from '../lib/report.mjs';

const QUICK = process.env.BENCH_QUICK === '1';
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);
const TURNS = QUICK ? 20 : 100; // timed turns per subject per round
const HISTORY = 1_000;
const CAP = 100; // historyLimit of the capped subject

const { SessionManager } = await import(entry('index.js'));
const { RedisStore } = await import(entry('redis.js'));
const { AgentsSession } = await import(entry('openai-agents.js'));

const redis = await findRedis();
if (redis === null) {
  console.log('SKIPPED the frameworks-openai suite: no Redis.');
  process.exit(0);
}
const prefix = `agent-sessions-bench-oai-${process.pid}-${randomBytes(4).toString('hex')}:`;
const client = new Redis(redis.url);

/** The 4 items of turn `n`: the user's text, a tool call, its result, the answer. */
function turnItems(n) {
  const text = `Turn ${n}: ${'please look this up and summarise what you find; '.repeat(3)}`;
  return [
    { type: 'message', role: 'user', content: text },
    { type: 'function_call', name: 'search', callId: `call-${n}`, status: 'completed', arguments: JSON.stringify({ query: text }) },
    { type: 'function_call_result', name: 'search', callId: `call-${n}`, status: 'completed', output: { type: 'text', text: `Results for ${n}: ${'a finding. '.repeat(20)}` } },
    { type: 'message', role: 'assistant', status: 'completed', content: [{ type: 'output_text', text: `Here is turn ${n}. ${'Some prose. '.repeat(10)}` }] },
  ];
}
const history = Array.from({ length: HISTORY / 4 }, (_, n) => turnItems(n)).flat();

/** The SDK's way: the conversation as one JSON value under one key. */
class BlobSession {
  constructor(key) {
    this.key = key;
  }
  async getItems(limit) {
    const items = JSON.parse((await client.get(this.key)) ?? '[]');
    return limit === undefined ? items : items.slice(-limit);
  }
  async addItems(items) {
    const all = JSON.parse((await client.get(this.key)) ?? '[]');
    all.push(...items);
    await client.set(this.key, JSON.stringify(all));
  }
}

const manager = new SessionManager({ store: new RedisStore({ client, prefix }) });
const blobKey = `${prefix}blob`;
const resetBlob = () => client.set(blobKey, JSON.stringify(history));
const subjects = [
  { name: 'AgentsSession, whole history', session: new AgentsSession(manager, 'whole'), rewind: () => manager.truncate('whole', { after: HISTORY }) },
  {
    name: `AgentsSession, historyLimit ${CAP}`,
    session: new AgentsSession(manager, 'capped', { historyLimit: CAP }),
    rewind: () => manager.truncate('capped', { after: HISTORY }),
  },
  { name: 'one JSON value (read, append, write back)', session: new BlobSession(blobKey), rewind: resetBlob },
];

/** Times TURNS turns; answers turns per second, and addItems calls per second alone. */
async function turns(subject) {
  let read = 0;
  let write = 0;
  for (let n = 0; n < TURNS; n++) {
    const t0 = performance.now();
    const seen = await subject.session.getItems();
    const t1 = performance.now();
    await subject.session.addItems(turnItems(HISTORY + n));
    const t2 = performance.now();
    read += t1 - t0;
    write += t2 - t1;
    if (seen.length < CAP) throw new Error(`${subject.name} saw ${seen.length} items`);
    await subject.rewind();
  }
  return { turn: (TURNS * 1000) / (read + write), add: (TURNS * 1000) / write };
}

try {
  for (let i = 0; i < HISTORY; i += 1000) {
    const batch = history.slice(i, i + 1000);
    await subjects[0].session.addItems(batch);
    await subjects[1].session.addItems(batch);
  }
  await resetBlob();
  // both stores answer the same history (the capped one, its newest CAP items)
  deepStrictEqual(await subjects[0].session.getItems(), history);
  deepStrictEqual(await subjects[2].session.getItems(), history);
  deepStrictEqual(await subjects[1].session.getItems(), history.slice(-CAP));

  await turns(subjects[0]); // warm-up
  const samples = subjects.map(() => ({ turn: [], add: [] }));
  for (let round = 0; round < ROUNDS; round++) {
    for (const [i, subject] of subjects.entries()) {
      const r = await turns(subject);
      samples[i].turn.push(r.turn);
      samples[i].add.push(r.add);
    }
  }
  const blob = samples[2];
  const vs = (a, b) => {
    const p = paired(a, b);
    return `${ratio(p.median)} (${p.min.toFixed(2)}–${p.max.toFixed(2)})`;
  };
  console.log(`## frameworks-openai: one runner turn's session traffic at ${HISTORY} items, over ${redis.label}\n`);
  console.log(
    table(
      ['subject', 'turns/s', 'turn vs one JSON value', 'addItems/s', 'addItems vs one JSON value'],
      subjects.map((s, i) => [
        s.name,
        median(samples[i].turn).toFixed(0),
        vs(samples[i].turn, blob.turn),
        median(samples[i].add).toFixed(0),
        vs(samples[i].add, blob.add),
      ]),
    ),
  );
  const targets = new Targets();
  targets.check('AgentsSession turn (getItems + addItems) vs one JSON value, whole history', paired(samples[0].turn, blob.turn).median, '>=', 10);
  targets.check(`AgentsSession turn with historyLimit ${CAP} vs one JSON value`, paired(samples[1].turn, blob.turn).median, '>=', 10);
  targets.note(
    'The runner reads the whole history every turn (getItems() with no limit), an O(history) read in both designs; ' +
      'the log saves the read-and-write-back of addItems (the addItems columns) and, with historyLimit, reads only a page.',
  );
  console.log(`\n${targets}`);
} finally {
  await manager.close();
  await deletePrefix(client, prefix);
  await client.quit();
  await redis.stop();
}
