/**
 * Hostile input against the node:http host and the fetch edge, on every route (the item log's
 * and the lease's too): thousands of random requests (odd methods, odd percent-encodings, odd
 * headers, idempotency keys and fences, odd seqs, deep and poisonous bodies) never get a 5xx, never crash the
 * server, never pollute a prototype and never leak internals.
 */
import { createServer } from 'node:http';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SessionManager } from '../../src/index.js';
import { createFetchHandler, createSessionsHandler } from '../../src/http/index.js';
import { expectNoInternals, listen, type RunningHost } from './cases.js';
import { send } from './client.js';

const SEGMENTS = [
  '', '/', '//', 'a', 'user-42:thread-7', 'x.y', '~', '@', ':', '-', '.', '..', '...',
  '%2F', '%2f', '%2e', '%2E', '%2e%2e', '%2E%2e', '%00', '%0A', '%ZZ', '%', '%2', '%C3%A9', '%E0%A4%A',
  '%FF', '%252F', '%25', '%20', '+', '#', '%23', '%3F', '?', '&', '=', ';', 'sessions', 'x'.repeat(257),
  '?limit=1', '?limit=0', '?limit=99999999999999999999', '?cursor=c1.', '?cursor=c1.YQ', '?cursor=%ZZ',
  '?prefix=%00', '?prefix=a', '?fields=meta', '?fields=__proto__', '?__proto__[x]=1', '?limit=1&limit=2',
  '/items', '/items', '/items', '/items/last', '/items/last', '/items/', '/items/first', '/items%2Flast', '/ITEMS',
  '?after=1', '?after=-1', '?after=1.5', '?after=1e3', '?after=99999999999999999', '?before=2', '?before=0',
  '?after=0&before=0', '?order=desc', '?order=up', '?order=desc&order=asc', '?after=1&after=1',
  '/lease', '/lease', '/lease/', '/LEASE', '/lease%2F', '/leases',
];
const IDS = ['a', 'a', 'x.y', 'user-42:thread-7', 'fresh', 'nobody', '%ZZ', '..', 'a%2Fb', '__proto__', 'constructor'];
const FENCES = ['1', '1', '2', '3', '0', '-1', '1.5', '1e3', '01', '', ' ', 'abc', '9007199254740991', '9007199254740993', '1, 2', '__proto__'];
const ITEM_PATHS = ['/items', '/items', '/items', '/items/last', '/items?', '/items?order=desc&limit=2', '/items?after=1', '/items?before=2'];
const PREFIXES = ['/sessions', '/sessions/', '/sessions/', '/sessions/', '/session', '/', '/SESSIONS/', '/sessions/../sessions/'];
const METHODS = ['GET', 'GET', 'HEAD', 'PUT', 'PUT', 'PUT', 'DELETE', 'DELETE', 'POST', 'POST', 'POST', 'PATCH', 'OPTIONS', 'PROPFIND', 'PURGE'];
const KEYS = ['k1', 'k1', 'k2', '', ' ', 'a b', 'x'.repeat(257), '~'.repeat(256), '__proto__', 'é', '"k1"'];
const TAGS = ['"1"', '"2"', '*', 'W/"1"', '"1", "2"', '"', '1', '"1",,"2"', ' ', '"abc"', '"99999999999999999999"', 'W/', '*, "1"'];
const TYPES = [
  'application/json', 'application/json; charset=utf-8', 'application/json; charset=latin1', 'text/plain',
  'application/x-www-form-urlencoded', 'application/vnd.x+json', 'multipart/form-data; boundary=x', 'application/jsonx', ';;;', '',
];
const POISON = [
  '{"__proto__":{"polluted":1},"data":{"__proto__":{"polluted":1}}}',
  '{"data":{"constructor":{"prototype":{"polluted":1}}},"constructor":{"prototype":{"polluted":1}}}',
  '{"data":1,"ttl":-5}', '{"data":1,"ttl":1e400}', '{"data":1,"id":{"toString":1}}', '{"data":{"a":1},"id":"a"}',
  '{"data":' + '['.repeat(5000) + ']'.repeat(5000) + '}', '{"data":' + '{"a":'.repeat(3000) + '1' + '}'.repeat(3000) + '}',
  '['.repeat(100_000), '{"data":"\\ud800"}', '\ufeff{"data":1}', '{"data":1}garbage', 'null', '"x"', '{"data":1e999}',
  '{"items":[]}', '{"items":{"0":1,"length":1}}', '{"items":"abc"}', '{"items":[1],"replaceAfter":-1}', '{"items":[1],"replaceAfter":1e400}',
  '{"items":[1],"replaceAfter":"0"}', '{"items":[1],"ttl":1e400}', '{"__proto__":{"items":[1]}}', '{"items":[{"__proto__":{"polluted":1}}]}',
  '{"items":[' + '['.repeat(5000) + ']'.repeat(5000) + ']}', '{"items":[' + '1,'.repeat(1200) + '1]}', '{"items":[1e999]}',
];

const body = fc.oneof(
  fc.constant(undefined),
  fc.constantFrom(...POISON),
  fc.jsonValue().map((data) => JSON.stringify({ data })),
  fc.array(fc.jsonValue(), { maxLength: 5 }).map((items) => JSON.stringify({ items })),
  fc.tuple(fc.array(fc.jsonValue(), { maxLength: 3 }), fc.integer({ min: -2, max: 8 })).map(([items, replaceAfter]) =>
    JSON.stringify({ items, replaceAfter }),
  ),
  fc.json(),
  fc.string(),
  fc.uint8Array({ maxLength: 64 }).map((a) => Buffer.from(a)),
);

const headers = (types: string[]) =>
  fc.record(
    {
      'content-type': fc.constantFrom(...types),
      'if-match': fc.constantFrom(...TAGS),
      'if-none-match': fc.constantFrom(...TAGS),
      'idempotency-key': fc.constantFrom(...KEYS),
      'session-fence': fc.constantFrom(...FENCES),
      accept: fc.constantFrom('*/*', 'text/html', 'application/problem+json'),
    },
    { requiredKeys: [] },
  );

/** Anything under or beside basePath. */
const anyRequest = fc.record({
  method: fc.constantFrom(...METHODS),
  path: fc
    .tuple(fc.constantFrom(...PREFIXES), fc.array(fc.constantFrom(...SEGMENTS), { maxLength: 4 }))
    .map(([p, s]) => p + s.join('')),
  headers: headers(TYPES),
  body,
});

/** The item routes of sessions that exist, that do not, and of odd ids, with item-shaped bodies more often. */
const itemRequest = fc.record({
  method: fc.constantFrom('POST', 'POST', 'POST', 'GET', 'HEAD', 'DELETE', 'DELETE', 'PUT'),
  path: fc
    .tuple(fc.constantFrom(...IDS), fc.constantFrom(...ITEM_PATHS), fc.array(fc.constantFrom(...SEGMENTS), { maxLength: 2 }))
    .map(([id, p, s]) => `/sessions/${id}${p}${s.join('')}`),
  headers: headers(['application/json', 'application/json', 'application/json', ...TYPES]),
  body: fc.oneof(fc.array(fc.jsonValue(), { minLength: 1, maxLength: 5 }).map((items) => JSON.stringify({ items })), body),
});

/** A lease body: odd ttls, and waits short enough that a held lease answers at once. */
const leaseBody = fc
  .record({ ttl: fc.oneof(fc.integer({ min: -5, max: 90_000_000 }), fc.double(), fc.string()), wait: fc.integer({ min: -2, max: 20 }) }, { requiredKeys: [] })
  .map((b) => JSON.stringify(b));

/** The lease routes of sessions that exist, that do not, and of odd ids, with lease-shaped bodies more often. */
const leaseRequest = fc.record({
  method: fc.constantFrom('POST', 'POST', 'PUT', 'PUT', 'DELETE', 'DELETE', 'GET', 'HEAD', 'PATCH'),
  path: fc
    .tuple(fc.constantFrom(...IDS), fc.constantFrom('/lease', '/lease', '/lease', '/lease?x=1', '/lease/'), fc.array(fc.constantFrom(...SEGMENTS), { maxLength: 1 }))
    .map(([id, p, s]) => `/sessions/${id}${p}${s.join('')}`),
  headers: headers(['application/json', 'application/json', 'application/json', ...TYPES]),
  body: fc.oneof(fc.constant(undefined), leaseBody, leaseBody, body.filter((b) => typeof b !== 'string' || !b.includes('wait'))),
});

const request = fc.oneof({ arbitrary: anyRequest, weight: 3 }, { arbitrary: itemRequest, weight: 1 }, { arbitrary: leaseRequest, weight: 1 });

function checkAnswer(status: number, contentType: string | undefined, text: string, what: string): void {
  statuses.add(status);
  expect(status, what).toBeLessThan(500);
  expect(status, what).toBeGreaterThanOrEqual(200);
  expectNoInternals(text);
  if (contentType === 'application/problem+json' && text !== '') {
    const problem = JSON.parse(text);
    expect(problem.status).toBe(status);
    expect(typeof problem.code).toBe('string');
  }
}

const errors: unknown[] = [];
const statuses = new Set<number>();

describe('hostile requests', () => {
  let host: RunningHost;
  beforeAll(async () => {
    const handler = createSessionsHandler(new SessionManager(), { bodyTimeout: 2_000, onError: (e) => void errors.push(e) });
    host = await listen(createServer(handler));
    for (const id of ['a', 'x.y', 'user-42:thread-7']) {
      await send(host.url, 'PUT', `/sessions/${id}`, { headers: { 'content-type': 'application/json' }, body: '{"data":1}' });
      await send(host.url, 'POST', `/sessions/${id}/items`, { headers: { 'content-type': 'application/json' }, body: '{"items":[1,2,3]}' });
    }
  });
  afterAll(() => host.close());

  it('5,000 random requests on node:http: never a 5xx, a crash, a polluted prototype or leaked internals', async () => {
    await fc.assert(
      fc.asyncProperty(request, async ({ method, path, headers, body }) => {
        const r = await send(host.url, method, path, { headers: headers as Record<string, string>, body, hostAnswer: true });
        checkAnswer(r.status, r.headers['content-type'], r.text, `${method} ${path}`);
      }),
      { numRuns: 5_000 },
    );
    expect(errors).toEqual([]);
    // The run reached the interesting answers, not just one kind of refusal.
    for (const status of [200, 201, 400, 404, 405, 409, 412, 415]) expect(statuses).toContain(status);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.getOwnPropertyNames(Object.prototype)).not.toContain('polluted');
    expect((await send(host.url, 'GET', '/sessions?limit=1')).status).toBe(200);
  }, 60_000);

  it('1,000 random requests on the fetch edge, called directly', async () => {
    const handler = createFetchHandler(new SessionManager(), { bodyTimeout: 2_000, onError: (e) => void errors.push(e) });
    await fc.assert(
      fc.asyncProperty(request, async ({ method, path, headers, body }) => {
        const withBody = body !== undefined && method !== 'GET' && method !== 'HEAD';
        let req: Request;
        try {
          req = new Request(`http://h${path}`, {
            method,
            headers: headers as Record<string, string>,
            body: withBody ? body : undefined,
          });
        } catch {
          return; // not a request fetch can even express
        }
        const res = await handler(req);
        const text = await res.text();
        checkAnswer(res.status, res.headers.get('content-type') ?? undefined, text, `${method} ${path}`);
      }),
      { numRuns: 1_000 },
    );
    expect(errors).toEqual([]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  }, 30_000);
});
