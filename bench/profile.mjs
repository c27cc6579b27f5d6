/**
 * Runs one operation of one subject in a loop, for profiling:
 *   node --cpu-prof --cpu-prof-dir=/tmp/prof bench/profile.mjs <op> [subject] [seconds] [in flight] [--ttl]
 *   node bench/lib/cpuprofile-top.mjs /tmp/prof/*.cpuprofile
 * ops: put, get, get-after-put, miss, overwrite, list, clear. subject: a name from the
 * memory suite (default "agent-sessions MemoryStore") or from the redis suite; `--ttl`
 * creates it with an idle ttl of one hour (issue 11's workload). Redis subjects run on a
 * redis-server of this script's own (stopped by PID at the end) when the binary is there,
 * so that the printed INFO commandstats (server time per command) count only this loop.
 *
 *   node bench/profile.mjs http-put [subject] [seconds]
 * starts the http suite's server for a subject (default "ours on node:http, ttl 1 h") with
 * --cpu-prof into /tmp/prof and loads it with PUTs (autocannon, 50 connections).
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createInterface } from 'node:readline';
import { Redis } from 'ioredis';
import { drive } from './lib/drive.mjs';
import { makeData, makeIds, sessionData } from './lib/fixture.mjs';
import { memorySubjects } from './lib/memory-subjects.mjs';
import { deletePrefix, findRedis, spawnRedis } from './lib/redis-server.mjs';
import { redisSubjects } from './lib/redis-subjects.mjs';

const ttl = process.argv.includes('--ttl') ? 60 * 60_000 : undefined;
const [op = 'get', name = op === 'http-put' ? 'ours on node:http, ttl 1 h' : 'agent-sessions MemoryStore', secondsText = '4', inflightText = '1'] =
  process.argv.slice(2).filter((a) => a !== '--ttl');
const seconds = Number(secondsText);
const N = 10_000;

if (op === 'http-put') await profileHttp();
else {
  const memory = (await memorySubjects()).find((s) => s.name === name);
  const redis = memory ? undefined : (await redisSubjects()).find((s) => s.name === name && !s.skip);
  if (!memory && !redis) throw new Error(`no subject named ${name}`);
  if (memory) await loop(memory.create(undefined, ttl), 1);
  else await profileRedis(redis);
}

/** The loop itself: `op` over N ids with `inflight` calls outstanding, until the time is up. */
async function loop(inst, inflight) {
  const ids = makeIds(N, 't', 1);
  const missIds = makeIds(N, 'x', 2);
  const data = makeData(N, 5);
  const data2 = makeData(N, 6);
  const each = (fn) => drive(N, inflight, fn);
  // Reads need the store filled once; writes and clears refill it between loops (that
  // setup shows in the profile as put — subtract it).
  const fill = (values) => each((i) => inst.put(ids[i], values[i]));
  const clearAll = () => each((i) => inst.del(ids[i]));
  if (!['put', 'get-after-put'].includes(op)) await fill(data);
  const deadline = Date.now() + seconds * 1000;
  let ops = 0;
  const started = process.hrtime.bigint();
  while (Date.now() < deadline) {
    switch (op) {
      case 'put': await fill(data); await clearAll(); break;
      case 'get-after-put': await fill(data); await each((i) => inst.get(ids[i])); await clearAll(); break;
      case 'overwrite': await fill(ops % 2 ? data : data2); break;
      case 'get': await each((i) => inst.get(ids[i])); break;
      case 'miss': await each((i) => inst.get(missIds[i])); break;
      case 'list': { const state = {}; for (let p = 0; p < 100; p++) await inst.list(state); ops += 100 - N; break; }
      case 'clear': await clearAll(); await fill(data); break;
      default: throw new Error(`unknown op ${op}`);
    }
    ops += N;
  }
  if (!['put', 'get-after-put', 'clear'].includes(op)) await clearAll();
  await inst.close();
  const s = Number(process.hrtime.bigint() - started) / 1e9;
  console.log(`${name} ${op}${ttl ? ' (ttl 1 h)' : ''}, ${inflight} in flight: ${ops} ops in ${s.toFixed(1)} s (setup included; use the profile, not this rate)`);
}

/** Redis: the loop, then the server's own time per command (INFO commandstats). */
async function profileRedis(subject) {
  const server = (await spawnRedis()) ?? (await findRedis());
  const admin = new Redis(server.url);
  const prefix = `agent-sessions-profile-${process.pid}-${randomBytes(4).toString('hex')}:`;
  try {
    await admin.config('RESETSTAT');
    await loop(await subject.create({ url: server.url, prefix, ttl }), Number(inflightText));
    console.log(`Redis INFO commandstats (${server.label}):`);
    for (const line of (await admin.info('commandstats')).split('\n')) {
      const m = /^cmdstat_(\w+):calls=(\d+),usec=(\d+),usec_per_call=([\d.]+)/.exec(line);
      if (m && Number(m[2]) > 100) console.log(`  ${m[1].padEnd(10)} calls ${m[2].padStart(9)}  usec/call ${m[4]}`);
    }
  } finally {
    await deletePrefix(admin, prefix);
    admin.disconnect();
    await server.stop();
  }
}

/** HTTP PUT: the server profiled in its own process, loaded from here. */
async function profileHttp() {
  const { default: autocannon } = await import('autocannon');
  const child = new URL('./suites/http-server.mjs', import.meta.url).pathname;
  const proc = spawn(process.execPath, ['--cpu-prof', '--cpu-prof-dir=/tmp/prof', child, name, '1000'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const line = await new Promise((resolve) => createInterface({ input: proc.stdout }).once('line', resolve));
  const { port } = JSON.parse(line);
  let n = 0;
  const result = await autocannon({
    url: `http://127.0.0.1:${port}`,
    connections: 50,
    duration: seconds,
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ data: sessionData(1, 6) }),
    requests: [{ setupRequest: (req) => ({ ...req, path: `/sessions/user-${n % 997}:thread-${n++ % 1000}` }) }],
  });
  const exited = new Promise((resolve) => proc.once('exit', resolve));
  proc.kill('SIGTERM'); // by PID: the server this script started; it writes its profile on exit
  await exited;
  console.log(`${name} PUT: ${Math.round(result.requests.average)} req/s, ${result.non2xx} non-2xx; profile of the server in /tmp/prof`);
}
