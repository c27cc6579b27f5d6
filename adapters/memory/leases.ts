/**
 * The leases of an in-process store: one record per id in a `Map` of their own (never in the
 * session map, so an LRU eviction never ends a lease), dropped once expired, and one fence
 * counter for the whole store.
 *
 * @module
 */
import { FencedError } from '../../src/errors.js';
import type {
  EpochMilliseconds,
  StoreAcquireInput,
  StoreAcquireResult,
  StoreReleaseInput,
  StoreRenewInput,
} from '../../src/types.js';
import { ExpiryQueue } from './expiry-queue.js';

interface LeaseRecord {
  fence: number;
  expiresAt: EpochMilliseconds;
}

/**
 * Leases by id. Fences come from one counter per store, so they strictly increase per id
 * whatever happens to a session or a lease, and no id keeps a record once its lease is gone.
 */
export class LeaseTable {
  readonly #leases = new Map<string, LeaseRecord>();
  readonly #expiries = new ExpiryQueue();
  /** The last fence issued, for any id. */
  #fence = 0;
  /** Called when a lease is taken, so that the store's sweep runs. */
  readonly #taken: () => void;

  constructor(taken: () => void) {
    this.#taken = taken;
  }

  /** How many leases are held, counting expired ones not yet swept. */
  get size(): number {
    return this.#leases.size;
  }

  #live(id: string, now: EpochMilliseconds): LeaseRecord | undefined {
    const lease = this.#leases.get(id);
    if (lease !== undefined && !(lease.expiresAt > now)) {
      this.#leases.delete(id);
      return undefined;
    }
    return lease;
  }

  acquire({ id, now, ttl }: StoreAcquireInput): StoreAcquireResult {
    const held = this.#live(id, now);
    if (held !== undefined) return { ok: false, expiresAt: held.expiresAt };
    const lease = { fence: ++this.#fence, expiresAt: now + ttl };
    this.#leases.set(id, lease);
    this.#expiries.push(lease.expiresAt, id);
    this.#taken();
    return { ok: true, ...lease };
  }

  renew({ id, now, fence, ttl }: StoreRenewInput): EpochMilliseconds | undefined {
    const lease = this.#live(id, now);
    if (lease?.fence !== fence) return undefined;
    lease.expiresAt = now + ttl;
    this.#expiries.push(lease.expiresAt, id);
    return lease.expiresAt;
  }

  release({ id, now, fence }: StoreReleaseInput): boolean {
    if (this.#live(id, now)?.fence !== fence) return false;
    this.#leases.delete(id);
    return true;
  }

  /** Throws {@link FencedError} unless `fence` is absent or the live lease of `id` at `now`. */
  check(id: string, fence: number | undefined, now: EpochMilliseconds): void {
    if (fence === undefined) return;
    const lease = this.#live(id, now);
    if (lease?.fence === fence) return;
    throw new FencedError(
      lease === undefined
        ? `fence ${fence} of session ${JSON.stringify(id)} is stale: no lease is live; acquire a new one`
        : `fence ${fence} of session ${JSON.stringify(id)} is stale: the live lease has fence ${lease.fence}`,
    );
  }

  /** Drops every lease expired at `now`. */
  purge(now: EpochMilliseconds): void {
    for (let due = this.#expiries.popDue(now); due; due = this.#expiries.popDue(now)) this.#live(due.id, now);
    if (this.#expiries.size > 2 * this.#leases.size + 64) {
      this.#expiries.compact([...this.#leases].map(([id, lease]) => ({ at: lease.expiresAt, id })));
    }
  }
}
