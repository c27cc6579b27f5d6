/** Most ids per chunk before it splits in two. */
const CHUNK = 512;

/** First index in sorted `items` whose value is `>= key` (or `> key` when `exclusive`). */
function bound(items: readonly string[], key: string, exclusive: boolean): number {
  let lo = 0;
  let hi = items.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (items[mid]! < key || (exclusive && items[mid] === key)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * A set of ids kept in code-unit order, as a list of sorted chunks (a flat B-tree): insert
 * and remove cost O(log N + chunk size); a page of k ids after any key costs O(log N + k).
 * Used by the in-process stores for `list`.
 */
export class SortedIds {
  readonly #chunks: string[][] = [];
  /** The last (largest) id of each chunk, for the binary search over chunks. */
  readonly #lasts: string[] = [];

  /** Adds `id` (no-op if present). */
  add(id: string): void {
    if (this.#chunks.length === 0) {
      this.#chunks.push([id]);
      this.#lasts.push(id);
      return;
    }
    const c = Math.min(bound(this.#lasts, id, false), this.#chunks.length - 1);
    const chunk = this.#chunks[c]!;
    const i = bound(chunk, id, false);
    if (chunk[i] === id) return;
    chunk.splice(i, 0, id);
    if (chunk.length > CHUNK) {
      const tail = chunk.splice(CHUNK / 2);
      this.#chunks.splice(c + 1, 0, tail);
      this.#lasts.splice(c, 1, chunk[chunk.length - 1]!, tail[tail.length - 1]!);
    } else {
      this.#lasts[c] = chunk[chunk.length - 1]!;
    }
  }

  /** Removes `id` (no-op if absent). */
  delete(id: string): void {
    const c = bound(this.#lasts, id, false);
    const chunk = this.#chunks[c];
    if (chunk === undefined) return;
    const i = bound(chunk, id, false);
    if (chunk[i] !== id) return;
    chunk.splice(i, 1);
    if (chunk.length === 0) {
      this.#chunks.splice(c, 1);
      this.#lasts.splice(c, 1);
    } else {
      this.#lasts[c] = chunk[chunk.length - 1]!;
    }
  }

  /**
   * Yields ids in order, from the first one after `after` (exclusive) that starts with
   * `prefix`, while they start with `prefix`.
   */
  *from(after: string | undefined, prefix: string): Generator<string> {
    const exclusive = after !== undefined && after >= prefix;
    const key = exclusive ? after : prefix;
    const first = bound(this.#lasts, key, exclusive);
    for (let c = first; c < this.#chunks.length; c++) {
      const chunk = this.#chunks[c]!;
      for (let i = c === first ? bound(chunk, key, exclusive) : 0; i < chunk.length; i++) {
        const id = chunk[i]!;
        if (!id.startsWith(prefix)) return;
        yield id;
      }
    }
  }
}
