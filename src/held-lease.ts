/**
 * The {@link Lease} object a manager hands out: its expiry watch and its renewal loop.
 * Internal: built by the manager's lease keeper.
 *
 * @module
 */
import { FencedError } from './errors.js';
import { timeText } from './iso-time.js';
import { quote } from './json.js';
import type { Granted, Lease, LeaseKeeper } from './leases.js';
import type { ManagerCore } from './manager-core.js';
import type { EpochMilliseconds, Milliseconds } from './types.js';

/** The longest delay `setTimeout` honours (2³¹ − 1 ms). */
export const MAX_TIMER = 2_147_483_647;

/** A {@link Lease} held through a manager. */
export class HeldLease implements Lease {
  readonly id: string;
  readonly fence: number;
  readonly #keeper: LeaseKeeper;
  readonly #core: ManagerCore<unknown>;
  readonly #ttl: Milliseconds;
  readonly #controller = new AbortController();
  #expiresAt: EpochMilliseconds;
  #expiry: ReturnType<typeof setTimeout> | undefined;
  /** Set by `release`: no more renewals or expiry watch. */
  #released = false;

  constructor(keeper: LeaseKeeper, granted: Granted, id: string, core: ManagerCore<unknown>) {
    this.#keeper = keeper;
    this.#core = core;
    this.id = id;
    this.fence = granted.fence;
    this.#ttl = granted.ttl;
    this.#expiresAt = granted.expiresAt;
    this.#arm();
  }

  get expiresAt(): string {
    return timeText(this.#expiresAt);
  }

  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  async renew(ttl?: Milliseconds): Promise<void> {
    try {
      this.#expiresAt = await this.#keeper.renew(this.id, this.fence, ttl ?? this.#ttl);
    } catch (err) {
      if (err instanceof FencedError) this.#lose(err);
      throw err;
    }
    this.#arm();
  }

  async release(): Promise<boolean> {
    this.#released = true;
    clearTimeout(this.#expiry);
    return this.#keeper.release(this.id, this.fence);
  }

  /** Renews every third of the ttl until the returned function is called; a failed renewal aborts `signal`. */
  keepRenewed(): () => void {
    let timer: ReturnType<typeof setTimeout> | undefined;
    let stopped = false;
    const next = () => {
      timer = setTimeout(() => {
        this.renew().then(
          () => stopped || this.#released || next(),
          (err: unknown) => this.#lose(err),
        );
      }, this.#ttl / 3);
      timer.unref();
    };
    next();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }

  /** Aborts `signal` when `expiresAt` passes without a renewal. */
  #arm(): void {
    clearTimeout(this.#expiry);
    if (this.signal.aborted || this.#released) return;
    const left = Math.min(MAX_TIMER, Math.max(0, this.#expiresAt - this.#core.now()));
    this.#expiry = setTimeout(() => {
      this.#lose(new FencedError(`the lease of session ${quote(this.id)} with fence ${this.fence} expired at ${this.expiresAt} without renewal`));
    }, left);
    this.#expiry.unref();
  }

  #lose(reason: unknown): void {
    clearTimeout(this.#expiry);
    if (!this.signal.aborted && !this.#released) this.#controller.abort(reason);
  }
}
