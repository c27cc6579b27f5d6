/**
 * Suite "memory": the in-process stores against a raw Map of JSON strings and their peers.
 * Run by bench/run.mjs as `node --expose-gc --max-old-space-size=6144 suites/memory.mjs`.
 *
 * Env: BENCH_ROUNDS (default 7), BENCH_QUICK=1 (fewer sessions, for a smoke run).
 */
import { deepStrictEqual, equal, ok } from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { makeData, makeIds, prng } from '../lib/fixture.mjs';
import { loadLibrary, memorySubjects } from '../lib/memory-subjects.mjs';
import { HOUR, idsThroughput, TTL_OPS, ttlThroughput } from '../lib/memory-ttl.mjs';
import { cell, environment, median, paired, publish, rate, ratio, resultName, table, Targets } from '../lib/report.mjs';

const QUICK = process.env.BENCH_QUICK === '1';
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);
const N = QUICK ? 2_000 : 10_000;
const BIG = QUICK ? 100_000 : 1_000_000;
const SMALL = 1_000;
const HEAP_N = QUICK ? 20_000 : 100_000;
/** A list phase stops after this many pages or this many ms, whichever comes first. */
const LIST_PAGES = 100;
const LIST_BUDGET_MS = 250;
/** Reads and overwrites leave the store as it was, so they run several passes per round. */
const HIT_PASSES = 2;
const MISS_PASSES = 10;
const OVERWRITE_PASSES = 3;
const CLEAR_PASSES = 3;
/** The list-scaling test: pages read per round and per store size, and rounds. */
const SCALE_PAGES = QUICK ? 200 : 500;
const SCALE_ROUNDS = QUICK ? 2 : 5;
const OPS = ['put', 'get hit', 'get miss', 'overwrite', 'list 100', 'clear'];

const gc = typeof global.gc === 'function' ? () => global.gc() : () => {};
const now = () => process.hrtime.bigint();
const perSecond = (count, start) => (count * 1e9) / Number(now() - start);

const ids = makeIds(N, 't', 1);
const missIds = makeIds(N, 'x', 2);
const data = makeData(N, 5);
const data2 = makeData(N, 6);

/**
 * The phases of one round, in order; each takes a subject's instance and returns ops/s.
 * Every phase leaves the store as the next one expects: filled after put, empty after clear.
 */
const PHASES = {
  async put(inst) {
    const t = now();
    for (let i = 0; i < N; i++) await inst.put(ids[i], data[i]);
    return perSecond(N, t);
  },
  async 'get hit'(inst) {
    // One untimed pass first: V8 flattens the string JSON.stringify returned on its first
    // parse, a one-off cost per write that would otherwise land on whichever subject is read
    // first; the timed passes measure reads in steady state.
    for (let i = 0; i < N; i++) await inst.get(ids[i]);
    const t = now();
    for (let r = 0; r < HIT_PASSES; r++) for (let i = 0; i < N; i++) await inst.get(ids[i]);
    return perSecond(N * HIT_PASSES, t);
  },
  async 'get miss'(inst) {
    const t = now();
    for (let r = 0; r < MISS_PASSES; r++) for (let i = 0; i < N; i++) await inst.get(missIds[i]);
    return perSecond(N * MISS_PASSES, t);
  },
  async overwrite(inst) {
    const t = now();
    for (let r = 0; r < OVERWRITE_PASSES; r++) {
      const values = r % 2 ? data : data2;
      for (let i = 0; i < N; i++) await inst.put(ids[i], values[i]);
    }
    return perSecond(N * OVERWRITE_PASSES, t);
  },
  async 'list 100'(inst) {
    const state = {};
    let pages = 0;
    const t = now();
    const deadline = t + BigInt(LIST_BUDGET_MS * 1e6);
    do {
      await inst.list(state);
      pages++;
    } while (pages < LIST_PAGES && now() < deadline);
    return perSecond(pages, t);
  },
  async clear(inst) {
    // Deletes are quick: time several passes, refilling (untimed) between them.
    let ns = 0n;
    for (let r = 0; r < CLEAR_PASSES; r++) {
      if (r > 0) for (let i = 0; i < N; i++) await inst.put(ids[i], data2[i]);
      const t = now();
      for (let i = 0; i < N; i++) await inst.del(ids[i]);
      ns += now() - t;
    }
    return (N * CLEAR_PASSES * 1e9) / Number(ns);
  },
};

/** Checks a subject's answers after each phase (warm-up round only). */
async function verify(subject, inst, op) {
  const who = subject.name;
  if (op === 'put') deepStrictEqual(await inst.get(ids[7]), data[7], `${who}: get after put`);
  if (op === 'get hit') ok((await inst.get(ids[N - 1])) !== undefined, `${who}: get hit returned nothing`);
  if (op === 'get miss') equal(await inst.get(missIds[0]), undefined, `${who}: get miss returned something`);
  if (op === 'overwrite') deepStrictEqual(await inst.get(ids[7]), data2[7], `${who}: get after overwrite`);
  if (op === 'list 100') {
    const page = await inst.list({});
    equal(page.length, 100, `${who}: list page size`);
    ok(page.every((s) => s.data?.messages?.length === 5), `${who}: list page bodies`);
  }
  if (op === 'clear') equal(await inst.get(ids[7]), undefined, `${who}: get after clear`);
}

/**
 * Rounds of every phase; within a phase every subject runs back to back (order rotated each
 * round), so load from elsewhere on the machine falls on all subjects of a phase alike.
 * Round 0 warms up and checks answers; it is not counted.
 */
async function throughput(subjects) {
  const samples = new Map(subjects.map((s) => [s.name, Object.fromEntries(OPS.map((op) => [op, []]))]));
  for (let round = 0; round <= ROUNDS; round++) {
    const order = subjects.map((_, i) => subjects[(i + round) % subjects.length]);
    const insts = new Map(subjects.map((s) => [s.name, s.create()]));
    for (const op of OPS) {
      for (const subject of op.startsWith('get') ? [...order].reverse() : order) {
        gc();
        const inst = insts.get(subject.name);
        const rate = await PHASES[op](inst);
        if (round === 0) await verify(subject, inst, op);
        else samples.get(subject.name)[op].push(rate);
      }
    }
    for (const inst of insts.values()) await inst.close();
    process.stderr.write(`memory: round ${round}/${ROUNDS} done\n`);
  }
  return samples;
}

/** List cost at 1,000 vs 1,000,000 sessions: random cursors, median of rounds. */
async function listScale() {
  const { SessionManager, MemoryStore, LruStore } = await loadLibrary();
  const pool = makeData(1000);
  const random = prng(7);
  const rows = [];
  for (const [name, makeStore] of [
    ['MemoryStore', () => new MemoryStore()],
    ['LruStore', () => new LruStore({ max: BIG + 1 })],
  ]) {
    const sets = [];
    for (const size of [SMALL, BIG]) {
      gc();
      const m = new SessionManager({ store: makeStore() });
      for (let i = 0; i < size; i++) await m.put(`user-${i % 997}:thread-${i}`, pool[i % 1000]);
      // Walk once to collect every page's cursor, so pages can be read at random places.
      const cursors = [undefined];
      for (let page = await m.list({ limit: 100 }); page.nextCursor; page = await m.list({ limit: 100, cursor: page.nextCursor })) {
        cursors.push(page.nextCursor);
      }
      sets.push({ size, m, cursors, all: [], meta: [] });
    }
    for (let round = 0; round <= SCALE_ROUNDS; round++) {
      for (const set of round % 2 ? [...sets].reverse() : sets) {
        for (const fields of ['all', 'meta']) {
          const picks = Array.from({ length: SCALE_PAGES }, () => set.cursors[Math.floor(random() * set.cursors.length)]);
          const t = now();
          for (const cursor of picks) await set.m.list({ limit: 100, cursor, fields });
          if (round > 0) set[fields].push(perSecond(SCALE_PAGES, t));
        }
      }
    }
    const [small, big] = sets;
    for (const fields of ['all', 'meta']) {
      const s = median(small[fields]);
      const b = median(big[fields]);
      rows.push({ name, fields, small: s, big: b, cost: s / b });
    }
    for (const set of sets) await set.m.close();
    sets.length = 0;
    gc();
  }
  return rows;
}

/** Heap bytes per session, one child process per subject. */
function heapPerSession(subjects) {
  const child = fileURLToPath(new URL('./heap-child.mjs', import.meta.url));
  const out = new Map();
  for (const s of subjects) {
    const line = execFileSync(process.execPath, ['--expose-gc', child, s.name, String(HEAP_N)], { encoding: 'utf8' });
    out.set(s.name, JSON.parse(line.trim().split('\n').pop()).bytesPerSession);
    process.stderr.write(`memory: heap of ${s.name} measured\n`);
  }
  return out;
}

const subjects = await memorySubjects();
const limit = subjects.find((s) => s.role === 'limit').name;
const started = Date.now();
const stage = (what) => process.stderr.write(`memory: ${what} after ${((Date.now() - started) / 1000).toFixed(0)} s\n`);
const samples = await throughput(subjects);
stage('throughput done');
const ttl = await ttlThroughput(subjects, {
  ids,
  data,
  rounds: ROUNDS,
  gc,
  async check(subject, inst) {
    deepStrictEqual(await inst.get(ids[7]), data[7], `${subject.name}: get after put (ttl workload)`);
  },
});
stage('ttl workload done');
const idWalk = await idsThroughput(subjects, { ids, data, rounds: ROUNDS, gc });
stage('list every id done');
const scale = await listScale();
stage('list scaling done');
const heap = heapPerSession(subjects);
stage('heap done');

const base = samples.get(limit);
const rows = subjects.map((s) => [
  s.role === 'ours' ? `**${s.name}**` : s.name,
  ...OPS.map((op) => cell(samples.get(s.name)[op], base[op])),
  `${Math.round(heap.get(s.name))} (${ratio(heap.get(s.name) / heap.get(limit))})`,
]);

const targets = new Targets();
for (const ours of subjects.filter((s) => s.role === 'ours')) {
  const m = samples.get(ours.name);
  const short = ours.name.replace('agent-sessions ', '');
  targets.check(`${short} get hit vs raw Map`, paired(m['get hit'], base['get hit']).median, '>=', 0.8);
  targets.check(`${short} put (new id) vs raw Map`, paired(m.put, base.put).median, '>=', 0.5);
  targets.check(`${short} overwrite vs raw Map`, paired(m.overwrite, base.overwrite).median, '>=', 0.5);
  for (const peer of subjects.filter((s) => s.vs)) {
    const p = samples.get(peer.name);
    const vs = Object.fromEntries(OPS.map((op) => [op, paired(m[op], p[op]).median]));
    const behind = OPS.filter((op) => vs[op] <= 1);
    const worst = Math.min(...Object.values(vs));
    targets.check(
      `${short} ahead of ${peer.name} on every operation${behind.length ? ` (behind on: ${behind.join(', ')})` : ''}; slowest ratio`,
      worst,
      '>=',
      1,
    );
  }
  targets.check(`${short} heap per session vs raw Map`, heap.get(ours.name) / heap.get(limit), '<=', 1.25);
}
const targets11 = new Targets();
const ttlBase = ttl.get(limit);
const inMemoryPeers = subjects.filter((s) => s.role === 'peer' && !s.name.startsWith('raw '));
for (const ours of subjects.filter((s) => s.role === 'ours')) {
  const t = ttl.get(ours.name);
  const short = ours.name.replace('agent-sessions ', '');
  targets11.check(`${short} get, first read after put, ttl 1 h, vs raw Map + JSON`, paired(t['get after put'], ttlBase['get after put']).median, '>=', 0.8);
  const vsPeers = inMemoryPeers.map((p) => [p.name, paired(t.clear, ttl.get(p.name).clear).median]);
  const behind = vsPeers.filter(([, x]) => x <= 1).map(([name]) => name);
  targets11.check(
    `${short} clear ahead of every in-memory peer${behind.length ? ` (behind: ${behind.join(', ')})` : ''}; slowest ratio`,
    Math.min(...vsPeers.map(([, x]) => x)),
    '>=',
    1,
    (x) => `${x.toFixed(3)}×`,
  );
  targets11.check(
    `${short} list every id of ${N.toLocaleString('en')} vs Map.keys() (walk with fields: '${idWalk.fields.get(ours.name)}')`,
    paired(idWalk.samples.get(ours.name), idWalk.samples.get(limit)).median,
    '>=',
    0.3,
  );
}
const idsMs = (name) => 1000 / median(idWalk.samples.get(name));
const rows11 = subjects.map((s) => [
  s.role === 'ours' ? `**${s.name}**` : s.name,
  ...TTL_OPS.map((op) => cell(ttl.get(s.name)[op], ttlBase[op])),
  `${idsMs(s.name) < 10 ? idsMs(s.name).toFixed(2) : idsMs(s.name).toFixed(1)} ms (${ratio(paired(idWalk.samples.get(s.name), idWalk.samples.get(limit)).median)})`,
]);
const bars = (op, from, of = (x) => x[op]) =>
  subjects.map((s) => ({ name: s.name, role: s.role, value: paired(of(from.get(s.name)), of(from.get(limit))).median }));
const chart = {
  title: 'memory: ratio to a raw Map of JSON strings (higher is faster)',
  subtitle: `${resultName('memory')}.md · ${N.toLocaleString('en')} sessions of ~1 KB · median of ${ROUNDS} paired rounds · shared 2-core machine`,
  groups: [
    { label: 'get, first read after put (ttl 1 h) — issue 11', target: 0.8, bars: bars('get after put', ttl) },
    { label: 'clear (ttl 1 h) — issue 11: ahead of every peer', bars: bars('clear', ttl) },
    { label: 'put, new id (ttl 1 h)', bars: bars('put', ttl) },
    { label: `list every id of ${N.toLocaleString('en')} — issue 11`, target: 0.3, bars: bars(null, idWalk.samples, (x) => x) },
    { label: 'get hit, steady state (no ttl) — issue 2', target: 0.8, bars: bars('get hit', samples) },
    { label: 'put, new id (no ttl) — issue 2', target: 0.5, bars: bars('put', samples) },
    { label: 'overwrite (no ttl) — issue 2', target: 0.5, bars: bars('overwrite', samples) },
  ],
};
for (const r of scale) {
  const what = `${r.name} list page (fields: ${r.fields}) cost at ${BIG.toLocaleString('en')} vs ${SMALL.toLocaleString('en')} sessions`;
  if (r.fields === 'all') targets.check(what, r.cost, '<=', 3);
  else targets.note(`(not a target) ${what}: ${ratio(r.cost)}`);
}

const markdown = `# Bench: memory and LRU stores

${environment()}. Command: \`npm run bench -- memory\`${QUICK ? ' (BENCH_QUICK=1: smaller sizes, not for comparison)' : ''}.
${N.toLocaleString('en')} sessions of ~1 KB JSON (five messages), ${ROUNDS} rounds after a warm-up round that also checks every answer; in each phase every subject runs back to back, in an order rotated each round; median ops/s; in brackets the ratio to the raw Map (the median of the per-round ratios, each subject against the raw Map of the same round) and the smallest–largest of those. Every call is awaited, for every subject. Only ratios mean anything: this is a shared 2-core machine.

${table(['subject', ...OPS.map((op) => `${op} ops/s`), `heap B/session (${HEAP_N.toLocaleString('en')})`], rows)}

Subjects:
${subjects.map((s) => `- ${s.name}${s.note ? `: ${s.note}` : ''}`).join('\n')}

Notes:
- put = a new id; get hit = reads after one untimed pass over the same ids (steady state: V8 flattens the cons string \`JSON.stringify\` returned on its first parse); overwrite = put on an existing id with new data; clear = delete an existing id (ours returns the removed session, whose data is parsed if read; the raw Map only deletes).
- **list 100**: only ours lists in id order with a cursor (a walk over all ${N.toLocaleString('en')} sessions, page after page). The others have no ordered listing, so each page reads the first 100 of whatever their API enumerates (see each subject); for Keyv, the raw Map and the raw lru-cache that is cheaper than a real cursor walk, for unstorage, express-session and memorystore every page enumerates every key. A list phase stops after ${LIST_PAGES} pages or ${LIST_BUDGET_MS} ms.
- heap: \`node --expose-gc\`, \`process.memoryUsage().heapUsed\` after \`gc()\` before and after inserting ${HEAP_N.toLocaleString('en')} sessions (one child process per subject, measured from before the store is created, so what an LRU preallocates for \`max\` = ${HEAP_N.toLocaleString('en')} counts); the ratio is to the raw Map. V8's \`JSON.stringify\` returns a cons string that takes ~240 B more than the same text flattened; the raw Map and MemoryStore keep it as it comes (it is flattened on its first read), LruStore's \`Buffer.byteLength\` flattens it at once, which is why LruStore measures below the raw Map.

## List page of 100: ${BIG.toLocaleString('en')} vs ${SMALL.toLocaleString('en')} sessions

Pages read at random cursors (collected by one walk), ${SCALE_PAGES} pages per round at each size, ${SCALE_ROUNDS} rounds after a warm-up round, the two sizes alternating; median pages/s. Both stores are filled through the manager with ~1 KB sessions.

${table(
  ['store', 'fields', `pages/s at ${SMALL.toLocaleString('en')}`, `pages/s at ${BIG.toLocaleString('en')}`, 'cost ratio'],
  scale.map((r) => [r.name, r.fields, rate(r.small), rate(r.big), ratio(r.cost)]),
)}

## Targets (issue 2)

${targets}

## Issue 11: ttl on, each session written then read once; list every id

![chart](${resultName('memory')}.svg)

Every subject is created with an idle ttl of one hour (${HOUR} ms) set as its API sets one (see Subjects; the raw Map, the limit, keeps no ttl; unstorage's memory and lru-cache drivers ignore the ttl they are given). ${ROUNDS} rounds after a warm-up round that also checks answers; in each round, each subject, on a fresh instance, runs 3 passes of: put ${N.toLocaleString('en')} new ids, get each once (the **first read after its put**, no warm-up pass), clear each; subjects back to back, order rotated per round; median ops/s and, in brackets, the paired ratio to the raw Map. "list every id": each subject filled with ${N.toLocaleString('en')} sessions (ttl set), then its all-ids call walked again and again for 200 ms (at least 3 walks); median ms per walk and, in brackets, the paired ratio of walks/s to the raw Map's \`[...map.keys()]\`.

${table(['subject', ...TTL_OPS.map((op) => `${op} ops/s`), `list every id of ${N.toLocaleString('en')}`], rows11)}

What "list every id" calls, per subject:
${subjects.map((s) => `- ${s.name}: ${s.idsNote}${idWalk.fields.has(s.name) ? ` — **this run used fields: '${idWalk.fields.get(s.name)}'**${idWalk.fields.get(s.name) === 'meta' ? ' (the library takes no `fields: \'id\'` yet: this is its fastest listing today, sessions without data)' : ''}` : ''}`).join('\n')}

## Targets (issue 11)

${targets11}

Suite time: ${((Date.now() - started) / 1000).toFixed(0)} s.
`;
publish('memory', markdown, chart);
