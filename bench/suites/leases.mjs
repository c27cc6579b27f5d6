/**
 * Suite "leases" (issue 13): what a fence costs a write, on MemoryStore and RedisStore side by
 * side in one run, one call in flight:
 * - `put` of a ~1 KB session with the live lease's fence vs the same put without a fence;
 * - `append` of one ~1 KB item with the fence vs without;
 * - Redis round trips per fenced put and fenced append, and per uncontended acquire + release
 *   (a counting proxy).
 *
 * Both sides of a comparison write the same id (a write without a fence is not checked, so
 * the held lease does not get in its way), back to back in each round, which first
 * alternating by round; the ratio is the median of the per-round ratios.
 *
 * Redis: REDIS_URL, else the local one on 6379, else a redis-server of its own (stopped by
 * PID); every key under a prefix unique to the run, deleted at the end with SCAN + UNLINK.
 * Env: BENCH_ROUNDS (default 21), BENCH_QUICK=1.
 */
import { deepStrictEqual, equal, rejects } from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { makeData } from '../lib/fixture.mjs';
import { entry } from '../lib/dist.mjs';
import { itemsSubjects } from '../lib/items-subjects.mjs';
import { deletePrefix, findRedis } from '../lib/redis-server.mjs';
import { cell, environment, median, paired, publish, rate, resultName, table, Targets } from '../lib/report.mjs';
import { startProxy } from '../lib/rt-proxy.mjs';

const QUICK = process.env.BENCH_QUICK === '1';
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 21);
/** Timed writes per side and round: more in process, where a call takes microseconds. */
const SIZES = {
  inProcess: { puts: QUICK ? 2_000 : 30_000, appends: QUICK ? 1_000 : 15_000 },
  redis: { puts: QUICK ? 200 : 2_500, appends: QUICK ? 200 : 2_500 },
};
const CHUNK = 50; // appends between two truncates
const KEEP = 10; // items the append session is truncated back to
const LEASE_TTL = 10 * 60_000; // outlives the run: the fenced side never finds its lease gone
const RT_OPS = 20;

const pool = makeData(1000);
const value = (i) => pool[i % pool.length];
const now = () => process.hrtime.bigint();
const perSecond = (count, start) => (count * 1e9) / Number(now() - start);

const redis = await findRedis();
const runPrefix = `agent-sessions-bench-${process.pid}-${randomBytes(4).toString('hex')}:`;
const admin = redis && new Redis(redis.url);
const subjects = (await itemsSubjects(redis?.url ?? null)).filter((s) => s.name !== 'LruStore');
const { SessionManager, FencedError } = await import(entry('index.js').href);
for (const s of subjects) {
  if (!s.skip && typeof SessionManager.prototype.acquire !== 'function') s.skip = 'SessionManager has no acquire in this build';
}
const active = subjects.filter((s) => !s.skip);
for (const s of subjects.filter((s) => s.skip)) console.log(`SKIPPED subject ${s.name}: ${s.skip}`);
if (active.length === 0) {
  console.log('SKIPPED the leases suite: no store of this build has leases and items.');
  await admin?.quit();
  await redis?.stop();
  process.exit(0);
}
const slug = (name) => name.replace(/[^a-z0-9]+/gi, '-').toLowerCase();
const started = Date.now();

async function puts(m, id, n, fence) {
  const options = fence === undefined ? {} : { fence };
  const t = now();
  for (let i = 0; i < n; i++) await m.put(id, value(i), options);
  return perSecond(n, t);
}

/** Times `n` appends of one item in chunks of {@link CHUNK}, truncating back to {@link KEEP} after each (untimed). */
async function appends(m, id, n, fence) {
  const options = fence === undefined ? {} : { fence };
  let ns = 0n;
  for (let done = 0; done < n; done += CHUNK) {
    const t = now();
    for (let i = done; i < done + CHUNK; i++) await m.append(id, [value(i)], options);
    ns += now() - t;
    await m.truncate(id, { after: KEEP });
  }
  return (n * 1e9) / Number(ns);
}

/** Once per store: a stale fence is refused, so the fenced side really is checked. */
async function verifyFencing(name, m) {
  const old = await m.acquire('fence-check', { ttl: LEASE_TTL });
  equal(await old.release(), true, `${name}: release of a live lease`);
  const lease = await m.acquire('fence-check', { ttl: LEASE_TTL });
  await rejects(m.put('fence-check', value(0), { fence: old.fence }), FencedError, `${name}: a put with a released fence`);
  await rejects(m.append('fence-check', [value(0)], { fence: old.fence }), FencedError, `${name}: an append with a released fence`);
  equal(await m.get('fence-check'), undefined, `${name}: nothing written under the stale fence`);
  await m.put('fence-check', value(1), { fence: lease.fence });
  deepStrictEqual((await m.get('fence-check')).data, value(1), `${name}: the live fence writes`);
  await lease.release();
}

const PAIRS = [
  ['put', 'put with fence'],
  ['append', 'append with fence'],
];
const sizeOf = (s) => (s.name === 'RedisStore' ? SIZES.redis : SIZES.inProcess);

/** Samples per subject: Map(name → { phase: [ops/s per round] }). */
async function throughput() {
  const samples = new Map(active.map((s) => [s.name, {}]));
  const insts = new Map();
  for (const s of active) {
    const inst = await s.create({ prefix: `${runPrefix}${slug(s.name)}:` });
    await verifyFencing(s.name, inst.m);
    const leases = { put: await inst.m.acquire('put', { ttl: LEASE_TTL }), append: await inst.m.acquire('append', { ttl: LEASE_TTL }) };
    await inst.m.put('put', value(0), { fence: leases.put.fence });
    await inst.m.append('append', Array.from({ length: KEEP }, (_, i) => value(i)), { fence: leases.append.fence });
    insts.set(s.name, { ...inst, leases });
  }
  for (let round = 0; round <= ROUNDS; round++) {
    const order = active.map((_, i) => active[(i + round) % active.length]);
    for (const s of order) {
      const { m, leases } = insts.get(s.name);
      const size = sizeOf(s);
      const phases = {
        put: () => puts(m, 'put', size.puts),
        'put with fence': () => puts(m, 'put', size.puts, leases.put.fence),
        append: () => appends(m, 'append', size.appends),
        'append with fence': () => appends(m, 'append', size.appends, leases.append.fence),
      };
      // The two sides of a comparison run back to back, which one first alternating by round.
      for (const pair of PAIRS) {
        for (const phase of round % 2 ? [...pair].reverse() : pair) {
          global.gc?.();
          const speed = await phases[phase]();
          if (round > 0) (samples.get(s.name)[phase] ??= []).push(speed);
        }
      }
      if (round === 0) equal((await m.get('append')).itemCount, KEEP, `${s.name}: the append session truncated back`);
    }
    process.stderr.write(`leases: round ${round}/${ROUNDS} done after ${((Date.now() - started) / 1000).toFixed(0)} s\n`);
  }
  for (const { leases, close } of insts.values()) {
    equal(await leases.put.release(), true, 'the put lease was live to the end');
    equal(await leases.append.release(), true, 'the append lease was live to the end');
    await close();
  }
  return samples;
}

/** Round trips and commands per operation on RedisStore, through the counting proxy. */
async function roundTrips(subject) {
  const proxy = await startProxy(redis.port, new URL(redis.url).hostname);
  const inst = await subject.create({ url: `redis://127.0.0.1:${proxy.port}`, prefix: `${runPrefix}rt:` });
  const { m } = inst;
  const count = async (fn) => {
    proxy.reset();
    for (let i = 0; i < RT_OPS; i++) await fn(i);
    return { roundTrips: proxy.stats.roundTrips / RT_OPS, commands: proxy.stats.commands / RT_OPS };
  };
  // Untimed warm-up: every script loaded, the session and its log in place.
  const warm = await m.acquire('rt', { ttl: LEASE_TTL });
  await m.put('rt', value(0), { fence: warm.fence });
  await m.append('rt', [value(0)], { fence: warm.fence });
  await m.truncate('rt', { after: 0 }, { fence: warm.fence });
  await warm.release();
  const out = {
    'acquire + release': await count(async () => {
      const lease = await m.acquire('rt', { ttl: 60_000 });
      equal(await lease.release(), true, 'release of an uncontended lease');
    }),
  };
  const lease = await m.acquire('rt', { ttl: LEASE_TTL });
  out.put = await count((i) => m.put('rt', value(i)));
  out['put with fence'] = await count((i) => m.put('rt', value(i), { fence: lease.fence }));
  out.append = await count((i) => m.append('rt', [value(i)]));
  out['append with fence'] = await count((i) => m.append('rt', [value(i)], { fence: lease.fence }));
  equal((await m.get('rt')).itemCount, 2 * RT_OPS, 'items after the counted appends');
  await lease.release();
  await inst.close();
  await proxy.close();
  return out;
}

let cleaned = false;
async function cleanup() {
  if (cleaned || !admin) return;
  cleaned = true;
  const n = await deletePrefix(admin, runPrefix);
  process.stderr.write(`leases: deleted ${n} leftover keys under ${runPrefix}\n`);
  await admin.quit();
  await redis.stop();
}
for (const sig of ['SIGINT', 'SIGTERM']) process.once(sig, () => cleanup().finally(() => process.exit(130)));

try {
  const samples = await throughput();
  const redisSubject = active.find((s) => s.name === 'RedisStore');
  const rt = redisSubject ? await roundTrips(redisSubject) : undefined;
  report(samples, rt);
} finally {
  await cleanup();
}

function report(samples, rt) {
  // Time ratio fenced / plain = speed ratio plain / fenced, per round.
  const cost = (s, [plain, fenced]) => paired(samples.get(s.name)[plain], samples.get(s.name)[fenced]);
  const targets = new Targets();
  const range = (p) => `${p.median.toFixed(3)}× (${p.min.toFixed(2)}–${p.max.toFixed(2)})`;
  for (const s of active) {
    for (const pair of PAIRS) {
      const what = pair[0] === 'put' ? 'put of a ~1 KB session' : 'append of one ~1 KB item';
      const p = cost(s, pair);
      targets.check(`${s.name} ${what}: time with a fence vs without`, p.median, '<=', 1.2, (x) => (x === p.median ? range(p) : `${x.toFixed(3)}×`));
    }
  }
  if (rt) {
    targets.check('RedisStore round trips per fenced put', rt['put with fence'].roundTrips, '<=', 1, (x) => x.toFixed(2));
    targets.check('RedisStore round trips per fenced append', rt['append with fence'].roundTrips, '<=', 1, (x) => x.toFixed(2));
    targets.check('RedisStore round trips per acquire + release, uncontended', rt['acquire + release'].roundTrips, '<=', 2, (x) => x.toFixed(2));
  }

  const rows = active.map((s) => [
    `**${s.name}**`,
    ...PAIRS.flatMap(([plain, fenced]) => [rate(median(samples.get(s.name)[plain])), cell(samples.get(s.name)[fenced], samples.get(s.name)[plain])]),
  ]);
  const bars = ([plain, fenced]) => active.map((s) => ({ name: s.name, role: 'ours', value: paired(samples.get(s.name)[fenced], samples.get(s.name)[plain]).median }));
  const chart = {
    title: 'leases: speed of a fenced write relative to the same write without a fence (higher is faster)',
    subtitle: `${resultName('leases')}.md · ~1 KB · 1 call in flight · median of ${ROUNDS} paired rounds · shared 2-core machine`,
    groups: [
      { label: 'put of a ~1 KB session, with a fence vs without', target: 1 / 1.2, targetLabel: 'target: ≥ 0.83× (≤ 1.2× the time)', bars: bars(PAIRS[0]) },
      { label: 'append of one ~1 KB item, with a fence vs without', target: 1 / 1.2, targetLabel: 'target: ≥ 0.83× (≤ 1.2× the time)', bars: bars(PAIRS[1]) },
    ],
  };
  const rtTable = rt
    ? table(
        ['operation', 'round trips', 'commands'],
        Object.entries(rt).map(([op, r]) => [op, r.roundTrips.toFixed(2), r.commands.toFixed(2)]),
      )
    : `Not measured: ${subjects.find((s) => s.name === 'RedisStore').skip}.`;

  const markdown = `# Bench: leases (issue 13)

${environment()}. Redis: ${redis ? redis.label : 'none'}. Command: \`npm run bench -- leases\`${QUICK ? ' (BENCH_QUICK=1: smaller sizes, not for comparison)' : ''}.
\`SessionManager\` over each store, sessions and items of ~1 KB of JSON (the suites' session fixture), one call in flight. ${ROUNDS} rounds after a warm-up round; in each round every store runs both comparisons, the two sides back to back on the same id, which first alternating by round; median ops/s; in brackets the ratio of the fenced side to the plain one (the median of per-round ratios; above 1 is faster) and the smallest–largest of those. **Only ratios mean anything**: shared 2-core machine, other engineers' test suites running${redis ? ', Redis on the same cores' : ''}; absolute ops/s are not comparable between runs.

${table(
  ['store', ...PAIRS.flat().map((p) => `${p} ops/s`)],
  rows,
)}

Stores:
${subjects.map((s) => `- ${s.name}: ${s.skip ? `SKIPPED — ${s.skip}` : s.note}`).join('\n')}

Phases (each timed alone, per round and store):
- **put / put with fence**: ${SIZES.inProcess.puts.toLocaleString('en')} puts (Redis: ${SIZES.redis.puts.toLocaleString('en')}) of a ~1 KB session to one id whose lease (ttl ${LEASE_TTL / 60_000} min, taken before the rounds) this manager holds; one side passes \`{ fence }\`, the other nothing (a write without a fence is not checked).
- **append / append with fence**: ${SIZES.inProcess.appends.toLocaleString('en')} appends (Redis: ${SIZES.redis.appends.toLocaleString('en')}) of one ~1 KB item to a leased session of ${KEEP} items, timed in chunks of ${CHUNK}, after each of which (untimed) \`truncate({ after: ${KEEP} })\` takes the log back.
- Before the rounds, each store is checked to refuse a put and an append carrying a released lease's fence (\`FencedError\`, nothing written), so the fenced side is really checked.

![chart](${resultName('leases')}.svg)

## Redis round trips per operation

Counted by a loopback proxy in front of Redis (requests sent before any reply count once), over ${RT_OPS} operations each, 1 in flight, after an untimed warm-up that loads every script. "acquire + release" is one uncontended \`acquire(id, { ttl: 60000 })\` then \`lease.release()\` of the same id.

${rtTable}

## Targets (issue 13)

${targets}

Suite time: ${((Date.now() - started) / 1000).toFixed(0)} s.
`;
  publish('leases', markdown, chart);
}
