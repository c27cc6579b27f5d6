import type { EpochMilliseconds } from '../../src/types.js';

interface Entry {
  at: EpochMilliseconds;
  id: string;
}

/**
 * A min-heap of (expiry time, id) for the in-process stores' sweep. Entries go stale when a
 * session is rewritten or removed; the sweeper checks each popped entry against the record,
 * and {@link ExpiryQueue.compact} drops stale ones when they outnumber the live ones.
 */
export class ExpiryQueue {
  #heap: Entry[] = [];

  /** How many entries are queued, stale ones included. */
  get size(): number {
    return this.#heap.length;
  }

  /** Queues `id` to be checked at `at`. */
  push(at: EpochMilliseconds, id: string): void {
    const heap = this.#heap;
    heap.push({ at, id });
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (heap[parent]!.at <= at) break;
      [heap[i], heap[parent]] = [heap[parent]!, heap[i]!];
      i = parent;
    }
  }

  /** Removes and returns the earliest entry due at or before `now`, if any. */
  popDue(now: EpochMilliseconds): Entry | undefined {
    const heap = this.#heap;
    const top = heap[0];
    if (top === undefined || top.at > now) return undefined;
    const last = heap.pop()!;
    if (heap.length > 0) {
      heap[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < heap.length && heap[l]!.at < heap[m]!.at) m = l;
        if (r < heap.length && heap[r]!.at < heap[m]!.at) m = r;
        if (m === i) break;
        [heap[i], heap[m]] = [heap[m]!, heap[i]!];
        i = m;
      }
    }
    return top;
  }

  /** Rebuilds the queue from `live` entries only. */
  compact(live: Iterable<Entry>): void {
    this.#heap = [];
    for (const e of live) this.push(e.at, e.id);
  }
}
