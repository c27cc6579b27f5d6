import { IDEMPOTENCY_KEYS, IDEMPOTENCY_WINDOW } from '../../src/types.js';
import type { EpochMilliseconds, ItemRecord, StoreItemsQuery } from '../../src/types.js';

/** What an idempotency key answers again, and when it was first used. */
interface Remembered {
  version: number;
  firstSeq: number;
  lastSeq: number;
  at: EpochMilliseconds;
}

/** Most dropped slots kept at the head before the array is compacted. */
const SLACK = 1024;

/**
 * A session's items in the in-process stores: a deque over one array with a head offset,
 * compacted when the dropped head outgrows the rest. Seqs are dense, so the item with seq `s`
 * sits at `head + s - oldest`: a page is O(page), a pop O(1), dropping k items O(k). Items are
 * never changed, so the ones a page returns stay as they were. The log also remembers the
 * session's idempotency keys, so that they go with it.
 */
export class ItemLog {
  #items: (ItemRecord | undefined)[] = [];
  #head = 0;
  /** UTF-8 bytes of the JSON of every item held. */
  bytes = 0;
  /** Keys in the order first used, so the oldest is forgotten first. */
  readonly #keys = new Map<string, Remembered>();

  /** How many items are held. */
  get count(): number {
    return this.#items.length - this.#head;
  }

  /** Bytes of the `k` newest items (`newest`) or the `k` oldest. */
  bytesOf(k: number, newest: boolean): number {
    let sum = 0;
    const start = newest ? this.#items.length - k : this.#head;
    for (let i = start; i < start + k; i++) sum += Buffer.byteLength(this.#items[i]!.data);
    return sum;
  }

  /**
   * What an append of `texts` after removing the `newer` newest items does, or `undefined` when
   * the log would be over a limit and may not (or cannot) drop enough of its oldest items.
   */
  plan(newer: number, texts: string[], limits: Limits): Plan | undefined {
    const { maxItems, maxLogBytes, dropOldest } = limits;
    const replaced = Math.min(this.count, newer);
    const keep = this.count - replaced;
    let add = 0;
    for (const text of texts) add += Buffer.byteLength(text);
    let dropped = maxItems === null ? 0 : Math.max(0, keep + texts.length - maxItems);
    if (dropped > keep || (dropped > 0 && !dropOldest)) return undefined;
    let bytes = this.bytes - this.bytesOf(replaced, true) - this.bytesOf(dropped, false) + add;
    while (maxLogBytes !== null && bytes > maxLogBytes) {
      if (!dropOldest || dropped === keep) return undefined;
      bytes -= Buffer.byteLength(this.#items[this.#head + dropped]!.data);
      dropped++;
    }
    return { replaced, dropped, added: add, bytes };
  }

  /** Carries out a {@link plan}: removes what it removes, then adds `items` as the newest. */
  apply(plan: Plan, items: ItemRecord[]): void {
    this.dropNewest(plan.replaced);
    this.dropOldest(plan.dropped);
    for (const item of items) this.#items.push(item);
    this.bytes += plan.added;
  }

  /** Removes the `k` newest items and returns the last one removed (the oldest of them). */
  dropNewest(k: number): ItemRecord | undefined {
    if (k === 0) return undefined;
    this.bytes -= this.bytesOf(k, true);
    const length = this.#items.length - k;
    const item = this.#items[length];
    this.#items.length = length;
    return item;
  }

  /** Removes the `k` oldest items. */
  dropOldest(k: number): void {
    this.bytes -= this.bytesOf(k, false);
    for (let i = this.#head; i < this.#head + k; i++) this.#items[i] = undefined;
    this.#head += k;
    if (this.#head > SLACK && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
  }

  /** A page of the items by seq (see `StoreItemsQuery`), given the session's `lastSeq`. */
  page(lastSeq: number, q: StoreItemsQuery): { items: ItemRecord[]; hasMore: boolean } {
    const oldest = lastSeq - this.count + 1;
    const lo = Math.max(q.after === undefined ? oldest : q.after + 1, oldest);
    const hi = Math.min(q.before === undefined ? lastSeq : q.before - 1, lastSeq);
    const span = hi - lo + 1;
    if (span <= 0) return { items: [], hasMore: false };
    const n = Math.min(q.limit, span);
    const items: ItemRecord[] = new Array(n);
    const base = this.#head - oldest;
    for (let i = 0; i < n; i++) items[i] = this.#items[base + (q.order === 'asc' ? lo + i : hi - i)]!;
    return { items, hasMore: span > n };
  }

  /** The result remembered for `key`, if it was used within {@link IDEMPOTENCY_WINDOW}. */
  recall(key: string, now: EpochMilliseconds): Remembered | undefined {
    const remembered = this.#keys.get(key);
    return remembered !== undefined && remembered.at + IDEMPOTENCY_WINDOW > now ? remembered : undefined;
  }

  /** Remembers `key`'s result, forgetting keys past the window or beyond {@link IDEMPOTENCY_KEYS}. */
  remember(key: string, result: Remembered): void {
    const keys = this.#keys;
    keys.delete(key);
    keys.set(key, result);
    for (const [old, { at }] of keys) {
      if (keys.size <= IDEMPOTENCY_KEYS && at + IDEMPOTENCY_WINDOW > result.at) break;
      keys.delete(old);
    }
  }
}

/** The limits of one append (as in `StoreAppendInput`). */
export interface Limits {
  maxItems: number | null;
  maxLogBytes: number | null;
  dropOldest: boolean;
}

/** What one append does to a log: see {@link ItemLog.plan}. */
export interface Plan {
  /** Newest items removed first (`replaceAfter`). */
  replaced: number;
  /** Oldest items removed to fit the limits. */
  dropped: number;
  /** Bytes of the items added. */
  added: number;
  /** Bytes of the log after the append. */
  bytes: number;
}
