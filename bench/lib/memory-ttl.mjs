/**
 * The memory suite's workload of issue 11: every subject created with an idle ttl of one
 * hour; each pass puts N sessions (new ids), reads each once (the first read after its
 * put: no warm-up pass, so what a put leaves behind — an unflattened JSON string, say — is
 * paid here, as a real user pays it), then clears them all. Then "list every id" of N
 * sessions through each subject's fastest all-ids call.
 */
export const HOUR = 60 * 60_000;
export const TTL_OPS = ['put', 'get after put', 'clear'];

const now = () => process.hrtime.bigint();
const seconds = (t) => Number(now() - t) / 1e9;

/**
 * `rounds` rounds after a warm-up round (which also checks answers); in each round every
 * subject runs `passes` put/get/clear cycles back to back with the others, order rotated
 * per round. Returns Map(name → { op: [ops/s per round] }).
 */
export async function ttlThroughput(subjects, { ids, data, rounds, passes = 3, gc, check }) {
  const n = ids.length;
  const samples = new Map(subjects.map((s) => [s.name, Object.fromEntries(TTL_OPS.map((op) => [op, []]))]));
  for (let round = 0; round <= rounds; round++) {
    const order = subjects.map((_, i) => subjects[(i + round) % subjects.length]);
    for (const subject of order) {
      gc();
      const inst = subject.create(undefined, HOUR);
      const time = { put: 0, 'get after put': 0, clear: 0 };
      for (let pass = 0; pass < passes; pass++) {
        let t = now();
        for (let i = 0; i < n; i++) await inst.put(ids[i], data[i]);
        time.put += seconds(t);
        t = now();
        for (let i = 0; i < n; i++) await inst.get(ids[i]);
        time['get after put'] += seconds(t);
        if (round === 0 && pass === 0) await check(subject, inst);
        t = now();
        for (let i = 0; i < n; i++) await inst.del(ids[i]);
        time.clear += seconds(t);
      }
      await inst.close();
      if (round > 0) for (const op of TTL_OPS) samples.get(subject.name)[op].push((n * passes) / time[op]);
    }
    process.stderr.write(`memory: ttl workload round ${round}/${rounds} done\n`);
  }
  return samples;
}

/**
 * "List every id" of N sessions: each subject filled (untimed) with N sessions with the
 * ttl set, then its ids() walked repeatedly for `budgetMs` (at least 3 walks). Returns
 * Map(name → [walks/s per round]) and, for ours, which fields the walk used.
 */
export async function idsThroughput(subjects, { ids, data, rounds, budgetMs = 200, gc }) {
  const n = ids.length;
  const samples = new Map(subjects.map((s) => [s.name, []]));
  const fields = new Map();
  for (let round = 0; round <= rounds; round++) {
    const order = subjects.map((_, i) => subjects[(i + round) % subjects.length]);
    for (const subject of order) {
      const inst = subject.create(undefined, HOUR);
      for (let i = 0; i < n; i++) await inst.put(ids[i], data[i]);
      gc();
      if (round === 0) {
        const got = await inst.ids();
        if (got.length !== n) throw new Error(`${subject.name}: ids() gave ${got.length} ids, not ${n}`);
        if (inst.idsFields) fields.set(subject.name, inst.idsFields());
      }
      let walks = 0;
      const t = now();
      const deadline = t + BigInt(budgetMs * 1e6);
      do {
        await inst.ids();
        walks++;
      } while (walks < 3 || now() < deadline);
      if (round > 0) samples.get(subject.name).push(walks / seconds(t));
      await inst.close();
    }
    process.stderr.write(`memory: list-every-id round ${round}/${rounds} done\n`);
  }
  return { samples, fields };
}
