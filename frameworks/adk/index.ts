/**
 * agent-sessions/adk: a `BaseSessionService` of Google ADK (`@google/adk` 2.x) over a
 * {@link SessionManager}, so ADK agents keep their sessions in any store (memory, LRU, Redis).
 *
 * @module
 */
import { BaseSessionService, State } from '@google/adk';
import type {
  AppendEventRequest,
  CreateSessionRequest,
  DeleteSessionRequest,
  Event,
  GetSessionRequest,
  ListSessionsRequest,
  ListSessionsResponse,
  Session as AdkSession,
} from '@google/adk';
import { InvalidArgumentError, VersionConflictError } from '../../src/errors.js';
import type { SessionManager } from '../../src/manager.js';
import { AdkIds } from './ids.js';
import { readLog, replaceEvent, STATE_EVERY } from './log.js';
import type { EventItem, SessionData } from './log.js';
import { listPage } from './listing.js';

/** Options of {@link AdkSessionService}. */
export interface AdkSessionServiceOptions {
  /**
   * Put before every session identifier this service uses (characters of the identifier
   * alphabet), so ADK sessions share a store with other sessions without meeting them.
   * @defaultValue `'adk:'`
   */
  prefix?: string;
}

type StateMap = Record<string, unknown>;

/** The newest seq this process knows of a session object, and of the item that carried its state. */
interface Seen {
  lastSeq: number;
  stateSeq: number;
}

/**
 * Google ADK's session service over a {@link SessionManager}. An ADK session is a session
 * whose `data` is the state it was created with and whose items are its events, each carrying
 * the session's state after it when it changed that state; `app:` and `user:` state live in
 * sessions of their own and are merged in on every read; `temp:` state is never stored;
 * partial (streaming) events are not stored.
 *
 * @example
 * ```ts
 * import { SessionManager } from 'agent-sessions';
 * import { RedisStore } from 'agent-sessions/redis';
 * import { AdkSessionService } from 'agent-sessions/adk';
 * import { Runner } from '@google/adk';
 *
 * const sessionService = new AdkSessionService(new SessionManager({ store: new RedisStore({ client }) }));
 * const runner = new Runner({ appName: 'support', agent, sessionService });
 * ```
 */
export class AdkSessionService extends BaseSessionService {
  readonly #manager: SessionManager;
  readonly #ids: AdkIds;
  readonly #seen = new WeakMap<AdkSession, Seen>();

  /**
   * @param manager - the manager (and so the store) sessions are kept in
   * @param options - the identifier prefix
   * @throws `TypeError` when `options.prefix` holds characters outside the identifier alphabet
   */
  constructor(manager: SessionManager, options: AdkSessionServiceOptions = {}) {
    super();
    const { prefix = 'adk:' } = options;
    if (typeof prefix !== 'string' || !/^[A-Za-z0-9._~:@-]*$/.test(prefix)) {
      throw new TypeError(`options.prefix must be characters of A–Z a–z 0–9 . _ ~ : @ -; got ${JSON.stringify(prefix)}`);
    }
    this.#manager = manager;
    this.#ids = new AdkIds(prefix);
  }

  /**
   * Creates a session; one that exists already is a `VersionConflictError`, never replaced.
   * Without `sessionId` a random UUID is used.
   */
  override async createSession({ appName, userId, state = {}, sessionId }: CreateSessionRequest): Promise<AdkSession> {
    const id = sessionId || crypto.randomUUID();
    const key = this.#ids.session(appName, userId, id);
    const scopes = splitState(state);
    try {
      await this.#manager.put(key, { state: scopes.own } satisfies SessionData, { ifVersion: 0 });
    } catch (error) {
      if (!(error instanceof VersionConflictError)) throw error;
      const message = `ADK session '${id}' of app '${appName}', user '${userId}' exists already`;
      throw new VersionConflictError(message, error.currentVersion);
    }
    await this.#writeScopes(appName, userId, scopes);
    const session = await this.getSession({ appName, userId, sessionId: id });
    if (!session) throw new VersionConflictError(`ADK session '${id}' was deleted while it was created`, 0);
    return session;
  }

  /**
   * The session with its events (all, the newest `numRecentEvents`, or those with a timestamp
   * strictly after `afterTimestamp`), read newest first so that the older ones are not read.
   */
  override async getSession({ appName, userId, sessionId, config = {} }: GetSessionRequest): Promise<AdkSession | undefined> {
    const key = this.#ids.session(appName, userId, sessionId);
    const { numRecentEvents, afterTimestamp } = config;
    const limit = numRecentEvents !== undefined && numRecentEvents > 0 ? numRecentEvents : Infinity;
    const [record, app, user] = await Promise.all([
      this.#manager.get(key),
      this.#manager.get(this.#ids.app(appName)),
      this.#manager.get(this.#ids.user(appName, userId)),
    ]);
    if (!record) return undefined;
    const log = await readLog(this.#manager, key, limit, afterTimestamp || undefined);
    if (!log) return undefined;
    const own = log.state ?? (record.data as SessionData).state;
    const session: AdkSession = {
      id: sessionId,
      appName,
      userId,
      state: mergeStates((app?.data ?? {}) as StateMap, (user?.data ?? {}) as StateMap, own),
      events: log.events,
      lastUpdateTime: Date.parse(record.updatedAt),
    };
    this.#seen.set(session, { lastSeq: log.lastSeq, stateSeq: log.stateSeq });
    return session;
  }

  /**
   * The sessions of an app (of one user when `userId` is given), without state or events,
   * newest update first unless `order: 'asc'`, paged by `limit` with `offset` or `page`.
   */
  override async listSessions(request: ListSessionsRequest): Promise<ListSessionsResponse> {
    const { appName, userId } = request;
    const prefix = userId === undefined ? this.#ids.users(appName) : this.#ids.sessions(appName, userId);
    const sessions: AdkSession[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.#manager.list({ prefix, fields: 'meta', limit: 1000, ...(cursor ? { cursor } : {}) });
      for (const meta of page.sessions) {
        const names = this.#ids.parse(appName, meta.id);
        const lastUpdateTime = Date.parse(meta.updatedAt);
        sessions.push({ id: names.sessionId, appName, userId: names.userId, state: {}, events: [], lastUpdateTime });
      }
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    return listPage(sessions, request);
  }

  /** Deletes a session with its events; `app:` and `user:` state stay. */
  override async deleteSession({ appName, userId, sessionId }: DeleteSessionRequest): Promise<void> {
    await this.#manager.clear(this.#ids.session(appName, userId, sessionId));
  }

  /**
   * Applies a (non-partial) event to `session` as the base class does (its state rules
   * included), then stores the event with the session's resulting state in one append, then
   * the `app:` and `user:` changes in their sessions. An event whose id `session.events` holds
   * already replaces the stored one in its place. When storing fails, `session` is put back.
   */
  override async appendEvent({ session, event }: AppendEventRequest): Promise<Event> {
    if (event.partial) return event;
    const replacing = session.events.some((e) => e.id === event.id);
    const events = [...session.events];
    const state = { ...session.state };
    await super.appendEvent({ session, event });
    try {
      await this.#store(session, event, replacing);
    } catch (error) {
      session.events.splice(0, session.events.length, ...events);
      for (const key of Object.keys(session.state)) if (!Object.hasOwn(state, key)) delete session.state[key];
      for (const [key, value] of Object.entries(state)) define(session.state, key, value);
      throw error;
    }
    session.lastUpdateTime = event.timestamp;
    return event;
  }

  /** Stores `event` (its `temp:` keys already removed) with `session`'s own state after it. */
  async #store(session: AdkSession, event: Event, replacing: boolean): Promise<void> {
    const scopes = splitState(event.actions?.stateDelta ?? {});
    const stored = JSON.parse(JSON.stringify(event)) as Event;
    const state = splitState(session.state).own;
    const key = this.#ids.session(session.appName, session.userId, session.id);
    const seen = this.#seen.get(session);
    const replaced = replacing && (await replaceEvent(this.#manager, key, { event: stored, state }));
    if (replaced) {
      this.#seen.set(session, { lastSeq: replaced.lastSeq, stateSeq: replaced.lastSeq });
    } else {
      const carry = Object.keys(scopes.own).length > 0 || !seen || seen.lastSeq - seen.stateSeq >= STATE_EVERY - 1;
      const item: EventItem = carry ? { event: stored, state } : { event: stored };
      const done = await this.#manager.append(key, [item]);
      if (done.version === 1) await this.#undoCreate(key, session.id);
      this.#seen.set(session, { lastSeq: done.lastSeq, stateSeq: carry ? done.lastSeq : (seen?.stateSeq ?? 0) });
    }
    await this.#writeScopes(session.appName, session.userId, scopes);
  }

  /** An append that created the session: the ADK session was not there. Remove it again. */
  async #undoCreate(key: string, sessionId: string): Promise<never> {
    await this.#manager.clear(key, { ifVersion: 1 }).catch((error: unknown) => {
      if (!(error instanceof VersionConflictError)) throw error;
    });
    throw new InvalidArgumentError(`appendEvent: ADK session '${sessionId}' does not exist (create it first)`);
  }

  /** Merges `app:` and `user:` changes into their sessions. */
  async #writeScopes(appName: string, userId: string, scopes: Scopes): Promise<void> {
    const merge = (delta: StateMap) => (current: { data: unknown } | undefined) => ({
      ...((current?.data ?? {}) as StateMap),
      ...delta,
    });
    if (Object.keys(scopes.app).length > 0) await this.#manager.update(this.#ids.app(appName), merge(scopes.app));
    if (Object.keys(scopes.user).length > 0) await this.#manager.update(this.#ids.user(appName, userId), merge(scopes.user));
  }
}

interface Scopes {
  own: StateMap;
  app: StateMap;
  user: StateMap;
}

/** Splits state into its own keys and the `app:` and `user:` keys (prefix removed); drops `temp:`. */
function splitState(state: StateMap): Scopes {
  const scopes: Scopes = { own: {}, app: {}, user: {} };
  for (const [key, value] of Object.entries(state)) {
    if (key.startsWith(State.APP_PREFIX)) define(scopes.app, key.slice(State.APP_PREFIX.length), value);
    else if (key.startsWith(State.USER_PREFIX)) define(scopes.user, key.slice(State.USER_PREFIX.length), value);
    else if (!key.startsWith(State.TEMP_PREFIX)) define(scopes.own, key, value);
  }
  return scopes;
}

/** The state ADK sees: own keys, then `app:` and `user:` keys with their prefixes. */
function mergeStates(app: StateMap, user: StateMap, own: StateMap): StateMap {
  const merged: StateMap = {};
  for (const [key, value] of Object.entries(own)) define(merged, key, value);
  for (const [key, value] of Object.entries(app)) define(merged, State.APP_PREFIX + key, value);
  for (const [key, value] of Object.entries(user)) define(merged, State.USER_PREFIX + key, value);
  return merged;
}

/** Sets an own property, so that a key such as `__proto__` stays a plain key. */
function define(target: StateMap, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, writable: true, enumerable: true, configurable: true });
}
