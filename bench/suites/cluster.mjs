/**
 * Suite "cluster": RedisStore on a local Redis Cluster (3 masters + 1 replica each, from
 * test/helpers/redis-cluster.ts) beside the same store on a single redis-server, both
 * started by this suite on free ports and stopped by PID; get and put at 64 in flight.
 * Raw ioredis SET/GET on each is shown for context. Env: BENCH_ROUNDS (default 5), BENCH_QUICK=1.
 */
import { deepStrictEqual } from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Cluster, Redis } from 'ioredis';
import { built, entry } from '../lib/dist.mjs';
import { drive } from '../lib/drive.mjs';
import { makeData, makeIds } from '../lib/fixture.mjs';
import { hasRedisServer, spawnRedis } from '../lib/redis-server.mjs';
import { cell, environment, paired, publish, table, Targets } from '../lib/report.mjs';

const QUICK = process.env.BENCH_QUICK === '1';
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const OPS = QUICK ? 2_000 : 10_000;
const INFLIGHT = 64;

const harness = new URL('../../test/helpers/redis-cluster.ts', import.meta.url);
const missing = [
  !existsSync(harness) && 'test/helpers/redis-cluster.ts (the cluster harness) is not there',
  !built('redis.js') && 'dist/redis.js is not built',
  !hasRedisServer() && 'no redis-server binary',
].filter(Boolean);
if (missing.length > 0) {
  console.log(`SKIPPED the cluster suite: ${missing.join('; ')}.`);
  process.exit(0);
}

/** The harness is TypeScript: bundle it once with esbuild (a dependency of the root's tsup). */
async function loadHarness() {
  const { build } = await import('esbuild');
  const outDir = fileURLToPath(new URL('../.cache/', import.meta.url));
  mkdirSync(outDir, { recursive: true });
  const outfile = `${outDir}redis-cluster.mjs`;
  await build({ entryPoints: [fileURLToPath(harness)], bundle: true, platform: 'node', format: 'esm', target: 'node20', outfile, external: ['ioredis'], logLevel: 'error' });
  return import(`${new URL(`file://${outfile}`).href}?t=${Date.now()}`);
}

const { RedisStore } = await import(entry('redis.js').href);
const { SessionManager } = await import(entry('index.js').href);
const { startRedisCluster } = await loadHarness();
const started = Date.now();
const pool = makeData(2_000);
const prefix = 'agent-sessions-bench:';

const cluster = await startRedisCluster();
const single = await spawnRedis();
const clients = [];
try {
  const clusterClient = () => {
    const c = new Cluster(cluster.startupNodes);
    clients.push(c);
    return c;
  };
  const singleClient = () => {
    const c = new Redis(single.url);
    clients.push(c);
    return c;
  };
  const ours = (client) => {
    const m = new SessionManager({ store: new RedisStore({ client, prefix }) });
    return { put: (id, data) => m.put(id, data), get: async (id) => (await m.get(id))?.data, del: (id) => m.clear(id) };
  };
  const raw = (client) => ({
    put: (id, data) => client.set(prefix + id, JSON.stringify(data)),
    get: async (id) => {
      const json = await client.get(prefix + id);
      return json === null ? undefined : JSON.parse(json);
    },
    del: (id) => client.del(prefix + id),
  });
  const subjects = [
    { name: 'RedisStore, single server', where: 'single', inst: ours(singleClient()) },
    { name: 'RedisStore, 3-master cluster', where: 'cluster', inst: ours(clusterClient()) },
    { name: 'raw ioredis SET/GET, single server', where: 'single', inst: raw(singleClient()) },
    { name: 'raw ioredis SET/GET, 3-master cluster', where: 'cluster', inst: raw(clusterClient()) },
  ];
  const samples = new Map(subjects.map((s) => [s.name, { put: [], get: [] }]));
  for (let round = 0; round <= ROUNDS; round++) {
    const order = subjects.map((_, i) => subjects[(i + round) % subjects.length]);
    const ids = makeIds(OPS, `r${round}t`, round + 1);
    for (const s of order) {
      const r = await drive(OPS, INFLIGHT, (i) => s.inst.put(ids[i], pool[i % pool.length]));
      if (round > 0) samples.get(s.name).put.push(r);
    }
    for (const s of [...order].reverse()) {
      const r = await drive(OPS, INFLIGHT, (i) => s.inst.get(ids[i]));
      if (round > 0) samples.get(s.name).get.push(r);
      if (round === 0) deepStrictEqual(await s.inst.get(ids[1]), pool[1], `${s.name}: get after put`);
    }
    for (const s of order) await drive(OPS, INFLIGHT, (i) => s.inst.del(ids[i]));
    process.stderr.write(`cluster: round ${round}/${ROUNDS} done\n`);
  }
  // How the sessions spread: keys per master after a fill of OPS sessions by our store.
  const spreadIds = makeIds(OPS, 'spread', 5);
  await drive(OPS, INFLIGHT, (i) => subjects[1].inst.put(spreadIds[i], pool[i % pool.length]));
  await cluster.refresh();
  const perMaster = [];
  for (const node of cluster.masters()) perMaster.push(Number(await cluster.command(node.port, 'DBSIZE')));

  const base = (s, op) => samples.get(subjects.find((x) => x.where === 'single' && x.name.startsWith(s.name.split(',')[0])).name)[op];
  const rows = subjects.map((s) => [
    s.name.startsWith('RedisStore') ? `**${s.name}**` : s.name,
    ...['put', 'get'].map((op) => cell(samples.get(s.name)[op], base(s, op))),
  ]);
  const targets = new Targets();
  for (const op of ['get', 'put']) {
    targets.check(`RedisStore ${op} on the cluster vs the single server, 64 in flight`, paired(samples.get(subjects[1].name)[op], samples.get(subjects[0].name)[op]).median, '>=', 0.7);
  }
  targets.note(`${OPS.toLocaleString('en')} sessions written by RedisStore land on the masters as ${perMaster.join(' / ')} keys (session hashes plus each bucket's two index keys)`);

  publish(
    'cluster',
    `# Bench: Redis Cluster

${environment()}. Command: \`npm run bench -- cluster\`${QUICK ? ' (BENCH_QUICK=1: smaller sizes, not for comparison)' : ''}.
A local cluster of 3 masters with 1 replica each (test/helpers/redis-cluster.ts) and one single redis-server, all started by the suite on free loopback ports. ~1 KB sessions, ${OPS.toLocaleString('en')} puts (new ids) then ${OPS.toLocaleString('en')} gets per round, ${INFLIGHT} in flight, ${ROUNDS} rounds after a warm-up round that checks answers, subjects interleaved; median ops/s; in brackets the ratio to the same client on the single server (median of per-round ratios) and the smallest–largest of those. All ${cluster.nodes.length + 1} servers and the client share 2 cores, so the cluster's masters compete for CPU.

${table(['subject', 'put ops/s', 'get ops/s'], rows)}

## Targets (issue 5)

${targets}

Suite time: ${((Date.now() - started) / 1000).toFixed(0)} s.
`,
  );
} finally {
  for (const c of clients) c.disconnect();
  await cluster.dispose();
  await single.stop();
}
