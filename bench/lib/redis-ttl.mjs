/**
 * The redis suite's workload of issue 11: every subject created with an idle ttl of one
 * hour (the raw limit: plain SET/GET/DEL, no TTL, no index); per round and per number in
 * flight, each subject puts N new ids, reads each once (the first read after its put),
 * then clears them all, every phase timed. Then "list every id" of 10,000 sessions.
 */
import { deepStrictEqual } from 'node:assert/strict';
import { drive } from './drive.mjs';
import { makeIds } from './fixture.mjs';
import { deletePrefix } from './redis-server.mjs';

export const HOUR = 60 * 60_000;
export const TTL_OPS = ['put', 'get after put', 'clear'];
export const INFLIGHT = [64, 1];

const slug = (name) => name.replace(/[^a-z0-9]+/gi, '-').toLowerCase();

/** Returns Map(name → { 'put 64': [ops/s per round], … }) for every op × in flight. */
export async function ttlThroughput(active, { url, runPrefix, pool, rounds, ops }) {
  const samples = new Map(active.map((s) => [s.name, {}]));
  const insts = new Map();
  for (const s of active) insts.set(s.name, await s.create({ url, prefix: `${runPrefix}ttl-${slug(s.name)}:`, ttl: HOUR }));
  for (let round = 0; round <= rounds; round++) {
    const order = active.map((_, i) => active[(i + round) % active.length]);
    for (const inflight of INFLIGHT) {
      const n = ops[inflight];
      const ids = makeIds(n, `ttl${round}c${inflight}t`, round + 101);
      for (const s of order) {
        const inst = insts.get(s.name);
        const rates = {
          put: await drive(n, inflight, (i) => inst.put(ids[i], pool[i % pool.length])),
          'get after put': await drive(n, inflight, (i) => inst.get(ids[i])),
        };
        if (round === 0) deepStrictEqual(await inst.get(ids[5]), pool[5], `${s.name}: get after put (ttl workload)`);
        rates.clear = await drive(n, inflight, (i) => inst.del(ids[i]));
        if (round > 0) for (const op of TTL_OPS) (samples.get(s.name)[`${op} ${inflight}`] ??= []).push(rates[op]);
      }
    }
    process.stderr.write(`redis: ttl workload round ${round}/${rounds} done\n`);
  }
  for (const inst of insts.values()) await inst.close();
  return samples;
}

/**
 * "List every id" of `n` sessions (ttl set), one subject at a time under its own prefix:
 * fill, walk ids() `walks` times, delete. Returns Map(name → { ms: [per walk], dbsize }) and
 * which fields our walk used.
 */
export async function idsTimes(active, { url, runPrefix, pool, n, walks, admin }) {
  const out = new Map();
  const fields = new Map();
  const ids = makeIds(n, 'idw', 21);
  for (const s of active) {
    const prefix = `${runPrefix}ids-${slug(s.name)}:`;
    const inst = await s.create({ url, prefix, ttl: HOUR });
    await drive(n, 64, (i) => inst.fill(ids[i], pool[i % pool.length]));
    const dbsize = await admin.dbsize();
    const got = await inst.ids();
    if (new Set(got).size !== n) throw new Error(`${s.name}: ids() gave ${new Set(got).size} distinct ids, not ${n}`);
    if (inst.idsFields) fields.set(s.name, inst.idsFields());
    const ms = [];
    for (let w = 0; w < walks; w++) {
      const t = process.hrtime.bigint();
      await inst.ids();
      ms.push(Number(process.hrtime.bigint() - t) / 1e6);
    }
    out.set(s.name, { ms, dbsize });
    await inst.close();
    await deletePrefix(admin, prefix);
    process.stderr.write(`redis: list every id of ${s.name} measured\n`);
  }
  return { times: out, fields };
}
