/** Runs `fn(i)` for i in [0, n) with `inflight` calls outstanding at once; returns ops/s. */
export async function drive(n, inflight, fn) {
  let next = 0;
  const worker = async () => {
    while (next < n) await fn(next++);
  };
  const start = process.hrtime.bigint();
  await Promise.all(Array.from({ length: Math.min(inflight, n) }, worker));
  return (n * 1e9) / Number(process.hrtime.bigint() - start);
}
