import { createServer, type Server, type Socket } from 'node:net';
import { randomUUID } from 'node:crypto';
import { context, metrics, trace, SpanStatusCode } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { AggregationTemporality, InMemoryMetricExporter, MeterProvider, PeriodicExportingMetricReader, type ResourceMetrics } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SessionManager, MemoryStore, StoreUnavailableError, VersionConflictError } from '../src/index.js';
import { RedisStore } from '../adapters/redis/index.js';
import { idHash } from '../src/telemetry.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const spans = new InMemorySpanExporter();
const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 });
const meters = new MeterProvider({ readers: [reader] });
const contexts = new AsyncLocalStorageContextManager();

beforeAll(() => {
  context.setGlobalContextManager(contexts.enable());
  trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] }));
  metrics.setGlobalMeterProvider(meters);
});
afterAll(async () => {
  trace.disable();
  metrics.disable();
  context.disable();
  await meters.shutdown();
});
afterEach(() => spans.reset());

/** Every data point of metric `name` collected so far, as [attributes, value]. */
async function points(name: string): Promise<Array<[Record<string, unknown>, unknown]>> {
  await reader.forceFlush();
  const last: ResourceMetrics | undefined = exporter.getMetrics().at(-1);
  exporter.reset();
  const metric = last?.scopeMetrics.flatMap((s) => s.metrics).find((m) => m.descriptor.name === name);
  return (metric?.dataPoints ?? []).map((p) => [p.attributes, p.value]);
}

const names = (list: ReadableSpan[]) => list.map((s) => s.name);

describe.each([
  ['MemoryStore', () => new MemoryStore()],
  ['RedisStore', () => new RedisStore({ url: REDIS_URL, prefix: `t15-otel-${randomUUID()}:` })],
])('telemetry over a %s', (storeName, makeStore) => {
  let sessions: SessionManager<unknown, unknown>;
  beforeAll(() => {
    sessions = new SessionManager({ store: makeStore() });
  });
  afterAll(() => sessions.close());

  it('makes one span per operation with the operation, store, outcome, item count and id hash', async () => {
    const id = 'someone@example.com';
    await sessions.put(id, { a: 1 });
    await sessions.get(id);
    await sessions.list({ prefix: 'someone' });
    await sessions.append(id, [1, 2, 3]);
    await sessions.clear(id);
    const done = spans.getFinishedSpans();
    expect(names(done)).toEqual(['put', 'get', 'list', 'append', 'clear'].map((op) => `agent-sessions.${op}`));
    for (const span of done) {
      expect(span.attributes['agent_sessions.store']).toBe(storeName);
      expect(span.attributes['agent_sessions.outcome']).toBe('ok');
      expect(span.status.code).not.toBe(SpanStatusCode.ERROR);
      expect(span.attributes['agent_sessions.operation']).toBe(span.name.slice('agent-sessions.'.length));
      // The id, an e-mail address here, is never in an attribute; its hash is.
      expect(JSON.stringify(span.attributes)).not.toContain('someone');
    }
    expect(done[0]!.attributes['agent_sessions.id_hash']).toBe(idHash(id));
    expect(done[0]!.attributes['agent_sessions.id_hash']).toMatch(/^[0-9a-f]{16}$/);
    expect(done[2]!.attributes['agent_sessions.id_hash']).toBeUndefined(); // list has no id
    expect(done[2]!.attributes['agent_sessions.item_count']).toBe(1);
    expect(done[3]!.attributes['agent_sessions.item_count']).toBe(3);
  });

  it('marks a failed operation: status ERROR with the message, error.type the code, and counts it', async () => {
    const id = `conflict-${randomUUID()}`;
    await sessions.put(id, 1);
    const err = await sessions.put(id, 2, { ifVersion: 7 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(VersionConflictError);
    const span = spans.getFinishedSpans().at(-1)!;
    expect(span.name).toBe('agent-sessions.put');
    expect(span.status).toEqual({ code: SpanStatusCode.ERROR, message: (err as Error).message });
    expect(span.attributes['agent_sessions.outcome']).toBe('error');
    expect(span.attributes['error.type']).toBe('version_conflict');
    const errors = await points('agent_sessions.errors');
    expect(errors).toContainEqual([{ 'agent_sessions.operation': 'put', 'error.type': 'version_conflict' }, expect.any(Number)]);
  });

  it('nests under the caller’s active span, and the store work under the operation', async () => {
    const tracer = trace.getTracer('caller');
    await tracer.startActiveSpan('request', async (request) => {
      await sessions.update(`nest-${randomUUID()}`, () => 1);
      request.end();
    });
    const done = spans.getFinishedSpans();
    const byName = (n: string) => done.find((s) => s.name === n)!;
    const request = byName('request');
    const update = byName('agent-sessions.update');
    expect(update.parentSpanContext?.spanId).toBe(request.spanContext().spanId);
    // update reads and writes through the manager: those spans are its children.
    expect(byName('agent-sessions.get').parentSpanContext?.spanId).toBe(update.spanContext().spanId);
    expect(byName('agent-sessions.put').parentSpanContext?.spanId).toBe(update.spanContext().spanId);
    expect(new Set(done.map((s) => s.spanContext().traceId)).size).toBe(1);
  });

  it('records the duration of each operation, by operation and outcome, in ms', async () => {
    await points('agent_sessions.operation.duration'); // drains what earlier tests recorded
    await sessions.get(`nobody-${randomUUID()}`);
    const durations = await points('agent_sessions.operation.duration');
    const get = durations.find(([a]) => a['agent_sessions.operation'] === 'get' && a['agent_sessions.store'] === storeName);
    expect(get?.[0]).toEqual({ 'agent_sessions.operation': 'get', 'agent_sessions.store': storeName, 'agent_sessions.outcome': 'ok' });
    expect((get?.[1] as { count: number }).count).toBeGreaterThanOrEqual(1);
  });
});

describe('Redis deadline expiries', () => {
  let silent: Server;
  const sockets = new Set<Socket>();
  beforeAll(async () => {
    // A server that accepts connections and never answers: every command runs out of its deadline.
    silent = createServer((s) => sockets.add(s));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
  });
  afterAll(async () => {
    for (const s of sockets) s.destroy();
    await new Promise((r) => silent.close(r));
  });

  it('counts a StoreUnavailableError caused by a TimeoutError', async () => {
    const port = (silent.address() as { port: number }).port;
    const sessions = new SessionManager({ store: new RedisStore({ url: `redis://127.0.0.1:${port}`, timeout: 100 }) });
    const err = await sessions.get('a').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoreUnavailableError);
    expect(((err as Error).cause as Error).name).toBe('TimeoutError');
    expect(spans.getFinishedSpans().at(-1)!.attributes['error.type']).toBe('store_unavailable');
    const expiries = await points('agent_sessions.redis.deadline_expiries');
    expect(expiries).toEqual([[{ 'agent_sessions.operation': 'get' }, 1]]);
    await sessions.close().catch(() => undefined);
  });
});
