/**
 * Suite "frameworks-openai": the session traffic of one OpenAI Agents runner turn over Redis
 * — one `getItems()`, one `addItems()` of the turn's 4 items — at 1,000 items of history.
 * `AgentsSession` (the log: a read of the session, the cache or a page read, an append)
 * against the way the SDK's own sessions keep a conversation, as one JSON value: read it,
 * parse it, append, write it back. Each turn is rewound afterwards (not timed), so every
 * timed turn starts at 1,000 items: by four `popItem()` on the same object where its cache
 * is meant to stay current (this worker played the turn before), by a truncate through the
 * manager where it is meant to be stale (another worker did).
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
import { environment, median, paired, publish, ratio, table, Targets } from '../lib/report.mjs';

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
/** Rewinds a turn through the session itself: four pops keep its cache current. */
const popTurn = (session) => async () => {
  for (let i = 0; i < 4; i++) await session.popItem();
};
const truncateTurn = (id) => () => manager.truncate(id, { after: HISTORY });
/** An AgentsSession subject over session `id`; its turns rewound by `rewind(session)`. */
const agents = (name, id, options, rewind) => {
  const session = new AgentsSession(manager, id, options);
  return { name, id, historyLimit: options.historyLimit, session, rewind: rewind === 'pop' ? popTurn(session) : truncateTurn(id) };
};
const subjects = [
  agents('AgentsSession, whole history, this object played the turn before (cache current)', 'whole', {}, 'pop'),
  agents(`AgentsSession, historyLimit ${CAP}, cache current`, 'capped', { historyLimit: CAP }, 'pop'),
  agents('AgentsSession, whole history, another worker played the turn before (cache stale: reads the log)', 'stale', {}, 'truncate'),
  agents('AgentsSession, whole history, cache: false', 'uncached', { cache: false }, 'truncate'),
  agents(`AgentsSession, historyLimit ${CAP}, cache: false`, 'capped-uncached', { historyLimit: CAP, cache: false }, 'truncate'),
  { name: 'one JSON value (read, append, write back)', session: new BlobSession(blobKey), rewind: resetBlob },
];
const BLOB = subjects.length - 1;

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
    for (const subject of subjects) if (subject.id) await manager.append(subject.id, batch);
  }
  await resetBlob();
  // every subject answers the same history (the capped ones, its newest CAP items)
  for (const subject of subjects) {
    deepStrictEqual(await subject.session.getItems(), subject.historyLimit ? history.slice(-CAP) : history, subject.name);
    await turns(subject); // warm-up
  }
  const samples = subjects.map(() => ({ turn: [], add: [] }));
  for (let round = 0; round < ROUNDS; round++) {
    for (let k = 0; k < subjects.length; k++) {
      const i = (k + round) % subjects.length; // an order rotated each round
      const r = await turns(subjects[i]);
      samples[i].turn.push(r.turn);
      samples[i].add.push(r.add);
    }
  }
  // after every timed turn, a cached answer is still what a fresh read of the log answers
  for (const { id, historyLimit, session, name } of subjects.slice(0, BLOB)) {
    deepStrictEqual(await session.getItems(), await new AgentsSession(manager, id, { historyLimit, cache: false }).getItems(), name);
  }
  const blob = samples[BLOB];
  const vs = (a, b) => {
    const p = paired(a, b);
    return `${ratio(p.median)} (${p.min.toFixed(2)}–${p.max.toFixed(2)})`;
  };
  const targets = new Targets();
  targets.check('AgentsSession turn (getItems + addItems) vs one JSON value, whole history, cache current', paired(samples[0].turn, blob.turn).median, '>=', 10);
  targets.check(`AgentsSession turn with historyLimit ${CAP} vs one JSON value, cache current`, paired(samples[1].turn, blob.turn).median, '>=', 10);
  targets.note(
    'With the cache current a turn is two round trips: a read of the session (no items) and the append; the history the runner gets is a copy of the cached items. ' +
      'When another worker played the turn before, getItems reads the whole log once (an O(history) read, as the JSON value is) and the cache is current again for this worker\'s next turn; ' +
      'the log still saves the read-and-write-back of addItems (the addItems columns).',
  );
  publish(
    'frameworks-openai',
    [
      `# Bench: OpenAI Agents session traffic\n`,
      `${environment()}. Redis: ${redis.label}. Command: \`node bench/suites/frameworks-openai.mjs\`.`,
      `One runner turn = getItems() then addItems() of 4 items (a user message, a tool call, its result, an answer; ~1 KB), at ${HISTORY} items of history. ${ROUNDS} rounds of ${TURNS} timed turns per subject after a warm-up, in an order rotated each round; median turns/s; in brackets the median of per-round ratios against the JSON value and the smallest–largest. Only ratios mean anything: shared 2-core machine, and Redis shares those cores.\n`,
      table(
        ['subject', 'turns/s', 'turn vs one JSON value', 'addItems/s', 'addItems vs one JSON value'],
        subjects.map((s, i) => [s.name, median(samples[i].turn).toFixed(0), vs(samples[i].turn, blob.turn), median(samples[i].add).toFixed(0), vs(samples[i].add, blob.add)]),
      ),
      `\n## Targets (issue 12)\n\n${targets}`,
    ].join('\n'),
  );
} finally {
  await manager.close();
  await deletePrefix(client, prefix);
  await client.quit();
  await redis.stop();
}
