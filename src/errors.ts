/**
 * Typed errors. Every error the library throws on purpose is a {@link SessionError} with a
 * stable `code` and the HTTP `status` it maps to.
 *
 * @module
 */

/** Options shared by every {@link SessionError}. */
export interface SessionErrorOptions {
  /** The underlying error, if any. */
  cause?: unknown;
}

/**
 * The base class of every error of this library.
 *
 * @example
 * ```ts
 * try { await sessions.put(id, data) }
 * catch (err) { if (err instanceof SessionError) console.log(err.code, err.status) }
 * ```
 */
export class SessionError extends Error {
  /** A stable, machine-readable code, such as `invalid_identifier`. */
  readonly code: string;
  /** The HTTP status this error maps to. */
  readonly status: number;

  /**
   * @param code - the stable code
   * @param status - the HTTP status
   * @param message - what was wrong and what to change
   * @param options - the cause, if any
   */
  constructor(code: string, status: number, message: string, options?: SessionErrorOptions) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.status = status;
  }
}

/** The identifier is not 1–256 characters of `A–Z a–z 0–9 . _ ~ : @ -`, or is dots alone. HTTP 400. */
export class InvalidIdentifierError extends SessionError {
  /** @param message - what was wrong */
  constructor(message: string) {
    super('invalid_identifier', 400, message);
  }
}

/** One problem found in a value, in the shape of Standard Schema issues. */
export interface ValidationIssue {
  /** What is wrong. */
  message: string;
  /** Where, as keys from the root of `data`; absent for the root. */
  path?: ReadonlyArray<PropertyKey>;
}

/** `data` is not a JSON value, or the schema refused it. HTTP 422. */
export class ValidationError extends SessionError {
  /** Each problem found, with its path inside `data`. */
  readonly issues: readonly ValidationIssue[];

  /**
   * @param message - what was wrong
   * @param issues - each problem, with its path
   */
  constructor(message: string, issues: readonly ValidationIssue[] = [{ message }]) {
    super('validation_failed', 422, message);
    this.issues = issues;
  }
}

/**
 * A call's argument is out of range or malformed: a negative `ttl`, a `limit` of 0, a
 * `cursor` that `list` did not produce. HTTP 400. (Mistakes in constructor options are
 * `TypeError`s instead, thrown when the object is built.)
 */
export class InvalidArgumentError extends SessionError {
  /** @param message - what was wrong and what to change */
  constructor(message: string) {
    super('invalid_argument', 400, message);
  }
}

/** The serialized session, or a request body, is larger than allowed. HTTP 413. */
export class PayloadTooLargeError extends SessionError {
  /** The limit, in bytes. */
  readonly limit: number;

  /**
   * @param message - what was too large
   * @param limit - the limit in bytes
   */
  constructor(message: string, limit: number) {
    super('payload_too_large', 413, message);
    this.limit = limit;
  }
}

/** A condition (`ifVersion`, `If-Match`, `If-None-Match: *`) did not hold. HTTP 412. */
export class VersionConflictError extends SessionError {
  /** The live version, or `0` when the session does not exist. */
  readonly currentVersion: number;

  /**
   * @param message - which condition failed
   * @param currentVersion - the live version (0 for none)
   */
  constructor(message: string, currentVersion: number) {
    super('version_conflict', 412, message);
    this.currentVersion = currentVersion;
  }
}

/** Options of {@link StoreUnavailableError}. */
export interface StoreUnavailableErrorOptions extends SessionErrorOptions {
  /**
   * `true` when a write may have been applied although it was not acknowledged (it timed out
   * after it was sent): read the session again before assuming either outcome.
   * @defaultValue false
   */
  indeterminate?: boolean;
}

/** The backend did not answer in time or refused the connection. HTTP 503. */
export class StoreUnavailableError extends SessionError {
  /** `true` when a write's outcome is unknown: it may still be applied. */
  readonly indeterminate: boolean;

  /**
   * @param message - what failed
   * @param options - the cause and whether the outcome is unknown
   */
  constructor(message: string, options?: StoreUnavailableErrorOptions) {
    super('store_unavailable', 503, message, options);
    this.indeterminate = options?.indeterminate ?? false;
  }
}

/**
 * A lease could not be acquired: another holder's lease is live (also when the caller holds it
 * itself: leases are not re-entrant), and `wait` ran out. HTTP 409.
 */
export class LeaseHeldError extends SessionError {
  /** When the holder's lease ends unless renewed (ISO 8601). */
  readonly expiresAt: string;

  /**
   * @param message - which lease was held
   * @param expiresAt - when the holder's lease ends, ISO 8601
   */
  constructor(message: string, expiresAt: string) {
    super('lease_held', 409, message);
    this.expiresAt = expiresAt;
  }
}

/**
 * A write or renewal carried a fence that is not the live lease's: the lease expired, was
 * released, or a newer one was issued. Nothing changed. HTTP 409.
 */
export class FencedError extends SessionError {
  /** @param message - which fence was refused */
  constructor(message: string) {
    super('fenced', 409, message);
  }
}
