/**
 * The ADK adapter proven by ADK itself: its `Runner` driving an `LlmAgent` over a scripted
 * `BaseLlm`, over a MemoryStore and a RedisStore manager, offline.
 */
import { createEvent, InMemorySessionService, LlmAgent, Runner, State } from '@google/adk';
import type { Event } from '@google/adk';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, inject, it, vi } from 'vitest';
import { AdkSessionService } from '../../frameworks/adk/index.js';
import { RedisStore } from '../../adapters/redis/index.js';
import { InvalidArgumentError, MemoryStore, SessionManager, VersionConflictError } from '../../src/index.js';
import type { SessionStore } from '../../src/index.js';
import { removePrefix, uniquePrefix } from '../adapters/redis-helpers.js';
import { describeEvent, rememberTool, ScriptedLlm, scriptedRunner, turn } from './adk-scripted.js';

const url = inject('redisUrl');
const prefixes: string[] = [];
let client: Redis | undefined;

afterAll(async () => {
  if (!client) return;
  for (const prefix of prefixes) await removePrefix(client, prefix);
  await client.quit();
});

const stores: [string, () => SessionStore][] = [['MemoryStore', () => new MemoryStore()]];
if (url) {
  stores.push([
    'RedisStore',
    () => {
      client ??= new Redis(url);
      const prefix = uniquePrefix('adk');
      prefixes.push(prefix);
      return new RedisStore({ client, prefix });
    },
  ]);
}

const app = 'scripted-app';

/** An event written as ADK's flows write them, with a state delta. */
function event(text: string, timestamp: number, stateDelta: Record<string, unknown> = {}, id?: string): Event {
  return createEvent({ ...(id ? { id } : {}), invocationId: 'inv', author: 'assistant', timestamp, content: { role: 'model', parts: [{ text }] }, actions: { stateDelta } });
}

describe.each(stores)('AdkSessionService over %s', (_name, makeStore) => {
  function setup() {
    const manager = new SessionManager({ store: makeStore() });
    return { manager, service: new AdkSessionService(manager) };
  }

  it('runs a chat through the ADK Runner: text, a tool call and its result, streamed partials not stored, state scopes after each turn', async () => {
    const { service } = setup();
    const runner = scriptedRunner(service, app);
    const created = await service.createSession({ appName: app, userId: 'ann', state: { topic: 'colours', 'user:name': 'Ann', 'app:mode': 'demo', 'temp:x': 1 } });
    expect(created.state).toEqual({ topic: 'colours', 'user:name': 'Ann', 'app:mode': 'demo' });
    expect(created.events).toEqual([]);

    const first = await turn(runner, 'ann', created.id, 'hi', true);
    expect(first.filter((e) => e.partial).map(describeEvent)).toEqual(['assistant: ech', 'assistant: o hi (saw 1)']);
    let session = (await service.getSession({ appName: app, userId: 'ann', sessionId: created.id }))!;
    expect(session.events.map(describeEvent)).toEqual(['user: hi', 'assistant: echo hi (saw 1)']);
    expect(session.events.some((e) => e.partial)).toBe(false);
    expect(session.state).toEqual({ topic: 'colours', 'user:name': 'Ann', 'app:mode': 'demo' });

    const second = await turn(runner, 'ann', created.id, 'remember blue');
    session = (await service.getSession({ appName: app, userId: 'ann', sessionId: created.id }))!;
    expect(session.events.map(describeEvent)).toEqual([
      'user: hi',
      'assistant: echo hi (saw 1)',
      'user: remember blue',
      'assistant: call remember({"value":"blue"})',
      'assistant: result remember({"value":"blue"})',
      'assistant: remembered blue (saw 5)',
    ]);
    expect(session.events.slice(3).map((e) => e.id)).toEqual(second.map((e) => e.id));
    const call = session.events[3]!.content!.parts![0]!.functionCall!;
    expect(session.events[4]!.content!.parts![0]!.functionResponse!.id).toBe(call.id);
    expect(session.events[4]!.actions.stateDelta).toEqual({ last: 'blue', 'user:favourite': 'blue', 'app:remembered': 1 });
    expect(session.state).toEqual({ topic: 'colours', last: 'blue', 'user:name': 'Ann', 'user:favourite': 'blue', 'app:mode': 'demo', 'app:remembered': 1 });

    await turn(runner, 'ann', created.id, 'remember green', true);
    session = (await service.getSession({ appName: app, userId: 'ann', sessionId: created.id }))!;
    expect(session.events).toHaveLength(10);
    expect(session.events.at(-1)!.content!.parts![0]!.text).toBe('remembered green (saw 9)');
    expect(session.state).toMatchObject({ last: 'green', 'user:favourite': 'green', 'app:remembered': 2 });
    expect(Object.keys(session.state).some((key) => key.startsWith('temp:'))).toBe(false);

    // another session of Ann shares user: and app: state; Bob shares only app: state
    const again = await service.createSession({ appName: app, userId: 'ann' });
    expect(again.state).toEqual({ 'user:name': 'Ann', 'user:favourite': 'green', 'app:mode': 'demo', 'app:remembered': 2 });
    const bob = await service.createSession({ appName: app, userId: 'bob', state: { 'user:name': 'Bob' } });
    await turn(runner, 'bob', bob.id, 'remember red');
    const bobs = (await service.getSession({ appName: app, userId: 'bob', sessionId: bob.id }))!;
    expect(bobs.state).toEqual({ last: 'red', 'user:name': 'Bob', 'user:favourite': 'red', 'app:mode': 'demo', 'app:remembered': 3 });
    session = (await service.getSession({ appName: app, userId: 'ann', sessionId: created.id }))!;
    expect(session.state).toMatchObject({ last: 'green', 'user:favourite': 'green', 'app:remembered': 3 });
  });

  it('runs the example of docs/frameworks.md', async () => {
    const sessionService = new AdkSessionService(new SessionManager({ store: makeStore(), ttl: 7 * 24 * 3600_000 }));
    const agent = new LlmAgent({ name: 'assistant', model: new ScriptedLlm(), instruction: 'Answer.', tools: [rememberTool] });
    const runner = new Runner({ appName: 'my-app', agent, sessionService });

    const session = await sessionService.createSession({ appName: 'my-app', userId: 'ann', state: { 'user:name': 'Ann' } });
    const newMessage = { role: 'user', parts: [{ text: 'remember blue' }] };
    for await (const event of runner.runAsync({ userId: 'ann', sessionId: session.id, newMessage })) {
      expect(event.author).toBe('assistant');
    }
    const again = await sessionService.getSession({ appName: 'my-app', userId: 'ann', sessionId: session.id, config: { numRecentEvents: 20 } });
    expect(again?.events).toHaveLength(4); // the message, the tool call, its result, the answer
    expect(again?.state).toEqual({ last: 'blue', 'user:name': 'Ann', 'user:favourite': 'blue', 'app:remembered': 1 });
  });

  it('stores what ADK\'s InMemorySessionService stores for the same conversation', async () => {
    const { service } = setup();
    const reference = new InMemorySessionService();
    const seen: unknown[][] = [];
    for (const sessionService of [service, reference]) {
      const runner = scriptedRunner(sessionService, app);
      await sessionService.createSession({ appName: app, userId: 'ann', sessionId: 'same', state: { n: 1 } });
      for (const text of ['hi', 'remember blue', 'bye']) await turn(runner, 'ann', 'same', text, true);
      const got = (await sessionService.getSession({ appName: app, userId: 'ann', sessionId: 'same' }))!;
      seen.push([...got.events.map(describeEvent), got.state]);
    }
    expect(seen[0]).toEqual(seen[1]);
  });

  it('getSession answers numRecentEvents and afterTimestamp from the newest pages, not the whole log', async () => {
    const { manager, service } = setup();
    await service.createSession({ appName: app, userId: 'ann', sessionId: 'long', state: { n: 0 } });
    let session = (await service.getSession({ appName: app, userId: 'ann', sessionId: 'long' }))!;
    for (let i = 1; i <= 300; i++) {
      await service.appendEvent({ session, event: event(`e${i}`, 1_000 + i, i === 10 ? { n: 10 } : {}) });
    }
    const read = vi.spyOn(manager, 'items');
    const texts = (s: typeof session | undefined) => s!.events.map((e) => e.content!.parts![0]!.text);

    session = (await service.getSession({ appName: app, userId: 'ann', sessionId: 'long', config: { numRecentEvents: 3 } }))!;
    expect(texts(session)).toEqual(['e298', 'e299', 'e300']);
    expect(session.state).toEqual({ n: 10 });
    const itemsRead = async () => {
      let count = 0;
      for (const result of read.mock.results) count += ((await result.value) as { items: unknown[] }).items.length;
      read.mockClear();
      return count;
    };
    expect(await itemsRead()).toBeLessThan(300 / 2);

    session = (await service.getSession({ appName: app, userId: 'ann', sessionId: 'long', config: { afterTimestamp: 1_297 } }))!;
    expect(texts(session)).toEqual(['e298', 'e299', 'e300']);
    expect(await itemsRead()).toBeLessThan(300 / 2);

    session = (await service.getSession({ appName: app, userId: 'ann', sessionId: 'long', config: { afterTimestamp: 1_200, numRecentEvents: 2 } }))!;
    expect(texts(session)).toEqual(['e299', 'e300']);
    expect(await itemsRead()).toBeLessThan(300 / 2);

    session = (await service.getSession({ appName: app, userId: 'ann', sessionId: 'long' }))!;
    expect(session.events).toHaveLength(300);
    expect(session.state).toEqual({ n: 10 });
  });

  it('createSession is create-only and makes an id when none is given', async () => {
    const { service } = setup();
    await service.createSession({ appName: app, userId: 'ann', sessionId: 's1', state: { a: 1 } });
    await expect(service.createSession({ appName: app, userId: 'ann', sessionId: 's1', state: { a: 2 } })).rejects.toThrow(VersionConflictError);
    expect((await service.getSession({ appName: app, userId: 'ann', sessionId: 's1' }))!.state).toEqual({ a: 1 });
    const made = await service.createSession({ appName: app, userId: 'ann' });
    expect(made.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(await service.getSession({ appName: app, userId: 'ann', sessionId: made.id })).toMatchObject({ id: made.id, userId: 'ann', appName: app });
  });

  it('listSessions lists by app and user, newest first, with ADK\'s paging fields', async () => {
    const { service } = setup();
    for (const [userId, sessionId] of [['ann', 'a1'], ['ann', 'a2'], ['ann', 'a3'], ['bob', 'b1']] as const) {
      const session = await service.createSession({ appName: app, userId, sessionId });
      expect(session.id).toBe(sessionId);
      await new Promise((resolve) => setTimeout(resolve, 3));
    }
    await service.createSession({ appName: 'other-app', userId: 'ann', sessionId: 'x1' });
    // a1 is written last, after a2, a3 and b1 were created
    const a1 = (await service.getSession({ appName: app, userId: 'ann', sessionId: 'a1' }))!;
    await service.appendEvent({ session: a1, event: event('latest', Date.now()) });

    const ann = await service.listSessions({ appName: app, userId: 'ann' });
    expect(ann.sessions.map((s) => s.id)).toEqual(['a1', 'a3', 'a2']);
    expect(ann).toMatchObject({ page: 1, limit: 3, totalItems: 3, totalPages: 1 });
    expect(ann.sessions[0]).toMatchObject({ appName: app, userId: 'ann', state: {}, events: [] });
    const all = await service.listSessions({ appName: app });
    expect(all.sessions.map((s) => `${s.userId}/${s.id}`)).toEqual(['ann/a1', 'bob/b1', 'ann/a3', 'ann/a2']);
    expect(await service.listSessions({ appName: app, limit: 3, page: 2 })).toMatchObject({ page: 2, limit: 3, totalItems: 4, totalPages: 2, sessions: [{ id: 'a2' }] });
    expect(await service.listSessions({ appName: app, limit: 2, offset: 2 })).toMatchObject({ page: 2, limit: 2, totalItems: 4, totalPages: 2, sessions: [{ id: 'a3' }, { id: 'a2' }] });
    expect((await service.listSessions({ appName: app, userId: 'ann', order: 'asc' })).sessions.map((s) => s.id)).toEqual(['a2', 'a3', 'a1']);
    expect(await service.listSessions({ appName: 'no-app' })).toEqual({ sessions: [], page: 1, limit: 0, totalItems: 0, totalPages: 0 });
    await expect(service.listSessions({ appName: app, limit: -1 })).rejects.toThrow(InvalidArgumentError);
  });

  it('deleteSession removes the session and its events; app: and user: state stay', async () => {
    const { service } = setup();
    const session = await service.createSession({ appName: app, userId: 'ann', sessionId: 'gone', state: { 'user:keep': true, 'app:keep': 1 } });
    await service.appendEvent({ session, event: event('one', 1) });
    await service.deleteSession({ appName: app, userId: 'ann', sessionId: 'gone' });
    expect(await service.getSession({ appName: app, userId: 'ann', sessionId: 'gone' })).toBeUndefined();
    expect((await service.listSessions({ appName: app, userId: 'ann' })).sessions).toEqual([]);
    const next = await service.createSession({ appName: app, userId: 'ann', sessionId: 'gone' });
    expect(next.events).toEqual([]);
    expect(next.state).toEqual({ 'user:keep': true, 'app:keep': 1 });
  });

  it('an event with an id already stored replaces it in its place, with its state change', async () => {
    const { service } = setup();
    const session = await service.createSession({ appName: app, userId: 'ann', sessionId: 'r' });
    await service.appendEvent({ session, event: event('a', 1, { step: 'a' }) });
    await service.appendEvent({ session, event: event('b', 2, { step: 'b' }, 'event-b') });
    await service.appendEvent({ session, event: event('c', 3) });
    await service.appendEvent({ session, event: event('b again', 4, { fixed: true, 'user:seen': 'b' }, 'event-b') });
    const got = (await service.getSession({ appName: app, userId: 'ann', sessionId: 'r' }))!;
    expect(got.events.map((e) => e.content!.parts![0]!.text)).toEqual(['a', 'b again', 'c']);
    expect(got.events.map((e) => e.id)).toEqual(session.events.map((e) => e.id));
    expect(got.state).toEqual({ step: 'b', fixed: true, 'user:seen': 'b' });
    expect(got.state).toEqual(session.state);
  });

  it('keeps ADK\'s write order: an older delta appended after a newer write does not roll it back', async () => {
    const { service } = setup();
    const states: unknown[] = [];
    for (const sessionService of [service, new InMemorySessionService()]) {
      const session = await sessionService.createSession({ appName: app, userId: 'ann', sessionId: 'order' });
      const older: Record<string, unknown> = {};
      const newer: Record<string, unknown> = {};
      new State(session.state, older).set('k', 'older');
      new State(session.state, newer).set('k', 'newer');
      await sessionService.appendEvent({ session, event: event('newer', 1, newer) });
      await sessionService.appendEvent({ session, event: event('older', 2, older) });
      states.push(session.state, (await sessionService.getSession({ appName: app, userId: 'ann', sessionId: 'order' }))!.state);
    }
    expect(states).toEqual([{ k: 'newer' }, { k: 'newer' }, { k: 'newer' }, { k: 'newer' }]);
  });

  it('a replacement that meets a concurrent append reads again and keeps both', async () => {
    const { manager, service } = setup();
    const session = await service.createSession({ appName: app, userId: 'ann', sessionId: 'race' });
    const other = (await service.getSession({ appName: app, userId: 'ann', sessionId: 'race' }))!;
    await service.appendEvent({ session, event: event('a', 1, {}, 'event-a') });
    await service.appendEvent({ session, event: event('b', 2) });
    const append = manager.append.bind(manager);
    const spy = vi.spyOn(manager, 'append').mockImplementationOnce(async (...args) => {
      await service.appendEvent({ session: other, event: event('from another writer', 3) });
      return append(...args);
    });
    await service.appendEvent({ session, event: event('a again', 4, {}, 'event-a') });
    expect(spy.mock.calls.filter(([, , options]) => options?.replaceAfter === 0)).toHaveLength(2);
    const got = (await service.getSession({ appName: app, userId: 'ann', sessionId: 'race' }))!;
    expect(got.events.map((e) => e.content!.parts![0]!.text)).toEqual(['a again', 'b', 'from another writer']);
  });

  it('does not store partial events, temp: state, or events of a session that does not exist', async () => {
    const { manager, service } = setup();
    const session = await service.createSession({ appName: app, userId: 'ann', sessionId: 'p' });
    const partial = createEvent({ invocationId: 'i', author: 'assistant', partial: true, content: { role: 'model', parts: [{ text: 'par' }] } });
    expect(await service.appendEvent({ session, event: partial })).toBe(partial);
    await service.appendEvent({ session, event: event('whole', 5, { 'temp:t': 1, kept: 2 }) });
    const got = (await service.getSession({ appName: app, userId: 'ann', sessionId: 'p' }))!;
    expect(got.events.map((e) => e.content!.parts![0]!.text)).toEqual(['whole']);
    expect(got.events[0]!.actions.stateDelta).toEqual({ kept: 2 });
    expect(got.state).toEqual({ kept: 2 });

    const ghost = { ...session, id: 'never-created', events: [], state: { ...session.state } };
    await expect(service.appendEvent({ session: ghost, event: event('lost', 6, { gone: true }) })).rejects.toThrow(InvalidArgumentError);
    expect(ghost.events).toEqual([]);
    expect(ghost.state).toEqual({ kept: 2 });
    expect(await service.getSession({ appName: app, userId: 'ann', sessionId: 'never-created' })).toBeUndefined();
    expect((await manager.list({ fields: 'meta' })).sessions.map((s) => s.id)).not.toContain('adk:s:scripted-app:ann:never-created');
  });

  it('keeps services with different prefixes apart, and refuses a prefix outside the alphabet', async () => {
    const { manager, service } = setup();
    const other = new AdkSessionService(manager, { prefix: 'team-b:' });
    await service.createSession({ appName: app, userId: 'ann', sessionId: 'one', state: { 'app:x': 1 } });
    expect(await other.getSession({ appName: app, userId: 'ann', sessionId: 'one' })).toBeUndefined();
    expect((await other.listSessions({ appName: app })).sessions).toEqual([]);
    expect((await other.createSession({ appName: app, userId: 'ann', sessionId: 'one' })).state).toEqual({});
    expect(() => new AdkSessionService(manager, { prefix: 'a b' })).toThrow(/options\.prefix/);
  });

  it('maps names outside the identifier alphabet reversibly', async () => {
    const { manager, service } = setup();
    const names = { appName: 'my app/ü', userId: 'a:b~c@d', sessionId: "x y!'()*%" };
    await service.createSession({ ...names, state: { 'user:u': 1 } });
    expect(await service.getSession(names)).toMatchObject({ id: names.sessionId, appName: names.appName, userId: names.userId, state: { 'user:u': 1 } });
    expect((await service.listSessions({ appName: names.appName })).sessions).toMatchObject([{ id: names.sessionId, userId: names.userId }]);
    const ids = (await manager.list({ fields: 'meta' })).sessions.map((s) => s.id).sort();
    expect(ids).toEqual(['adk:s:my~20app~2F~C3~BC:a~3Ab~7Ec~40d:x~20y~21~27~28~29~2A~25', 'adk:u:my~20app~2F~C3~BC:a~3Ab~7Ec~40d']);
    await service.createSession({ appName: 'a', userId: '', sessionId: 'empty-user' });
    expect((await service.listSessions({ appName: 'a' })).sessions).toMatchObject([{ id: 'empty-user', userId: '' }]);
  });
});
