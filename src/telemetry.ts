/**
 * OpenTelemetry spans and metrics around every {@link SessionManager} operation, when the
 * optional peer `@opentelemetry/api` can be loaded and an SDK is registered; otherwise the
 * operation runs as is. See docs/telemetry.md.
 *
 * @module
 */
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import type * as Api from '@opentelemetry/api';
import { SessionError, StoreUnavailableError } from './errors.js';

/** The instrumentation scope: the tracer's and the meter's name. */
const SCOPE = 'agent-sessions';

/** What an operation's result says about how many items (or sessions) it touched. */
type Counter = (args: unknown[], result: unknown) => number | undefined;

const pageLength = (key: 'items' | 'sessions'): Counter => (_args, result) =>
  (result as Record<string, unknown[]> | undefined)?.[key]?.length;

/** The operations wrapped, each with how its item count is read (none for most). */
export const OPERATIONS: Record<string, Counter | undefined> = {
  get: undefined,
  list: pageLength('sessions'),
  put: undefined,
  update: undefined,
  clear: undefined,
  touch: undefined,
  append: (args) => (Array.isArray(args[1]) ? args[1].length : undefined),
  items: pageLength('items'),
  pop: (_args, result) => (result === undefined ? 0 : 1),
  truncate: (_args, result) => (result as { removed?: number } | undefined)?.removed,
  acquire: undefined,
  withLease: undefined,
};

/** The loaded API with what the per-call check compares against, or `null` when it is absent. */
interface Loaded {
  api: typeof Api;
  noopTracers: Api.TracerProvider;
  noopMeter: Function;
}

let loaded: Loaded | null | undefined;

/**
 * Loads `@opentelemetry/api` once, synchronously, resolved from this package's own location;
 * `null` (and no telemetry) when it cannot be found.
 */
function load(): Loaded | null {
  if (loaded !== undefined) return loaded;
  try {
    const api = createRequire(import.meta.url)('@opentelemetry/api') as typeof Api;
    loaded = {
      api,
      noopTracers: new api.ProxyTracerProvider().getDelegate(),
      noopMeter: api.createNoopMeter().constructor,
    };
  } catch {
    loaded = null;
  }
  return loaded;
}

interface Instruments {
  provider: Api.MeterProvider;
  duration: Api.Histogram;
  errors: Api.Counter;
  deadlines: Api.Counter;
}

let instruments: Instruments | undefined;
/** The tracer of the last registered tracer provider. */
let tracerOf: { provider: Api.TracerProvider; tracer: Api.Tracer } | undefined;
/** The last meter provider seen, and whether it is a real one (not the API's no-op). */
let meterCheck: { provider: Api.MeterProvider; real: boolean } | undefined;

function measures(t: Loaded, provider: Api.MeterProvider): boolean {
  if (meterCheck?.provider !== provider) {
    meterCheck = { provider, real: provider.getMeter(SCOPE).constructor !== t.noopMeter };
  }
  return meterCheck.real;
}

function instrumentsOf(provider: Api.MeterProvider): Instruments {
  if (instruments?.provider === provider) return instruments;
  const meter = provider.getMeter(SCOPE);
  instruments = {
    provider,
    duration: meter.createHistogram('agent_sessions.operation.duration', {
      unit: 'ms',
      description: 'Duration of SessionManager operations',
    }),
    errors: meter.createCounter('agent_sessions.errors', { description: 'Failed SessionManager operations, by error code' }),
    deadlines: meter.createCounter('agent_sessions.redis.deadline_expiries', {
      description: 'Redis commands that ran out of their deadline',
    }),
  };
  return instruments;
}

/** Hashes of recent ids: agents come back to the same sessions, and SHA-256 is not free. */
const hashes = new Map<string, string>();
const HASHES_KEPT = 1024;

/** A short, stable hash of a session id: never the id itself (ids can be e-mail addresses). */
export function idHash(id: unknown): string {
  const key = String(id);
  let hash = hashes.get(key);
  if (hash === undefined) {
    hash = createHash('sha256').update(key).digest('hex').slice(0, 16);
    if (hashes.size >= HASHES_KEPT) hashes.clear();
    hashes.set(key, hash);
  }
  return hash;
}

/** The error code of a failure: a {@link SessionError}'s `code`, else the error's name. */
function errorType(err: unknown): string {
  if (err instanceof SessionError) return err.code;
  return err instanceof Error ? err.name : typeof err;
}

function deadlineExpired(err: unknown): boolean {
  return err instanceof StoreUnavailableError && (err.cause as Error | undefined)?.name === 'TimeoutError';
}

/** Where the API keeps its globals (its documented key for major version 1). */
const REGISTRY = Symbol.for('opentelemetry.js.api.1');

/**
 * The loaded API when a tracer or meter provider is registered, else `null`: one property
 * read per call once the API is loaded, so an operation without an SDK costs next to nothing.
 */
function registered(): Loaded | null {
  const t = loaded === undefined ? load() : loaded;
  if (t === null) return null;
  const globals = (globalThis as Record<symbol, { trace?: unknown; metrics?: unknown } | undefined>)[REGISTRY];
  return globals?.trace !== undefined || globals?.metrics !== undefined ? t : null;
}

/**
 * Runs `run` as operation `op`: directly when telemetry is off, else inside a span
 * `agent-sessions.<op>` started under the caller's active context, recording its metrics.
 */
function traced(t: Loaded, store: object, op: string, args: unknown[], run: () => Promise<unknown>): Promise<unknown> {
  const { api } = t;
  // The global tracer provider is the API's proxy; registering an SDK sets its delegate.
  const tracers = (api.trace.getTracerProvider() as Api.ProxyTracerProvider).getDelegate();
  const tracing = tracers !== t.noopTracers;
  const meters = api.metrics.getMeterProvider();
  const measuring = measures(t, meters);
  if (!tracing && !measuring) return run(); // registered, but the API's no-ops
  const attributes: Api.Attributes = {
    'agent_sessions.operation': op,
    'agent_sessions.store': store.constructor.name,
  };
  if (op !== 'list') attributes['agent_sessions.id_hash'] = idHash(args[0]);
  const started = performance.now();
  if (tracing && tracerOf?.provider !== tracers) tracerOf = { provider: tracers, tracer: tracers.getTracer(SCOPE) };
  const span = tracing ? tracerOf!.tracer.startSpan(`${SCOPE}.${op}`, { attributes, kind: api.SpanKind.INTERNAL }) : undefined;
  const finish = (outcome: 'ok' | 'error', result: unknown, err?: unknown) => {
    const metric: Api.Attributes = { 'agent_sessions.operation': op, 'agent_sessions.store': attributes['agent_sessions.store'], 'agent_sessions.outcome': outcome };
    const counted = outcome === 'ok' ? OPERATIONS[op]?.(args, result) : undefined;
    if (span) {
      span.setAttribute('agent_sessions.outcome', outcome);
      if (counted !== undefined) span.setAttribute('agent_sessions.item_count', counted);
    }
    if (outcome === 'error') {
      const type = errorType(err);
      metric['error.type'] = type;
      span?.setAttribute('error.type', type);
      span?.setStatus({ code: api.SpanStatusCode.ERROR, message: err instanceof Error ? err.message : String(err) });
      if (measuring) {
        const m = instrumentsOf(meters);
        m.errors.add(1, { 'agent_sessions.operation': op, 'error.type': type });
        if (deadlineExpired(err)) m.deadlines.add(1, { 'agent_sessions.operation': op });
      }
    }
    if (measuring) instrumentsOf(meters).duration.record(performance.now() - started, metric);
    span?.end();
  };
  const context = span ? api.trace.setSpan(api.context.active(), span) : api.context.active();
  return api.context.with(context, run).then(
    (result) => {
      finish('ok', result);
      return result;
    },
    (err: unknown) => {
      finish('error', undefined, err);
      throw err;
    },
  );
}

/**
 * Wraps each method of {@link OPERATIONS} on `proto` (the manager's prototype) so it runs
 * through {@link traced}: one place instead of a wrapper in every method.
 */
export function instrument(proto: object): void {
  const methods = proto as Record<string, (...args: unknown[]) => Promise<unknown>>;
  for (const op of Object.keys(OPERATIONS)) {
    const plain = methods[op]!;
    methods[op] = function (this: { store: object }, ...args: unknown[]) {
      const t = registered();
      return t === null ? plain.apply(this, args) : traced(t, this.store, op, args, () => plain.apply(this, args));
    };
  }
}
