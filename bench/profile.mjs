/**
 * Runs one operation of one memory subject in a loop, for profiling:
 *   node --cpu-prof --cpu-prof-dir=/tmp/prof bench/profile.mjs <op> [subject] [seconds]
 *   node bench/lib/cpuprofile-top.mjs /tmp/prof/*.cpuprofile
 * ops: put, get, miss, overwrite, list, clear. subject: a name from the memory suite
 * (default "agent-sessions MemoryStore").
 */
import { makeData, makeIds } from './lib/fixture.mjs';
import { memorySubjects } from './lib/memory-subjects.mjs';

const [op = 'get', name = 'agent-sessions MemoryStore', secondsText = '4'] = process.argv.slice(2);
const subject = (await memorySubjects()).find((s) => s.name === name);
if (!subject) throw new Error(`no subject named ${name}`);
const N = 10_000;
const ids = makeIds(N, 't', 1);
const missIds = makeIds(N, 'x', 2);
const data = makeData(N, 5);
const data2 = makeData(N, 6);
const deadline = Date.now() + Number(secondsText) * 1000;
let ops = 0;
// Reads need the store filled once; writes and clears refill it between loops (that
// setup shows in the profile as fill/put — subtract it).
let inst = subject.create();
const fill = async (values) => { for (let i = 0; i < N; i++) await inst.put(ids[i], values[i]); };
if (op !== 'put') await fill(data);
const started = process.hrtime.bigint();
while (Date.now() < deadline) {
  switch (op) {
    case 'put': await inst.close(); inst = subject.create(); await fill(data); ops += N; break;
    case 'overwrite': await fill(ops % 2 ? data : data2); ops += N; break;
    case 'get': for (let i = 0; i < N; i++) await inst.get(ids[i]); ops += N; break;
    case 'miss': for (let i = 0; i < N; i++) await inst.get(missIds[i]); ops += N; break;
    case 'list': { const state = {}; for (let p = 0; p < 100; p++) await inst.list(state); ops += 100; break; }
    case 'clear': for (let i = 0; i < N; i++) await inst.del(ids[i]); ops += N; await fill(data); break;
    default: throw new Error(`unknown op ${op}`);
  }
}
await inst.close();
const seconds = Number(process.hrtime.bigint() - started) / 1e9;
console.log(`${name} ${op}: ${ops} ops in ${seconds.toFixed(1)} s (setup included; use the profile, not this rate)`);
