/**
 * The case table every HTTP host runs: the four operations, paging, conditions and every
 * error, each answer checked against docs/openapi.json by the client.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkAgainstOpenApi, coverageOf, documentedAnswers, json, rawExchange, send, type Reply } from './client.js';
import { BODY_TIMEOUT, DENIED, FAIL_500, FAIL_503, MAX_BODY, reported, uid } from './fixture.js';
import { describeItemRoutes } from './item-cases.js';
import { describeLeaseRoutes } from './lease-cases.js';

export interface RunningHost {
  /** `http://127.0.0.1:port` */
  url: string;
  close(): Promise<void>;
}

/** A node:http server on a free loopback port. */
export async function listen(server: Server): Promise<RunningHost> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export interface HostTraits {
  /**
   * The host parses JSON bodies itself (express.json(), Fastify's parser): its own errors
   * answer bad JSON, and its own (absent) deadline applies to slow bodies.
   */
  parsesBody?: boolean;
  /** Requests outside basePath reach the host's own 404 (via next()) rather than ours. */
  hostOutside?: boolean;
  /** The host's router answers malformed percent-encodings in the path itself (Fastify). */
  hostBadUrl?: boolean;
  /**
   * A fetch edge: the URL parser resolves `.`/`..` segments (`%2e%2e` too) before the handler
   * sees the path, and closing the connection is the host's business.
   */
  fetchEdge?: boolean;
}

/** No stack frames, file paths or secrets of the fixture's failures. */
export function expectNoInternals(text: string): void {
  expect(text).not.toMatch(/\bat [\w.<>]+ \(|node:internal|\/srv\/|\/work\/|\.ts:\d|\.js:\d|hunter2|10\.1\.2\.3|ECONNREFUSED/);
}

export function expectProblem(reply: Reply, status: number, code: string): void {
  expect(reply.status, reply.text).toBe(status);
  expect(reply.headers['content-type']).toBe('application/problem+json');
  expect(reply.body).toMatchObject({ type: 'about:blank', status, code });
  expect(reply.body.title).toBeTypeOf('string');
  expect(reply.body.detail).toBeTypeOf('string');
  expectNoInternals(reply.text);
}

/**
 * Where the host may answer itself (its parser or router refuses first), accepts its answer
 * by status alone; an answer of ours is checked in full.
 */
export function expectProblemOrHost(
  base: string,
  method: string,
  path: string,
  reply: Reply,
  status: number,
  code: string,
  host: boolean,
): void {
  if (host && reply.headers['content-type'] !== 'application/problem+json') {
    expect(reply.status, reply.text).toBe(status);
    return;
  }
  if (host) checkAgainstOpenApi(method, path, reply, base);
  expectProblem(reply, status, code);
}

export function describeHttpHost(name: string, start: () => Promise<RunningHost>, traits: HostTraits = {}): void {
  describe(`HTTP on ${name}`, () => {
    let host: RunningHost;
    let b = '';
    beforeAll(async () => {
      host = await start();
      b = host.url;
      coverageOf(b, true);
    });
    afterAll(async () => {
      await host?.close();
    });

    const put = (id: string, body: unknown, headers: Record<string, string> = {}) =>
      send(b, 'PUT', `/sessions/${id}`, json(body, headers));

    it('PUT creates a session: 200 { session }, version 1, ETag and Content-Location', async () => {
      const id = uid('create');
      const r = await put(id, { data: { messages: ['hi'] } });
      expect(r.status).toBe(200);
      expect(r.headers['content-type']).toBe('application/json');
      expect(r.headers.etag).toBe('"1"');
      expect(r.headers['content-location']).toBe(`/sessions/${id}`);
      expect(r.body.session).toMatchObject({ id, version: 1, data: { messages: ['hi'] }, expiresAt: null });
      expect(r.body.session.createdAt).toBe(r.body.session.updatedAt);
    });

    it('sends no CORS headers, even to a cross-origin request or a preflight', async () => {
      const id = uid('cors');
      const origin = { origin: 'https://elsewhere.example' };
      const replies = [
        await put(id, { data: 1 }, origin),
        await send(b, 'GET', `/sessions/${id}`, { headers: origin }),
        await send(b, 'GET', '/sessions', { headers: origin }),
        await send(b, 'OPTIONS', `/sessions/${id}`, { headers: { ...origin, 'access-control-request-method': 'PUT' } }),
        await send(b, 'DELETE', `/sessions/${id}`, { headers: origin }),
      ];
      for (const r of replies) {
        expect(Object.keys(r.headers).filter((h) => h.startsWith('access-control-'))).toEqual([]);
      }
    });

    it('GET returns the session with its ETag; HEAD the same headers without a body', async () => {
      const id = uid('get');
      await put(id, { data: [1, 'two', null] });
      const r = await send(b, 'GET', `/sessions/${id}`);
      expect(r.status).toBe(200);
      expect(r.headers.etag).toBe('"1"');
      expect(r.headers['cache-control']).toBe('private, no-cache');
      expect(r.body.session).toMatchObject({ id, version: 1, data: [1, 'two', null] });
      const h = await send(b, 'HEAD', `/sessions/${id}`);
      expect(h.status).toBe(200);
      expect(h.headers.etag).toBe('"1"');
      expect(h.text).toBe('');
    });

    it('GET with If-None-Match of the current ETag is 304 (weak or in a list too); an older one gets 200', async () => {
      const id = uid('inm');
      await put(id, { data: 1 });
      await put(id, { data: 2 });
      for (const tag of ['"2"', 'W/"2"', '"1", "2"', '*']) {
        const r = await send(b, 'GET', `/sessions/${id}`, { headers: { 'if-none-match': tag } });
        expect(r.status, tag).toBe(304);
        expect(r.headers.etag).toBe('"2"');
        expect(r.text).toBe('');
      }
      const old = await send(b, 'GET', `/sessions/${id}`, { headers: { 'if-none-match': '"1"' } });
      expect(old.status).toBe(200);
      expect(old.body.session.data).toBe(2);
    });

    it('PUT replaces: version 2, createdAt kept; ttl sets expiresAt', async () => {
      const id = uid('replace');
      const first = await put(id, { data: 'a' });
      const second = await put(id, { data: 'b', ttl: 60_000 });
      expect(second.status).toBe(200);
      expect(second.headers.etag).toBe('"2"');
      expect(second.body.session.createdAt).toBe(first.body.session.createdAt);
      expect(second.body.session.data).toBe('b');
      const expires = Date.parse(second.body.session.expiresAt);
      expect(expires).toBeGreaterThan(Date.now() + 30_000);
      expect(expires).toBeLessThanOrEqual(Date.now() + 60_000);
    });

    it('PUT with If-Match "n" writes over version n only; otherwise 412 with currentVersion', async () => {
      const id = uid('ifmatch');
      await put(id, { data: 1 });
      const okay = await put(id, { data: 2 }, { 'if-match': '"1"' });
      expect(okay.status).toBe(200);
      expect(okay.body.session.version).toBe(2);
      const stale = await put(id, { data: 3 }, { 'if-match': '"1"' });
      expectProblem(stale, 412, 'version_conflict');
      expect(stale.body.currentVersion).toBe(2);
      const weak = await put(id, { data: 3 }, { 'if-match': 'W/"2"' });
      expectProblem(weak, 412, 'version_conflict');
      const list = await put(id, { data: 3 }, { 'if-match': '"7", "2"' });
      expect(list.status).toBe(200);
      expect(list.body.session.version).toBe(3);
      const missing = await put(uid('absent'), { data: 1 }, { 'if-match': '"1"' });
      expectProblem(missing, 412, 'version_conflict');
      expect(missing.body.currentVersion).toBe(0);
      expect((await send(b, 'GET', `/sessions/${id}`)).body.session.data).toBe(3);
    });

    it('PUT with If-None-Match: * creates only; If-Match: * replaces only', async () => {
      const id = uid('create-only');
      const created = await put(id, { data: 1 }, { 'if-none-match': '*' });
      expect(created.status).toBe(200);
      const again = await put(id, { data: 2 }, { 'if-none-match': '*' });
      expectProblem(again, 412, 'version_conflict');
      expect(again.body.currentVersion).toBe(1);
      const replaced = await put(id, { data: 2 }, { 'if-match': '*' });
      expect(replaced.status).toBe(200);
      expect(replaced.body.session.version).toBe(2);
      expectProblem(await put(uid('absent'), { data: 1 }, { 'if-match': '*' }), 412, 'version_conflict');
      expectProblem(await put(id, { data: 3 }, { 'if-none-match': '"2"' }), 412, 'version_conflict');
      expect((await put(id, { data: 3 }, { 'if-none-match': '"1"' })).status).toBe(200);
    });

    it('DELETE removes and returns the session, then 404; If-Match is honoured', async () => {
      const id = uid('delete');
      await put(id, { data: { n: 1 } });
      await put(id, { data: { n: 2 } });
      const wrong = await send(b, 'DELETE', `/sessions/${id}`, { headers: { 'if-match': '"1"' } });
      expectProblem(wrong, 412, 'version_conflict');
      expect(wrong.body.currentVersion).toBe(2);
      const inm = await send(b, 'DELETE', `/sessions/${id}`, { headers: { 'if-none-match': '*' } });
      expectProblem(inm, 412, 'version_conflict');
      const gone = await send(b, 'DELETE', `/sessions/${id}`, { headers: { 'if-match': '"2"' } });
      expect(gone.status).toBe(200);
      expect(gone.body.session).toMatchObject({ id, version: 2, data: { n: 2 } });
      expectProblem(await send(b, 'GET', `/sessions/${id}`), 404, 'not_found');
      expectProblem(await send(b, 'DELETE', `/sessions/${id}`), 404, 'not_found');
      expectProblem(
        await send(b, 'DELETE', `/sessions/${id}`, { headers: { 'if-match': '"2"' } }),
        412,
        'version_conflict',
      );
      const plain = uid('delete');
      await put(plain, { data: null });
      const removed = await send(b, 'DELETE', `/sessions/${plain}`);
      expect(removed.status).toBe(200);
      expect(removed.body.session.data).toBe(null);
    });

    it('GET of a session that does not exist is 404', async () => {
      expectProblem(await send(b, 'GET', `/sessions/${uid('nobody')}`), 404, 'not_found');
    });

    it('list pages in id order with limit and cursor; prefix filters; fields=meta leaves data out', async () => {
      const prefix = uid('list');
      const ids = ['e', 'a', 'c', 'b', 'd'].map((s) => `${prefix}:${s}`);
      for (const id of ids) await put(id, { data: { id } });
      await put(`${prefix}x`, { data: 0 });
      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const q: string = `?prefix=${encodeURIComponent(`${prefix}:`)}&limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
        const r = await send(b, 'GET', `/sessions${q}`);
        expect(r.status).toBe(200);
        expect(r.headers['content-type']).toBe('application/json');
        for (const s of r.body.sessions) {
          expect(s.data).toEqual({ id: s.id });
          seen.push(s.id);
        }
        cursor = r.body.nextCursor;
        pages += 1;
      } while (cursor !== null);
      expect(seen).toEqual([...ids].sort());
      expect(pages).toBe(3);
      const meta = await send(b, 'GET', `/sessions?prefix=${prefix}&fields=meta`);
      expect(meta.body.sessions).toHaveLength(6);
      for (const s of meta.body.sessions) expect(s).not.toHaveProperty('data');
      const all = await send(b, 'GET', '/sessions/');
      expect(all.status).toBe(200);
      expect(Array.isArray(all.body.sessions)).toBe(true);
      const head = await send(b, 'HEAD', `/sessions?prefix=${prefix}`);
      expect(head.status).toBe(200);
      expect(head.text).toBe('');
    });

    it('list refuses a bad limit, cursor, prefix or fields with 400', async () => {
      for (const q of ['limit=0', 'limit=1001', 'limit=abc', 'limit=-1', 'limit=1.5', 'cursor=nope', 'prefix=a%20b', 'fields=data']) {
        expectProblem(await send(b, 'GET', `/sessions?${q}`), 400, 'invalid_argument');
      }
    });

    it('list refuses a repeated limit, cursor, prefix, fields, after, before or order with 400', async () => {
      for (const name of ['limit', 'cursor', 'prefix', 'fields', 'after', 'before', 'order']) {
        for (const q of [`${name}=1&${name}=1`, `${name}=&${name}=2`, `a=1&${name}=x&b=2&${name}=y`]) {
          const r = await send(b, 'GET', `/sessions?${q}`);
          expectProblem(r, 400, 'invalid_argument');
          expect(r.body.detail).toContain(name);
        }
      }
      expect((await send(b, 'HEAD', '/sessions?prefix=a&prefix=b')).status).toBe(400);
      expect((await send(b, 'GET', '/sessions?other=1&other=2&limit=1')).status).toBe(200);
    });

    it('other methods answer 405 with Allow', async () => {
      for (const method of ['POST', 'PATCH', 'DELETE', 'PUT', 'OPTIONS']) {
        const r = await send(b, method, '/sessions');
        expectProblem(r, 405, 'method_not_allowed');
        expect(r.headers.allow).toBe('GET, HEAD');
      }
      for (const method of ['POST', 'PATCH', 'OPTIONS']) {
        const r = await send(b, method, `/sessions/${uid()}`, json({ data: 1 }));
        expectProblem(r, 405, 'method_not_allowed');
        expect(r.headers.allow).toBe('GET, HEAD, PUT, DELETE');
      }
    });

    it('PUT without a JSON Content-Type is 415', async () => {
      const body = JSON.stringify({ data: 1 });
      const host = Boolean(traits.parsesBody);
      for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'application/json; charset=latin1', undefined]) {
        // A host parser may refuse some of these itself.
        const path = `/sessions/${uid()}`;
        const headers: Record<string, string> = type === undefined ? {} : { 'content-type': type };
        const r = await send(b, 'PUT', path, { headers, body, hostAnswer: host });
        expectProblemOrHost(b, 'PUT', path, r, 415, 'unsupported_media_type', host);
      }
      if (!host) {
        // Host parsers (Fastify's) may know only application/json.
        const ok = await send(b, 'PUT', `/sessions/${uid()}`, {
          headers: { 'content-type': 'application/merge-patch+json; charset=utf-8' },
          body,
        });
        expect(ok.status).toBe(200);
      }
    });

    it('PUT with bad JSON is 400', async () => {
      for (const body of ['{"data":', '{data: 1}', "{'data': 1}", '{"data": 1}}']) {
        const r = await send(b, 'PUT', `/sessions/${uid()}`, {
          headers: { 'content-type': 'application/json' },
          body,
          hostAnswer: traits.parsesBody,
        });
        if (traits.parsesBody) expect(r.status).toBe(400);
        else expectProblem(r, 400, 'invalid_json');
      }
    });

    it('PUT with no body, a body that is not an object, or no "data" is 400', async () => {
      const emptyPath = `/sessions/${uid()}`;
      const empty = await send(b, 'PUT', emptyPath, {
        headers: { 'content-type': 'application/json' },
        body: '',
        hostAnswer: traits.parsesBody,
      });
      // express.json() turns an empty body into {} (no "data"); others leave it empty.
      const emptyCode = empty.body?.code === 'invalid_argument' && traits.parsesBody ? 'invalid_argument' : 'invalid_json';
      expectProblemOrHost(b, 'PUT', emptyPath, empty, 400, emptyCode, Boolean(traits.parsesBody));
      for (const body of [[1], { dat: 1 }, { ttl: 5 }]) {
        expectProblem(await put(uid(), body), 400, 'invalid_argument');
      }
      for (const body of ['data', 42, null]) {
        // express.json() (strict) refuses JSON that is not an object or array itself.
        const path = `/sessions/${uid()}`;
        const r = await send(b, 'PUT', path, { ...json(body), hostAnswer: traits.parsesBody });
        expectProblemOrHost(b, 'PUT', path, r, 400, 'invalid_argument', Boolean(traits.parsesBody));
      }
    });

    it('PUT with an "id" in the body must match the path', async () => {
      const id = uid('same');
      expect((await put(id, { id, data: 1 })).status).toBe(200);
      expectProblem(await put(uid(), { id: 'other', data: 1 }), 400, 'invalid_argument');
      expectProblem(await put(uid(), { id: 7, data: 1 }), 400, 'invalid_argument');
    });

    it('PUT with a bad ttl or malformed condition headers is 400', async () => {
      for (const ttl of [-1, 0, 'soon', null, Number.MAX_VALUE * 0 - 5]) {
        expectProblem(await put(uid(), { data: 1, ttl }), 400, 'invalid_argument');
      }
      for (const [name, value] of [['if-match', '3'], ['if-match', '"3'], ['if-none-match', 'W/'], ['if-match', '"1" junk']] as const) {
        expectProblem(await put(uid(), { data: 1 }, { [name]: value }), 400, 'invalid_argument');
      }
    });

    it('identifiers are decoded once; bad encodings, %00, an encoded / and dots alone are 400', async () => {
      const encoded = await put('user%2D42%3Athread-7', { data: 1 });
      expect(encoded.status).toBe(200);
      expect(encoded.body.session.id).toBe('user-42:thread-7');
      expect(encoded.headers['content-location']).toBe('/sessions/user-42:thread-7');
      expect((await send(b, 'GET', '/sessions/user-42:thread-7')).body.session.id).toBe('user-42:thread-7');
      // Decoded once: %252F is the three characters %2F, which are not allowed in an id.
      const dotSegments = ['%2e%2e', '%2E'];
      for (const raw of dotSegments) {
        // WHATWG URL parsing resolves these as dot segments before a fetch handler sees them.
        const r = await send(b, 'PUT', `/sessions/${raw}`, { ...json({ data: 1 }), hostAnswer: traits.fetchEdge });
        if (traits.fetchEdge) expect([404, 405]).toContain(r.status);
        else expectProblem(r, 400, 'invalid_identifier');
      }
      for (const raw of ['%ZZ', 'a%2Fb', '%00', 'a%00b', '...', 'a%20b', '%C3%A9', '%E0%A4%A', 'x'.repeat(257), '%252F']) {
        for (const method of ['GET', 'PUT', 'DELETE']) {
          const path = `/sessions/${raw}`;
          const host = Boolean(traits.hostBadUrl);
          const r = await send(b, method, path, { ...(method === 'PUT' ? json({ data: 1 }) : {}), hostAnswer: host });
          expectProblemOrHost(b, method, path, r, 400, 'invalid_identifier', host);
        }
      }
    });

    it('a path under basePath that is no route is 404', async () => {
      for (const path of ['/sessions/a/b', '/sessions/a/', '/sessions//a', '/sessions/a/items/b']) {
        expectProblem(await send(b, 'GET', path), 404, 'not_found');
      }
    });

    it(`a request outside basePath ${traits.hostOutside ? "goes to the host's next()" : 'is 404'}`, async () => {
      for (const path of ['/', '/session', '/sessionsX', '/other/sessions']) {
        const r = await send(b, 'GET', path, { hostAnswer: traits.hostOutside });
        expect(r.status).toBe(404);
        if (traits.hostOutside) expect(r.headers['content-type'] ?? '').not.toBe('application/problem+json');
        else expectProblem(r, 404, 'not_found');
      }
    });

    it('data nested deeper than 512 levels is 422 with issues', async () => {
      const deep = '{"data":' + '['.repeat(600) + ']'.repeat(600) + '}';
      const r = await send(b, 'PUT', `/sessions/${uid()}`, { headers: { 'content-type': 'application/json' }, body: deep });
      expectProblem(r, 422, 'validation_failed');
      expect(r.body.issues[0].message).toMatch(/deeper/);
    });

    it('authorize refusing is 403 for every operation', async () => {
      const id = `${DENIED}-${uid()}`;
      expectProblem(await send(b, 'GET', `/sessions/${id}`), 403, 'forbidden');
      expectProblem(await put(id, { data: 1 }), 403, 'forbidden');
      expectProblem(await send(b, 'DELETE', `/sessions/${id}`), 403, 'forbidden');
      expectProblem(await send(b, 'GET', '/sessions', { headers: { 'x-deny': '1' } }), 403, 'forbidden');
    });

    if (!traits.parsesBody) {
      it('authorize runs before the body is read: 403 while the body is still unsent', async () => {
        const id = `${DENIED}-${uid()}`;
        const head = `PUT /sessions/${id} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n`;
        const r = await rawExchange(b, head, ['{"data":'], 10);
        expect(r.status).toBe(403);
        expect(r.sent).toBeLessThan(100);
      });
    }

    it('a failing store is 500 with a generic body; an unavailable one 503 with Retry-After', async () => {
      const before = reported.length;
      const cases: Array<[string, string, unknown?]> = [
        ['GET', `/sessions/${FAIL_500}-${uid()}`],
        ['PUT', `/sessions/${FAIL_500}-${uid()}`, { data: 1 }],
        ['DELETE', `/sessions/${FAIL_500}-${uid()}`],
        ['GET', `/sessions?prefix=${FAIL_500}`],
      ];
      for (const [method, path, body] of cases) {
        const r = await send(b, method, path, body === undefined ? {} : json(body));
        expectProblem(r, 500, 'internal');
        expect(r.body.detail).toBe('the server could not answer this request');
      }
      for (const [method, path, body] of cases) {
        const r = await send(b, method, path.replace(FAIL_500, FAIL_503), body === undefined ? {} : json(body));
        expectProblem(r, 503, 'store_unavailable');
        expect(r.headers['retry-after']).toBe('1');
      }
      // HEAD answers carry no body but the same statuses.
      expect((await send(b, 'HEAD', `/sessions/${FAIL_500}-x`)).status).toBe(500);
      expect((await send(b, 'HEAD', `/sessions/${FAIL_503}-x`)).status).toBe(503);
      expect((await send(b, 'HEAD', `/sessions?prefix=${FAIL_500}`)).status).toBe(500);
      expect((await send(b, 'HEAD', `/sessions?prefix=${FAIL_503}`)).status).toBe(503);
      expect(reported.length).toBeGreaterThanOrEqual(before + 8);
    });

    it('HEAD gives the statuses GET gives, without bodies', async () => {
      const id = uid('head');
      await put(id, { data: 1 });
      expect((await send(b, 'HEAD', `/sessions/${id}`, { headers: { 'if-none-match': '"1"' } })).status).toBe(304);
      expect((await send(b, 'HEAD', `/sessions/${uid()}`)).status).toBe(404);
      expect((await send(b, 'HEAD', '/sessions/%ZZ')).status).toBe(400);
      expect((await send(b, 'HEAD', `/sessions/${DENIED}`)).status).toBe(403);
      expect((await send(b, 'HEAD', '/sessions?limit=0')).status).toBe(400);
      expect((await send(b, 'HEAD', '/sessions', { headers: { 'x-deny': '1' } })).status).toBe(403);
    });

    it('a declared Content-Length over maxBodyBytes is 413 before the body is read', async () => {
      if (traits.parsesBody) {
        // The host reads it first (within its own limit); the declared length still counts.
        const big = JSON.stringify({ data: 'x'.repeat(MAX_BODY + 10) });
        const r = await send(b, 'PUT', `/sessions/${uid()}`, { headers: { 'content-type': 'application/json' }, body: big });
        expectProblem(r, 413, 'payload_too_large');
        expect(r.body.limit).toBe(MAX_BODY);
        return;
      }
      const head = `PUT /sessions/${uid()} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${10 * 1024 * 1024}\r\n\r\n`;
      const r = await rawExchange(b, head, ['{"data":"', 'x'.repeat(1000)], 20);
      expect(r.status).toBe(413);
      expect(JSON.parse(r.body)).toMatchObject({ status: 413, code: 'payload_too_large', limit: MAX_BODY });
      expect(r.sent).toBeLessThan(MAX_BODY);
    });

    if (!traits.parsesBody) {
      it('a chunked body that grows past maxBodyBytes is 413 without reading the rest', async () => {
        const head = `PUT /sessions/${uid()} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n`;
        const chunk = 'x'.repeat(8192);
        function* chunks() {
          yield `9\r\n{"data":"\r\n`;
          for (let i = 0; i < 2000; i++) yield `${chunk.length.toString(16)}\r\n${chunk}\r\n`;
        }
        const r = await rawExchange(b, head, chunks(), 2);
        expect(r.status).toBe(413);
        if (!traits.fetchEdge) expect(r.headers.connection).toBe('close');
        expect(r.sent).toBeLessThan(2000 * 8192);
      });

      it('a body that trickles in past bodyTimeout is 408 and the connection closes', async () => {
        const head = `PUT /sessions/${uid()} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 200\r\n\r\n`;
        const bytes = '{"data":"' + 'x'.repeat(190);
        const r = await rawExchange(b, head, bytes, Math.ceil(BODY_TIMEOUT / 6));
        expect(r.status).toBe(408);
        expect(JSON.parse(r.body)).toMatchObject({ status: 408, code: 'request_timeout' });
        expect(r.sent).toBeLessThan(200);
      });
    }

    it('__proto__ and constructor keys are stored as data and never reach a prototype', async () => {
      const id = uid('proto');
      const body = '{"data":{"__proto__":{"polluted":1},"constructor":{"prototype":{"polluted":2}}},"__proto__":{"polluted":3}}';
      const r = await send(b, 'PUT', `/sessions/${id}`, {
        headers: { 'content-type': 'application/json' },
        body,
        hostAnswer: traits.parsesBody,
      });
      if (r.status === 200) {
        const got = await send(b, 'GET', `/sessions/${id}`);
        expect(got.text).toContain('"__proto__":{"polluted":1}');
        expect(got.body.session.data.constructor).toEqual({ prototype: { polluted: 2 } });
      } else {
        // A host parser may refuse such keys outright (Fastify's secure-json-parse does).
        expect(traits.parsesBody && r.status === 400).toBe(true);
      }
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      expect(Object.prototype).not.toHaveProperty('polluted');
    });

    describeItemRoutes(() => b, traits);
    describeLeaseRoutes(() => b, traits);

    it('answered every status code docs/openapi.json lists for each route, on this host', () => {
      const slow = ['PUT /sessions/{identifier} 408', 'POST /sessions/{identifier}/items 408', 'POST /sessions/{identifier}/lease 408', 'PUT /sessions/{identifier}/lease 408'];
      const skip = new Set(traits.parsesBody ? slow : []);
      const covered = coverageOf(b);
      const missing = documentedAnswers().filter((a) => !covered.has(a) && !skip.has(a));
      expect(missing).toEqual([]);
    });
  });
}
