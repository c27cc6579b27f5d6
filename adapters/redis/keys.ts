/**
 * Key naming: sessions are spread over {@link BUCKETS} buckets, each under its own hash tag so
 * that on a Cluster a bucket lives in one slot and every script touches one slot.
 *
 * @module
 */

/** How many buckets the sessions are spread over: one hash slot each on a Cluster. */
export const BUCKETS = 16;

/** The keys of one bucket. `{b<n>}` is the hash tag: a bucket lives in one Cluster slot. */
export interface Bucket {
  /** Sorted set of the bucket's ids, all scored 0, read with `ZRANGE … BYLEX`. */
  ids: string;
  /** Sorted set of the bucket's ids that expire, scored by `expiresAt`. */
  exp: string;
  /** Prefix of the bucket's session values: the key of session `id` is this plus `id`. */
  session: string;
  /** Prefix of the bucket's item hashes: the items of session `id` are under this plus `id`. */
  items: string;
  /** Prefix of the bucket's leases: the lease of `id` is this plus `id`, gone when it expires. */
  lease: string;
  /** The bucket's fence counter: every lease taken in the bucket `INCR`s it. */
  fences: string;
}

/**
 * The keys of every bucket under `prefix`: bucket `n` is `<prefix>{b<n>}:ids`, `…:exp`,
 * `…:s:<id>`, `…:i:<id>`, `…:l:<id>` and `…:fence`.
 */
export function buckets(prefix: string): Bucket[] {
  return Array.from({ length: BUCKETS }, (_, n) => {
    const tag = `${prefix}{b${n}}`;
    return {
      ids: `${tag}:ids`,
      exp: `${tag}:exp`,
      session: `${tag}:s:`,
      items: `${tag}:i:`,
      lease: `${tag}:l:`,
      fences: `${tag}:fence`,
    };
  });
}

/**
 * The bucket of an id: FNV-1a (32 bits) of its UTF-16 code units, then murmur3's finalizer,
 * modulo {@link BUCKETS}. (FNV's low bits depend only on the low bits of each character, so
 * without the finalizer ids that differ in a few digits would crowd into a few buckets.)
 */
export function bucketOf(id: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 0x01000193);
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return ((h ^ (h >>> 16)) >>> 0) % BUCKETS;
}
