/**
 * The write scripts' argument builders against the Lua they feed: as many KEYS as the script
 * declares, as many ARGV as the script reads, and every key in the id's bucket (one Cluster
 * slot). No Redis needed: a builder that drifted from its script fails here first.
 */
import { describe, expect, it } from 'vitest';
import { bucketOf, buckets } from '../../adapters/redis/keys.js';
import { DELETE, deleteArgs, PRUNE, pruneArgs, PUT, putArgs, TOUCH, touchArgs, type Script } from '../../adapters/redis/scripts.js';

/** The highest `KEYS[n]` or `ARGV[n]` a script's Lua reads. */
function highest(s: Script, table: 'KEYS' | 'ARGV'): number {
  return Math.max(0, ...[...s.lua.matchAll(new RegExp(`${table}\\[(\\d+)\\]`, 'g'))].map((m) => Number(m[1])));
}

describe('RedisStore script builders', () => {
  const id = 'user-42:thread-7';
  const b = buckets('p:')[bucketOf(id)]!;
  const input = { id, data: '{"a":1}', now: 1_764_450_000_000, idleExpiresAt: null, maxLifetime: 5000, ifVersion: 2 };
  const cases: [string, Script, (string | number)[], number][] = [
    ['put', PUT, putArgs(b, input, 'tok'), 0],
    ['touch', TOUCH, touchArgs(b, input, 'tok'), 0],
    ['delete', DELETE, deleteArgs(b, input), 0],
    ['prune', PRUNE, pruneArgs(b, input.now, ['x', 'y']), 2], // ARGV[3..] are the ids
  ];

  it.each(cases)('%s: as many KEYS and ARGV as its Lua reads, all keys in the bucket of the id', (_, s, args, extra) => {
    expect(s.keys).toBe(highest(s, 'KEYS'));
    expect(args).toHaveLength(s.keys + highest(s, 'ARGV') + extra);
    for (const key of args.slice(0, s.keys)) expect(String(key).startsWith(`p:{b${bucketOf(id)}}:`)).toBe(true);
    expect(args.slice(s.keys).every((a) => typeof a === 'string' || Number.isFinite(a))).toBe(true);
  });

  it('put and touch carry the token last; an absent number is sent as the empty string', () => {
    expect(putArgs(b, input, 'tok').at(-1)).toBe('tok');
    expect(touchArgs(b, input, 'tok').at(-1)).toBe('tok');
    expect(putArgs(b, input, 'tok')[3 + 4 - 1]).toBe(''); // ARGV[4] idle expiry: none
    expect(deleteArgs(b, { id, now: 1 })[3 + 3 - 1]).toBe(''); // ARGV[3] ifVersion: none
  });
});
