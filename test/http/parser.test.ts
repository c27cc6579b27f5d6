/**
 * What reaches a real node:http server over raw TCP before any handler can see it: requests
 * Node's parser refuses (answered by `answerClientError` as problems), a trickle of headers
 * past `headersTimeout`, and absolute-form request targets (RFC 9112 §3.2.2).
 */
import { createServer, type ServerOptions } from 'node:http';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SessionManager } from '../../src/index.js';
import { answerClientError, createSessionsHandler } from '../../src/http/index.js';
import { expectNoInternals, listen, type RunningHost } from './cases.js';
import { checkProblem, rawRequest, type RawAnswer } from './client.js';

/** The answer is a problem with this status and code, and the connection was closed. */
function expectRefused(answer: RawAnswer, status: number, code: string): void {
  expect(answer.status, answer.text).toBe(status);
  expect(answer.headers['content-type']).toBe('application/problem+json');
  const body = JSON.parse(answer.text);
  checkProblem(body, `${status} ${code}`);
  expect(body).toMatchObject({ type: 'about:blank', status, code });
  expectNoInternals(answer.text);
  expect(answer.closed).toBe(true);
}

async function serve(options: ServerOptions = {}): Promise<RunningHost> {
  const server = createServer(options, createSessionsHandler(new SessionManager(), { bodyTimeout: 2_000 }));
  server.on('clientError', answerClientError);
  return listen(server);
}

const CHUNKED = 'PUT /sessions/a HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n';

describe('requests Node’s parser refuses, with answerClientError', () => {
  let host: RunningHost;
  beforeAll(async () => {
    host = await serve();
  });
  afterAll(() => host.close());

  it('are answered as problems and the connection is closed', async () => {
    const cases: Array<[string, string | Buffer, number, string]> = [
      ['a bad chunk size', `${CHUNKED}zz\r\n{"data":1}\r\n0\r\n\r\n`, 400, 'malformed_request'],
      ['Content-Length with Transfer-Encoding', 'PUT /sessions/a HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n', 400, 'malformed_request'],
      ['a raw space in the path', 'GET /sessions/a b HTTP/1.1\r\nHost: x\r\n\r\n', 400, 'malformed_request'],
      ['a NUL in the path', 'GET /sessions/a\0b HTTP/1.1\r\nHost: x\r\n\r\n', 400, 'malformed_request'],
      ['a bad header line', 'GET /sessions HTTP/1.1\r\nHost: x\r\nBad Header: 1\r\n\r\n', 400, 'malformed_request'],
      ['not HTTP at all', '\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n', 400, 'malformed_request'],
      ['headers over maxHeaderSize', `GET /sessions HTTP/1.1\r\nHost: x\r\nX-Big: ${'y'.repeat(20_000)}\r\n\r\n`, 431, 'headers_too_large'],
    ];
    for (const [what, request, status, code] of cases) {
      const answer = await rawRequest(host.url, [request]);
      expect.soft(answer.status, what).toBe(status);
      expectRefused(answer, status, code);
    }
  });

  it('a bad chunk after the handler began reading the body is a problem too, and the server goes on', async () => {
    const answer = await rawRequest(host.url, [`${CHUNKED}8\r\n{"data":`, '\r\nzz\r\n1}\r\n0\r\n\r\n'], 50);
    expectRefused(answer, 400, 'malformed_request');
    const after = await rawRequest(host.url, ['GET /sessions HTTP/1.1\r\nHost: x\r\n\r\n']);
    expect(after.status).toBe(200);
  });

  it('when an answer has already begun on the connection, only closes it', async () => {
    const server = createServer((req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('started');
      req.resume();
    });
    server.on('clientError', answerClientError);
    const early = await listen(server);
    try {
      const answer = await rawRequest(early.url, [`${CHUNKED}8\r\n{"data":`, '\r\nzz\r\n'], 50);
      expect(answer.status).toBe(200);
      expect(answer.closed).toBe(true);
      expect(answer.text).not.toContain('problem');
      expect(answer.text).not.toContain('HTTP/1.1 400');
    } finally {
      await early.close();
    }
  });

  it('headers trickling in past headersTimeout are 408', async () => {
    const slow = await serve({ headersTimeout: 300, requestTimeout: 600, connectionsCheckingInterval: 50 });
    try {
      const trickle = ['GET /sessions HTTP/1.1\r\n', ...Array.from({ length: 100 }, (_, i) => `X-${i}: y\r\n`)];
      const answer = await rawRequest(slow.url, trickle, 50);
      expectRefused(answer, 408, 'request_timeout');
    } finally {
      await slow.close();
    }
  });
});

describe('an absolute-form request target (RFC 9112 §3.2.2)', () => {
  it('is served on node:http as its origin form', async () => {
    const host = await serve();
    try {
      const at = host.url.replace('http://', 'http://user@');
      const put = await rawRequest(host.url, [
        `PUT ${at}/sessions/abs-1 HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 10\r\n\r\n{"data":1}`,
      ]);
      expect(put.status, put.text).toBe(200);
      expect(put.headers['content-location']).toBe('/sessions/abs-1');
      const got = await rawRequest(host.url, [`GET ${host.url}/sessions/abs-1 HTTP/1.1\r\nHost: x\r\n\r\n`]);
      expect(JSON.parse(got.text).session).toMatchObject({ id: 'abs-1', data: 1 });
      const list = await rawRequest(host.url, [`GET HTTP://elsewhere.example/sessions?prefix=abs- HTTP/1.1\r\nHost: x\r\n\r\n`]);
      expect(JSON.parse(list.text).sessions).toHaveLength(1);
      const root = await rawRequest(host.url, [`GET http://x?prefix=abs- HTTP/1.1\r\nHost: x\r\n\r\n`]);
      expect(root.status).toBe(404);
      expect(JSON.parse(root.text).code).toBe('not_found');
    } finally {
      await host.close();
    }
  });

  it("is served in Express, mounted at the handler's path", async () => {
    const app = express();
    app.use('/sessions', createSessionsHandler(new SessionManager()));
    const host = await listen(createServer(app));
    try {
      const put = await rawRequest(host.url, [
        `PUT http://x/sessions/abs-2 HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 10\r\n\r\n{"data":2}`,
      ]);
      expect(put.status, put.text).toBe(200);
      expect(put.headers['content-location']).toBe('/sessions/abs-2');
      const got = await rawRequest(host.url, [`GET http://x/sessions/abs-2 HTTP/1.1\r\nHost: x\r\n\r\n`]);
      expect(JSON.parse(got.text).session.data).toBe(2);
    } finally {
      await host.close();
    }
  });
});
