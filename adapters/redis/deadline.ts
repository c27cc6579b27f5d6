/**
 * The deadline of every operation: each settles within `timeout`, whatever the client does.
 * An operation is handed to ioredis only once the client is ready (until then it waits,
 * unsent), and one interval timer per store fails whatever is past due: no timer per command.
 *
 * @module
 */
import { performance } from 'node:perf_hooks';
import type { Cluster, Redis } from 'ioredis';
import { StoreUnavailableError } from '../../src/errors.js';
import type { Milliseconds } from '../../src/types.js';

/** A write that was never handed to a connection: its failure is not indeterminate. */
export class UnsentError extends Error {}

/** The cause of an operation that passed its deadline; its own cause is the client's error now, if any. */
class DeadlineError extends Error {
  override name = 'TimeoutError';
  constructor(message: string, cause: Error | undefined) {
    super(message, cause === undefined ? undefined : { cause });
  }
}

/** The cause of an operation refused because the store was closed. */
function closedError(): Error {
  return new Error('RedisStore.close() was called');
}

/** One operation waiting for its reply, failed by the sweep once `due` has passed. */
class Pending {
  /** Handed to ioredis: a write may then be applied even if no reply comes. */
  sent = false;
  /** Set while the operation waits for the client to be ready. */
  start: (() => void) | undefined = undefined;
  constructor(
    readonly due: number,
    readonly what: string,
    readonly id: string,
    readonly write: boolean,
    readonly resolve: (value: unknown) => void,
    readonly fail: (error: StoreUnavailableError) => void,
  ) {}
}

/**
 * Runs a store's operations on one client, each under the same `timeout`, and turns every
 * failure into a {@link StoreUnavailableError} whose cause is true when it is made.
 */
export class Deadlines {
  readonly #client: Redis | Cluster;
  /** Whether the store created the client (it then has no other `error` listener). */
  readonly #owned: boolean;
  readonly #timeout: Milliseconds;
  readonly #tick: Milliseconds;
  /** Operations in flight, in the order they started, which is the order they fall due. */
  readonly #pending = new Set<Pending>();
  /** Operations not yet handed to ioredis because the client is not ready. */
  readonly #waiting = new Set<Pending>();
  #timer: ReturnType<typeof setInterval> | undefined;
  #closed = false;
  /** The client's latest `error` event since it was last ready (forgotten when it is ready again). */
  #clientError: Error | undefined;

  constructor(client: Redis | Cluster, owned: boolean, timeout: Milliseconds) {
    this.#client = client;
    this.#owned = owned;
    this.#timeout = timeout;
    this.#tick = Math.min(50, Math.max(5, timeout / 20));
    client.on('error', this.#onError);
    client.on('ready', this.#onReady);
  }

  /** Whether {@link Deadlines.close} was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Runs one operation under the deadline. `send` gets the deadline (`performance.now()`
   * time); `what` and `id` name the operation in messages; a failed `write` that was sent is
   * indeterminate.
   */
  run<T>(what: string, id: string, write: boolean, send: (due: number) => Promise<T>): Promise<T> {
    const status = this.#client.status;
    if (this.#closed || status === 'end') {
      const why = this.#closed ? 'RedisStore is closed' : 'the Redis client has ended (quit or disconnect)';
      const cause = this.#closed ? closedError() : new Error('the Redis client has ended', { cause: this.#currentError() });
      return Promise.reject(new StoreUnavailableError(`${why}; ${what} was not sent`, { cause }));
    }
    return new Promise<T>((resolve, reject) => {
      const op = new Pending(performance.now() + this.#timeout, what, id, write, resolve as (value: unknown) => void, reject);
      this.#pending.add(op);
      this.#timer ??= setInterval(this.#sweep, this.#tick).unref();
      if (status === 'ready') return this.#start(op, send);
      op.start = () => this.#start(op, send);
      this.#waiting.add(op);
      if (status === 'wait') this.#client.connect().catch(() => undefined);
    });
  }

  /**
   * Refuses later operations, fails those still waiting to be sent, and removes the store's
   * listeners from a client the caller owns. Operations already sent keep their deadline.
   */
  close(): void {
    this.#closed = true;
    this.#client.off('ready', this.#onReady);
    if (!this.#owned) this.#client.off('error', this.#onError);
    for (const op of this.#waiting) {
      this.#pending.delete(op);
      op.fail(new StoreUnavailableError(`RedisStore was closed before ${op.what} was sent`, { cause: closedError() }));
    }
    this.#waiting.clear();
  }

  /** Hands an operation to ioredis; its reply settles it unless the sweep failed it first. */
  #start(op: Pending, send: (due: number) => Promise<unknown>): void {
    op.sent = true;
    send(op.due).then(
      (value) => this.#pending.delete(op) && op.resolve(value),
      (err: unknown) => this.#pending.delete(op) && op.fail(this.#failed(op, err)),
    );
  }

  readonly #onReady = (): void => {
    this.#clientError = undefined;
    for (const op of this.#waiting) {
      this.#waiting.delete(op);
      op.start!();
    }
  };

  /**
   * Remembers the client's error; for a client the caller owns with no `error` listener of
   * its own, also logs it as ioredis does when nobody listens (ours must not silence it).
   */
  readonly #onError = (err: Error): void => {
    this.#clientError = err;
    if (!this.#owned && this.#client.listenerCount('error') === 1) {
      console.error('[ioredis] Unhandled error event:', err.stack);
    }
  };

  readonly #sweep = (): void => {
    const now = performance.now();
    for (const op of this.#pending) {
      if (op.due > now) break;
      this.#pending.delete(op);
      this.#waiting.delete(op);
      op.fail(this.#timedOut(op));
    }
    if (this.#pending.size === 0) {
      clearInterval(this.#timer);
      this.#timer = undefined;
    }
  };

  /** The client's error, if it has one now: it is not ready, and failed since it last was. */
  #currentError(): Error | undefined {
    return this.#client.status === 'ready' ? undefined : this.#clientError;
  }

  #describe(op: Pending): string {
    return op.id === '' ? op.what : `${op.what} of ${JSON.stringify(op.id)}`;
  }

  #timedOut(op: Pending): StoreUnavailableError {
    const indeterminate = op.write && op.sent;
    const status = this.#client.status;
    const error = this.#currentError();
    const deadline = op.sent
      ? new DeadlineError(`no reply from Redis within ${this.#timeout} ms`, error)
      : new DeadlineError(`Redis was not ready within ${this.#timeout} ms (status ${status})`, error);
    const state = op.sent ? 'did not answer' : `was not ready (status ${status}${error ? `: ${error.message}` : ''})`;
    const outcome = indeterminate ? '; the write was sent and may still be applied: read the session again' : '';
    return new StoreUnavailableError(`Redis ${state} within ${this.#timeout} ms for ${this.#describe(op)}${outcome}`, {
      cause: deadline,
      indeterminate,
    });
  }

  #failed(op: Pending, err: unknown): StoreUnavailableError {
    const message = err instanceof Error ? err.message : String(err);
    // Redis answered with an error (the script did not run), or ioredis refused to queue it.
    const unsent =
      err instanceof UnsentError || (err as Error | undefined)?.name === 'ReplyError' || message.includes('enableOfflineQueue');
    const indeterminate = op.write && !unsent;
    const outcome = indeterminate ? '; the write may have been applied: read the session again' : '';
    return new StoreUnavailableError(`Redis failed ${this.#describe(op)}: ${message}${outcome}`, {
      cause: err,
      indeterminate,
    });
  }
}
