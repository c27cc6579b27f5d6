/**
 * Suite "redis": RedisStore against raw ioredis SET/GET of the same JSON (the limit),
 * connect-redis, @keyv/redis and unstorage's redis driver, on one local Redis, with 1 and 64
 * operations in flight; a list page of 100 out of 100,000 sessions; round trips per operation.
 *
 * Every key the suite writes starts with a prefix unique to the run, and is deleted at the
 * end (SCAN MATCH + UNLINK of that prefix only). Env: BENCH_ROUNDS (default 7), BENCH_QUICK=1.
 */
import { deepStrictEqual, equal } from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { drive } from '../lib/drive.mjs';
import { makeData, makeIds } from '../lib/fixture.mjs';
import { redisSubjects } from '../lib/redis-subjects.mjs';
import { deletePrefix, findRedis } from '../lib/redis-server.mjs';
import { HOUR, idsTimes, INFLIGHT as TTL_INFLIGHT, TTL_OPS, ttlThroughput } from '../lib/redis-ttl.mjs';
import { cell, environment, median, paired, publish, rate, ratio, resultName, table, Targets } from '../lib/report.mjs';
import { startProxy } from '../lib/rt-proxy.mjs';

const QUICK = process.env.BENCH_QUICK === '1';
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);
const OPS_1 = QUICK ? 500 : 2_000; // operations per phase with 1 in flight
const OPS_64 = QUICK ? 2_000 : 10_000; // … with 64 in flight
const LIST_N = QUICK ? 10_000 : 100_000;
const LIST_MAX_PAGES = 30;
const LIST_BUDGET_MS = 3_000;
const IDS_N = QUICK ? 2_000 : 10_000; // sessions for "list every id"
const IDS_WALKS = QUICK ? 3 : 7;
const INFLIGHT = [1, 64];

const redis = await findRedis();
if (redis === null) {
  console.log('SKIPPED the redis suite: no REDIS_URL, nothing answers on 127.0.0.1:6379, and no redis-server binary.');
  process.exit(0);
}
const runPrefix = `agent-sessions-bench-${process.pid}-${randomBytes(4).toString('hex')}:`;
const admin = new Redis(redis.url);
let cleaned = false;
async function cleanup() {
  if (cleaned) return;
  cleaned = true;
  const n = await deletePrefix(admin, runPrefix);
  process.stderr.write(`redis: deleted ${n} leftover keys under ${runPrefix}\n`);
}
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.once(sig, () => cleanup().finally(() => process.exit(130)));
}

const slug = (name) => name.replace(/[^a-z0-9]+/gi, '-').toLowerCase();
const pool = makeData(2_000);
const started = Date.now();
const subjects = await redisSubjects();
const active = subjects.filter((s) => !s.skip);
for (const s of subjects.filter((s) => s.skip)) console.log(`SKIPPED subject ${s.name}: ${s.skip}`);
const limit = active.find((s) => s.role === 'limit').name;
const results = new Map(active.map((s) => [s.name, {}]));
const put = (s, key, v) => ((results.get(s.name)[key] ??= []).push(v));

try {
  // --- put / get throughput at 1 and 64 in flight, rounds interleaved ---
  const insts = new Map();
  for (const s of active) insts.set(s.name, await s.create({ url: redis.url, prefix: `${runPrefix}${slug(s.name)}:` }));
  // Each phase runs every subject back to back (order rotated per round), so load from
  // elsewhere on the machine falls on all subjects of a phase alike.
  for (let round = 0; round <= ROUNDS; round++) {
    const order = active.map((_, i) => active[(i + round) % active.length]);
    for (const inflight of INFLIGHT) {
      const n = inflight === 1 ? OPS_1 : OPS_64;
      const ids = makeIds(n, `r${round}c${inflight}t`, round + 1);
      for (const s of order) {
        const rate = await drive(n, inflight, (i) => insts.get(s.name).put(ids[i], pool[i % pool.length]));
        if (round > 0) put(s, `put ${inflight}`, rate);
      }
      for (const s of [...order].reverse()) {
        const inst = insts.get(s.name);
        const rate = await drive(n, inflight, (i) => inst.get(ids[i]));
        if (round > 0) put(s, `get ${inflight}`, rate);
        if (round === 0) {
          deepStrictEqual(await inst.get(ids[3]), pool[3], `${s.name}: get after put`);
          equal(await inst.get(`absent-${ids[3]}`), undefined, `${s.name}: get of an absent id`);
        }
      }
      for (const s of order) await drive(n, 64, (i) => insts.get(s.name).del(ids[i]));
    }
    process.stderr.write(`redis: round ${round}/${ROUNDS} done\n`);
  }
  for (const inst of insts.values()) await inst.close();

  // --- issue 11: ttl 1 h, put / first read after put / clear, at 64 and 1 in flight ---
  const ttl = await ttlThroughput(active, { url: redis.url, runPrefix, pool, rounds: ROUNDS, ops: { 64: OPS_64, 1: OPS_1 } });
  const idWalk = await idsTimes(active, { url: redis.url, runPrefix, pool, n: IDS_N, walks: IDS_WALKS, admin });

  // --- round trips and commands per operation, counted by a proxy, 1 in flight ---
  const proxy = await startProxy(redis.port, new URL(redis.url).hostname);
  const proxyUrl = `redis://127.0.0.1:${proxy.port}`;
  const rt = new Map();
  for (const s of active) {
    const inst = await s.create({ url: proxyUrl, prefix: `${runPrefix}rt-${slug(s.name)}:` });
    const ids = makeIds(20, 'rt', 9);
    await inst.get('warm-up'); // connection handshakes are not counted
    const count = async (fn) => {
      proxy.reset();
      for (let i = 0; i < ids.length; i++) await fn(i);
      return { roundTrips: proxy.stats.roundTrips / ids.length, commands: proxy.stats.commands / ids.length };
    };
    rt.set(s.name, {
      put: await count((i) => inst.put(ids[i], pool[i])),
      get: await count((i) => inst.get(ids[i])),
      clear: await count((i) => inst.del(ids[i])),
    });
    await inst.close();
  }

  // --- a list page of 100 out of LIST_N sessions, one subject at a time ---
  const lists = new Map();
  const dbsizes = [];
  for (const s of active) {
    const prefix = `${runPrefix}list-${slug(s.name)}:`;
    const inst = await s.create({ url: redis.url, prefix });
    const ids = makeIds(LIST_N, 'lt', 11);
    const fillRate = await drive(LIST_N, 64, (i) => inst.fill(ids[i], pool[i % pool.length]));
    dbsizes.push(await admin.dbsize());
    const state = {};
    let pages = 0;
    const t = process.hrtime.bigint();
    const deadline = t + BigInt(LIST_BUDGET_MS * 1e6);
    do {
      const page = await inst.list(state);
      equal(page.length, 100, `${s.name}: a page of 100`);
      pages++;
    } while (pages < LIST_MAX_PAGES && process.hrtime.bigint() < deadline);
    const pageRate = (pages * 1e9) / Number(process.hrtime.bigint() - t);
    // Round trips of one page, through the proxy, on a fresh instance.
    const counted = await s.create({ url: proxyUrl, prefix });
    await counted.get('warm-up');
    proxy.reset();
    const pagesCounted = 3;
    const countState = {};
    for (let p = 0; p < pagesCounted; p++) await counted.list(countState);
    lists.set(s.name, {
      pageRate,
      pages,
      fillRate,
      roundTrips: proxy.stats.roundTrips / pagesCounted,
      commands: proxy.stats.commands / pagesCounted,
    });
    await counted.close();
    await inst.close();
    await deletePrefix(admin, prefix);
    process.stderr.write(`redis: list of ${s.name} measured\n`);
  }
  await proxy.close();

  // --- report ---
  const cols = ['put 1', 'get 1', 'put 64', 'get 64'];
  const rows = active.map((s) => {
    const r = rt.get(s.name);
    const l = lists.get(s.name);
    return [
      s.role === 'ours' ? `**${s.name}**` : s.name,
      ...cols.map((c) => cell(results.get(s.name)[c], results.get(limit)[c])),
      `${rate(l.pageRate)} (${ratio(l.pageRate / lists.get(limit).pageRate)})`,
      `${r.put.roundTrips} / ${r.get.roundTrips} / ${r.clear.roundTrips}`,
      `${r.put.commands} / ${r.get.commands} / ${r.clear.commands}`,
      `${l.roundTrips.toFixed(l.roundTrips % 1 ? 1 : 0)} (${l.commands.toFixed(0)} cmds)`,
    ];
  });
  const targets = new Targets();
  const ours = active.find((s) => s.role === 'ours');
  if (ours === undefined) {
    targets.note(`RedisStore not measured: ${subjects.find((s) => s.role === 'ours').skip}`);
  } else {
    const o = ours.name;
    const vs = (a, b, c) => paired(results.get(a)[c], results.get(b)[c]).median;
    targets.check('RedisStore get at 64 in flight vs raw ioredis', vs(o, limit, 'get 64'), '>=', 0.9);
    targets.check('RedisStore put at 64 in flight vs raw ioredis', vs(o, limit, 'put 64'), '>=', 0.7);
    const r = rt.get(o);
    for (const op of ['get', 'put', 'clear']) targets.check(`RedisStore round trips per ${op}`, r[op].roundTrips, '<=', 1, (x) => x.toFixed(2));
    targets.check(`RedisStore round trips per list page of 100 out of ${LIST_N.toLocaleString('en')}`, lists.get(o).roundTrips, '<=', 2, (x) => x.toFixed(2));
    for (const peer of active.filter((s) => s.role === 'peer')) {
      const behind = [];
      let worst = Infinity;
      for (const c of cols) {
        const x = vs(o, peer.name, c);
        worst = Math.min(worst, x);
        if (x <= 1) behind.push(c);
      }
      const x = lists.get(o).pageRate / lists.get(peer.name).pageRate;
      worst = Math.min(worst, x);
      if (x <= 1) behind.push('list');
      targets.check(`RedisStore ahead of ${peer.name} on put, get and list${behind.length ? ` (behind on: ${behind.join(', ')})` : ''}; slowest ratio`, worst, '>=', 1);
    }
  }

  // --- issue 11 report ---
  const ttlCols = TTL_INFLIGHT.flatMap((k) => TTL_OPS.map((op) => `${op} ${k}`));
  const idsMs = (name) => median(idWalk.times.get(name).ms);
  const PEER_IDS = 'connect-redis';
  const haveIdsPeer = idWalk.times.has(PEER_IDS);
  const rows11 = active.map((s) => [
    s.role === 'ours' ? `**${s.name}**` : s.name,
    ...ttlCols.map((c) => cell(ttl.get(s.name)[c], ttl.get(limit)[c])),
    `${idsMs(s.name).toFixed(1)} ms${haveIdsPeer ? ` (${ratio(idsMs(PEER_IDS) / idsMs(s.name))})` : ''}`,
  ]);
  const targets11 = new Targets();
  const vs11 = (a, c) => paired(ttl.get(a)[c], ttl.get(limit)[c]).median;
  if (ours !== undefined) {
    const o = ours.name;
    targets11.check('RedisStore put at 64 in flight vs raw SET (ttl 1 h)', vs11(o, 'put 64'), '>=', 0.85);
    targets11.check('RedisStore put at 1 in flight vs raw SET (ttl 1 h)', vs11(o, 'put 1'), '>=', 0.9);
    targets11.check('RedisStore clear at 64 in flight vs raw DEL (ttl 1 h)', vs11(o, 'clear 64'), '>=', 0.8);
    targets11.check('RedisStore get (first read after put) at 64 in flight vs raw GET (ttl 1 h)', vs11(o, 'get after put 64'), '>=', 0.95);
    if (haveIdsPeer) {
      targets11.check(
        `RedisStore list every id of ${IDS_N.toLocaleString('en')} vs connect-redis ids() (speed ratio; walk with fields: '${idWalk.fields.get(o)}')`,
        idsMs(PEER_IDS) / idsMs(o),
        '>=',
        1,
      );
    }
    targets11.note(`(not a target) RedisStore clear at 1 in flight vs raw DEL: ${ratio(vs11(o, 'clear 1'))}; get after put at 1 in flight: ${ratio(vs11(o, 'get after put 1'))}`);
  }
  const bars = (from, col, of = (x) => paired(x[col], from.get(limit)[col]).median) =>
    active.map((s) => ({ name: s.name, role: s.role, value: of(from.get(s.name)) }));
  const chart = {
    title: 'redis: ratio to raw ioredis on the same Redis (higher is faster)',
    subtitle: `${resultName('redis')}.md · ~1 KB sessions · median of ${ROUNDS} paired rounds · shared 2-core machine, Redis on the same cores`,
    groups: [
      { label: 'put, 64 in flight (ttl 1 h) — issue 11', target: 0.85, bars: bars(ttl, 'put 64') },
      { label: 'put, 1 in flight (ttl 1 h) — issue 11', target: 0.9, bars: bars(ttl, 'put 1') },
      { label: 'clear, 64 in flight (ttl 1 h) — issue 11', target: 0.8, bars: bars(ttl, 'clear 64') },
      { label: 'get, first read after put, 64 in flight (ttl 1 h) — issue 11', target: 0.95, bars: bars(ttl, 'get after put 64') },
      ...(haveIdsPeer
        ? [{ label: `list every id of ${IDS_N.toLocaleString('en')}: speed vs connect-redis ids() — issue 11`, target: 1, targetLabel: 'target: as fast as connect-redis', bars: bars(idWalk.times, null, (x) => idsMs(PEER_IDS) / median(x.ms)) }]
        : []),
      { label: 'get, 64 in flight (no ttl) — issue 3', target: 0.9, bars: bars(results, 'get 64') },
      { label: 'put, 64 in flight (no ttl) — issue 3', target: 0.7, bars: bars(results, 'put 64') },
    ],
  };

  const markdown = `# Bench: Redis stores

${environment()}. Redis: ${redis.label}. Command: \`npm run bench -- redis\`${QUICK ? ' (BENCH_QUICK=1: smaller sizes, not for comparison)' : ''}.
Sessions of ~1 KB JSON. put/get: ${ROUNDS} rounds after a warm-up round that also checks answers; in each phase every subject runs back to back, in an order rotated each round; per round ${OPS_1.toLocaleString('en')} operations with 1 in flight and ${OPS_64.toLocaleString('en')} with 64 in flight (each put a new id); median ops/s; in brackets the ratio to raw ioredis (the median of per-round ratios against raw ioredis in the same round) and the smallest–largest of those. Only ratios mean anything: shared 2-core machine, and Redis itself shares those cores.

${table(
  ['subject', 'put ops/s, 1 in flight', 'get, 1', 'put, 64 in flight', 'get, 64', `list page of 100 out of ${LIST_N.toLocaleString('en')}, pages/s`, 'round trips put / get / clear', 'commands put / get / clear', 'round trips per list page'],
  rows,
)}

Subjects:
${subjects.map((s) => `- ${s.name}: ${s.skip ? `SKIPPED — ${s.skip}` : s.note}`).join('\n')}

Notes:
- Round trips and commands are counted by a loopback proxy in front of Redis (bursts of requests sent before any reply count as one round trip; commands are RESP requests), over 20 operations (3 list pages), 1 in flight, connection handshakes excluded.
- list: each subject is filled with ${LIST_N.toLocaleString('en')} sessions (64 in flight) under its own prefix, then pages are read one after another (up to ${LIST_MAX_PAGES} pages or ${LIST_BUDGET_MS / 1000} s). Only ours and the raw limit keep an ordered index; the peers have none, so a "page" is whatever their API lists first, and their listing SCANs the whole database (${dbsizes.map((d) => d.toLocaleString('en')).join(', ')} keys when each was measured), so their round trips grow with every key in the database, theirs or not.
- Fill rates (64 in flight, not a target): ${active.map((s) => `${s.name} ${rate(lists.get(s.name).fillRate)}/s`).join('; ')}.

## Targets (issue 3)

${targets}

## Issue 11: ttl on, each session written then read once; list every id

![chart](${resultName('redis')}.svg)

Every subject is created with an idle ttl of one hour (${HOUR} ms), set as its API sets one (see Subjects); the limit is raw ioredis \`SET\` / \`GET\` / \`DEL\` with no TTL and no index. ${ROUNDS} rounds after a warm-up round that also checks answers; per round and per number in flight, each subject (back to back, order rotated per round) puts ${OPS_64.toLocaleString('en')} new ids at 64 in flight (${OPS_1.toLocaleString('en')} at 1), reads each once (the **first read after its put**), then clears them all; each phase timed; median ops/s and the paired ratio to raw ioredis. "list every id": each subject alone, filled with ${IDS_N.toLocaleString('en')} sessions (ttl set) under its own prefix, its all-ids call timed ${IDS_WALKS} times, median ms; in brackets the speed ratio to connect-redis \`ids()\` (its ms over theirs). SCAN-based listings walk every key of the database (${[...idWalk.times.values()].map((t) => t.dbsize.toLocaleString('en')).join(', ')} keys when each was measured, other users of the shared Redis included).

${table(['subject', ...ttlCols.map((c) => c.replace(/ (\d+)$/, ', $1 in flight')), `list every id of ${IDS_N.toLocaleString('en')}`], rows11)}

What "list every id" calls, per subject:
${active.map((s) => `- ${s.name}: ${s.idsNote}${idWalk.fields.has(s.name) ? ` — **this run used fields: '${idWalk.fields.get(s.name)}'**${idWalk.fields.get(s.name) === 'meta' ? ' (the library takes no `fields: \'id\'` yet: this is its fastest listing today, sessions without data)' : ''}` : ''}`).join('\n')}

## Targets (issue 11)

${targets11}

Suite time: ${((Date.now() - started) / 1000).toFixed(0)} s.
`;
  publish('redis', markdown, chart);
} finally {
  await cleanup();
  admin.disconnect();
  await redis.stop();
}
