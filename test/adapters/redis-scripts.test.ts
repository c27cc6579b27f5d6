/**
 * The write scripts' argument builders against the Lua they feed: as many KEYS as the script
 * declares, as many ARGV as the script reads, and every key in the id's bucket (one Cluster
 * slot). No Redis needed: a builder that drifted from its script fails here first.
 */
import { describe, expect, it } from 'vitest';
import { bucketOf, buckets } from '../../adapters/redis/keys.js';
import { APPEND, appendArgs, ITEMS, itemsArgs, POP, popArgs, TRUNCATE, truncateArgs } from '../../adapters/redis/item-scripts.js';
import { ACQUIRE, acquireArgs, RELEASE, releaseArgs, RENEW, renewArgs } from '../../adapters/redis/lease-scripts.js';
import { DELETE, deleteArgs, PRUNE, pruneArgs, PUT, putArgs, TOUCH, touchArgs, type Script } from '../../adapters/redis/scripts.js';

/** The highest `KEYS[n]` or `ARGV[n]` a script's Lua reads. */
function highest(s: Script, table: 'KEYS' | 'ARGV'): number {
  return Math.max(0, ...[...s.lua.matchAll(new RegExp(`${table}\\[(\\d+)\\]`, 'g'))].map((m) => Number(m[1])));
}

describe('RedisStore script builders', () => {
  const id = 'user-42:thread-7';
  const b = buckets('p:')[bucketOf(id)]!;
  const input = { id, data: '{"a":1}', now: 1_764_450_000_000, idleExpiresAt: null, maxLifetime: 5000, ifVersion: 2 };
  const batch = { ...input, items: ['1', '"two"', '{}'], maxItems: null, maxLogBytes: 100, dropOldest: false };
  const cases: [string, Script, (string | number)[], number][] = [
    ['put', PUT, putArgs(b, input, 'tok'), 0],
    ['touch', TOUCH, touchArgs(b, input, 'tok'), 0],
    ['delete', DELETE, deleteArgs(b, input), 0],
    ['prune', PRUNE, pruneArgs(b, input.now, ['x', 'y']), 2], // ARGV[3..] are the ids
    ['append', APPEND, appendArgs(b, batch, 'tok'), 3], // ARGV[14..] are the items
    ['items', ITEMS, itemsArgs(b, { id, now: 1, limit: 5, order: 'desc' }), 0],
    ['pop', POP, popArgs(b, input, 'tok'), 0],
    ['truncate', TRUNCATE, truncateArgs(b, { id, now: 1, after: 3 }, 'tok'), 0],
    ['acquire', ACQUIRE, acquireArgs(b, { id, now: 1, ttl: 5 }, 'tok'), 0],
    ['renew', RENEW, renewArgs(b, { id, now: 1, fence: 7, ttl: 5 }, 'tok'), 0],
    ['release', RELEASE, releaseArgs(b, { id, now: 1, fence: 7 }, 'tok'), 0],
  ];

  it.each(cases)('%s: as many KEYS and ARGV as its Lua reads, all keys in the bucket of the id', (_, s, args, extra) => {
    expect(s.keys).toBe(highest(s, 'KEYS'));
    expect(args).toHaveLength(s.keys + highest(s, 'ARGV') + extra);
    for (const key of args.slice(0, s.keys)) expect(String(key).startsWith(`p:{b${bucketOf(id)}}:`)).toBe(true);
    expect(args.slice(s.keys).every((a) => typeof a === 'string' || Number.isFinite(a))).toBe(true);
  });

  it('put, touch, pop and truncate carry the token then the fence last, append before its items; an absent number is sent as the empty string', () => {
    const fenced = { ...input, fence: 9 };
    expect(putArgs(b, fenced, 'tok').slice(-2)).toEqual(['tok', 9]);
    expect(touchArgs(b, fenced, 'tok').slice(-2)).toEqual(['tok', 9]);
    expect(popArgs(b, fenced, 'tok').slice(-2)).toEqual(['tok', 9]);
    expect(truncateArgs(b, { id, now: 1, before: 3, fence: 9 }, 'tok').slice(-2)).toEqual(['tok', 9]);
    expect(deleteArgs(b, { id, now: 1, fence: 9 }).at(-1)).toBe(9);
    expect(appendArgs(b, { ...batch, fence: 9 }, 'tok').slice(5 + 12 - 1)).toEqual(['tok', 9, '1', '"two"', '{}']);
    expect(putArgs(b, input, 'tok').at(-1)).toBe(''); // no fence: not checked
    expect(appendArgs(b, batch, 'tok')[5 + 13 - 1]).toBe('');
    expect(putArgs(b, input, 'tok')[5 + 4 - 1]).toBe(''); // ARGV[4] idle expiry: none
    expect(deleteArgs(b, { id, now: 1 })[5 + 3 - 1]).toBe(''); // ARGV[3] ifVersion: none
    expect(appendArgs(b, batch, 'tok')[5 + 8 - 1]).toBe(''); // ARGV[8] maxItems: none
  });
});
