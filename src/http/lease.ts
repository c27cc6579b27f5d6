/**
 * The lease routes (DESIGN.md §10): `POST|PUT|DELETE {basePath}/{id}/lease` take, renew and
 * release the lease of a session, and {@link sessionFence} reads the `Session-Fence` header
 * that every write route passes on as `fence`. They reach the request through the core
 * ({@link RouteKit}), so that auth, bodies and problems work as on every route.
 *
 * @module
 */
import { FencedError, InvalidArgumentError } from '../errors.js';
import { quote } from '../json.js';
import { acquireLease, releaseLease, renewLease } from '../leases.js';
import type { SessionManager } from '../manager.js';
import { NO_QUERY, assertJsonType, decodeId } from './parse.js';
import type { RouteKit } from './items.js';
import type { CoreResponse } from './types.js';

const LEASE_ALLOW = 'POST, PUT, DELETE';
const JSON_TYPE = 'application/json';
const ACQUIRE_SHAPE = '{ "ttl"?: <ms>, "wait"?: <ms> }';
const RENEW_SHAPE = '{ "ttl"?: <ms> }';
const FENCE = /^[1-9][0-9]{0,15}$/;
/** The longest `wait` a request may ask for: a request should not hang past what proxies allow. */
const MAX_HTTP_WAIT = 60_000;

/**
 * The `Session-Fence` header of a write: `undefined` when absent, else the fence, a whole
 * number ≥ 1 (400 otherwise).
 */
export function sessionFence(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (FENCE.test(text) && Number.isSafeInteger(Number(text))) return Number(text);
  throw new InvalidArgumentError(`Session-Fence must be a whole number ≥ 1 (a lease's fence); got ${quote(value.slice(0, 100))}`);
}

/** The lease routes of one handler. */
export class LeaseRoutes<R> {
  readonly #manager: SessionManager<unknown>;
  readonly #kit: RouteKit<R>;

  constructor(manager: SessionManager<unknown>, kit: RouteKit<R>) {
    this.#manager = manager;
    this.#kit = kit;
  }

  /**
   * Answers `tail` (`{id}/…`, its first `/` at `slash`), or `undefined` when it is no route.
   * HEAD arrives here as GET.
   */
  async route(request: R, method: string, tail: string, slash: number): Promise<CoreResponse | undefined> {
    if (tail.slice(slash + 1) !== 'lease') return undefined;
    if (method === 'POST') return this.#acquire(request, decodeId(tail.slice(0, slash)));
    if (method === 'PUT') return this.#renew(request, decodeId(tail.slice(0, slash)));
    if (method === 'DELETE') return this.#release(request, decodeId(tail.slice(0, slash)));
    return this.#kit.methodNotAllowed(method, LEASE_ALLOW);
  }

  /** `POST {basePath}/{id}/lease`: takes the lease, waiting up to `wait` ms for its holder. */
  async #acquire(request: R, id: string): Promise<CoreResponse> {
    await this.#kit.allow(request, 'lease', id, NO_QUERY);
    const { ttl, wait } = await this.#body(request, ['ttl', 'wait'], ACQUIRE_SHAPE);
    if (wait !== undefined && (!Number.isSafeInteger(wait) || (wait as number) < 0 || (wait as number) > MAX_HTTP_WAIT)) {
      throw new InvalidArgumentError(`wait must be a whole number of ms from 0 to ${MAX_HTTP_WAIT}; got ${quote(wait)}`);
    }
    // The manager checks ttl (whole ms, 1 to 24 h) before any store call.
    const lease = await acquireLease(this.#manager, id, { ttl: ttl as number | undefined, wait: wait as number | undefined });
    return answer(201, lease.fence, lease.expiresAt);
  }

  /** `PUT {basePath}/{id}/lease` with `Session-Fence`: moves the live lease's expiry to now + ttl. */
  async #renew(request: R, id: string): Promise<CoreResponse> {
    await this.#kit.allow(request, 'lease', id, NO_QUERY);
    const fence = this.#fence(request, 'renew');
    const { ttl } = await this.#body(request, ['ttl'], RENEW_SHAPE);
    const lease = await renewLease(this.#manager, id, fence, ttl as number | undefined);
    return answer(200, lease.fence, lease.expiresAt);
  }

  /** `DELETE {basePath}/{id}/lease` with `Session-Fence`: ends the live lease. */
  async #release(request: R, id: string): Promise<CoreResponse> {
    await this.#kit.allow(request, 'lease', id, NO_QUERY);
    const fence = this.#fence(request, 'release');
    if (!(await releaseLease(this.#manager, id, fence))) {
      throw new FencedError(
        `fence ${fence} is not the live lease of session ${quote(id)} (it expired, was released, or a newer one was taken); nothing was released`,
      );
    }
    return { status: 204, headers: {}, body: undefined, close: false };
  }

  /** The `Session-Fence` a renew or release needs (400 when absent or malformed). */
  #fence(request: R, verb: string): number {
    const fence = sessionFence(this.#kit.header(request, 'session-fence'));
    if (fence === undefined) {
      throw new InvalidArgumentError(`Session-Fence is required to ${verb} a lease; send the fence POST …/lease answered`);
    }
    return fence;
  }

  /**
   * The optional JSON body: `{}` when the request has none, else an object with at most the
   * members `names` (JSON Content-Type, the same limits as every body).
   */
  async #body(request: R, names: string[], shape: string): Promise<Record<string, unknown>> {
    const kit = this.#kit;
    const length = kit.header(request, 'content-length');
    if (kit.header(request, 'transfer-encoding') === undefined && (length === undefined || length === '0')) return {};
    assertJsonType(kit.header(request, 'content-type'));
    const body = await kit.body(request, shape);
    if (body === undefined) return {};
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      throw new InvalidArgumentError(`request body must be a JSON object ${shape}`);
    }
    const fields: Record<string, unknown> = {};
    for (const name of names) if (Object.hasOwn(body, name)) fields[name] = (body as Record<string, unknown>)[name];
    return fields;
  }
}

function answer(status: number, fence: number, expiresAt: string): CoreResponse {
  return { status, headers: { 'content-type': JSON_TYPE }, body: `{"fence":${fence},"expiresAt":"${expiresAt}"}`, close: false };
}
