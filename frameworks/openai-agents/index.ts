/**
 * `AgentsSession`: a `Session` of the OpenAI Agents SDK (`@openai/agents-core`) over a
 * {@link SessionManager}, so that any store (memory, LRU, Redis) keeps the agent's history as
 * the session's item log.
 *
 * @module
 */
import { createHash } from 'node:crypto';
import type {
  AgentInputItem,
  SessionHistoryTransactionArgs,
  SessionHistoryTransactionAwareSession,
} from '@openai/agents-core';
import { optionError, whole } from '../../src/checks.js';
import { InvalidArgumentError, VersionConflictError } from '../../src/errors.js';
import { assertIdentifier } from '../../src/identifier.js';
import type { SessionManager } from '../../src/manager.js';
import { cacheable, copy, unchanged, type CachedLog } from './cache.js';
import { decode, encode, sameItems, type Encoded } from './codec.js';
import { ATTEMPTS, PAGE, readLog } from './read.js';

/** Options of {@link AgentsSession}. */
export interface AgentsSessionOptions {
  /**
   * The most items `getItems()` returns: the runner then sees only the newest `historyLimit`
   * items of the conversation (the log itself keeps everything, within the manager's limits).
   * A window that starts with tool results whose calls it cut off starts after them (a model
   * refuses a result without its call). A whole number ≥ 1.
   * @defaultValue no cap: the whole log
   */
  historyLimit?: number;
  /**
   * Keep the history this object last read or wrote, and answer `getItems()` from it when one
   * read of the session (`manager.get`) shows the log unchanged since: same `createdAt`,
   * `version`, `itemCount` and `lastSeq`. `false` reads the log on every `getItems()`.
   * @defaultValue true
   */
  cache?: boolean;
}

/** An `ifVersion` no session reaches: an append with it only ever answers a remembered key. */
const NEVER = Number.MAX_SAFE_INTEGER;

/** An encoded item as a read of the store answers it: its JSON text parsed and decoded. */
function stored(item: Encoded): unknown {
  return decode(JSON.parse(JSON.stringify(item)));
}

/** Whether an item is a tool's result (`function_call_result`, `shell_call_output`, …). */
function isResult(item: AgentInputItem): boolean {
  return typeof (item as { callId?: unknown }).callId === 'string' && /_(result|output)$/.test(item.type ?? '');
}

/** A window cut by `historyLimit` without the results at its start, whose calls it cut off. */
function withoutLeadingResults(items: AgentInputItem[]): AgentInputItem[] {
  let start = 0;
  while (start < items.length && isResult(items[start]!)) start++;
  return start === 0 ? items : items.slice(start);
}

/**
 * The conversation history of one agent session, kept as the item log of session
 * `sessionId` of `manager`. The runner reads it with `getItems()` each turn and saves the
 * turn with one `addItems` — one atomic append, so a tool call and its result are never
 * half-saved. Bytes in items round-trip exactly (stored as `{ "$bytes": "<base64>" }`).
 *
 * @example
 * ```ts
 * import { Agent, run } from '@openai/agents-core';
 * import { SessionManager } from 'agent-sessions';
 * import { AgentsSession } from 'agent-sessions/openai-agents';
 *
 * const sessions = new SessionManager({ ttl: 24 * 60 * 60_000 });
 * const session = new AgentsSession(sessions, 'user-42:chat-7');
 * const result = await run(new Agent({ name: 'helper' }), 'Hello', { session });
 * ```
 */
export class AgentsSession implements SessionHistoryTransactionAwareSession {
  readonly #manager: SessionManager<unknown, unknown>;
  readonly #id: string;
  readonly #historyLimit: number | undefined;
  readonly #cache: boolean;
  /** The history last read or written, when it may answer the next read (see {@link CachedLog}). */
  #log: CachedLog | undefined;

  /**
   * @param manager - the manager whose session keeps the history (any store)
   * @param sessionId - the session's identifier
   * @param options - see {@link AgentsSessionOptions}
   * @throws `InvalidIdentifierError` when `sessionId` is not an identifier
   * @throws TypeError when `historyLimit` is not a whole number ≥ 1, or `cache` not a boolean
   */
  constructor(manager: SessionManager<unknown, unknown>, sessionId: string, options: AgentsSessionOptions = {}) {
    assertIdentifier(sessionId);
    this.#historyLimit = whole('historyLimit', options.historyLimit, 1, Number.MAX_SAFE_INTEGER, optionError);
    if (options.cache !== undefined && typeof options.cache !== 'boolean') throw optionError(`cache must be a boolean; got ${typeof options.cache}`);
    this.#cache = options.cache ?? true;
    this.#manager = manager;
    this.#id = sessionId;
  }

  /** The session's identifier. */
  async getSessionId(): Promise<string> {
    return this.#id;
  }

  /**
   * The history oldest first: all of it, or the newest `limit` items (both capped by
   * `historyLimit`). Several pages are read at one version of the log, so the answer is
   * always a state the log was in. An empty list when the session does not exist. With the
   * cache on, one read of the session first: unchanged, the answer comes from the cache.
   * The items are the caller's own copies.
   * @param limit - the most items to return, the newest ones
   */
  async getItems(limit?: number): Promise<AgentInputItem[]> {
    const capped = this.#historyLimit !== undefined && (limit === undefined || limit > this.#historyLimit);
    const cap = capped ? this.#historyLimit! : (limit ?? Infinity);
    if (cap <= 0) return [];
    const items = (this.#cache ? await this.#readCached(cap) : (await readLog(this.#manager, this.#id, cap)).items) as AgentInputItem[];
    return capped && items.length === cap ? withoutLeadingResults(items) : items;
  }

  /** The newest `cap` items from the cache when the session is as it was cached, else from the log. */
  async #readCached(cap: number): Promise<unknown[]> {
    const readStart = Date.now();
    const session = await this.#manager.get(this.#id);
    if (!session) {
      this.#log = undefined;
      return [];
    }
    const log = this.#log;
    if (log && unchanged(log.state, session) && (cap <= log.items.length || log.items.length === session.itemCount)) {
      return (cap >= log.items.length ? log.items : log.items.slice(log.items.length - cap)).map(copy);
    }
    const read = await readLog(this.#manager, this.#id, cap);
    if (read.version !== session.version || !cacheable(session, readStart)) return read.items;
    const { createdAt, version, itemCount, lastSeq } = session;
    this.#log = { state: { createdAt, version, itemCount, lastSeq }, items: read.items };
    return read.items.map(copy);
  }

  /**
   * Appends the items in one atomic step: all are saved, or none. Nothing happens for an
   * empty list.
   * @param items - the items of a turn, in order
   */
  async addItems(items: AgentInputItem[]): Promise<void> {
    if (items.length === 0) return;
    const encoded = items.map(encode);
    const done = await this.#manager.append(this.#id, encoded);
    const log = this.#log;
    if (log && !done.replayed && done.version === log.state.version + 1 && done.firstSeq === log.state.lastSeq + 1) {
      // the cached state plus these items: the log as this append left it (a dropOldest trim shows in itemCount)
      this.#keep(log, [...log.items, ...encoded.map(stored)], log.state.itemCount + items.length, done);
    } else this.#log = undefined;
  }

  /** Removes and returns the newest item, or `undefined` when there is none. */
  async popItem(): Promise<AgentInputItem | undefined> {
    const log = this.#log;
    let item;
    try {
      item = await this.#manager.pop(this.#id, log && { ifVersion: log.state.version });
    } catch (err) {
      if (!(err instanceof VersionConflictError)) throw err;
      this.#log = undefined;
      item = await this.#manager.pop(this.#id);
    }
    if (log && item !== undefined && this.#log === log) {
      // popped at the cached version: the cached state without its newest item
      this.#keep(log, log.items.slice(0, -1), log.state.itemCount - 1, { version: log.state.version + 1, lastSeq: log.state.lastSeq - 1 });
    }
    return item === undefined ? undefined : (decode(item.data) as AgentInputItem);
  }

  /** Removes the session: its items and its data. */
  async clearSession(): Promise<void> {
    this.#log = undefined;
    await this.#manager.clear(this.#id);
    this.#log = undefined;
  }

  /**
   * Replaces the whole history with `items` (a compaction item and what follows it) in one
   * atomic step: a reader sees the old history or the new one, never a mix or nothing.
   * @param items - the new history, oldest first
   */
  async replaceHistoryWithCompaction(items: AgentInputItem[]): Promise<void> {
    const log = this.#log;
    this.#log = undefined;
    if (items.length === 0) {
      await this.#manager.truncate(this.#id, { after: 0 });
      return;
    }
    const encoded = items.map(encode);
    const done = await this.#manager.append(this.#id, encoded, { replaceAfter: 0 });
    if (log && !done.replayed && done.version === log.state.version + 1 && this.#log === undefined) {
      this.#keep(log, encoded.map(stored), items.length, done);
    }
  }

  /**
   * Caches `items` as the log of `log`'s session at `done`'s version and lastSeq (createdAt
   * kept: one life). With `historyLimit`, the newest 2 × `historyLimit` items (pops keep a full window).
   */
  #keep(log: CachedLog, items: unknown[], itemCount: number, done: { version: number; lastSeq: number }): void {
    const bound = 2 * (this.#historyLimit ?? Infinity);
    this.#log = {
      state: { createdAt: log.state.createdAt, version: done.version, itemCount, lastSeq: done.lastSeq },
      items: items.length > bound ? items.slice(items.length - bound) : items,
    };
  }

  /**
   * Applies a history transaction atomically and once per `operationId`: `append_items`
   * appends; `replace_suffix` replaces the newest items when they still equal
   * `expectedSuffix`, else fails with a {@link VersionConflictError} and changes nothing. The
   * operation id is kept with the session as the append's idempotency key, so a retry is not
   * applied twice; a retry whose items differ from the applied ones fails with an
   * {@link InvalidArgumentError}.
   * @param args - the operation id and the transaction
   */
  async applyHistoryTransaction(args: SessionHistoryTransactionArgs): Promise<void> {
    const { operationId, transaction } = args;
    if (typeof operationId !== 'string' || operationId.trim() === '') {
      throw new InvalidArgumentError('operationId must be a non-empty string');
    }
    const idempotencyKey = `oai:${createHash('sha256').update(operationId).digest('base64url')}`;
    this.#log = undefined;
    if (transaction.type === 'append_items') {
      if (transaction.items.length === 0) return;
      const done = await this.#manager.append(this.#id, transaction.items.map(encode), { idempotencyKey });
      if (done.replayed) await this.#checkReplay(operationId, done, transaction.items);
      return;
    }
    if (transaction.type !== 'replace_suffix') {
      throw new InvalidArgumentError(`unknown history transaction type ${JSON.stringify((transaction as { type: unknown }).type)}`);
    }
    await this.#replaceSuffix(operationId, idempotencyKey, transaction.expectedSuffix, transaction.replacement);
  }

  /** Replaces the newest items if they equal `expected`, at the version they were read at. */
  async #replaceSuffix(operationId: string, idempotencyKey: string, expected: AgentInputItem[], replacement: AgentInputItem[]): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      const page = await this.#manager.items(this.#id, { order: 'desc', limit: Math.max(1, Math.min(PAGE, expected.length)) });
      const newest = page?.items.slice(0, expected.length).reverse() ?? [];
      const lastSeq = page?.items[0]?.seq ?? 0;
      if (!sameItems(newest.map((item) => decode(item.data)), expected)) {
        // already applied by an earlier try? The remembered key answers; else nothing changes.
        const done = await this.#manager
          .append(this.#id, [encode(replacement[0] ?? null)], { idempotencyKey, ifVersion: NEVER })
          .catch((err: unknown) => {
            if (err instanceof VersionConflictError) {
              throw new VersionConflictError(`session ${this.#id}: the newest items no longer match the transaction's expected suffix`, err.currentVersion);
            }
            throw err;
          });
        return this.#checkReplay(operationId, done, replacement);
      }
      try {
        const ifVersion = page?.version ?? 0;
        const replaceAfter = lastSeq - expected.length;
        if (replacement.length === 0) {
          await this.#manager.truncate(this.#id, { after: replaceAfter, ifVersion });
          return;
        }
        const done = await this.#manager.append(this.#id, replacement.map(encode), { idempotencyKey, ifVersion, replaceAfter });
        if (done.replayed) await this.#checkReplay(operationId, done, replacement);
        return;
      } catch (err) {
        if (!(err instanceof VersionConflictError) || attempt === ATTEMPTS) throw err;
      }
    }
  }

  /**
   * A replayed key: when the log is still as that append left it, its items must be `items`
   * (the same operation id with another transaction is refused). A log changed since cannot
   * tell, and the retry is taken as the same operation.
   */
  async #checkReplay(operationId: string, done: { version: number; firstSeq: number; lastSeq: number }, items: AgentInputItem[]): Promise<void> {
    const count = done.lastSeq - done.firstSeq + 1;
    const page = await this.#manager.items(this.#id, { after: done.firstSeq - 1, limit: Math.max(1, Math.min(PAGE, count)) });
    if (!page || page.version !== done.version || count > PAGE) return;
    if (!sameItems(page.items.map((item) => decode(item.data)), items)) {
      throw new InvalidArgumentError(`operation ${JSON.stringify(operationId)} was already applied to session ${this.#id} with other items`);
    }
  }
}
