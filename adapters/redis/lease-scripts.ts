/**
 * The Lua scripts of leases (acquire, renew, release) and their builders. The lease of an id
 * is one string next to its session, under the same hash tag (one Cluster slot):
 *
 * - key `<prefix>{b<n>}:l:<id>`: `fence,expiresAt,token`, where `token` is that of the
 *   acquire, renew or release that wrote it last (a resend finding it answers as the first
 *   run) and `expiresAt` is `0` once released; Redis removes the key at its expiry
 *   (`PEXPIREAT`), so no key is kept per id once its lease has ended;
 * - key `<prefix>{b<n>}:fence`: the bucket's fence counter, `INCR`ed by every acquire in the
 *   bucket: fences of an id only grow, and with persistence they survive a restart. A counter
 *   found missing (lost without persistence, or evicted) starts again at the caller's clock
 *   in ms, above the fences issued before as long as they came slower than one per ms.
 *
 * Every write script checks a fence against the lease key with the helper `fenced` (in
 * scripts.ts), inside the write's own script.
 *
 * @module
 */
import type { StoreAcquireInput, StoreReleaseInput, StoreRenewInput } from '../../src/types.js';
import type { Bucket } from './keys.js';
import { script, type ScriptArgs } from './scripts.js';

/** Lua helpers of the lease scripts, after those of scripts.ts. */
const LEASE_HELPERS = `
-- the lease at key as {fence, expiresAt, token} (numbers, then the token of the acquire,
-- renew or release that wrote it last; expiresAt 0 once released), or nil when there is none
-- or it is not one of ours
local function lease(key)
  local v = redis.pcall('GET', key)
  if type(v) ~= 'string' then return nil end
  local f, at, t = string.match(v, '^(%d+),([^,]+),(.*)$')
  if not (f and tonumber(at)) then return nil end
  return {tonumber(f), tonumber(at), t}
end
`;

/**
 * Takes the lease when none is live. KEYS[1] the lease of the id; KEYS[2] its bucket's fence
 * counter. ARGV[1] now; ARGV[2] the new lease's expiresAt (now + ttl); ARGV[3] the acquire's
 * token. A live lease refuses, unless it carries this token (this very acquire, resent after
 * a lost reply: answered as the first run). Else the counter gives the fence, and the lease key
 * is written with `PXAT` its expiry.
 * Returns `{1, fence, expiresAt}` when taken, `{0, expiresAt of the live lease}` when not.
 * Laid out by {@link acquireArgs}.
 */
const ACQUIRE_LUA = `
local now = tonumber(ARGV[1])
local cur = lease(KEYS[1])
if cur and cur[2] > now then
  if cur[3] == ARGV[3] then return {1, num(cur[1]), num(cur[2])} end
  return {0, num(cur[2])}
end
local fence = redis.call('INCR', KEYS[2])
if fence == 1 then
  -- the counter was missing: it starts again at the caller's clock, above the fences before
  fence = math.max(1, math.floor(now))
  redis.call('SET', KEYS[2], fence)
end
redis.call('SET', KEYS[1], num(fence) .. ',' .. ARGV[2] .. ',' .. ARGV[3], 'PXAT', string.format('%.0f', math.ceil(tonumber(ARGV[2]))))
return {1, num(fence), ARGV[2]}
`;

/**
 * Moves a live lease's expiry. KEYS[1] the lease of the id. ARGV[1] now; ARGV[2] the fence;
 * ARGV[3] the new expiresAt (now + ttl); ARGV[4] the renew's token (a resend finding it
 * answers as the first run). Keeps the fence; the key's `PXAT` follows.
 * Returns the new expiresAt, or nil when `fence` is not the live lease.
 * Laid out by {@link renewArgs}.
 */
const RENEW_LUA = `
local now = tonumber(ARGV[1])
local cur = lease(KEYS[1])
if not (cur and cur[2] > now) then return false end
if cur[3] == ARGV[4] then return num(cur[2]) end
if cur[1] ~= tonumber(ARGV[2]) then return false end
redis.call('SET', KEYS[1], num(cur[1]) .. ',' .. ARGV[3] .. ',' .. ARGV[4], 'PXAT', string.format('%.0f', math.ceil(tonumber(ARGV[3]))))
return ARGV[3]
`;

/**
 * Ends a live lease. KEYS[1] the lease of the id. ARGV[1] now; ARGV[2] the fence; ARGV[3] the
 * release's token. The key stays until the lease would have expired (`KEEPTTL`), marked
 * released (expiresAt `0`: free for the next acquire, refused to every fence) and carrying the
 * token, so that a resend of this release answers `1` again.
 * Returns 1 when released, 0 (nothing changed) when `fence` is not the live lease.
 * Laid out by {@link releaseArgs}.
 */
const RELEASE_LUA = `
local cur = lease(KEYS[1])
if not cur then return 0 end
if cur[3] == ARGV[3] then return 1 end
if cur[1] ~= tonumber(ARGV[2]) or cur[2] <= tonumber(ARGV[1]) then return 0 end
redis.call('SET', KEYS[1], num(cur[1]) .. ',0,' .. ARGV[3], 'KEEPTTL')
return 1
`;

/** {@link ACQUIRE_LUA}: takes a lease. */
export const ACQUIRE = script(LEASE_HELPERS + ACQUIRE_LUA, 2);
/** {@link RENEW_LUA}: moves a live lease's expiry. */
export const RENEW = script(LEASE_HELPERS + RENEW_LUA, 1);
/** {@link RELEASE_LUA}: ends a live lease. */
export const RELEASE = script(LEASE_HELPERS + RELEASE_LUA, 1);

/** {@link ACQUIRE}'s KEYS and ARGV for `input`, in bucket `b`, carrying token `token`. */
export function acquireArgs(b: Bucket, input: StoreAcquireInput, token: string): ScriptArgs {
  return [
    b.lease + input.id, // KEYS[1] the lease of the id
    b.fences, // KEYS[2] the bucket's fence counter
    input.now, // ARGV[1] now
    input.now + input.ttl, // ARGV[2] the new lease's expiresAt
    token, // ARGV[3] the acquire's token
  ];
}

/** {@link RENEW}'s KEYS and ARGV for `input`, in bucket `b`, carrying token `token`. */
export function renewArgs(b: Bucket, input: StoreRenewInput, token: string): ScriptArgs {
  return [
    b.lease + input.id, // KEYS[1] the lease of the id
    input.now, // ARGV[1] now
    input.fence, // ARGV[2] the fence
    input.now + input.ttl, // ARGV[3] the new expiresAt
    token, // ARGV[4] the renew's token
  ];
}

/** {@link RELEASE}'s KEYS and ARGV for `input`, in bucket `b`, carrying token `token`. */
export function releaseArgs(b: Bucket, input: StoreReleaseInput, token: string): ScriptArgs {
  return [
    b.lease + input.id, // KEYS[1] the lease of the id
    input.now, // ARGV[1] now
    input.fence, // ARGV[2] the fence
    token, // ARGV[3] the release's token
  ];
}
