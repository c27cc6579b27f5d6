/**
 * The write scripts' argument builders against the Lua they feed: as many KEYS as the script
 * declares, as many ARGV as the script reads, and every key in the id's bucket (one Cluster
 * slot). No Redis needed: a builder that drifted from its script fails here first.
 */
import { describe, expect, it } from 'vitest';
import { bucketOf, buckets } from '../../adapters/redis/keys.js';
import { APPEND, appendArgs, ITEMS, itemsArgs, POP, popArgs, TRUNCATE, truncateArgs } from '../../adapters/redis/item-scripts.js';
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
    ['append', APPEND, appendArgs(b, batch, 'tok'), 3], // ARGV[13..] are the items
    ['items', ITEMS, itemsArgs(b, { id, now: 1, limit: 5, order: 'desc' }), 0],
    ['pop', POP, popArgs(b, input, 'tok'), 0],
    ['truncate', TRUNCATE, truncateArgs(b, { id, now: 1, after: 3 }, 'tok'), 0],
  ];

  it.each(cases)('%s: as many KEYS and ARGV as its Lua reads, all keys in the bucket of the id', (_, s, args, extra) => {
    expect(s.keys).toBe(highest(s, 'KEYS'));
    expect(args).toHaveLength(s.keys + highest(s, 'ARGV') + extra);
    for (const key of args.slice(0, s.keys)) expect(String(key).startsWith(`p:{b${bucketOf(id)}}:`)).toBe(true);
    expect(args.slice(s.keys).every((a) => typeof a === 'string' || Number.isFinite(a))).toBe(true);
  });

  it('put, touch, pop and truncate carry the token last, append before its items; an absent number is sent as the empty string', () => {
    expect(putArgs(b, input, 'tok').at(-1)).toBe('tok');
    expect(touchArgs(b, input, 'tok').at(-1)).toBe('tok');
    expect(popArgs(b, input, 'tok').at(-1)).toBe('tok');
    expect(truncateArgs(b, { id, now: 1, before: 3 }, 'tok').at(-1)).toBe('tok');
    expect(appendArgs(b, batch, 'tok').slice(4 + 12 - 1)).toEqual(['tok', '1', '"two"', '{}']);
    expect(putArgs(b, input, 'tok')[4 + 4 - 1]).toBe(''); // ARGV[4] idle expiry: none
    expect(deleteArgs(b, { id, now: 1 })[4 + 3 - 1]).toBe(''); // ARGV[3] ifVersion: none
    expect(appendArgs(b, batch, 'tok')[4 + 8 - 1]).toBe(''); // ARGV[8] maxItems: none
  });
});
