/**
 * The lease routes in the case table every HTTP host runs (called from `describeHttpHost`):
 * acquire, renew, release, `Session-Fence` on every write route, their errors, each answer
 * checked against docs/openapi.json by the client.
 */
import { expect, it } from 'vitest';
import { expectProblem, expectProblemOrHost, type HostTraits } from './cases.js';
import { json, rawExchange, send, type Reply, type SendOptions } from './client.js';
import { BODY_TIMEOUT, DENIED, FAIL_500, FAIL_503, MAX_BODY, reported, uid } from './fixture.js';

export function describeLeaseRoutes(base: () => string, traits: HostTraits): void {
  const acquire = (id: string, body?: unknown, headers: Record<string, string> = {}) =>
    send(base(), 'POST', `/sessions/${id}/lease`, body === undefined ? { headers } : json(body, headers));
  const renew = (id: string, fence: unknown, body?: unknown) => {
    const headers: Record<string, string> = fence === undefined ? {} : { 'session-fence': String(fence) };
    return send(base(), 'PUT', `/sessions/${id}/lease`, body === undefined ? { headers } : json(body, headers));
  };
  const release = (id: string, fence: unknown) => {
    const headers: Record<string, string> = fence === undefined ? {} : { 'session-fence': String(fence) };
    return send(base(), 'DELETE', `/sessions/${id}/lease`, { headers });
  };
  const session = async (id: string) => (await send(base(), 'GET', `/sessions/${id}`)).body?.session;
  const itemCount = async (id: string) => (await send(base(), 'GET', `/sessions/${id}/items`)).body.items.length;
  const fenced = (fence: unknown) => ({ 'session-fence': String(fence) });
  /** Every write route, carrying `headers`. */
  const writes = (id: string, headers: Record<string, string>): Array<[string, () => Promise<Reply>]> => [
    ['PUT', () => send(base(), 'PUT', `/sessions/${id}`, json({ data: 'stale' }, headers))],
    ['POST items', () => send(base(), 'POST', `/sessions/${id}/items`, json({ items: ['stale'] }, headers))],
    ['DELETE items/last', () => send(base(), 'DELETE', `/sessions/${id}/items/last`, { headers })],
    ['DELETE items', () => send(base(), 'DELETE', `/sessions/${id}/items?after=0`, { headers })],
    ['DELETE', () => send(base(), 'DELETE', `/sessions/${id}`, { headers })],
  ];
  const leaseOf = (r: Reply) => {
    expect(r.headers['content-type']).toBe('application/json');
    expect(Number.isSafeInteger(r.body.fence) && r.body.fence >= 1).toBe(true);
    return r.body as { fence: number; expiresAt: string };
  };

  it('POST …/lease takes the lease: 201 { fence, expiresAt }; PUT renews it, DELETE releases it (204)', async () => {
    const id = uid('lease');
    const before = Date.now();
    const first = await acquire(id);
    expect(first.status, first.text).toBe(201);
    const lease = leaseOf(first);
    expect(Date.parse(lease.expiresAt)).toBeGreaterThanOrEqual(before + 30_000);
    expect(await session(id)).toBeUndefined(); // acquire does not create the session
    const renewed = await renew(id, lease.fence, { ttl: 3_600_000 });
    expect(renewed.status, renewed.text).toBe(200);
    expect(renewed.body.fence).toBe(lease.fence);
    expect(Date.parse(renewed.body.expiresAt)).toBeGreaterThan(Date.parse(lease.expiresAt));
    const plain = await renew(id, lease.fence);
    expect([plain.status, plain.body.fence]).toEqual([200, lease.fence]);
    const released = await release(id, lease.fence);
    expect([released.status, released.text]).toEqual([204, '']);
    const next = await acquire(id, { ttl: 60_000 });
    expect(next.status).toBe(201);
    expect(leaseOf(next).fence).toBeGreaterThan(lease.fence);
    expect((await release(id, next.body.fence)).status).toBe(204);
  });

  it('a held lease is 409 lease_held with expiresAt and Retry-After; the holder itself too', async () => {
    const id = uid('held');
    const lease = leaseOf(await acquire(id, { ttl: 90_000 }));
    for (const body of [undefined, { wait: 0 }, { ttl: 5, wait: 20 }]) {
      const r = await acquire(id, body);
      expectProblem(r, 409, 'lease_held');
      expect(r.body.expiresAt).toBe(lease.expiresAt);
      expect(Number(r.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      expect(Number(r.headers['retry-after'])).toBeLessThanOrEqual(90);
    }
    expect((await renew(id, lease.fence)).status).toBe(200); // the lease is still the holder's
  });

  it('a waiting POST …/lease gets the lease when the holder releases it', async () => {
    const id = uid('wait');
    const lease = leaseOf(await acquire(id));
    const waiting = acquire(id, { wait: 30_000 });
    // The waiter is queued once its request is in; a renew round trip later it surely is.
    await renew(id, lease.fence);
    expect((await release(id, lease.fence)).status).toBe(204);
    const got = await waiting;
    expect(got.status, got.text).toBe(201);
    expect(leaseOf(got).fence).toBeGreaterThan(lease.fence);
  });

  it('renew or release with a lost fence is 409 fenced and changes nothing', async () => {
    const id = uid('lost');
    const old = leaseOf(await acquire(id));
    expect((await release(id, old.fence)).status).toBe(204);
    expectProblem(await release(id, old.fence), 409, 'fenced');
    expectProblem(await renew(id, old.fence), 409, 'fenced');
    const now = leaseOf(await acquire(id));
    expectProblem(await renew(id, old.fence, { ttl: 1000 }), 409, 'fenced');
    expectProblem(await release(id, old.fence), 409, 'fenced');
    expectProblem(await release(id, now.fence + 1), 409, 'fenced');
    expectProblem(await renew(uid('never'), 1), 409, 'fenced');
    // The live lease is untouched: it renews, and a new acquire is still refused.
    expect((await renew(id, now.fence)).body.fence).toBe(now.fence);
    expectProblem(await acquire(id), 409, 'lease_held');
  });

  it('Session-Fence on every write route: the live fence writes, a stale one is 409 fenced and changes nothing', async () => {
    const id = uid('fenced');
    const old = leaseOf(await acquire(id));
    // Under the live lease every write goes through.
    const live = fenced(old.fence);
    expect((await send(base(), 'PUT', `/sessions/${id}`, json({ data: 1 }, live))).status).toBe(200);
    expect((await send(base(), 'POST', `/sessions/${id}/items`, json({ items: [1, 2, 3] }, live))).status).toBe(201);
    expect((await send(base(), 'DELETE', `/sessions/${id}/items/last`, { headers: live })).status).toBe(200);
    expect((await send(base(), 'DELETE', `/sessions/${id}/items?before=2`, { headers: live })).status).toBe(200);
    expect(await session(id)).toMatchObject({ version: 4, data: 1, itemCount: 1 });
    // Another takes the lease; the old fence is stale on every route.
    expect((await release(id, old.fence)).status).toBe(204);
    const now = leaseOf(await acquire(id));
    for (const [name, write] of writes(id, fenced(old.fence))) {
      const r = await write();
      expectProblem(r, 409, 'fenced');
      expect(r.body.detail, name).toBeTypeOf('string');
    }
    expect(await session(id)).toMatchObject({ version: 4, data: 1, itemCount: 1 });
    expect(await itemCount(id)).toBe(1);
    // A fence no lease ever had, and one on a session without a lease, are stale too.
    for (const [, write] of writes(id, fenced(now.fence + 100))) expectProblem(await write(), 409, 'fenced');
    const free = uid('free');
    await send(base(), 'PUT', `/sessions/${free}`, json({ data: 'kept' }));
    for (const [, write] of writes(free, fenced(1))) expectProblem(await write(), 409, 'fenced');
    expect(await session(free)).toMatchObject({ version: 1, data: 'kept' });
    // Without Session-Fence nothing is checked (leases are opt-in); with the live one the session goes.
    expect((await send(base(), 'PUT', `/sessions/${free}`, json({ data: 'free' }))).status).toBe(200);
    expect((await send(base(), 'DELETE', `/sessions/${id}`, { headers: fenced(now.fence) })).status).toBe(200);
    expect(await session(id)).toBeUndefined();
  });

  it('a Session-Fence that is not a whole number ≥ 1 is 400 on every write and lease route; nothing changes', async () => {
    const id = uid('badfence');
    const lease = leaseOf(await acquire(id));
    await send(base(), 'POST', `/sessions/${id}/items`, json({ items: [1, 2] }, fenced(lease.fence)));
    for (const value of ['0', '-1', '1.5', 'abc', '', '1e3', '0x10', '01', '99999999999999999', `${lease.fence},${lease.fence}`]) {
      for (const [, write] of writes(id, { 'session-fence': value })) expectProblem(await write(), 400, 'invalid_argument');
      expectProblem(await renew(id, value), 400, 'invalid_argument');
      expectProblem(await release(id, value), 400, 'invalid_argument');
    }
    expect(await session(id)).toMatchObject({ version: 1, itemCount: 2 });
    expect((await renew(id, lease.fence)).status).toBe(200);
  });

  it('PUT or DELETE …/lease without Session-Fence is 400', async () => {
    const id = uid('nofence');
    const lease = leaseOf(await acquire(id));
    for (const r of [await renew(id, undefined), await renew(id, undefined, { ttl: 10 }), await release(id, undefined)]) {
      expectProblem(r, 400, 'invalid_argument');
      expect(r.body.detail).toContain('Session-Fence');
    }
    expect((await release(id, lease.fence)).status).toBe(204);
  });

  it('a bad ttl or wait, or a body that is not an object, is 400 and takes no lease', async () => {
    const id = uid('badbody');
    const bodies = [{ ttl: 0 }, { ttl: -1 }, { ttl: 1.5 }, { ttl: 86_400_001 }, { ttl: '1000' }, { ttl: null },
      { wait: -1 }, { wait: 0.5 }, { wait: 60_001 }, { wait: 'long' }, [1]];
    for (const body of bodies) expectProblem(await acquire(id, body), 400, 'invalid_argument');
    // A JSON body that is not an object or array: a strict host parser (express.json()) refuses it first.
    const host = Boolean(traits.parsesBody);
    for (const text of ['5', '"x"', 'null']) {
      const path = `/sessions/${id}/lease`;
      const r = await send(base(), 'POST', path, { headers: { 'content-type': 'application/json' }, body: text, hostAnswer: host });
      expectProblemOrHost(base(), 'POST', path, r, 400, 'invalid_argument', host);
    }
    const lease = leaseOf(await acquire(id, { ttl: 86_400_000, wait: 0, other: 1 }));
    for (const body of [{ ttl: 0 }, { ttl: 86_400_001 }, { ttl: 2.5 }, []]) {
      expectProblem(await renew(id, lease.fence, body), 400, 'invalid_argument');
    }
    expect((await release(id, lease.fence)).status).toBe(204);
  });

  it('a lease body without a JSON Content-Type is 415; bad JSON is 400', async () => {
    const host = Boolean(traits.parsesBody);
    for (const [method, headers] of [['POST', {}], ['PUT', fenced(1)]] as const) {
      const path = `/sessions/${uid()}/lease`;
      for (const type of ['text/plain', 'application/json; charset=latin1']) {
        const options: SendOptions = { headers: { ...headers, 'content-type': type }, body: '{"ttl":1000}', hostAnswer: host };
        expectProblemOrHost(base(), method, path, await send(base(), method, path, options), 415, 'unsupported_media_type', host);
      }
      const bad = await send(base(), method, path, { headers: { ...headers, 'content-type': 'application/json' }, body: '{"ttl":', hostAnswer: host });
      if (host) expect(bad.status).toBe(400);
      else expectProblem(bad, 400, 'invalid_json');
    }
  });

  it('a lease body over maxBodyBytes is 413', async () => {
    for (const [method, extra] of [['POST', ''], ['PUT', 'Session-Fence: 1\r\n']] as const) {
      if (traits.parsesBody) {
        const big = { ttl: 1000, pad: 'x'.repeat(MAX_BODY + 10) };
        const r = await send(base(), method, `/sessions/${uid()}/lease`, json(big, extra ? fenced(1) : {}));
        expectProblem(r, 413, 'payload_too_large');
        expect(r.body.limit).toBe(MAX_BODY);
        continue;
      }
      const head = `${method} /sessions/${uid()}/lease HTTP/1.1\r\nHost: x\r\n${extra}Content-Type: application/json\r\nContent-Length: ${10 * MAX_BODY}\r\n\r\n`;
      const r = await rawExchange(base(), head, ['{"pad":"', 'x'.repeat(1000)], 20);
      expect(r.status).toBe(413);
      expect(JSON.parse(r.body)).toMatchObject({ status: 413, code: 'payload_too_large', limit: MAX_BODY });
      expect(r.sent).toBeLessThan(MAX_BODY);
    }
  });

  if (!traits.parsesBody) {
    it('a lease body that trickles in past bodyTimeout is 408', async () => {
      for (const [method, extra] of [['POST', ''], ['PUT', 'Session-Fence: 1\r\n']] as const) {
        const head = `${method} /sessions/${uid()}/lease HTTP/1.1\r\nHost: x\r\n${extra}Content-Type: application/json\r\nContent-Length: 200\r\n\r\n`;
        const r = await rawExchange(base(), head, '{"pad":"' + 'x'.repeat(180), Math.ceil(BODY_TIMEOUT / 6));
        expect(r.status).toBe(408);
        expect(r.sent).toBeLessThan(200);
      }
    });

    it('authorize runs before a POST …/lease body is read: 403 while the body is still unsent', async () => {
      const head = `POST /sessions/${DENIED}-${uid()}/lease HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n`;
      const r = await rawExchange(base(), head, ['{"ttl":'], 10);
      expect(r.status).toBe(403);
      expect(r.sent).toBeLessThan(100);
    });
  }

  it('other methods on …/lease answer 405 with Allow; paths beside it are 404; bad ids 400', async () => {
    for (const method of ['GET', 'HEAD', 'PATCH', 'OPTIONS']) {
      const r = await send(base(), method, `/sessions/${uid()}/lease`);
      expect(r.status).toBe(405);
      expect(r.headers.allow).toBe('POST, PUT, DELETE');
    }
    for (const path of ['/sessions/a/lease/', '/sessions/a/leases', '/sessions/a/lease/x', '/sessions/a/LEASE']) {
      expectProblem(await send(base(), 'POST', path), 404, 'not_found');
    }
    expectProblem(await acquire('a%20b'), 400, 'invalid_identifier');
    expectProblem(await release('...', 1), 400, 'invalid_identifier');
  });

  it('authorize refusing is 403 on every lease route', async () => {
    const id = `${DENIED}-${uid()}`;
    expectProblem(await acquire(id), 403, 'forbidden');
    expectProblem(await renew(id, 1), 403, 'forbidden');
    expectProblem(await release(id, 1), 403, 'forbidden');
    expectProblem(await acquire(uid(), undefined, { 'x-deny': '1' }), 403, 'forbidden');
  });

  it('a failing store is 500 on every lease route, an unavailable one 503 with Retry-After', async () => {
    const before = reported.length;
    for (const fail of [FAIL_500, FAIL_503]) {
      const id = `${fail}-${uid()}`;
      for (const r of [await acquire(id), await renew(id, 1), await release(id, 1)]) {
        expectProblem(r, fail === FAIL_500 ? 500 : 503, fail === FAIL_500 ? 'internal' : 'store_unavailable');
        if (fail === FAIL_503) expect(r.headers['retry-after']).toBe('1');
      }
    }
    expect(reported.length).toBeGreaterThanOrEqual(before + 6);
  });
}
