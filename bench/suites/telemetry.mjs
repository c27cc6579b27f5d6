/**
 * Suite "telemetry" (issue 15): what OpenTelemetry costs a memory `get` of a ~1 KB session,
 * one call in flight, paired by round against the same build with telemetry disabled (a copy
 * of dist/ where `@opentelemetry/api` cannot be resolved, so it never loads):
 * - with the API installed and no SDK registered (target: within 5%);
 * - with an SDK registered (tracer provider with a BatchSpanProcessor and a no-op exporter,
 *   meter provider with a reader) (target: within 1.5×).
 *
 * The API and SDK packages come from the repository's dev dependencies.
 * Env: BENCH_ROUNDS (default 21), BENCH_QUICK=1.
 */
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { context, metrics, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { makeData } from '../lib/fixture.mjs';
import { DIST, entry } from '../lib/dist.mjs';
import { cell, environment, median, paired, publish, rate, resultName, table, Targets } from '../lib/report.mjs';

const QUICK = process.env.BENCH_QUICK === '1';
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 21);
const GETS = QUICK ? 20_000 : 200_000;
const started = Date.now();

// The same build where the API cannot be resolved: telemetry off.
const copy = mkdtempSync(join(tmpdir(), 'agent-sessions-bench-no-otel-'));
cpSync(fileURLToPath(DIST), join(copy, 'dist'), { recursive: true });
writeFileSync(join(copy, 'package.json'), JSON.stringify({ name: 'no-otel', type: 'module' }));
const off = await import(pathToFileURL(join(copy, 'dist', 'index.js')).href);
const on = await import(entry('index.js').href);

const data = makeData(1)[0];
async function manager(lib) {
  const m = new lib.SessionManager();
  await m.put('bench-session', data);
  return m;
}
const managers = { off: await manager(off), on: await manager(on) };

async function gets(m) {
  const t = process.hrtime.bigint();
  for (let i = 0; i < GETS; i++) await m.get('bench-session');
  return (GETS * 1e9) / Number(process.hrtime.bigint() - t);
}

/** ops/s per round of each side, which first alternating by round, after a warm-up round. */
async function rounds() {
  const samples = { off: [], on: [] };
  for (let round = 0; round <= ROUNDS; round++) {
    const order = round % 2 ? ['on', 'off'] : ['off', 'on'];
    for (const side of order) {
      const r = await gets(managers[side]);
      if (round > 0) samples[side].push(r);
    }
  }
  return samples;
}

const noSdk = await rounds();

class NoopExporter {
  export(_spans, done) {
    done({ code: 0 });
  }
  shutdown() {
    return Promise.resolve();
  }
}
class Reader extends MetricReader {
  onForceFlush() {
    return Promise.resolve();
  }
  onShutdown() {
    return Promise.resolve();
  }
}
context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new BatchSpanProcessor(new NoopExporter())] }));
metrics.setGlobalMeterProvider(new MeterProvider({ readers: [new Reader()] }));
const sdk = await rounds();
rmSync(copy, { recursive: true, force: true });

const targets = new Targets();
const slow = (s) => paired(s.off, s.on); // time ratio on / off = speed ratio off / on
const range = (p) => `${p.median.toFixed(3)}× (${p.min.toFixed(2)}–${p.max.toFixed(2)})`;
const a = slow(noSdk);
const b = slow(sdk);
targets.check('memory get, API installed and no SDK: time vs telemetry off', a.median, '<=', 1.05, (x) => (x === a.median ? range(a) : `${x.toFixed(3)}×`));
targets.check('memory get, SDK with a no-op exporter: time vs telemetry off', b.median, '<=', 1.5, (x) => (x === b.median ? range(b) : `${x.toFixed(3)}×`));

const markdown = `# Bench: telemetry (issue 15)

${environment()}. Command: \`npm run bench -- telemetry\`${QUICK ? ' (BENCH_QUICK=1: smaller sizes, not for comparison)' : ''}.
\`SessionManager\` over a MemoryStore, \`get\` of one ~1 KB session, one call in flight, ${GETS.toLocaleString('en')} gets per side and round; ${ROUNDS} rounds after a warm-up round, the two sides back to back, which first alternating by round; median ops/s, in brackets the ratio to telemetry off (median of per-round ratios, above 1 is faster) and its smallest–largest. "Telemetry off" is the same build copied where \`@opentelemetry/api\` cannot be resolved. **Only ratios mean anything**: shared 2-core machine.

${table(
  ['comparison', 'telemetry off ops/s', 'telemetry on ops/s'],
  [
    ['API installed, no SDK registered', rate(median(noSdk.off)), cell(noSdk.on, noSdk.off)],
    ['SDK registered: BatchSpanProcessor + no-op exporter, MeterProvider + reader', rate(median(sdk.off)), cell(sdk.on, sdk.off)],
  ],
)}

## Targets (issue 15)

${targets}

Suite time: ${((Date.now() - started) / 1000).toFixed(0)} s.
`;
publish('telemetry', markdown);
process.exit(0);
