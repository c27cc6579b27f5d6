/**
 * Child process of the items suite: heap bytes per item for one in-process store.
 * Run as `node --expose-gc items-heap-child.mjs <MemoryStore|LruStore> <n>`: appends ~1 KB items
 * to one session, one item per append (an agent's turn), in blocks of `n`; prints one JSON line
 * with the median heap growth per item over the blocks after the first, and the items' mean
 * JSON size in UTF-8 bytes.
 */
import { makeData } from '../lib/fixture.mjs';
import { itemsSubjects } from '../lib/items-subjects.mjs';

const [name, nText] = process.argv.slice(2);
const n = Number(nText);
/** Blocks of `n` items measured after the warm-up block; the median is reported. */
const BLOCKS = 3;
if (typeof global.gc !== 'function') throw new Error('run with node --expose-gc');

const subject = (await itemsSubjects(null)).find((s) => s.name === name);
if (!subject || subject.skip) throw new Error(`no subject ${name}${subject ? `: ${subject.skip}` : ''}`);
const pool = makeData(1000);
const jsonBytes = pool.reduce((sum, item) => sum + Buffer.byteLength(JSON.stringify(item)), 0) / pool.length;

function settle() {
  for (let i = 0; i < 4; i++) global.gc();
  return process.memoryUsage().heapUsed;
}

// The first block warms the code paths and is not counted: measured from right after the
// first append, the heap came out ~150 B per item below the later blocks, under the items'
// own JSON size (something V8 frees while the code warms up, not pinned down here).
const inst = await subject.create({});
const appendBlock = async () => {
  for (let i = 0; i < n; i++) await inst.m.append('heap', [pool[i % pool.length]]);
};
await appendBlock();
const growth = [];
for (let block = 0; block < BLOCKS; block++) {
  await new Promise((r) => setImmediate(r));
  const before = settle();
  await appendBlock();
  await new Promise((r) => setImmediate(r));
  growth.push((settle() - before) / n);
}
// Read after the measurement, so the store stays reachable until then (V8 does not keep a
// variable the module never reads again alive across an await).
const session = await inst.m.get('heap');
if (session?.itemCount !== n * (BLOCKS + 1)) throw new Error(`${name}: itemCount ${session?.itemCount}, expected ${n * (BLOCKS + 1)}`);
growth.sort((a, b) => a - b);
process.stdout.write(`${JSON.stringify({ name, n, blocks: BLOCKS, bytesPerItem: growth[BLOCKS >> 1], all: growth, jsonBytes })}\n`);
await inst.close();
