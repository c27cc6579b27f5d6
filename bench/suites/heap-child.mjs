/**
 * Child process of the memory suite: heap bytes per stored session for one subject.
 * Run as `node --expose-gc heap-child.mjs <subject name> <n>`; prints one JSON line.
 */
import { memorySubjects } from '../lib/memory-subjects.mjs';
import { makeData } from '../lib/fixture.mjs';

const [name, nText] = process.argv.slice(2);
const n = Number(nText);
if (typeof global.gc !== 'function') throw new Error('run with node --expose-gc');

const subject = (await memorySubjects()).find((s) => s.name === name);
if (!subject) throw new Error(`no subject named ${name}`);
const pool = makeData(1000);

function settle() {
  for (let i = 0; i < 4; i++) global.gc();
  return process.memoryUsage().heapUsed;
}

// Warm the code paths on a throwaway instance.
const warm = subject.create(1000);
for (let i = 0; i < 1000; i++) await warm.put(`warm-${i}`, pool[i]);
for (let i = 0; i < 1000; i++) await warm.del(`warm-${i}`);
await warm.close();
await new Promise((r) => setImmediate(r));
// Measured from before the store exists, so what an LRU preallocates for `max` counts too.
const before = settle();
let inst = subject.create(n);
for (let i = 0; i < n; i++) await inst.put(`user-${i % 997}:thread-${i}`, pool[i % 1000]);
await new Promise((r) => setImmediate(r));
const after = settle();
// Keep the store reachable until after the measurement.
if (!inst) throw new Error('unreachable');
process.stdout.write(`${JSON.stringify({ name, n, bytesPerSession: (after - before) / n })}\n`);
await inst.close();
inst = null;
