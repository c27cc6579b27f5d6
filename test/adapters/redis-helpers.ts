/**
 * Helpers of the Redis tests: unique key prefixes, and removal of a prefix's keys through the
 * store's own indexes (no KEYS, no SCAN), so that runs on a shared Redis leave nothing behind.
 */
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { expect } from 'vitest';
import type { RedisStore } from '../../adapters/redis/index.js';

/** The bucket count and tag layout of adapters/redis/keys.ts (its key-layout test pins them). */
const BUCKETS = 16;

/** A prefix no other run uses: `as-test-<random>-<n>:`. */
export function uniquePrefix(label = ''): string {
  return `as-test-${randomBytes(6).toString('hex')}${label ? `-${label}` : ''}:`;
}

/** The keys of every bucket of `prefix`: indexes, session, items and lease key prefixes, fence counter. */
export function bucketKeys(prefix: string): { ids: string; exp: string; session: string; items: string; lease: string; fences: string }[] {
  return Array.from({ length: BUCKETS }, (_, n) => ({
    ids: `${prefix}{b${n}}:ids`,
    exp: `${prefix}{b${n}}:exp`,
    session: `${prefix}{b${n}}:s:`,
    items: `${prefix}{b${n}}:i:`,
    lease: `${prefix}{b${n}}:l:`,
    fences: `${prefix}{b${n}}:fence`,
  }));
}

/**
 * Deletes every key a RedisStore with `prefix` wrote, found through its indexes, and the fence
 * counters (leases are not indexed: their keys go at their expiry).
 */
export async function removePrefix(client: Redis, prefix: string): Promise<number> {
  let removed = 0;
  for (const b of bucketKeys(prefix)) {
    const ids = new Set([...(await client.zrange(b.ids, 0, -1)), ...(await client.zrange(b.exp, 0, -1))]);
    const keys = [b.ids, b.exp, b.fences, ...[...ids].flatMap((id) => [b.session + id, b.items + id, b.lease + id])];
    for (let i = 0; i < keys.length; i += 500) removed += await client.del(...keys.slice(i, i + 500));
  }
  return removed;
}

/**
 * Checks the log of session `id` after appends by several processes, each result `[pid,
 * firstSeq…]` of appends of 3 items `"<pid>:<n>:<k>"`: exactly those items, seqs 1..N, each
 * append's 3 items at its seqs, every item once, and the header's counts.
 */
export async function checkLog(store: RedisStore, id: string, results: number[][]): Promise<void> {
  const total = results.reduce((n, r) => n + (r.length - 1) * 3, 0);
  const log: { seq: number; data: string }[] = [];
  for (let after = 0; ; ) {
    const page = (await store.items({ id, now: Date.now(), after, limit: 1000, order: 'asc' }))!;
    log.push(...page.items);
    if (!page.hasMore) break;
    after = page.items.at(-1)!.seq;
  }
  expect(log.map((i) => i.seq)).toEqual(Array.from({ length: total }, (_, i) => i + 1));
  expect(new Set(log.map((i) => i.data)).size).toBe(total);
  for (const [pid, ...firsts] of results) {
    firsts.forEach((first, n) => {
      for (let k = 0; k < 3; k++) expect(log[first + k - 1]!.data).toBe(JSON.stringify(`${pid}:${n}:${k}`));
    });
  }
  expect(await store.get(id, Date.now())).toMatchObject({ itemCount: total, lastSeq: total, version: total / 3 });
}
