/**
 * `npm run bench [-- suite…]`: runs the named suites (default: all) one after another,
 * each in its own Node process. Suites: memory, redis, http, cluster, items, leases, fastify, telemetry.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const SUITES = {
  memory: ['--expose-gc', '--max-old-space-size=6144'],
  redis: [],
  http: [],
  cluster: [],
  items: ['--expose-gc'],
  leases: ['--expose-gc'],
  fastify: [],
  telemetry: [],
};

const asked = process.argv.slice(2);
const unknown = asked.filter((s) => !(s in SUITES));
if (unknown.length > 0) {
  console.error(`unknown suite ${unknown.join(', ')}; choose from: ${Object.keys(SUITES).join(', ')}`);
  process.exit(2);
}
if (!existsSync(join(here, 'node_modules'))) {
  console.error('bench dependencies are missing: run `npm --prefix bench ci` (npm run bench does)');
  process.exit(2);
}
const dist = process.env.BENCH_DIST ?? join(here, '..', 'dist');
if (!existsSync(join(dist, 'index.js'))) {
  console.error(`${dist} holds no index.js: run \`npm run build\` (npm run bench does when dist/ is missing)`);
  process.exit(2);
}

let failed = 0;
for (const suite of asked.length > 0 ? asked : Object.keys(SUITES)) {
  const file = join(here, 'suites', `${suite}.mjs`);
  console.log(`\n=== bench suite: ${suite} ===\n`);
  const started = Date.now();
  const { status } = spawnSync(process.execPath, [...SUITES[suite], file], { stdio: 'inherit', cwd: here });
  console.log(`\n=== ${suite}: ${status === 0 ? 'done' : `failed (exit ${status})`} in ${((Date.now() - started) / 1000).toFixed(0)} s ===`);
  if (status !== 0) failed++;
}
process.exit(failed > 0 ? 1 : 0);
