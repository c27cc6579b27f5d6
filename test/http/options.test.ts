/**
 * Options and edge behaviour, tested without a listener by calling the fetch handler with
 * `new Request(…)`.
 */
import { describe, expect, it } from 'vitest';
import { SessionError, SessionManager } from '../../src/index.js';
import { createFetchHandler, createSessionsHandler } from '../../src/http/index.js';

const put = (url: string, body: unknown) =>
  new Request(url, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

describe('HTTP handler options', () => {
  it('basePath moves the routes, and "" serves them at the root', async () => {
    const deep = createFetchHandler(new SessionManager(), { basePath: '/api/v1/sessions/' });
    const created = await deep(put('http://h/api/v1/sessions/a', { data: 1 }));
    expect(created.status).toBe(200);
    expect(created.headers.get('content-location')).toBe('/api/v1/sessions/a');
    expect((await deep(new Request('http://h/api/v1/sessions'))).status).toBe(200);
    expect((await deep(new Request('http://h/sessions/a'))).status).toBe(404);

    const root = createFetchHandler(new SessionManager(), { basePath: '' });
    expect((await root(put('http://h/b', { data: 2 }))).status).toBe(200);
    const list = await root(new Request('http://h/'));
    expect((await list.json()).sessions.map((s: { id: string }) => s.id)).toEqual(['b']);
  });

  it('refuses bad options with a TypeError naming the option', () => {
    const m = new SessionManager();
    expect(() => createFetchHandler(m, { basePath: 'sessions' })).toThrow(/basePath/);
    expect(() => createFetchHandler(m, { basePath: '/a?b' })).toThrow(/basePath/);
    expect(() => createFetchHandler(m, { maxBodyBytes: 0 })).toThrow(/maxBodyBytes/);
    expect(() => createSessionsHandler(m, { bodyTimeout: -1 })).toThrow(/bodyTimeout/);
    expect(() => createSessionsHandler(m, { authorize: 'yes' as never })).toThrow(/authorize/);
    expect(() => createSessionsHandler({} as never)).toThrow(/manager/);
  });

  it('authorize gets the request, the action and the decoded id; only true allows', async () => {
    const calls: Array<[string, string | undefined]> = [];
    const handler = createFetchHandler(new SessionManager(), {
      authorize: (request, action, id) => {
        calls.push([action, id]);
        expect(request).toBeInstanceOf(Request);
        return (id === 'yes' ? true : 'yes') as boolean;
      },
    });
    expect((await handler(put('http://h/sessions/ye%73', { data: 1 }))).status).toBe(200);
    expect((await handler(new Request('http://h/sessions/no'))).status).toBe(403);
    expect((await handler(new Request('http://h/sessions', { method: 'HEAD' }))).status).toBe(403);
    expect((await handler(new Request('http://h/sessions/yes', { method: 'DELETE' }))).status).toBe(200);
    expect(calls).toEqual([['put', 'yes'], ['get', 'no'], ['list', undefined], ['clear', 'yes']]);
  });

  it('authorize gets the parsed query the list will run with, frozen, and {} for other actions', async () => {
    const seen: unknown[] = [];
    const handler = createFetchHandler(new SessionManager(), {
      authorize: (_request, action, _id, query) => {
        seen.push([action, query, Object.isFrozen(query)]);
        return action !== 'list' || query.prefix?.startsWith('bob:') === true;
      },
    });
    expect((await handler(new Request('http://h/sessions?prefix=bob%3A&limit=7&fields=meta&cursor=&x=1'))).status).toBe(200);
    expect((await handler(new Request('http://h/sessions?prefix=alice:'))).status).toBe(403);
    expect((await handler(new Request('http://h/sessions'))).status).toBe(403);
    expect((await handler(new Request('http://h/sessions?prefix=bob:&prefix=alice:'))).status).toBe(400);
    expect((await handler(new Request('http://h/sessions/bob:1?prefix=x'))).status).toBe(404);
    expect(seen).toEqual([
      ['list', { prefix: 'bob:', limit: 7, fields: 'meta' }, true],
      ['list', { prefix: 'alice:' }, true],
      ['list', {}, true],
      ['get', {}, true],
    ]);
  });

  it('authorize sees items, append, pop and truncate with the parsed query each acts on', async () => {
    const seen: unknown[] = [];
    const handler = createFetchHandler(new SessionManager(), {
      authorize: (_request, action, id, query) => {
        seen.push([action, id, query, Object.isFrozen(query)]);
        return !(action === 'items' && (query.limit ?? 100) > 50);
      },
    });
    const post = new Request('http://h/sessions/a/items', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ items: [1, 2, 3] }),
    });
    expect((await handler(post)).status).toBe(201);
    expect((await handler(new Request('http://h/sessions/a/items?after=1&limit=5&order=desc&prefix=x'))).status).toBe(200);
    expect((await handler(new Request('http://h/sessions/a/items'))).status).toBe(403);
    expect((await handler(new Request('http://h/sessions/a/items?before=3', { method: 'DELETE' }))).status).toBe(200);
    expect((await handler(new Request('http://h/sessions/a/items/last', { method: 'DELETE' }))).status).toBe(200);
    expect((await handler(new Request('http://h/sessions/a/items?after=1&after=2'))).status).toBe(400);
    expect(seen).toEqual([
      ['append', 'a', {}, true],
      ['items', 'a', { after: 1, limit: 5, order: 'desc' }, true],
      ['items', 'a', {}, true],
      ['truncate', 'a', { before: 3 }, true],
      ['pop', 'a', {}, true],
    ]);
  });

  it('authorize sees lease for the three lease routes, and the write action for a fenced write', async () => {
    const seen: unknown[] = [];
    const handler = createFetchHandler(new SessionManager(), {
      authorize: (_request, action, id, query) => {
        seen.push([action, id, query]);
        return id !== 'no';
      },
    });
    const taken = await handler(new Request('http://h/sessions/a/lease', { method: 'POST' }));
    expect(taken.status).toBe(201);
    const { fence } = await taken.json();
    const fenced = { 'session-fence': String(fence) };
    const put = new Request('http://h/sessions/a', { method: 'PUT', headers: { ...fenced, 'content-type': 'application/json' }, body: '{"data":1}' });
    expect((await handler(put)).status).toBe(200);
    expect((await handler(new Request('http://h/sessions/a/lease', { method: 'PUT', headers: fenced }))).status).toBe(200);
    expect((await handler(new Request('http://h/sessions/a/lease', { method: 'DELETE', headers: fenced }))).status).toBe(204);
    // Refused before the fence is read: a malformed one is never looked at.
    const denied = new Request('http://h/sessions/no/lease', { method: 'DELETE', headers: { 'session-fence': 'x' } });
    expect((await handler(denied)).status).toBe(403);
    expect(seen).toEqual([
      ['lease', 'a', {}],
      ['put', 'a', {}],
      ['lease', 'a', {}],
      ['lease', 'a', {}],
      ['lease', 'no', {}],
    ]);
  });

  it('a SessionError thrown by authorize answers its status; any other throw 500, reported to onError', async () => {
    const reported: unknown[] = [];
    const handler = createFetchHandler(new SessionManager(), {
      authorize: (_request, _action, id) => {
        if (id === 'teapot') throw new SessionError('unauthenticated', 401, 'send a bearer token');
        throw new Error('secret /etc/passwd');
      },
      onError: (e) => void reported.push(e),
    });
    const r401 = await handler(new Request('http://h/sessions/teapot'));
    expect(r401.status).toBe(401);
    expect(await r401.json()).toMatchObject({ status: 401, code: 'unauthenticated', detail: 'send a bearer token' });
    const r500 = await handler(new Request('http://h/sessions/x'));
    expect(r500.status).toBe(500);
    expect(await r500.text()).not.toContain('passwd');
    expect(reported).toHaveLength(1);
  });

  it('HEAD answers carry no body on the fetch edge either', async () => {
    const handler = createFetchHandler(new SessionManager());
    const r = await handler(new Request('http://h/sessions/missing', { method: 'HEAD' }));
    expect(r.status).toBe(404);
    expect(r.headers.get('content-type')).toBe('application/problem+json');
    expect(await r.text()).toBe('');
  });
});
