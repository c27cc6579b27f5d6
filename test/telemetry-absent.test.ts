import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { context, trace, type Span } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { InMemorySpanExporter, BasicTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { afterAll, describe, expect, it } from 'vitest';
import { MemoryStore, SessionManager } from '../src/index.js';
import type { EpochMilliseconds } from '../src/types.js';

/** A MemoryStore that notes the span active while the manager reads from it. */
class WatchedStore extends MemoryStore {
  seen: Array<Span | undefined> = [];
  override get(id: string, now: EpochMilliseconds) {
    this.seen.push(trace.getActiveSpan());
    return super.get(id, now);
  }
}

describe('telemetry with the API but no SDK', () => {
  afterAll(() => {
    trace.disable();
    context.disable();
  });

  it('wraps nothing: the store sees no span, not even a non-recording one', async () => {
    // A context manager alone: a wrapped operation would make its (non-recording) span active.
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    const store = new WatchedStore();
    const sessions = new SessionManager({ store });
    await sessions.put('a', 1);
    expect((await sessions.get('a'))?.data).toBe(1);
    expect(store.seen).toEqual([undefined]);
  });

  it('stops making spans once the SDK is removed', async () => {
    const spans = new InMemorySpanExporter();
    trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] }));
    const sessions = new SessionManager();
    await sessions.get('a');
    expect(spans.getFinishedSpans().map((s) => s.name)).toEqual(['agent-sessions.get']);
    trace.disable();
    await sessions.put('a', 2);
    await sessions.get('a');
    expect(spans.getFinishedSpans()).toHaveLength(1);
  });
});

describe('a consumer without @opentelemetry/api', () => {
  // `npm test` builds first (the pretest script): copy dist/ where no node_modules is above it.
  const dir = mkdtempSync(join(tmpdir(), 'agent-sessions-no-otel-'));
  cpSync(fileURLToPath(new URL('../dist/', import.meta.url)), join(dir, 'dist'), { recursive: true });
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'consumer', type: 'module' }));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const run = (args: string[]) => execFileSync(process.execPath, args, { cwd: dir, encoding: 'utf8', stdio: 'pipe', env: { PATH: process.env.PATH } });

  it('cannot resolve the API there', () => {
    expect(() => run(['-e', "require.resolve('@opentelemetry/api')"])).toThrow(/Cannot find module/);
  });

  it('gets and puts sessions from the ESM build', () => {
    const out = run([
      '--input-type=module',
      '-e',
      `const { SessionManager } = await import('./dist/index.js');
       const s = new SessionManager();
       await s.put('a', { n: 1 });
       const got = await s.get('a');
       console.log(JSON.stringify([got.data, got.version, (await s.list()).sessions.length]));`,
    ]);
    expect(JSON.parse(out)).toEqual([{ n: 1 }, 1, 1]);
  });

  it('gets and puts sessions from the CommonJS build', () => {
    const out = run([
      '-e',
      `const { SessionManager } = require('./dist/index.cjs');
       const s = new SessionManager();
       s.put('a', [1]).then(() => s.get('a')).then((got) => console.log(JSON.stringify([got.data, got.version])));`,
    ]);
    expect(JSON.parse(out)).toEqual([[1], 1]);
  });
});
