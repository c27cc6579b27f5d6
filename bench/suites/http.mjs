/**
 * Suite "http": GET and PUT /sessions/{id} under autocannon (50 connections, loopback), for
 * a bare node:http server answering from a Map of JSON text (the limit), hand-written Express
 * 5 and Fastify 5 routes, and our handler on node:http, inside Express and inside Fastify,
 * over the memory store. Each server runs in its own child process.
 * Env: BENCH_ROUNDS (default 5), BENCH_HTTP_SECONDS (default 2), BENCH_QUICK=1.
 */
import { deepStrictEqual, equal } from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { built } from '../lib/dist.mjs';
import { sessionData } from '../lib/fixture.mjs';
import { cell, environment, paired, publish, ratio, resultName, table, Targets } from '../lib/report.mjs';

const QUICK = process.env.BENCH_QUICK === '1';
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const SECONDS = Number(process.env.BENCH_HTTP_SECONDS ?? (QUICK ? 1 : 2));
const CONNECTIONS = 50;
const FILL = 1_000;
const idOf = (i) => `user-${i % 997}:thread-${i}`;

const HAVE_HTTP = built('http.js');
const SUBJECTS = [
  { name: 'node:http + Map', role: 'limit', note: 'bare node:http; GET sends the stored JSON text, PUT parses the body, builds the session and stringifies it into the Map' },
  { name: 'Express route + Map', role: 'framework', note: 'Express 5: app.get/app.put with express.json(), same Map' },
  { name: 'Fastify route + Map', role: 'framework', note: 'Fastify 5: get/put routes with its JSON parser, same Map' },
  { name: 'Express route + SessionManager', role: 'framework', ours: true, note: 'Express 5 routes calling SessionManager get/put themselves (res.json)' },
  { name: 'Fastify route + SessionManager', role: 'framework', ours: true, note: 'Fastify 5 routes calling SessionManager get/put themselves' },
  { name: 'ours on node:http', role: 'ours', needsHttp: true, note: 'http.createServer(createSessionsHandler(manager))' },
  { name: 'ours on node:http, ttl 1 h', role: 'ours', needsHttp: true, note: 'the same with new SessionManager({ ttl: one hour }) (issue 11: every real session store sets one)' },
  { name: 'ours in Express', role: 'ours', needsHttp: true, note: 'app.use(createSessionsHandler(manager)); the handler reads the body' },
  { name: 'ours in Fastify', role: 'ours', needsHttp: true, note: "routes /sessions and /sessions/* in a scope without body parsers, reply.hijack(), handler(request.raw, reply.raw)" },
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

function body(i) {
  return JSON.stringify({ data: sessionData(i, 6) });
}

/** Checks the answers of one server: GET and PUT bodies carry the session. */
async function verify(name, url) {
  const get = await fetch(`${url}/sessions/${idOf(5)}`);
  equal(get.status, 200, `${name}: GET status`);
  const got = await get.json();
  deepStrictEqual(got.session.data, sessionData(5), `${name}: GET body`);
  equal(got.session.id, idOf(5), `${name}: GET id`);
  const put = await fetch(`${url}/sessions/${idOf(6)}`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: body(6) });
  equal(put.status, 200, `${name}: PUT status`);
  const stored = await put.json();
  deepStrictEqual(stored.session.data, sessionData(6, 6), `${name}: PUT body`);
  equal(typeof stored.session.version, 'number', `${name}: PUT version`);
}

async function load(url, method, seconds) {
  let n = 0;
  const paths = Array.from({ length: FILL }, (_, i) => `/sessions/${idOf(i)}`);
  const putBody = body(1);
  const result = await autocannon({
    url,
    connections: CONNECTIONS,
    duration: seconds,
    method,
    ...(method === 'PUT' ? { headers: { 'content-type': 'application/json' }, body: putBody } : {}),
    requests: [
      {
        setupRequest(req) {
          req.path = paths[n++ % FILL];
          return req;
        },
      },
    ],
  });
  const bad = result.non2xx + result.errors + result.timeouts;
  if (bad > 0) throw new Error(`${url} ${method}: ${result.non2xx} non-2xx, ${result.errors} errors, ${result.timeouts} timeouts`);
  return result.requests.average;
}

const started = Date.now();
const active = SUBJECTS.filter((s) => !(s.needsHttp && !HAVE_HTTP));
for (const s of SUBJECTS.filter((s) => s.needsHttp && !HAVE_HTTP)) {
  console.log(`SKIPPED subject ${s.name}: dist/http.js is not there (src/http not built yet): run \`npm run build\``);
}
const servers = new Map();
const samples = new Map(active.map((s) => [s.name, { GET: [], PUT: [] }]));
try {
  for (const s of active) {
    const server = await startServer(s.name);
    servers.set(s.name, server);
    await verify(s.name, server.url);
    await load(server.url, 'GET', 1); // warm-up
    await load(server.url, 'PUT', 1);
  }
  for (let round = 0; round < ROUNDS; round++) {
    for (const method of ['GET', 'PUT']) {
      const order = active.map((_, i) => active[(i + round) % active.length]);
      for (const s of method === 'PUT' ? order.reverse() : order) {
        samples.get(s.name)[method].push(await load(servers.get(s.name).url, method, SECONDS));
      }
    }
    process.stderr.write(`http: round ${round + 1}/${ROUNDS} done\n`);
  }
} finally {
  for (const server of servers.values()) await server.stop();
}

const limit = active.find((s) => s.role === 'limit').name;
const rows = active.map((s) => [
  s.role === 'ours' ? `**${s.name}**` : s.name,
  ...['GET', 'PUT'].map((m) => cell(samples.get(s.name)[m], samples.get(limit)[m])),
]);

const targets = new Targets();
const targets11 = new Targets();
const vs = (a, b, m) => paired(samples.get(a)[m], samples.get(b)[m]).median;
if (!HAVE_HTTP) {
  targets.note('our handler not measured: dist/http.js is not built');
  targets11.note('our handler not measured: dist/http.js is not built');
} else {
  for (const m of ['GET', 'PUT']) {
    targets.check(`ours on node:http vs bare node:http + Map, ${m}`, vs('ours on node:http', limit, m), '>=', 0.7);
    for (const fw of ['Express', 'Fastify']) {
      targets.check(`ours in ${fw} vs ${fw}'s hand-written route + Map, ${m} (within 10%)`, vs(`ours in ${fw}`, `${fw} route + Map`, m), '>=', 0.9);
    }
  }
  targets11.check('ours on node:http, ttl 1 h, vs a bare node:http route that parses the { "data": … } body and stores it, PUT', vs('ours on node:http, ttl 1 h', limit, 'PUT'), '>=', 0.7);
  for (const m of ['GET', 'PUT']) {
    for (const fw of ['Express', 'Fastify']) {
      const x = vs(`ours in ${fw}`, `${fw} route + SessionManager`, m);
      targets.note(`(not a target) ours in ${fw} vs ${fw} routes over the same SessionManager, ${m}: ${ratio(x)}`);
    }
  }
}

const bars = (m) => active.map((s) => ({ name: s.name, role: s.role === 'framework' ? 'peer' : s.role, value: vs(s.name, limit, m) }));
const chart = {
  title: 'http: ratio to a bare node:http route over a Map (higher is faster)',
  subtitle: `${resultName('http')}.md · autocannon, ${CONNECTIONS} connections · median of ${ROUNDS} paired rounds · client and servers share 2 cores`,
  groups: [
    { label: 'PUT /sessions/{id} — issues 4 and 11', target: 0.7, targetLabel: 'target ≥ 0.7× for ours on node:http', bars: bars('PUT') },
    { label: 'GET /sessions/{id} — issue 4', target: 0.7, targetLabel: 'target ≥ 0.7× for ours on node:http', bars: bars('GET') },
  ],
};

publish(
  'http',
  `# Bench: HTTP

${environment()}. Command: \`npm run bench -- http\`${QUICK ? ' (BENCH_QUICK=1: short runs, not for comparison)' : ''}.
autocannon in the bench process, ${CONNECTIONS} connections, keep-alive, loopback; each server in its own child process, pre-filled with ${FILL.toLocaleString('en')} sessions of ~1 KB; requests rotate over those ${FILL.toLocaleString('en')} ids (PUT overwrites them with a ~1 KB body). ${ROUNDS} rounds of ${SECONDS} s per subject and method after a 1 s warm-up, subjects interleaved; median requests/s; in brackets the ratio to bare node:http (median of per-round ratios) and the smallest–largest of those. Every server's GET and PUT answers are checked before it is loaded. Client and servers share the machine's 2 cores: ratios only.

${table(['subject', 'GET req/s', 'PUT req/s'], rows)}

![chart](${resultName('http')}.svg)

Subjects:
${SUBJECTS.map((s) => `- ${s.name}: ${s.needsHttp && !HAVE_HTTP ? 'SKIPPED — dist/http.js is not built' : s.note}`).join('\n')}

The "+ Map" routes serve stored JSON text and do not validate, version or copy anything; the
"+ SessionManager" routes do the same work as our handler minus the HTTP rules (conditional
requests, problem details, content-type and size checks), so they show what the handler
itself costs.

## Targets (issue 4)

${targets}

## Targets (issue 11)

${targets11}

Suite time: ${((Date.now() - started) / 1000).toFixed(0)} s.
`,
  chart,
);
