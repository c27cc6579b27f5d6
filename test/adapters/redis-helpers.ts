/**
 * Helpers of the Redis tests: unique key prefixes, and removal of a prefix's keys through the
 * store's own indexes (no KEYS, no SCAN), so that runs on a shared Redis leave nothing behind.
 */
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';

/** The bucket count and tag layout of adapters/redis/keys.ts (its key-layout test pins them). */
const BUCKETS = 16;

/** A prefix no other run uses: `as-test-<random>-<n>:`. */
export function uniquePrefix(label = ''): string {
  return `as-test-${randomBytes(6).toString('hex')}${label ? `-${label}` : ''}:`;
}

/** The keys of every bucket of `prefix`: index, expiry index, and the session and items key prefixes. */
export function bucketKeys(prefix: string): { ids: string; exp: string; session: string; items: string }[] {
  return Array.from({ length: BUCKETS }, (_, n) => ({
    ids: `${prefix}{b${n}}:ids`,
    exp: `${prefix}{b${n}}:exp`,
    session: `${prefix}{b${n}}:s:`,
    items: `${prefix}{b${n}}:i:`,
  }));
}

/** Deletes every key a RedisStore with `prefix` wrote, found through its indexes. */
export async function removePrefix(client: Redis, prefix: string): Promise<number> {
  let removed = 0;
  for (const b of bucketKeys(prefix)) {
    const ids = new Set([...(await client.zrange(b.ids, 0, -1)), ...(await client.zrange(b.exp, 0, -1))]);
    const keys = [b.ids, b.exp, ...[...ids].flatMap((id) => [b.session + id, b.items + id])];
    for (let i = 0; i < keys.length; i += 500) removed += await client.del(...keys.slice(i, i + 500));
  }
  return removed;
}
