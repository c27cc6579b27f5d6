/**
 * The manager's item operations (DESIGN.md §9) over its core: the checks of every argument
 * and limit before the store is called, and what each refusal of the store means. The public
 * methods are on {@link SessionManager}; the types here are exported from the package.
 *
 * @module
 */
import { argumentError, fence, optionError, whole } from './checks.js';
import { InvalidArgumentError, PayloadTooLargeError, type FencedError } from './errors.js';
import { assertIdentifier } from './identifier.js';
import { quote, toJson } from './json.js';
import { conflict, type ManagerCore } from './manager-core.js';
import type { SessionManager, SessionManagerOptions } from './manager.js';
import { toItem } from './session-view.js';
import type { StoreAppendInput, StoreItemsQuery, StoreTruncateInput } from './types.js';

/**
 * One item of a session's log, as the manager returns it: the caller's own copy.
 *
 * @typeParam I - the type of `data`, a JSON value.
 */
export interface SessionItem<I = unknown> {
  /** 1, 2, 3… per session: dense from the oldest kept item to the newest. */
  seq: number;
  /** The item, a JSON value. */
  data: I;
  /** When it was appended (ISO 8601). */
  createdAt: string;
}

/** The item limits among the {@link SessionManagerOptions}. */
export interface ItemLimitOptions {
  /**
   * Largest item, a whole number of UTF-8 bytes of its JSON; a larger one is refused with
   * {@link PayloadTooLargeError}.
   * @defaultValue `maxBytes`
   */
  maxItemBytes?: number;
  /**
   * Most items a session's log holds.
   * @defaultValue none
   */
  maxItems?: number;
  /**
   * Most UTF-8 bytes of item JSON a session's log holds.
   * @defaultValue 67108864 (64 MiB)
   */
  maxLogBytes?: number;
  /**
   * What an append that would put the log over `maxItems` or `maxLogBytes` does: `'refuse'`
   * throws {@link PayloadTooLargeError}; `'dropOldest'` removes the oldest items in the same
   * atomic step (a batch over a limit by itself is still refused).
   * @defaultValue 'refuse'
   */
  onFull?: 'refuse' | 'dropOldest';
}

/** Options of {@link SessionManager.append}. */
export interface AppendOptions {
  /** Idle time to live in ms, renewed by this append. @defaultValue the manager's `ttl` */
  ttl?: number;
  /** Append only if the current version is this; `0` means only if the session does not exist. */
  ifVersion?: number;
  /**
   * 1–256 characters from `!` to `~` (0x21–0x7E). An append whose key this session has seen
   * (within 24 hours and its last 1,000 keyed appends) adds nothing and answers the first
   * result again, with `replayed: true`.
   */
  idempotencyKey?: string;
  /** First remove every item with a seq above this (0: all of them), in the same atomic step. */
  replaceAfter?: number;
  /** Only while the lease with this fence is live (see {@link SessionManager.acquire}); else {@link FencedError}. */
  fence?: number;
}

/** What {@link SessionManager.append} did. */
export interface AppendResult {
  /** The session's version after the append. */
  version: number;
  /** Seq of the first item appended. */
  firstSeq: number;
  /** Seq of the last item appended. */
  lastSeq: number;
  /** `true` when the idempotency key was seen before and nothing was added now. */
  replayed: boolean;
}

/** Options of {@link SessionManager.items}. */
export interface ItemsOptions {
  /** Only items with a seq above this (exclusive), a whole number ≥ 0. */
  after?: number;
  /** Only items with a seq below this (exclusive), a whole number ≥ 0. */
  before?: number;
  /**
   * Most items on one page, 1 to 1000.
   * @defaultValue 100
   */
  limit?: number;
  /**
   * `'asc'`: the oldest first (after `after`); `'desc'`: the newest first (before `before`).
   * @defaultValue 'asc'
   */
  order?: 'asc' | 'desc';
}

/** A page of {@link SessionManager.items}. */
export interface ItemsPage<I> {
  /** The items, in the order asked for. */
  items: SessionItem<I>[];
  /** The session's version. */
  version: number;
  /** Whether more items lie beyond this page in the direction of travel. */
  hasMore: boolean;
}

/** Options of {@link SessionManager.pop}. */
export interface PopOptions {
  /** Pop only if the current version is this. */
  ifVersion?: number;
  /** Only while the lease with this fence is live (see {@link SessionManager.acquire}); else {@link FencedError}. */
  fence?: number;
}

/** Options of {@link SessionManager.truncate}: exactly one of `after` (rewind) and `before` (compaction). */
export type TruncateOptions = (TruncateAfter | TruncateBefore) & {
  /** Truncate only if the current version is this. */
  ifVersion?: number;
  /** Only while the lease with this fence is live (see {@link SessionManager.acquire}); else {@link FencedError}. */
  fence?: number;
};

/** A rewind: {@link TruncateOptions} with `after`. */
export interface TruncateAfter {
  /** Remove every item with a seq above this; `lastSeq` becomes this. */
  after: number;
  /** Not with `after`. */
  before?: undefined;
}

/** A compaction: {@link TruncateOptions} with `before`. */
export interface TruncateBefore {
  /** Remove every item with a seq below this; `lastSeq` stays. */
  before: number;
  /** Not with `before`. */
  after?: undefined;
}

/** What {@link SessionManager.truncate} did. */
export interface TruncateResult {
  /** How many items were removed. */
  removed: number;
  /** The version after (bumped only when something was removed; `0` when there is no session). */
  version: number;
}

/** The item limits of one manager, checked. */
export interface ItemLimits {
  maxItemBytes: number;
  maxItems: number | null;
  maxLogBytes: number;
  dropOldest: boolean;
}

const MAX_BATCH = 1000;
const MAX = Number.MAX_SAFE_INTEGER;
const KEY = /^[\x21-\x7e]{1,256}$/;

/** The manager's item limits from its options; a `TypeError` naming a wrong one. */
export function itemLimits<T>(options: SessionManagerOptions<T>, maxBytes: number): ItemLimits {
  const { onFull = 'refuse' } = options;
  if (onFull !== 'refuse' && onFull !== 'dropOldest') {
    throw new TypeError(`onFull must be 'refuse' or 'dropOldest'; got ${quote(onFull)}`);
  }
  return {
    maxItemBytes: whole('maxItemBytes', options.maxItemBytes, 1, MAX, optionError) ?? maxBytes,
    maxItems: whole('maxItems', options.maxItems, 1, MAX, optionError) ?? null,
    maxLogBytes: whole('maxLogBytes', options.maxLogBytes, 1, MAX, optionError) ?? 64 * 1024 * 1024,
    dropOldest: onFull === 'dropOldest',
  };
}

/** UTF-8 bytes of `text`, or a cheap bound when it cannot exceed `limit` (3 bytes per unit at most). */
function bytesOver(text: string, limit: number): number {
  return text.length * 3 <= limit ? text.length : Buffer.byteLength(text);
}

/** Checks `items` and the options of an append, and makes the store's input. */
function appendInput(core: ManagerCore<unknown>, id: string, items: unknown, options: AppendOptions): StoreAppendInput {
  assertIdentifier(id);
  if (!Array.isArray(items) || items.length === 0 || items.length > MAX_BATCH) {
    const got = Array.isArray(items) ? `${items.length} items` : quote(items);
    throw new InvalidArgumentError(`items must be an array of 1 to ${MAX_BATCH} items; got ${got}`);
  }
  const ifVersion = whole('ifVersion', options.ifVersion, 0, MAX, argumentError);
  const replaceAfter = whole('replaceAfter', options.replaceAfter, 0, MAX, argumentError);
  const fenced = fence(options.fence);
  const { idempotencyKey } = options;
  if (idempotencyKey !== undefined && (typeof idempotencyKey !== 'string' || !KEY.test(idempotencyKey))) {
    throw new InvalidArgumentError(
      `idempotencyKey must be 1–256 characters from ! to ~ (0x21–0x7E, no spaces); got ${quote(idempotencyKey)}`,
    );
  }
  const now = core.now();
  const idleExpiresAt = core.idleDeadline(options.ttl, now);
  const maxLifetime = core.lifetime(now);
  const { maxItemBytes, maxItems, maxLogBytes, dropOldest } = core.itemLimits;
  const texts = items.map((item: unknown, i) => toJson(item, i));
  let length = 0;
  for (const [i, text] of texts.entries()) {
    const bytes = bytesOver(text, maxItemBytes);
    if (bytes > maxItemBytes) {
      throw new PayloadTooLargeError(`items[${i}] is ${bytes} bytes as JSON, over maxItemBytes ${maxItemBytes}; store less or raise maxItemBytes`, maxItemBytes);
    }
    length += text.length;
  }
  if (maxItems !== null && texts.length > maxItems) {
    throw new PayloadTooLargeError(`a batch of ${texts.length} items is over maxItems ${maxItems}; append fewer or raise maxItems`, maxItems);
  }
  const total = length * 3 <= maxLogBytes ? length : texts.reduce((sum, text) => sum + Buffer.byteLength(text), 0);
  if (total > maxLogBytes) {
    throw new PayloadTooLargeError(`the batch is ${total} bytes as JSON, over maxLogBytes ${maxLogBytes}; append less or raise maxLogBytes`, maxLogBytes);
  }
  return { id, items: texts, now, idleExpiresAt, maxLifetime, ifVersion, idempotencyKey, replaceAfter, maxItems, maxLogBytes, dropOldest, fence: fenced };
}

/** {@link SessionManager.append} over `core`. */
export async function append(core: ManagerCore<unknown>, id: string, items: unknown, options: AppendOptions): Promise<AppendResult> {
  const input = appendInput(core, id, items, options);
  const result = await core.store.append(input);
  if (result.ok) return { version: result.version, firstSeq: result.firstSeq, lastSeq: result.lastSeq, replayed: result.replayed };
  switch (result.reason) {
    case 'version':
      throw conflict(id, result.currentVersion, input.ifVersion);
    case 'replaceAfter':
      throw new InvalidArgumentError(
        `replaceAfter ${input.replaceAfter} is above the lastSeq ${result.lastSeq} of session ${quote(id)}; rewind to ${result.lastSeq} or less`,
      );
    default: {
      const { maxItems, maxLogBytes } = input;
      const limits = maxItems === null ? `maxLogBytes ${maxLogBytes}` : `maxItems ${maxItems} or maxLogBytes ${maxLogBytes}`;
      throw new PayloadTooLargeError(
        `session ${quote(id)} is full: ${input.items.length} more items would put it over ${limits}; truncate it, or use onFull: 'dropOldest'`,
        maxLogBytes!,
      );
    }
  }
}

/** {@link SessionManager.items} over `core`. */
export async function items<I>(core: ManagerCore<unknown>, id: string, options: ItemsOptions): Promise<ItemsPage<I> | undefined> {
  const page = await core.store.items(itemsQuery(core, id, options));
  return page && { items: page.items.map((r) => toItem<I>(r)), version: page.version, hasMore: page.hasMore };
}

/** Checks the options of an items page and makes the store's query. */
export function itemsQuery(core: ManagerCore<unknown>, id: string, options: ItemsOptions): StoreItemsQuery {
  assertIdentifier(id);
  const { order = 'asc' } = options;
  const limit = whole('limit', options.limit, 1, MAX_BATCH, argumentError) ?? 100;
  const after = whole('after', options.after, 0, MAX, argumentError);
  const before = whole('before', options.before, 0, MAX, argumentError);
  if (order !== 'asc' && order !== 'desc') throw new InvalidArgumentError(`order must be 'asc' or 'desc'; got ${quote(order)}`);
  return { id, now: core.now(), after, before, limit, order };
}

/** {@link SessionManager.pop} over `core`. */
export async function pop<I>(core: ManagerCore<unknown>, id: string, options: PopOptions): Promise<SessionItem<I> | undefined> {
  assertIdentifier(id);
  const ifVersion = whole('ifVersion', options.ifVersion, 0, MAX, argumentError);
  const result = await core.store.pop({ id, now: core.now(), ifVersion, fence: fence(options.fence) });
  if (!result.ok) throw conflict(id, result.currentVersion, ifVersion);
  return result.item && toItem<I>(result.item);
}

/** {@link SessionManager.truncate} over `core`. */
export async function truncate(core: ManagerCore<unknown>, id: string, options: TruncateOptions): Promise<TruncateResult> {
  assertIdentifier(id);
  const { after, before, ifVersion, fence: fenced } = options ?? {};
  if ((after === undefined) === (before === undefined)) {
    throw new InvalidArgumentError(`truncate takes exactly one of after and before; got ${after === undefined ? 'neither' : 'both'}`);
  }
  const input: StoreTruncateInput = {
    id,
    now: core.now(),
    after: whole('after', after, 0, MAX, argumentError),
    before: whole('before', before, 0, MAX, argumentError),
    ifVersion: whole('ifVersion', ifVersion, 0, MAX, argumentError),
    fence: fence(fenced),
  };
  const result = await core.store.truncate(input);
  if (!result.ok) throw conflict(id, result.currentVersion, input.ifVersion);
  return { removed: result.removed, version: result.version };
}
