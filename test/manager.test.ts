import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { MemoryStore, SessionError, SessionManager, ValidationError, VersionConflictError } from '../src/index.js';
import { GET_TEXT, PUT_TEXT } from '../src/manager.js';

describe('SessionManager options', () => {
  it('refuses bad options at construction with a TypeError naming the option', () => {
    expect(() => new SessionManager({ ttl: -1 })).toThrow(/^ttl must be a positive/);
    expect(() => new SessionManager({ maxLifetime: 0 })).toThrow(/^maxLifetime must be/);
    expect(() => new SessionManager({ maxBytes: NaN })).toThrow(/^maxBytes must be/);
    expect(() => new SessionManager({ schema: {} as never })).toThrow(/^schema must be a Standard Schema/);
    expect(() => new SessionManager({ now: 5 as never })).toThrow(/^now must be a function/);
    expect(() => new MemoryStore({ sweepInterval: -1 })).toThrow(/^sweepInterval must be/);
    for (const make of [() => new SessionManager({ ttl: -1 }), () => new MemoryStore({ now: 1 as never })]) {
      expect(make).toThrow(TypeError);
    }
  });

  it('uses a MemoryStore by default', () => {
    expect(new SessionManager().store).toBeInstanceOf(MemoryStore);
  });

  it('validates data with a zod schema through Standard Schema', async () => {
    const sessions = new SessionManager({ schema: z.object({ messages: z.array(z.string()) }) });
    await sessions.put('ok', { messages: ['hi'] });
    const err = await sessions.put('bad', { messages: [1] } as never).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).issues[0]?.path).toEqual(['messages', 0]);
    expect((err as ValidationError).message).toMatch(/^data does not match the schema at messages\.0/);
    expect(await sessions.get('bad')).toBeUndefined();
  });

  it('gives every error a stable code and HTTP status', async () => {
    const sessions = new SessionManager();
    await sessions.put('a', 1);
    const err = (await sessions.put('a', 2, { ifVersion: 0 }).catch((e: unknown) => e)) as VersionConflictError;
    expect(err).toBeInstanceOf(SessionError);
    expect([err.name, err.code, err.status, err.currentVersion]).toEqual(['VersionConflictError', 'version_conflict', 412, 1]);
    expect(err.message).toBe('session "a" already exists (version 1); ifVersion 0 creates only');
  });

  it('returns the value passed to put as data, without copying it', async () => {
    const sessions = new SessionManager();
    const data = { a: 1 };
    expect((await sessions.put('same', data)).data).toBe(data);
  });

  it('formats every timestamp exactly as Date#toISOString', async () => {
    let clock = 0;
    const sessions = new SessionManager({ now: () => clock });
    const samples = [0, 1, 999, 86_399_999, 86_400_000, Date.now(), 253_402_300_799_999, 253_402_300_800_000, 1.5];
    for (let i = 0; i < 500; i++) samples.push(Math.floor(Math.random() * 253_402_300_800_000));
    for (const ms of samples) {
      clock = ms;
      expect((await sessions.put('t', 1)).updatedAt).toBe(new Date(ms).toISOString());
    }
  });

  it('the session clear returns behaves as a plain object, its data parsed on first read', async () => {
    const sessions = new SessionManager();
    await sessions.put('c', { list: [1] });
    const removed = (await sessions.clear('c'))!;
    expect(JSON.parse(JSON.stringify(removed))).toMatchObject({ id: 'c', data: { list: [1] }, version: 1 });
    expect(structuredClone(removed).data).toEqual({ list: [1] });
    expect({ ...removed }.data).toEqual({ list: [1] });
    (removed.data as { list: number[] }).list.push(2);
    expect(removed.data).toEqual({ list: [1, 2] });
    removed.data = 'mine';
    expect(removed.data).toBe('mine');
    await sessions.put('d', 1);
    const other = (await sessions.clear('d'))!;
    other.data = 5; // assigning before any read
    expect(other).toMatchObject({ id: 'd', data: 5 });
  });

  it('stores plain data even when Object.prototype has an enumerable property added', async () => {
    const sessions = new SessionManager();
    const proto = Object.prototype as Record<string, unknown>;
    proto.injected = () => 'x';
    try {
      await sessions.put('p', { a: { b: 1 } });
    } finally {
      delete proto.injected;
    }
    expect((await sessions.get('p'))?.data).toEqual({ a: { b: 1 } });
  });

  it('the JSON text the HTTP layer sends is exactly JSON.stringify of the session', async () => {
    const sessions = new SessionManager<unknown>({ maxLifetime: 60_000 });
    for (const [i, data] of [{ a: [1, 'ü', null] }, 'x"y\\z', 0, null, []].entries()) {
      const written = await sessions[PUT_TEXT](`id-${i}`, data, i % 2 ? { ttl: 1000 } : {});
      const session = await sessions.get(`id-${i}`);
      expect(written.json).toBe(JSON.stringify(session));
      expect((await sessions[GET_TEXT](`id-${i}`))?.json).toBe(JSON.stringify(session));
      expect(written.version).toBe(session?.version);
    }
    const noExpiry = new SessionManager();
    await noExpiry.put('n', 1);
    expect((await noExpiry[GET_TEXT]('n'))?.json).toBe(JSON.stringify(await noExpiry.get('n')));
    expect(await noExpiry[GET_TEXT]('missing')).toBeUndefined();
  });
});
