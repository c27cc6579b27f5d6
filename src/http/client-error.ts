/**
 * Answers requests that Node's HTTP parser refuses before any handler runs (a bad chunk size,
 * `Content-Length` with `Transfer-Encoding`, a space or NUL in the path, headers over
 * `maxHeaderSize`, a request slower than `headersTimeout`/`requestTimeout`) with a problem
 * body, instead of Node's bare status line.
 *
 * @module
 */
import type { Duplex } from 'node:stream';
import { PROBLEM_TYPE, problemBody, statusTitle } from './problem.js';

/** What Node passes to a `clientError` listener: an error with Node's or llhttp's `code`. */
export interface ClientError extends Error {
  /** `HPE_…` for a parse error, `ERR_HTTP_REQUEST_TIMEOUT`, `ECONNRESET`, … */
  code?: string;
  /** llhttp's explanation of a parse error, such as `Invalid character in chunk size`. */
  reason?: string;
}

/** A short, printable llhttp reason, or `undefined` (never raw request bytes). */
function reasonOf(error: ClientError): string | undefined {
  const { reason } = error;
  return typeof reason === 'string' && /^[\x20-\x7e]{1,120}$/.test(reason) ? reason : undefined;
}

function answerOf(error: ClientError): { status: number; code: string; detail: string } {
  switch (error.code) {
    case 'HPE_HEADER_OVERFLOW':
      return { status: 431, code: 'headers_too_large', detail: "the request's headers are over the server's limit; send fewer or shorter ones" };
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return { status: 413, code: 'payload_too_large', detail: "the body's chunk extensions are over the server's limit; send the body without them" };
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return { status: 408, code: 'request_timeout', detail: 'the request did not arrive within the time the server allows' };
    default: {
      const reason = reasonOf(error);
      return { status: 400, code: 'malformed_request', detail: `the request is not valid HTTP/1.1${reason === undefined ? '' : `: ${reason}`}` };
    }
  }
}

/**
 * A `clientError` listener for a `node:http` server: answers a request that Node's parser
 * refused (or that timed out under `headersTimeout`/`requestTimeout`) with a problem body —
 * 400 `malformed_request`, 431 `headers_too_large`, 413 `payload_too_large` (chunk
 * extensions) or 408 `request_timeout` — and closes the connection. When an answer has
 * already begun on the connection, or the client is gone, it only closes it. `npm start`
 * installs it; install it on your own server the same way.
 *
 * @param error - the error Node reports
 * @param socket - the client's connection
 * @example
 * ```ts
 * import { createServer } from 'node:http';
 * import { answerClientError, createSessionsHandler } from 'agent-sessions/http';
 *
 * const server = createServer(createSessionsHandler(manager));
 * server.on('clientError', answerClientError);
 * ```
 */
export function answerClientError(error: ClientError, socket: Duplex): void {
  // Node keeps the response in progress on the socket; once its head is sent, writing a
  // second answer would corrupt the stream (Node's own default checks the same).
  const inFlight = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  if (!socket.writable || error.code === 'ECONNRESET' || inFlight?.headersSent === true) {
    socket.destroy();
    return;
  }
  const { status, code, detail } = answerOf(error);
  const body = problemBody(status, code, detail);
  const head =
    `HTTP/1.1 ${status} ${statusTitle(status)}\r\ncontent-type: ${PROBLEM_TYPE}\r\n` +
    `content-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n`;
  socket.end(head + body, () => socket.destroy());
}
