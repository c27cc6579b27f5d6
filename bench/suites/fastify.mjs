/**
 * Suite "fastify": the sessionsPlugin of agent-sessions/fastify against a plain Fastify route
 * doing the same work (Fastify's JSON parser, manager.put or manager.get, the session as the
 * answer), GET and PUT /sessions/{id} under autocannon (50 connections, loopback), over the
 * memory store. Each server runs in its own child process (http-server.mjs).
 * Env: BENCH_ROUNDS (default 5), BENCH_HTTP_SECONDS (default 2), BENCH_QUICK=1.
 */
import { deepStrictEqual, equal } from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { built } from '../lib/dist.mjs';
import { sessionData } from '../lib/fixture.mjs';
import { cell, environment, paired, publish, resultName, table, Targets } from '../lib/report.mjs';

const QUICK = process.env.BENCH_QUICK === '1';
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const SECONDS = Number(process.env.BENCH_HTTP_SECONDS ?? (QUICK ? 1 : 2));
const CONNECTIONS = 50;
const FILL = 1_000;
const idOf = (i) => `user-${i % 997}:thread-${i}`;

const PLAIN = 'Fastify route + SessionManager';
const PLUGIN = 'ours as Fastify plugin';
const SUBJECTS = [
  { name: PLAIN, role: 'limit', note: "Fastify 5 get/put routes with Fastify's JSON parser: manager.get / manager.put(id, body.data), reply.send({ session })" },
  { name: PLUGIN, role: 'ours', note: "app.register(sessionsPlugin, { manager, prefix: '/sessions' }): the plugin's routes read the body themselves" },
  { name: 'ours, useFastifyParser', role: 'ours', note: 'the same with useFastifyParser: true (Fastify parses the body, the plugin checks it)' },
];

const child = fileURLToPath(new URL('./http-server.mjs', import.meta.url));

async function startServer(name) {
  const proc = spawn(process.execPath, [child, name, String(FILL)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const line = await new Promise((resolve, reject) => {
    proc.once('exit', (code) => reject(new Error(`${name} server exited (${code})`)));
    createInterface({ input: proc.stdout }).once('line', resolve);
  });
  const { port } = JSON.parse(line);
  return {
    url: `http://127.0.0.1:${port}`,
    stop: () => new Promise((resolve) => {
      if (proc.exitCode !== null) return resolve();
      proc.removeAllListeners('exit');
      proc.once('exit', resolve);
      proc.kill('SIGTERM'); // by PID: a process this suite started
    }),
  };
}

const body = (i) => JSON.stringify({ data: sessionData(i, 6) });

/** Checks the answers of one server: GET and PUT bodies carry the session. */
async function verify(name, url) {
  const get = await fetch(`${url}/sessions/${idOf(5)}`);
  equal(get.status, 200, `${name}: GET status`);
  const got = await get.json();
  deepStrictEqual(got.session.data, sessionData(5), `${name}: GET body`);
  const put = await fetch(`${url}/sessions/${idOf(6)}`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: body(6) });
  equal(put.status, 200, `${name}: PUT status`);
  const stored = await put.json();
  deepStrictEqual(stored.session.data, sessionData(6, 6), `${name}: PUT body`);
  equal(typeof stored.session.version, 'number', `${name}: PUT version`);
}

async function load(url, method, seconds) {
  let n = 0;
  const paths = Array.from({ length: FILL }, (_, i) => `/sessions/${idOf(i)}`);
  const result = await autocannon({
    url,
    connections: CONNECTIONS,
    duration: seconds,
    method,
    ...(method === 'PUT' ? { headers: { 'content-type': 'application/json' }, body: body(1) } : {}),
    requests: [{ setupRequest: (req) => ((req.path = paths[n++ % FILL]), req) }],
  });
  const bad = result.non2xx + result.errors + result.timeouts;
  if (bad > 0) throw new Error(`${url} ${method}: ${result.non2xx} non-2xx, ${result.errors} errors, ${result.timeouts} timeouts`);
  return result.requests.average;
}

if (!built('fastify.js')) {
  console.log('SKIPPED suite fastify: dist/fastify.js is not there: run `npm run build`');
  process.exit(0);
}
const started = Date.now();
const servers = new Map();
const samples = new Map(SUBJECTS.map((s) => [s.name, { GET: [], PUT: [] }]));
try {
  for (const s of SUBJECTS) {
    const server = await startServer(s.name);
    servers.set(s.name, server);
    await verify(s.name, server.url);
    await load(server.url, 'GET', 1); // warm-up
    await load(server.url, 'PUT', 1);
  }
  for (let round = 0; round < ROUNDS; round++) {
    for (const method of ['GET', 'PUT']) {
      const order = SUBJECTS.map((_, i) => SUBJECTS[(i + round) % SUBJECTS.length]);
      for (const s of method === 'PUT' ? order.reverse() : order) {
        samples.get(s.name)[method].push(await load(servers.get(s.name).url, method, SECONDS));
      }
    }
    process.stderr.write(`fastify: round ${round + 1}/${ROUNDS} done\n`);
  }
} finally {
  for (const server of servers.values()) await server.stop();
}

const vs = (name, m) => paired(samples.get(name)[m], samples.get(PLAIN)[m]).median;
const rows = SUBJECTS.map((s) => [s.role === 'ours' ? `**${s.name}**` : s.name, ...['GET', 'PUT'].map((m) => cell(samples.get(s.name)[m], samples.get(PLAIN)[m]))]);
const targets = new Targets();
for (const m of ['PUT', 'GET']) {
  targets.check(`ours as Fastify plugin vs a plain Fastify route + SessionManager, ${m} (within 10%)`, vs(PLUGIN, m), '>=', 0.9);
}
const bars = (m) => SUBJECTS.map((s) => ({ name: s.name, role: s.role === 'limit' ? 'limit' : s.role, value: vs(s.name, m) }));
const chart = {
  title: 'fastify: ratio to a plain Fastify route over the same SessionManager (higher is faster)',
  subtitle: `${resultName('fastify')}.md · autocannon, ${CONNECTIONS} connections · median of ${ROUNDS} paired rounds · client and servers share 2 cores`,
  groups: [
    { label: 'PUT /sessions/{id} — issue 15', target: 0.9, targetLabel: 'target ≥ 0.9× for the plugin', bars: bars('PUT') },
    { label: 'GET /sessions/{id} — issue 15', target: 0.9, targetLabel: 'target ≥ 0.9× for the plugin', bars: bars('GET') },
  ],
};

publish(
  'fastify',
  `# Bench: Fastify plugin

${environment()}. Command: \`npm run bench -- fastify\`${QUICK ? ' (BENCH_QUICK=1: short runs, not for comparison)' : ''}.
autocannon in the bench process, ${CONNECTIONS} connections, keep-alive, loopback; each server in its own child process, pre-filled with ${FILL.toLocaleString('en')} sessions of ~1 KB; requests rotate over those ids (PUT overwrites them with a ~1 KB body). ${ROUNDS} rounds of ${SECONDS} s per subject and method after a 1 s warm-up, subjects interleaved; median requests/s; in brackets the ratio to the plain Fastify route (median of per-round ratios) and the smallest–largest of those. Every server's GET and PUT answers are checked before it is loaded. Client and servers share the machine's 2 cores: ratios only.

${table(['subject', 'GET req/s', 'PUT req/s'], rows)}

![chart](${resultName('fastify')}.svg)

Subjects:
${SUBJECTS.map((s) => `- ${s.name}: ${s.note}`).join('\n')}

The plain route does the same work minus the HTTP rules of docs/http.md (conditional
requests, problem details, content-type, size and deadline checks).

## Targets (issue 15)

${targets}

Suite time: ${((Date.now() - started) / 1000).toFixed(0)} s.
`,
  chart,
);
