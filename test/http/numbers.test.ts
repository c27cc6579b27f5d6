/**
 * Extreme numbers in every numeric HTTP field — `ttl` in a PUT or POST …/items body,
 * `replaceAfter`, the `limit`, `after` and `before` queries, the versions of
 * `If-Match`/`If-None-Match`, a lease's `ttl` and `wait`, `Session-Fence` — against a real node:http server: never a 5xx, always a 2xx/304
 * or a 4xx problem, and afterwards the list, the session and its items still answer.
 */
import { createServer } from 'node:http';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SessionManager } from '../../src/index.js';
import { createSessionsHandler } from '../../src/http/index.js';
import { expectNoInternals, listen, type RunningHost } from './cases.js';
import { send, type Reply } from './client.js';

/** Numbers as a client may write them: extremes, exponent forms, fractions, huge integers. */
const NUMBER_TEXTS = [
  '1e308', '-1e308', '1.7976931348623157e308', '1e400', '-1e400', '5e-324', '1e-400', '0', '-0', '0.0', '-0.0',
  '1', '-1', '0.5', '1.5', '1.0', '1e3', '1E3', '1e+3', '1e-3', '00', '01', '0x10', '1_000', ' 1', '+1',
  '8.64e15', '8640000000000000', '8640000000000001', '9007199254740991', '9007199254740993', '1e21',
  '123456789012345678901234567890', 'NaN', 'Infinity', '-Infinity', 'null', 'true', '""', '"1"', '[]', '{}',
];
const numberText = fc.oneof(
  fc.constantFrom(...NUMBER_TEXTS),
  fc.double().map((n) => (Object.is(n, -0) ? '-0' : String(n))),
  fc.bigInt({ min: -(10n ** 40n), max: 10n ** 40n }).map(String),
  fc.tuple(fc.integer({ min: -9, max: 9 }), fc.integer({ min: -400, max: 400 })).map(([m, e]) => `${m}e${e}`),
  fc.tuple(fc.integer({ min: -9999, max: 9999 }), fc.nat(99999)).map(([a, b]) => `${a}.${b}`),
);

let host: RunningHost;
const errors: unknown[] = [];
let counter = 0;

// A fresh manager and server per case, so that what one case stores cannot fail another.
beforeEach(async () => {
  errors.length = 0;
  const manager = new SessionManager();
  host = await listen(createServer(createSessionsHandler(manager, { onError: (e) => void errors.push(e) })));
});
afterEach(() => host.close());

/** A 2xx or 304, or a 4xx problem: never a 5xx, never internals. */
function expectAnswered(r: Reply, what: string): void {
  expect(r.status, `${what} → ${r.status} ${r.text}`).toBeLessThan(500);
  expectNoInternals(r.text);
  if (r.status >= 400) {
    expect(r.headers['content-type'], what).toBe('application/problem+json');
    if (r.text !== '') expect(r.body.status, what).toBe(r.status);
  }
}

/** The list and the session still answer after whatever was stored. */
async function expectStillReadable(id: string): Promise<void> {
  const list = await send(host.url, 'GET', '/sessions');
  expect(list.status, list.text).toBe(200);
  const got = await send(host.url, 'GET', `/sessions/${id}`);
  expect([200, 404], got.text).toContain(got.status);
  const items = await send(host.url, 'GET', `/sessions/${id}/items?order=desc`);
  expect([200, 404], items.text).toContain(items.status);
}

const JSON_BODY = { 'content-type': 'application/json' };

/** A session `id` holding items 1..5. */
async function withItems(id: string): Promise<void> {
  const r = await send(host.url, 'POST', `/sessions/${id}/items`, { headers: JSON_BODY, body: '{"items":[1,2,3,4,5]}' });
  expect(r.status, r.text).toBe(201);
}

const nextId = () => `num-${++counter}`;

describe('extreme numbers in every numeric HTTP field', () => {
  it('ttl in a PUT body: never a 5xx, and the list and the session still answer', async () => {
    await fc.assert(
      fc.asyncProperty(numberText, fc.boolean(), async (text, quoted) => {
        const id = nextId();
        const body = `{"data":1,"ttl":${quoted ? JSON.stringify(text) : text}}`;
        const r = await send(host.url, 'PUT', `/sessions/${id}`, { headers: { 'content-type': 'application/json' }, body });
        expectAnswered(r, `PUT ttl ${body}`);
        await expectStillReadable(id);
      }),
      { numRuns: 300, examples: [['1e308', false], ['8.64e15', false], ['-0', false]] },
    );
    expect(errors).toEqual([]);
  });

  it('limit in the list query: never a 5xx', async () => {
    await send(host.url, 'PUT', '/sessions/num-limit', { headers: { 'content-type': 'application/json' }, body: '{"data":1}' });
    await fc.assert(
      fc.asyncProperty(numberText, async (text) => {
        const r = await send(host.url, 'GET', `/sessions?limit=${encodeURIComponent(text)}`);
        expectAnswered(r, `GET limit=${text}`);
        await expectStillReadable('num-limit');
      }),
      { numRuns: 300 },
    );
    expect(errors).toEqual([]);
  });

  it('ttl and replaceAfter in a POST …/items body: never a 5xx, and a refusal appends nothing', async () => {
    const field = fc.constantFrom('ttl', 'replaceAfter');
    await fc.assert(
      fc.asyncProperty(numberText, fc.boolean(), field, async (text, quoted, name) => {
        const id = nextId();
        await withItems(id);
        const body = `{"items":["x"],"${name}":${quoted ? JSON.stringify(text) : text}}`;
        const r = await send(host.url, 'POST', `/sessions/${id}/items`, { headers: JSON_BODY, body });
        expectAnswered(r, `POST ${body}`);
        const s = (await send(host.url, 'GET', `/sessions/${id}`)).body?.session;
        // An accepted tiny ttl (5e-324 ms) may have expired the session already.
        if (r.status >= 400) expect(s).toMatchObject({ version: 1, itemCount: 5 });
        else if (s !== undefined) expect(s.version).toBe(2);
        await expectStillReadable(id);
      }),
      { numRuns: 300, examples: [['1e308', false, 'ttl'], ['5', false, 'replaceAfter'], ['-0', false, 'replaceAfter']] },
    );
    expect(errors).toEqual([]);
  });

  it('after, before and limit in the items queries (GET and DELETE …/items): never a 5xx', async () => {
    await withItems('num-items');
    const query = fc.tuple(fc.constantFrom('after', 'before', 'limit'), numberText, fc.constantFrom('GET', 'HEAD', 'DELETE'));
    await fc.assert(
      fc.asyncProperty(query, async ([name, text, method]) => {
        const id = method === 'DELETE' ? nextId() : 'num-items';
        if (method === 'DELETE') await withItems(id);
        const r = await send(host.url, method, `/sessions/${id}/items?${name}=${encodeURIComponent(text)}`);
        expectAnswered(r, `${method} ${name}=${text}`);
        await expectStillReadable(id);
      }),
      { numRuns: 300 },
    );
    expect(errors).toEqual([]);
  });

  it('versions in If-Match / If-None-Match on GET, PUT, DELETE and the item writes: never a 5xx', async () => {
    const methods = fc.constantFrom('GET', 'HEAD', 'PUT', 'DELETE');
    const header = fc.constantFrom('if-match', 'if-none-match');
    const itemWrite = fc.constantFrom('POST items', 'DELETE items', 'DELETE items/last');
    const tag = fc.tuple(numberText, fc.constantFrom('"', 'W/"', '')).map(([n, open]) => `${open}${n}${open === '' ? '' : '"'}`);
    await fc.assert(
      fc.asyncProperty(methods, header, tag, fc.boolean(), itemWrite, async (method, name, value, exists, item) => {
        const id = nextId();
        if (exists) await send(host.url, 'PUT', `/sessions/${id}`, { headers: { 'content-type': 'application/json' }, body: '{"data":1}' });
        const headers: Record<string, string> = { [name]: value };
        const options = method === 'PUT' ? { headers: { ...headers, 'content-type': 'application/json' }, body: '{"data":2}' } : { headers };
        const r = await send(host.url, method, `/sessions/${id}`, options);
        expectAnswered(r, `${method} ${name}: ${value}`);
        const [verb, path] = item.split(' ') as [string, string];
        const query = path === 'items' && verb === 'DELETE' ? '?after=1' : '';
        const itemOptions = verb === 'POST' ? { headers: { ...headers, ...JSON_BODY }, body: '{"items":[1]}' } : { headers };
        expectAnswered(await send(host.url, verb, `/sessions/${id}/${path}${query}`, itemOptions), `${item} ${name}: ${value}`);
        await expectStillReadable(id);
      }),
      { numRuns: 300 },
    );
    expect(errors).toEqual([]);
  });

  it('ttl and wait in a POST or PUT …/lease body: never a 5xx, and a refusal takes no lease', async () => {
    const field = fc.constantFrom('ttl', 'wait');
    await fc.assert(
      fc.asyncProperty(numberText, fc.boolean(), field, fc.constantFrom('POST', 'PUT'), async (text, quoted, name, method) => {
        const id = nextId();
        const fence = method === 'PUT' ? (await send(host.url, 'POST', `/sessions/${id}/lease`)).body.fence : undefined;
        const headers: Record<string, string> = fence === undefined ? JSON_BODY : { ...JSON_BODY, 'session-fence': String(fence) };
        // Only 0 is a wait that does not wait: a queued acquire would hold the case up (the lease is free anyway).
        const body = `{"${name}":${quoted ? JSON.stringify(text) : text}}`;
        const r = await send(host.url, method, `/sessions/${id}/lease`, { headers, body });
        expectAnswered(r, `${method} lease ${body}`);
        if (method === 'POST' && r.status >= 400) {
          expect((await send(host.url, 'POST', `/sessions/${id}/lease`)).status).toBe(201);
        }
        if (method === 'PUT') expect([200, 400], r.text).toContain(r.status);
        await expectStillReadable(id);
      }),
      { numRuns: 300, examples: [['1e308', false, 'ttl', 'POST'], ['86400000', false, 'ttl', 'PUT'], ['-0', false, 'wait', 'POST']] },
    );
    expect(errors).toEqual([]);
  });

  it('Session-Fence on every write and lease route: never a 5xx, and a refused write changes nothing', async () => {
    const routes = fc.constantFrom('PUT', 'DELETE', 'POST items', 'DELETE items', 'DELETE items/last', 'PUT lease', 'DELETE lease');
    await fc.assert(
      fc.asyncProperty(numberText, routes, async (text, route) => {
        const id = nextId();
        await withItems(id);
        const live = (await send(host.url, 'POST', `/sessions/${id}/lease`)).body.fence;
        const [verb, path] = route.split(' ') as [string, string | undefined];
        const headers: Record<string, string> = { 'session-fence': text.trim() === '' ? '0' : text };
        const query = path === 'items' ? '?after=1' : '';
        const options = verb === 'PUT' && path === undefined ? { headers: { ...headers, ...JSON_BODY }, body: '{"data":2}' }
          : verb === 'POST' ? { headers: { ...headers, ...JSON_BODY }, body: '{"items":[6]}' } : { headers };
        const r = await send(host.url, verb, `/sessions/${id}${path === undefined ? '' : `/${path}`}${query}`, options);
        expectAnswered(r, `${route} Session-Fence: ${text}`);
        if (r.status >= 400) {
          expect((await send(host.url, 'GET', `/sessions/${id}`)).body.session).toMatchObject({ version: 1, itemCount: 5 });
        } else expect(Number(text)).toBe(live);
        await expectStillReadable(id);
      }),
      { numRuns: 300, examples: [['1', 'PUT'], ['1', 'DELETE lease'], ['9007199254740993', 'POST items'], ['1.0', 'PUT lease']] },
    );
    expect(errors).toEqual([]);
  });
});
