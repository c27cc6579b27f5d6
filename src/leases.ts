/**
 * Leases (DESIGN.md §10): one writer per session. The manager's side: the checks of every
 * argument, the wait in arrival order per id within this process (with a hand-over when a
 * lease is released through it), polling for holders in other processes, and the
 * {@link Lease} object that renews itself inside `withLease`. The store keeps the lease and
 * checks fences; the public methods are on {@link SessionManager}.
 *
 * @module
 */
import { argumentError, fence as fenceOption, whole } from './checks.js';
import { FencedError, LeaseHeldError } from './errors.js';
import { HeldLease, MAX_TIMER } from './held-lease.js';
import { assertIdentifier } from './identifier.js';
import { timeText } from './iso-time.js';
import { quote } from './json.js';
import { coreOf, type ManagerCore } from './manager-core.js';
import type { SessionManager } from './manager.js';
import type { EpochMilliseconds, Milliseconds, StoreAcquireDone } from './types.js';

/** Options of {@link SessionManager.acquire} and {@link SessionManager.withLease}. */
export interface LeaseOptions {
  /**
   * How long the lease lasts unless renewed, a whole number of ms from 1 to 86400000 (24 h).
   * @defaultValue 30000 (30 s)
   */
  ttl?: Milliseconds;
  /**
   * How long to wait for a lease that is held, a whole number of ms ≥ 0. Waiters for one id
   * in this process are served in arrival order; holders in other processes are polled.
   * @defaultValue 0: throw {@link LeaseHeldError} at once
   */
  wait?: Milliseconds;
  /** Aborting it ends the wait: the call rejects with the signal's reason. */
  signal?: AbortSignal;
}

/**
 * A lease on one session: while it is live, writes that carry its `fence` are applied, and
 * nobody else can acquire the session's lease. Pass `fence` to every write made under it.
 */
export interface Lease {
  /** The session's identifier. */
  readonly id: string;
  /** The fencing token: greater than every fence issued before for this id. */
  readonly fence: number;
  /** When the lease ends unless renewed (ISO 8601). */
  readonly expiresAt: string;
  /**
   * Aborts when the lease is lost: a renewal found it gone or failed, or `expiresAt` passed
   * without one. Its reason says which. Releasing the lease does not abort it.
   */
  readonly signal: AbortSignal;
  /**
   * Moves `expiresAt` to `ttl` ms from now.
   * @param ttl - whole ms from 1 to 86400000; defaults to the ttl the lease was acquired with
   * @throws {@link FencedError} when the lease is lost (and `signal` aborts)
   */
  renew(ttl?: Milliseconds): Promise<void>;
  /** Ends the lease; `false` (and nothing changed) when it was already lost. */
  release(): Promise<boolean>;
}

/** The longest lease, in ms: 24 hours. */
const MAX_TTL: Milliseconds = 86_400_000;
const DEFAULT_TTL: Milliseconds = 30_000;
/** First and longest wait between two polls of a held lease, in ms; it doubles, jittered. */
const POLL_FIRST = 4;
const POLL_CAP = 100;

function leaseTtl(value: unknown): Milliseconds | undefined {
  return whole('ttl', value, 1, MAX_TTL, argumentError);
}

/** A waiter for one id: sleeps until its timer, a wake-up (its turn, a hand-over) or an abort. */
class Waiter {
  #wake: (() => void) | undefined;
  #woken = false;

  wake(): void {
    this.#woken = true;
    this.#wake?.();
  }

  sleep(ms: Milliseconds, signal: AbortSignal | undefined): Promise<void> {
    if (this.#woken) {
      this.#woken = false;
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', aborted);
        this.#wake = undefined;
        this.#woken = false;
      };
      const aborted = () => {
        done();
        reject(signal!.reason);
      };
      const timer = setTimeout(() => (done(), resolve()), ms);
      this.#wake = () => (done(), resolve());
      signal?.addEventListener('abort', aborted, { once: true });
    });
  }
}

/** The waiters for one id in arrival order; only the first one asks the store. */
interface Line {
  waiters: Waiter[];
  /** The first waiter's store call in flight, if any. */
  attempt?: Promise<unknown>;
  /** When the holder's lease ends, as the store last said. */
  heldUntil?: EpochMilliseconds;
}

/** A lease granted by the store, and the ttl it was asked for. */
export interface Granted extends StoreAcquireDone {
  ttl: Milliseconds;
}

/** The lease operations of one manager, kept by its core. */
export class LeaseKeeper {
  readonly #core: ManagerCore<unknown>;
  readonly #lines = new Map<string, Line>();

  constructor(core: ManagerCore<unknown>) {
    this.#core = core;
  }

  /** Takes the lease of `id` from the store, waiting in line up to `wait` ms. */
  async take(id: string, options: LeaseOptions = {}): Promise<Granted> {
    assertIdentifier(id);
    const ttl = leaseTtl(options.ttl) ?? DEFAULT_TTL;
    const wait = whole('wait', options.wait, 0, Number.MAX_SAFE_INTEGER, argumentError) ?? 0;
    const { signal } = options;
    signal?.throwIfAborted();
    const deadline = performance.now() + wait;
    const line = this.#lines.get(id) ?? { waiters: [] };
    this.#lines.set(id, line);
    const me = new Waiter();
    line.waiters.push(me);
    try {
      for (let polls = 0; ; ) {
        signal?.throwIfAborted();
        const first = line.waiters[0] === me;
        if (first) {
          const attempt = this.#core.store.acquire({ id, now: this.#core.now(), ttl });
          line.attempt = attempt;
          const result = await attempt.finally(() => (line.attempt = undefined));
          if (result.ok) return await this.#keep(id, { ...result, ttl }, signal);
          line.heldUntil = result.expiresAt;
          polls++;
        } else if (line.attempt !== undefined && performance.now() >= deadline) {
          await line.attempt.catch(noop); // its answer tells when the lease ends
          continue;
        }
        const left = deadline - performance.now();
        if (left <= 0) throw this.#held(id, line.heldUntil);
        const poll = Math.min(POLL_CAP, POLL_FIRST * 2 ** polls) * (0.5 + Math.random() / 2);
        const untilFree = (line.heldUntil ?? 0) - this.#core.now() + 1;
        await me.sleep(Math.min(left, MAX_TIMER, first ? Math.max(1, Math.min(poll, untilFree)) : MAX_TIMER), signal);
      }
    } finally {
      const first = line.waiters[0] === me;
      line.waiters.splice(line.waiters.indexOf(me), 1);
      if (line.waiters.length === 0) this.#lines.delete(id);
      else if (first) line.waiters[0]!.wake();
    }
  }

  /** A granted lease, or the signal's reason (with the lease released) when it was aborted meanwhile. */
  async #keep(id: string, granted: Granted, signal: AbortSignal | undefined): Promise<Granted> {
    if (!signal?.aborted) return granted;
    await this.release(id, granted.fence).catch(noop);
    throw signal.reason;
  }

  #held(id: string, heldUntil: EpochMilliseconds | undefined): LeaseHeldError {
    const until = timeText(heldUntil ?? this.#core.now());
    return new LeaseHeldError(`the lease of session ${quote(id)} is held until ${until}; wait longer or try later`, until);
  }

  /** The new expiry of the live lease of `id` with `fence`; {@link FencedError} when it is lost. */
  async renew(id: string, fence: number, ttl: unknown): Promise<EpochMilliseconds> {
    assertIdentifier(id);
    fenceOption(fence);
    const ms = leaseTtl(ttl) ?? DEFAULT_TTL;
    const expiresAt = await this.#core.store.renew({ id, now: this.#core.now(), fence, ttl: ms });
    if (expiresAt === undefined) throw lost(id, fence);
    return expiresAt;
  }

  /** Ends the live lease of `id` with `fence` and hands over to the next waiter here; `false` when lost. */
  async release(id: string, fence: number): Promise<boolean> {
    assertIdentifier(id);
    fenceOption(fence);
    const released = await this.#core.store.release({ id, now: this.#core.now(), fence });
    this.#lines.get(id)?.waiters[0]?.wake();
    return released;
  }

  /** {@link SessionManager.acquire}. */
  async acquire(id: string, options: LeaseOptions = {}): Promise<Lease> {
    return new HeldLease(this, await this.take(id, options), id, this.#core);
  }

  /** {@link SessionManager.withLease}. */
  async withLease<R>(id: string, fn: (lease: Lease) => Promise<R>, options: LeaseOptions = {}): Promise<R> {
    const lease = new HeldLease(this, await this.take(id, options), id, this.#core);
    const stop = lease.keepRenewed();
    try {
      return await fn(lease);
    } finally {
      stop();
      await lease.release().catch(noop); // the lease expires by itself if the store is down
    }
  }
}

/** The {@link FencedError} of a lease found lost. */
function lost(id: string, fence: number): FencedError {
  return new FencedError(
    `the lease of session ${quote(id)} with fence ${fence} is lost (it expired, was released or taken over); acquire a new one`,
  );
}

/** For the HTTP layer: {@link SessionManager.acquire} without a {@link Lease} object (no timers). */
export async function acquireLease(
  manager: SessionManager<unknown, unknown>,
  id: string,
  options: LeaseOptions = {},
): Promise<{ fence: number; expiresAt: string }> {
  const granted = await coreOf(manager).leases.take(id, options);
  return { fence: granted.fence, expiresAt: timeText(granted.expiresAt) };
}

/** For the HTTP layer: renews the lease of `id` held with `fence` ({@link FencedError} when lost). */
export async function renewLease(
  manager: SessionManager<unknown, unknown>,
  id: string,
  fence: number,
  ttl?: Milliseconds,
): Promise<{ fence: number; expiresAt: string }> {
  return { fence, expiresAt: timeText(await coreOf(manager).leases.renew(id, fence, ttl)) };
}

/** For the HTTP layer: releases the lease of `id` held with `fence`; `false` when it was lost. */
export function releaseLease(manager: SessionManager<unknown, unknown>, id: string, fence: number): Promise<boolean> {
  return coreOf(manager).leases.release(id, fence);
}

function noop(): void {}
