/**
 * Suite "items" (issue 10): the item log on MemoryStore, LruStore and RedisStore, side by side
 * in one run, each operation at one call in flight (an agent's turn):
 * - append of one ~1 KB item to a session of 10,000 items vs one of 10;
 * - append vs the read-modify-write way (get the session, push onto an array in data, put it
 *   back) at 1,000 items of history;
 * - the newest 20 items of a 10,000-item session vs of a 20-item one;
 * - Redis round trips per append, pop, truncate and items page (a counting proxy);
 * - heap per item in the in-process stores (one child process per store).
 *
 * Redis: REDIS_URL, else the local one on 6379, else a redis-server of its own (stopped by
 * PID); every key under a prefix unique to the run, deleted at the end with SCAN + UNLINK.
 * Env: BENCH_ROUNDS (default 7), BENCH_QUICK=1.
 */
import { deepStrictEqual, equal } from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { makeData } from '../lib/fixture.mjs';
import { itemsSubjects, MAX_BYTES } from '../lib/items-subjects.mjs';
import { deletePrefix, findRedis } from '../lib/redis-server.mjs';
import { cell, environment, median, paired, publish, rate, resultName, table, Targets } from '../lib/report.mjs';
import { startProxy } from '../lib/rt-proxy.mjs';

const QUICK = process.env.BENCH_QUICK === '1';
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);
const BIG = QUICK ? 2_000 : 10_000; // items of the long session
const SMALL = 10; // items of the short one
const HISTORY = 1_000; // items of history in the append vs read-modify-write comparison
const PAGE = 20; // the newest items read
/**
 * Timed calls per side and round: appends (in chunks, the log truncated back between chunks,
 * untimed, so a session keeps about its size) and page reads; more in process, where a call
 * takes microseconds and a short phase is at the mercy of one scheduler hiccup.
 */
const SIZES = {
  inProcess: { appends: QUICK ? 500 : 5_000, reads: QUICK ? 300 : 3_000 },
  redis: { appends: QUICK ? 100 : 1_000, reads: QUICK ? 100 : 1_000 },
};
const CHUNK = 50; // appends between two truncates
const RMW_OPS = QUICK ? 5 : 20; // timed read-modify-writes per round
const HEAP_ITEMS = QUICK ? 2_000 : 10_000;
const RT_OPS = 20;
const BATCH = 1000; // the most items one append takes

const pool = makeData(1000);
const item = (i) => pool[i % pool.length];
const now = () => process.hrtime.bigint();
const perSecond = (count, start) => (count * 1e9) / Number(now() - start);

const redis = await findRedis();
const runPrefix = `agent-sessions-bench-${process.pid}-${randomBytes(4).toString('hex')}:`;
const admin = redis && new Redis(redis.url);
const subjects = await itemsSubjects(redis?.url ?? null);
const active = subjects.filter((s) => !s.skip);
for (const s of subjects.filter((s) => s.skip)) console.log(`SKIPPED subject ${s.name}: ${s.skip}`);
if (active.length === 0) {
  console.log('SKIPPED the items suite: no store of this build has item methods yet.');
  process.exit(0);
}
const slug = (name) => name.replace(/[^a-z0-9]+/gi, '-').toLowerCase();
const started = Date.now();

/** Appends `count` items to `id`, in batches of at most 1,000 (untimed set-up). */
async function fill(m, id, count) {
  for (let done = 0; done < count; done += BATCH) {
    await m.append(id, Array.from({ length: Math.min(BATCH, count - done) }, (_, k) => item(done + k)));
  }
}

/**
 * Times `n` appends of one item to `id` in chunks of {@link CHUNK}, truncating the log back to
 * `keep` items after each chunk (untimed).
 */
async function appends(m, id, n, keep) {
  let ns = 0n;
  for (let done = 0; done < n; done += CHUNK) {
    const t = now();
    for (let i = done; i < done + CHUNK; i++) await m.append(id, [item(i)]);
    ns += now() - t;
    await m.truncate(id, { after: keep });
  }
  return (n * 1e9) / Number(ns);
}

/** The way without items: the history is an array in data, read, pushed onto and written back. */
async function readModifyWrites(m, id, n, history) {
  const t = now();
  for (let i = 0; i < n; i++) {
    const session = await m.get(id);
    session.data.items.push(item(i));
    await m.put(id, session.data);
  }
  const speed = perSecond(n, t);
  await m.put(id, history);
  return speed;
}

async function newest(m, id, n) {
  const t = now();
  for (let i = 0; i < n; i++) await m.items(id, { order: 'desc', limit: PAGE });
  return perSecond(n, t);
}

/** Round 0 only: the answers each phase should leave. */
async function verify(name, m) {
  const big = await m.get('big');
  equal(big.itemCount, BIG, `${name}: the long session holds ${BIG} items after truncate`);
  equal(big.lastSeq, BIG, `${name}: lastSeq of the long session`);
  const page = await m.items('big', { order: 'desc', limit: PAGE });
  equal(page.items.length, PAGE, `${name}: a page of ${PAGE}`);
  deepStrictEqual(page.items.map((x) => x.seq), Array.from({ length: PAGE }, (_, k) => BIG - k), `${name}: newest first`);
  deepStrictEqual(page.items[0].data, item(BIG - 1), `${name}: the newest item's data`);
  equal((await m.get('rmw')).data.items.length, HISTORY, `${name}: read-modify-write history reset`);
  equal((await m.items('twenty', { order: 'desc', limit: PAGE })).items.length, PAGE, `${name}: the 20-item session`);
}

const sizeOf = (s) => (s.name === 'RedisStore' ? SIZES.redis : SIZES.inProcess);

const PAIRS = [
  ['append at 10', 'append at 10,000'],
  ['append at 1,000', 'read-modify-write at 1,000'],
  ['newest 20 of 20', 'newest 20 of 10,000'],
];

/** Samples per subject: Map(name → { phase: [ops/s per round] }). */
async function throughput() {
  const samples = new Map(active.map((s) => [s.name, {}]));
  const insts = new Map();
  for (const s of active) {
    const inst = await s.create({ prefix: `${runPrefix}${slug(s.name)}:` });
    const history = { items: Array.from({ length: HISTORY }, (_, i) => item(i)) };
    await fill(inst.m, 'small', SMALL);
    await fill(inst.m, 'big', BIG);
    await fill(inst.m, 'hist', HISTORY);
    await fill(inst.m, 'twenty', PAGE);
    await inst.m.put('rmw', history);
    insts.set(s.name, { ...inst, history });
    process.stderr.write(`items: ${s.name} filled after ${((Date.now() - started) / 1000).toFixed(0)} s\n`);
  }
  for (let round = 0; round <= ROUNDS; round++) {
    const order = active.map((_, i) => active[(i + round) % active.length]);
    for (const s of order) {
      const { m, history } = insts.get(s.name);
      const { appends: APPENDS, reads: READS } = sizeOf(s);
      const phases = {
        'append at 10': () => appends(m, 'small', APPENDS, SMALL),
        'append at 10,000': () => appends(m, 'big', APPENDS, BIG),
        'append at 1,000': () => appends(m, 'hist', APPENDS, HISTORY),
        'read-modify-write at 1,000': () => readModifyWrites(m, 'rmw', RMW_OPS, history),
        'newest 20 of 20': () => newest(m, 'twenty', READS),
        'newest 20 of 10,000': () => newest(m, 'big', READS),
      };
      // The two sides of a comparison run back to back, which one first alternating by round.
      for (const pair of PAIRS) {
        for (const phase of round % 2 ? [...pair].reverse() : pair) {
          global.gc?.();
          const speed = await phases[phase]();
          if (round > 0) (samples.get(s.name)[phase] ??= []).push(speed);
        }
      }
      if (round === 0) await verify(s.name, m);
    }
    process.stderr.write(`items: round ${round}/${ROUNDS} done\n`);
  }
  for (const inst of insts.values()) await inst.close();
  return samples;
}

/** Round trips and commands per operation on RedisStore, through the counting proxy. */
async function roundTrips(subject) {
  const proxy = await startProxy(redis.port, new URL(redis.url).hostname);
  const inst = await subject.create({ url: `redis://127.0.0.1:${proxy.port}`, prefix: `${runPrefix}rt:` });
  const { m } = inst;
  await fill(m, 'rt', 100);
  const count = async (fn) => {
    proxy.reset();
    for (let i = 0; i < RT_OPS; i++) await fn(i);
    return { roundTrips: proxy.stats.roundTrips / RT_OPS, commands: proxy.stats.commands / RT_OPS };
  };
  const out = {
    append: await count((i) => m.append('rt', [item(i)])),
    items: await count(() => m.items('rt', { order: 'desc', limit: PAGE })),
    pop: await count(() => m.pop('rt')),
  };
  // Each truncate removes the newest item; the seqs are read before counting.
  const { lastSeq } = await m.get('rt');
  out.truncate = await count((i) => m.truncate('rt', { after: lastSeq - 1 - i }));
  equal((await m.get('rt')).itemCount, 100 - RT_OPS, 'items left after the counted appends, pops and truncates');
  await inst.close();
  await proxy.close();
  return out;
}

/** Heap per item in the in-process stores, one child process each. */
function heapPerItem() {
  const child = fileURLToPath(new URL('./items-heap-child.mjs', import.meta.url));
  const out = new Map();
  for (const s of active.filter((s) => s.name !== 'RedisStore')) {
    const line = execFileSync(process.execPath, ['--expose-gc', child, s.name, String(HEAP_ITEMS)], { encoding: 'utf8' });
    out.set(s.name, JSON.parse(line.trim().split('\n').pop()));
    process.stderr.write(`items: heap of ${s.name} measured\n`);
  }
  return out;
}

let cleaned = false;
async function cleanup() {
  if (cleaned || !admin) return;
  cleaned = true;
  const n = await deletePrefix(admin, runPrefix);
  process.stderr.write(`items: deleted ${n} leftover keys under ${runPrefix}\n`);
  await admin.quit();
  await redis.stop();
}
for (const sig of ['SIGINT', 'SIGTERM']) process.once(sig, () => cleanup().finally(() => process.exit(130)));

try {
  const samples = await throughput();
  const redisSubject = active.find((s) => s.name === 'RedisStore');
  const rt = redisSubject ? await roundTrips(redisSubject) : undefined;
  const heap = heapPerItem();
  await report(samples, rt, heap);
} finally {
  await cleanup();
}

async function report(samples, rt, heap) {
  const cost = (s, [cheap, dear]) => paired(samples.get(s.name)[cheap], samples.get(s.name)[dear]);
  const targets = new Targets();
  for (const s of active) {
    targets.check(`${s.name} append of one item: time at ${BIG.toLocaleString('en')} items vs at ${SMALL}`, cost(s, PAIRS[0]).median, '<=', 1.5);
    targets.check(`${s.name} append vs read-modify-write of data, at ${HISTORY.toLocaleString('en')} items (speed ratio)`, cost(s, PAIRS[1]).median, '>=', 20, (x) => `${x.toFixed(1)}×`);
    targets.check(`${s.name} newest ${PAGE} items: time at ${BIG.toLocaleString('en')} items vs at ${PAGE}`, cost(s, PAIRS[2]).median, '<=', 2);
  }
  if (rt) {
    for (const op of ['append', 'pop', 'truncate', 'items']) {
      targets.check(`RedisStore round trips per ${op === 'items' ? `items page of ${PAGE}` : op}`, rt[op].roundTrips, '<=', 1, (x) => x.toFixed(2));
    }
  }
  for (const [name, h] of heap) {
    targets.check(`${name} heap per item above its JSON text (${Math.round(h.jsonBytes)} B; ${Math.round(h.bytesPerItem)} B per item)`, h.bytesPerItem - h.jsonBytes, '<=', 100, (x) => `${x.toFixed(1)} B`);
  }

  const rows = active.map((s) => [
    `**${s.name}**`,
    ...PAIRS.flatMap((pair) => [rate(median(samples.get(s.name)[pair[0]])), cell(samples.get(s.name)[pair[1]], samples.get(s.name)[pair[0]])]),
  ]);
  const bars = (pair, of = (p) => p.median) => active.map((s) => ({ name: s.name, role: 'ours', value: of(paired(samples.get(s.name)[pair[1]], samples.get(s.name)[pair[0]])) }));
  const chart = {
    title: 'items: speed relative to the cheap case, same store, same round (higher is faster)',
    subtitle: `${resultName('items')}.md · ~1 KB items · 1 call in flight · median of ${ROUNDS} paired rounds · shared 2-core machine`,
    groups: [
      { label: `append 1 item to a session of ${BIG.toLocaleString('en')} items, vs of ${SMALL}`, target: 1 / 1.5, targetLabel: 'target: ≥ 0.67× (≤ 1.5× the time)', bars: bars(PAIRS[0]) },
      { label: `newest ${PAGE} items of ${BIG.toLocaleString('en')}, vs of ${PAGE}`, target: 0.5, targetLabel: 'target: ≥ 0.5× (≤ 2× the time)', bars: bars(PAIRS[2]) },
      { label: `read-modify-write of data at ${HISTORY.toLocaleString('en')} items, vs append`, target: 0.05, targetLabel: 'target: ≤ 0.05× (append ≥ 20×)', bars: bars(PAIRS[1]) },
    ],
  };
  const rtTable = rt
    ? table(
        ['operation', 'round trips', 'commands'],
        Object.entries(rt).map(([op, r]) => [op === 'items' ? `items page of ${PAGE}, newest first` : op === 'append' ? 'append of 1 item' : op, r.roundTrips.toFixed(2), r.commands.toFixed(2)]),
      )
    : `Not measured: ${subjects.find((s) => s.name === 'RedisStore').skip}.`;
  const heapTable = heap.size
    ? table(
        ['store', 'heap B per item', 'JSON B per item (UTF-8)', 'above the JSON'],
        [...heap].map(([name, h]) => [name, Math.round(h.bytesPerItem), Math.round(h.jsonBytes), `${(h.bytesPerItem - h.jsonBytes).toFixed(1)} B`]),
      )
    : 'Not measured.';

  const markdown = `# Bench: items (issue 10)

${environment()}. Redis: ${redis ? redis.label : 'none'}. Command: \`npm run bench -- items\`${QUICK ? ' (BENCH_QUICK=1: smaller sizes, not for comparison)' : ''}.
\`SessionManager\` over each store (\`maxBytes\` ${MAX_BYTES / 1024 / 1024} MiB, for the read-modify-write session), items of ~1 KB of JSON (the suites' session fixture), one call in flight. ${ROUNDS} rounds after a warm-up round that also checks the answers; in each round every store runs every comparison, its two sides back to back, which first alternating by round; median ops/s; in brackets the ratio to the first column of the pair (the median of per-round ratios) and the smallest–largest of those. Only ratios mean anything: shared 2-core machine${redis ? ', Redis on the same cores' : ''}.

${table(
  ['store', ...PAIRS.flat().map((p) => `${p} ops/s`)],
  rows,
)}

Stores:
${subjects.map((s) => `- ${s.name}: ${s.skip ? `SKIPPED — ${s.skip}` : s.note}`).join('\n')}

Phases (each timed alone, per round and store):
- **append at 10 / 10,000 / 1,000**: ${SIZES.inProcess.appends.toLocaleString('en')} appends (Redis: ${SIZES.redis.appends.toLocaleString('en')}) of one item to a session holding that many, timed in chunks of ${CHUNK}, after each of which (untimed) \`truncate({ after })\` takes the log back to that many.
- **read-modify-write at 1,000**: ${RMW_OPS} times \`get\`, \`data.items.push(item)\`, \`put(id, data)\` on a session whose data holds ${HISTORY.toLocaleString('en')} items (~1 MB of JSON), then (untimed) the ${HISTORY.toLocaleString('en')} put back. Plain \`put\`, no \`ifVersion\`: the cheapest form of the old way.
- **newest 20 of 20 / of 10,000**: ${SIZES.inProcess.reads.toLocaleString('en')} calls (Redis: ${SIZES.redis.reads.toLocaleString('en')}) of \`items(id, { order: 'desc', limit: ${PAGE} })\` on a session holding that many.

![chart](${resultName('items')}.svg)

## Redis round trips per operation

Counted by a loopback proxy in front of Redis (requests sent before any reply count once), over ${RT_OPS} operations each, 1 in flight, on a session of ~100 items.

${rtTable}

## Heap per item (in-process stores)

\`node --expose-gc\`, one child process per store: ${HEAP_ITEMS.toLocaleString('en')} items appended to one session, one item per \`append\`, to warm up (not counted), then three more blocks of ${HEAP_ITEMS.toLocaleString('en')}, each measured as the growth of \`heapUsed\` after \`gc()\`; the median block per item. JSON bytes: the mean UTF-8 length of \`JSON.stringify(item)\` (ASCII here, so V8 keeps a flat copy in as many bytes plus a header).

${heapTable}

## Targets (issue 10)

${targets}

Suite time: ${((Date.now() - started) / 1000).toFixed(0)} s.
`;
  publish('items', markdown, chart);
}
