/**
 * The item routes in the case table every HTTP host runs (called from `describeHttpHost`):
 * append, pages, pop, truncate, their conditions, limits and errors, each answer checked
 * against docs/openapi.json by the client.
 */
import { expect, it } from 'vitest';
import { expectProblem, expectProblemOrHost, type HostTraits } from './cases.js';
import { json, rawExchange, send, type Reply } from './client.js';
import { BODY_TIMEOUT, DENIED, FAIL_500, FAIL_503, MAX_BODY, MAX_ITEM_BYTES, MAX_ITEMS, MAX_LOG_BYTES, reported, uid } from './fixture.js';

export function describeItemRoutes(base: () => string, traits: HostTraits): void {
  const post = (id: string, body: unknown, headers: Record<string, string> = {}) =>
    send(base(), 'POST', `/sessions/${id}/items`, json(body, headers));
  const page = (id: string, query = '') => send(base(), 'GET', `/sessions/${id}/items${query}`);
  const pop = (id: string, headers: Record<string, string> = {}) =>
    send(base(), 'DELETE', `/sessions/${id}/items/last`, { headers });
  const truncate = (id: string, query: string, headers: Record<string, string> = {}) =>
    send(base(), 'DELETE', `/sessions/${id}/items${query}`, { headers });
  const session = async (id: string) => (await send(base(), 'GET', `/sessions/${id}`)).body.session;
  const seqs = (r: Reply) => r.body.items.map((i: { seq: number }) => i.seq);
  /** A session holding items 1..n (`{ n: seq }`). */
  const filled = async (label: string, n: number) => {
    const id = uid(label);
    const r = await post(id, { items: Array.from({ length: n }, (_, i) => ({ n: i + 1 })) });
    expect(r.status, r.text).toBe(201);
    return id;
  };

  it('POST …/items creates the session and appends: 201 { version, firstSeq, lastSeq, replayed }, ETag', async () => {
    const id = uid('append');
    const first = await post(id, { items: [{ role: 'user', text: 'hi' }, 2, null] });
    expect(first.status).toBe(201);
    expect(first.headers['content-type']).toBe('application/json');
    expect(first.headers.etag).toBe('"1"');
    expect(first.body).toEqual({ version: 1, firstSeq: 1, lastSeq: 3, replayed: false });
    const second = await post(id, { items: ['more'], ttl: 60_000 });
    expect(second.status).toBe(201);
    expect(second.headers.etag).toBe('"2"');
    expect(second.body).toEqual({ version: 2, firstSeq: 4, lastSeq: 4, replayed: false });
    const s = await session(id);
    expect(s).toMatchObject({ id, data: null, version: 2, itemCount: 4, lastSeq: 4 });
    expect(Date.parse(s.expiresAt)).toBeGreaterThan(Date.now() + 30_000);
    const items = await page(id);
    expect(items.body.items.map((i: { data: unknown }) => i.data)).toEqual([{ role: 'user', text: 'hi' }, 2, null, 'more']);
  });

  it('PUT keeps the items; the session JSON carries itemCount and lastSeq, in the list too', async () => {
    const id = await filled('keep', 2);
    const put = await send(base(), 'PUT', `/sessions/${id}`, json({ data: { state: 1 } }));
    expect(put.body.session).toMatchObject({ version: 2, itemCount: 2, lastSeq: 2, data: { state: 1 } });
    const list = await send(base(), 'GET', `/sessions?prefix=${id}&fields=meta`);
    expect(list.body.sessions).toEqual([expect.objectContaining({ id, itemCount: 2, lastSeq: 2 })]);
    expect(seqs(await page(id))).toEqual([1, 2]);
  });

  it('GET …/items pages by seq: after, before, limit, order, hasMore; ETag is the version; HEAD has no body', async () => {
    const id = await filled('page', 7);
    const all = await page(id);
    expect(all.status).toBe(200);
    expect(all.headers.etag).toBe('"1"');
    expect(all.headers['cache-control']).toBe('private, no-cache');
    expect(all.body.hasMore).toBe(false);
    expect(all.body.items[0]).toEqual({ seq: 1, data: { n: 1 }, createdAt: expect.any(String) });
    expect(seqs(all)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    const asc = await page(id, '?after=2&limit=3');
    expect([seqs(asc), asc.body.hasMore]).toEqual([[3, 4, 5], true]);
    const last = await page(id, '?order=desc&limit=2');
    expect([seqs(last), last.body.hasMore]).toEqual([[7, 6], true]);
    const range = await page(id, '?after=2&before=6&order=desc');
    expect([seqs(range), range.body.hasMore]).toEqual([[5, 4, 3], false]);
    const end = await page(id, '?after=5&limit=2&cursor=&x=1');
    expect([seqs(end), end.body.hasMore]).toEqual([[6, 7], false]);
    expect(seqs(await page(id, '?after=99'))).toEqual([]);
    const head = await send(base(), 'HEAD', `/sessions/${id}/items?order=desc`);
    expect([head.status, head.headers.etag, head.text]).toEqual([200, '"1"', '']);
    const empty = uid('empty');
    await send(base(), 'PUT', `/sessions/${empty}`, json({ data: 1 }));
    expect((await page(empty)).body).toEqual({ items: [], hasMore: false });
    expectProblem(await page(uid('nobody')), 404, 'not_found');
    expect((await send(base(), 'HEAD', `/sessions/${uid('nobody')}/items`)).status).toBe(404);
  });

  it('GET …/items refuses a bad or repeated limit, after, before or order with 400', async () => {
    const id = await filled('badq', 1);
    const bad = ['limit=0', 'limit=1001', 'limit=abc', 'limit=1.5', 'after=-1', 'after=1.5', 'after=abc', 'after=1e3',
      'before=-0', 'before=0x10', 'before=99999999999999999', 'order=up', 'order=ASC', 'after=1&after=2', 'order=asc&order=desc', 'limit=&limit=2'];
    for (const q of bad) expectProblem(await page(id, `?${q}`), 400, 'invalid_argument');
    expect((await send(base(), 'HEAD', `/sessions/${id}/items?limit=0`)).status).toBe(400);
  });

  it('Idempotency-Key: a resend answers 200 with the first result, replayed: true, and adds nothing', async () => {
    const id = uid('idem');
    const key = { 'idempotency-key': `turn-${uid()}` };
    const first = await post(id, { items: ['a', 'b'] }, key);
    expect(first.status).toBe(201);
    const again = await post(id, { items: ['a', 'b'] }, key);
    expect(again.status).toBe(200);
    expect(again.headers.etag).toBe('"1"');
    expect(again.body).toEqual({ version: 1, firstSeq: 1, lastSeq: 2, replayed: true });
    // Whatever the batch or the condition: the key decides.
    const other = await post(id, { items: ['c', 'd', 'e'] }, { ...key, 'if-match': '"7"' });
    expect(other.status).toBe(200);
    expect(other.body.replayed).toBe(true);
    expect(await session(id)).toMatchObject({ version: 1, itemCount: 2 });
    expect((await post(id, { items: ['c'] }, { 'idempotency-key': 'another' })).status).toBe(201);
    // A create-only first turn, resent after a lost reply, is a replay rather than a 412.
    const fresh = uid('idem-create');
    const once = { 'idempotency-key': 'first-turn', 'if-none-match': '*' };
    expect((await post(fresh, { items: ['hello'] }, once)).status).toBe(201);
    const resent = await post(fresh, { items: ['hello'] }, once);
    expect([resent.status, resent.body.replayed]).toEqual([200, true]);
  });

  it('a malformed Idempotency-Key is 400 and appends nothing', async () => {
    const id = await filled('badkey', 1);
    for (const value of ['', 'a b', 'x'.repeat(257), 'tab\there']) {
      expectProblem(await post(id, { items: [1] }, { 'idempotency-key': value }), 400, 'invalid_argument');
    }
    expect(await session(id)).toMatchObject({ version: 1, itemCount: 1 });
    expect((await post(id, { items: [1] }, { 'idempotency-key': '~'.repeat(256) })).status).toBe(201);
  });

  it('replaceAfter rewinds and appends in one step; above lastSeq or not a whole number is 400', async () => {
    const id = await filled('replace', 5);
    const r = await post(id, { items: ['x', 'y'], replaceAfter: 3 });
    expect(r.status).toBe(201);
    expect(r.body).toEqual({ version: 2, firstSeq: 4, lastSeq: 5, replayed: false });
    expect((await page(id)).body.items.map((i: { data: unknown }) => i.data)).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }, 'x', 'y']);
    for (const replaceAfter of [6, -1, 1.5, '2', null]) {
      expectProblem(await post(id, { items: [1], replaceAfter }), 400, 'invalid_argument');
    }
    expect(await session(id)).toMatchObject({ version: 2, itemCount: 5 });
  });

  it('POST with If-Match appends at that version only; If-None-Match: * only to a new session; else 412', async () => {
    const id = uid('ifmatch');
    expect((await post(id, { items: [1] }, { 'if-none-match': '*' })).status).toBe(201);
    const again = await post(id, { items: [2] }, { 'if-none-match': '*' });
    expectProblem(again, 412, 'version_conflict');
    expect(again.body.currentVersion).toBe(1);
    const stale = await post(id, { items: [2] }, { 'if-match': '"5"' });
    expectProblem(stale, 412, 'version_conflict');
    expect(stale.body.currentVersion).toBe(1);
    expect((await post(id, { items: [2] }, { 'if-match': '"1"' })).body).toMatchObject({ version: 2, firstSeq: 2 });
    expectProblem(await post(uid('absent'), { items: [1] }, { 'if-match': '*' }), 412, 'version_conflict');
    expect((await post(id, { items: [3] }, { 'if-match': '*' })).body).toMatchObject({ version: 3, firstSeq: 3 });
    expect((await post(id, { items: [4] }, { 'if-match': '"9", "3"' })).body).toMatchObject({ version: 4, firstSeq: 4 });
    expect(await session(id)).toMatchObject({ version: 4, itemCount: 4 });
    // On pop and truncate, If-None-Match: * holds only for a session that does not exist: 412, or 404.
    expectProblem(await pop(id, { 'if-none-match': '*' }), 412, 'version_conflict');
    expectProblem(await truncate(id, '?after=0', { 'if-none-match': '*' }), 412, 'version_conflict');
    expectProblem(await truncate(uid('absent'), '?after=0', { 'if-none-match': '*' }), 404, 'not_found');
    expect((await pop(id, { 'if-match': '*' })).body.item.seq).toBe(4);
  });

  it('DELETE …/items/last pops the newest item: 200 { item }, ETag of the new version; 404 when none', async () => {
    const id = await filled('pop', 2);
    const r = await pop(id);
    expect(r.status).toBe(200);
    expect(r.headers.etag).toBe('"2"');
    expect(r.body).toEqual({ item: { seq: 2, data: { n: 2 }, createdAt: expect.any(String) } });
    const stale = await pop(id, { 'if-match': '"1"' });
    expectProblem(stale, 412, 'version_conflict');
    expect(stale.body.currentVersion).toBe(2);
    expect((await pop(id, { 'if-match': '"2"' })).body.item.seq).toBe(1);
    expectProblem(await pop(id), 404, 'not_found');
    expect(await session(id)).toMatchObject({ version: 3, itemCount: 0, lastSeq: 0 });
    expectProblem(await pop(uid('nobody')), 404, 'not_found');
    expectProblem(await pop(uid('nobody'), { 'if-match': '"1"' }), 412, 'version_conflict');
  });

  it('DELETE …/items?after=N rewinds, ?before=N compacts: 200 { removed, version }, ETag; If-Match honoured', async () => {
    const id = await filled('trunc', 6);
    const stale = await truncate(id, '?after=2', { 'if-match': '"9"' });
    expectProblem(stale, 412, 'version_conflict');
    expect(stale.body.currentVersion).toBe(1);
    const rewind = await truncate(id, '?after=4', { 'if-match': '"1"' });
    expect(rewind.status).toBe(200);
    expect(rewind.headers.etag).toBe('"2"');
    expect(rewind.body).toEqual({ removed: 2, version: 2 });
    const compact = await truncate(id, '?before=3');
    expect(compact.body).toEqual({ removed: 2, version: 3 });
    expect(seqs(await page(id))).toEqual([3, 4]);
    const none = await truncate(id, '?after=10');
    expect([none.status, none.body, none.headers.etag]).toEqual([200, { removed: 0, version: 3 }, '"3"']);
    expect(await session(id)).toMatchObject({ version: 3, itemCount: 2, lastSeq: 4 });
    expectProblem(await truncate(uid('nobody'), '?after=0'), 404, 'not_found');
  });

  it('DELETE …/items needs exactly one whole-number after or before: else 400', async () => {
    const id = await filled('truncq', 2);
    for (const q of ['', '?after=', '?after=1&before=2', '?after=-1', '?before=1.5', '?after=abc', '?limit=1', '?after=1&after=2', '?before=1e2']) {
      expectProblem(await truncate(id, q), 400, 'invalid_argument');
    }
    expect(await session(id)).toMatchObject({ version: 1, itemCount: 2 });
  });

  it('an item over maxItemBytes, or a log over maxItems or maxLogBytes, is 413 and appends nothing', async () => {
    const id = await filled('full', 3);
    const big = await post(id, { items: ['ok', 'x'.repeat(MAX_ITEM_BYTES)] });
    expectProblem(big, 413, 'payload_too_large');
    const many = await post(id, { items: Array.from({ length: MAX_ITEMS - 2 }, () => 0) });
    expectProblem(many, 413, 'payload_too_large');
    const bytes = Array.from({ length: 8 }, () => 'y'.repeat(Math.floor(MAX_LOG_BYTES / 8)));
    expectProblem(await post(id, { items: bytes }), 413, 'payload_too_large');
    expect(await session(id)).toMatchObject({ version: 1, itemCount: 3, lastSeq: 3 });
  });

  it('an empty or over-1000 batch, items that are not an array, or a bad ttl is 400; nothing appended', async () => {
    const id = await filled('batch', 1);
    const bodies = [{ items: [] }, { items: Array.from({ length: 1001 }, () => 1) }, { items: 'a' }, { items: { 0: 1 } }, {},
      { data: 1 }, [1], { items: [1], ttl: -1 }, { items: [1], ttl: 'soon' }];
    for (const body of bodies) expectProblem(await post(id, body), 400, 'invalid_argument');
    expect(await session(id)).toMatchObject({ version: 1, itemCount: 1 });
  });

  it('an item nested deeper than 512 levels is 422 with issues; nothing appended', async () => {
    const id = await filled('deep', 1);
    const body = '{"items":[1,' + '['.repeat(600) + ']'.repeat(600) + ']}';
    const r = await send(base(), 'POST', `/sessions/${id}/items`, { headers: { 'content-type': 'application/json' }, body });
    expectProblem(r, 422, 'validation_failed');
    expect(r.body.issues[0].message).toMatch(/deeper/);
    expect(await session(id)).toMatchObject({ version: 1, itemCount: 1 });
  });

  it('POST …/items without a JSON Content-Type is 415; bad JSON or no body is 400', async () => {
    const host = Boolean(traits.parsesBody);
    for (const type of ['text/plain', 'application/json; charset=latin1', undefined]) {
      const path = `/sessions/${uid()}/items`;
      const headers: Record<string, string> = type === undefined ? {} : { 'content-type': type };
      const r = await send(base(), 'POST', path, { headers, body: '{"items":[1]}', hostAnswer: host });
      expectProblemOrHost(base(), 'POST', path, r, 415, 'unsupported_media_type', host);
    }
    for (const body of ['{"items":', '{items: [1]}', '{"items":[1]}}']) {
      const r = await send(base(), 'POST', `/sessions/${uid()}/items`, { headers: { 'content-type': 'application/json' }, body, hostAnswer: host });
      if (host) expect(r.status).toBe(400);
      else expectProblem(r, 400, 'invalid_json');
    }
    if (!host) {
      const r = await send(base(), 'POST', `/sessions/${uid()}/items`, { headers: { 'content-type': 'application/json' }, body: '' });
      expectProblem(r, 400, 'invalid_json');
      expect(r.body.detail).toContain('"items"');
    }
  });

  it('a POST …/items body over maxBodyBytes is 413', async () => {
    if (traits.parsesBody) {
      const big = JSON.stringify({ items: ['x'.repeat(MAX_BODY + 10)] });
      const r = await send(base(), 'POST', `/sessions/${uid()}/items`, { headers: { 'content-type': 'application/json' }, body: big });
      expectProblem(r, 413, 'payload_too_large');
      expect(r.body.limit).toBe(MAX_BODY);
      return;
    }
    const head = `POST /sessions/${uid()}/items HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${10 * MAX_BODY}\r\n\r\n`;
    const r = await rawExchange(base(), head, ['{"items":["', 'x'.repeat(1000)], 20);
    expect(r.status).toBe(413);
    expect(JSON.parse(r.body)).toMatchObject({ status: 413, code: 'payload_too_large', limit: MAX_BODY });
    expect(r.sent).toBeLessThan(MAX_BODY);
  });

  if (!traits.parsesBody) {
    it('a POST …/items body that trickles in past bodyTimeout is 408', async () => {
      const head = `POST /sessions/${uid()}/items HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 200\r\n\r\n`;
      const r = await rawExchange(base(), head, '{"items":["' + 'x'.repeat(180), Math.ceil(BODY_TIMEOUT / 6));
      expect(r.status).toBe(408);
      expect(r.sent).toBeLessThan(200);
    });
  }

  it('other methods on the item paths answer 405 with Allow; paths beside them are 404; bad ids 400', async () => {
    for (const method of ['PUT', 'PATCH', 'OPTIONS']) {
      const r = await send(base(), method, `/sessions/${uid()}/items`, json({ items: [1] }));
      expectProblem(r, 405, 'method_not_allowed');
      expect(r.headers.allow).toBe('GET, HEAD, POST, DELETE');
    }
    for (const method of ['GET', 'HEAD', 'POST', 'PUT']) {
      const r = await send(base(), method, `/sessions/${uid()}/items/last`);
      expect(r.status).toBe(405);
      expect(r.headers.allow).toBe('DELETE');
    }
    for (const path of ['/sessions/a/items/', '/sessions/a/items/first', '/sessions/a/item', '/sessions/a/items/last/x']) {
      expectProblem(await send(base(), 'GET', path), 404, 'not_found');
    }
    for (const method of ['GET', 'DELETE']) {
      expectProblem(await send(base(), method, '/sessions/a%20b/items'), 400, 'invalid_identifier');
    }
    const slashed = '/sessions/a%2Fb/items/last';
    const host = Boolean(traits.hostBadUrl);
    const r = await send(base(), 'DELETE', slashed, { hostAnswer: host });
    expectProblemOrHost(base(), 'DELETE', slashed, r, 400, 'invalid_identifier', host);
    expectProblem(await pop(uid(), { 'if-match': 'junk' }), 400, 'invalid_argument');
    expectProblem(await truncate(uid(), '?after=1', { 'if-none-match': '"1' }), 400, 'invalid_argument');
    expectProblem(await post('...', { items: [1] }), 400, 'invalid_identifier');
  });

  it('authorize refusing is 403 on every item route', async () => {
    const id = `${DENIED}-${uid()}`;
    expectProblem(await post(id, { items: [1] }), 403, 'forbidden');
    expectProblem(await page(id), 403, 'forbidden');
    expect((await send(base(), 'HEAD', `/sessions/${id}/items`)).status).toBe(403);
    expectProblem(await pop(id), 403, 'forbidden');
    expectProblem(await truncate(id, '?after=0'), 403, 'forbidden');
  });

  if (!traits.parsesBody) {
    it('authorize runs before a POST …/items body is read: 403 while the body is still unsent', async () => {
      const head = `POST /sessions/${DENIED}-${uid()}/items HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n`;
      const r = await rawExchange(base(), head, ['{"items":['], 10);
      expect(r.status).toBe(403);
      expect(r.sent).toBeLessThan(100);
    });
  }

  it('a failing store is 500 on every item route, an unavailable one 503 with Retry-After', async () => {
    const before = reported.length;
    for (const fail of [FAIL_500, FAIL_503]) {
      const id = `${fail}-${uid()}`;
      const replies = [await post(id, { items: [1] }), await page(id), await pop(id), await truncate(id, '?before=1')];
      for (const r of replies) {
        expectProblem(r, fail === FAIL_500 ? 500 : 503, fail === FAIL_500 ? 'internal' : 'store_unavailable');
        if (fail === FAIL_503) expect(r.headers['retry-after']).toBe('1');
      }
      expect((await send(base(), 'HEAD', `/sessions/${id}/items`)).status).toBe(fail === FAIL_500 ? 500 : 503);
    }
    expect(reported.length).toBeGreaterThanOrEqual(before + 10);
  });
}
