/**
 * Problem bodies (RFC 9457): the one place that turns an error into the status, headers and
 * `application/problem+json` text a client gets, for the core and for the Node edge alike.
 *
 * @module
 */
import { LeaseHeldError, PayloadTooLargeError, SessionError, ValidationError, VersionConflictError } from '../errors.js';

/** The media type of every error answer. */
export const PROBLEM_TYPE = 'application/problem+json';

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  408: 'Request Timeout',
  409: 'Conflict',
  412: 'Precondition Failed',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  431: 'Request Header Fields Too Large',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

/**
 * The headers of a problem answer: its media type, `Retry-After: 1` on a 503, and on a 409
 * `lease_held` the whole seconds until the holder's lease ends (at least 1).
 */
export function problemHeaders(err: unknown, status: number): Record<string, string> {
  const headers: Record<string, string> = { 'content-type': PROBLEM_TYPE };
  if (status === 503) headers['retry-after'] = '1';
  else if (err instanceof LeaseHeldError) {
    headers['retry-after'] = String(Math.max(1, Math.ceil((Date.parse(err.expiresAt) - Date.now()) / 1000)));
  }
  return headers;
}

/** An error of the HTTP layer itself (not of the manager). */
export class HttpError extends SessionError {}

/** The status phrase of `status`, used as a problem's `title` and on a raw status line. */
export function statusTitle(status: number): string {
  return TITLES[status] ?? 'Error';
}

/** The problem body text for a status, a stable code, a detail and any extra members. */
export function problemBody(status: number, code: string, detail: string, extra?: Record<string, unknown>): string {
  return JSON.stringify({ type: 'about:blank', title: statusTitle(status), status, detail, code, ...extra });
}

/** What a client is told about an error. */
export interface Problem {
  /** The HTTP status. */
  status: number;
  /** The problem body text. */
  body: string;
  /** `true` for a 5xx: the error should go to `onError`. */
  report: boolean;
}

/**
 * The answer to an error. A {@link SessionError} with a 4xx status speaks for itself (with the
 * members its class carries); an unavailable store is a generic 503; anything else is a
 * generic 500, so no internals ever reach a client.
 */
export function problemOf(err: unknown): Problem {
  if (err instanceof SessionError && err.status >= 400 && err.status < 500) {
    return { status: err.status, body: problemBody(err.status, err.code, err.message, extraOf(err)), report: false };
  }
  if (
    (err instanceof SessionError && err.status === 503) ||
    (err instanceof Error && (err as { code?: unknown }).code === 'store_unavailable')
  ) {
    return { status: 503, body: problemBody(503, 'store_unavailable', 'the session store did not answer; try again shortly'), report: true };
  }
  return { status: 500, body: problemBody(500, 'internal', 'the server could not answer this request'), report: true };
}

function extraOf(err: SessionError): Record<string, unknown> | undefined {
  if (err instanceof VersionConflictError) return { currentVersion: err.currentVersion };
  if (err instanceof PayloadTooLargeError) return { limit: err.limit };
  if (err instanceof LeaseHeldError) return { expiresAt: err.expiresAt };
  if (err instanceof ValidationError) return { issues: issues(err) };
  return undefined;
}

function issues(err: ValidationError): Array<{ message: string; path?: Array<string | number> }> {
  return err.issues.slice(0, 20).map((i) => {
    const path = i.path?.map((p) => (typeof p === 'number' ? p : String(p)));
    return path === undefined ? { message: i.message } : { message: i.message, path };
  });
}

/** Thrown by body readers: 413 when the body exceeds `limit`. */
export function bodyTooLarge(limit: number): SessionError {
  return new PayloadTooLargeError(`request body is over maxBodyBytes ${limit}; send less`, limit);
}

/** Thrown by body readers: 408 when the body takes longer than `timeout` ms. */
export function bodyTimedOut(timeout: number): SessionError {
  return new HttpError('request_timeout', 408, `request body did not arrive within ${timeout} ms`);
}

/** Thrown by body readers when the client went away mid-body (no one will see the answer). */
export function bodyAborted(): SessionError {
  return new HttpError('request_aborted', 400, 'the client closed the request before its body ended');
}
