/**
 * The Lua scripts of the store's writes, as named constants, and one builder per script that
 * lays out its KEYS and ARGV: the order of the slots lives in the builder, next to a comment
 * naming each, and the script's doc says the same. Every write is one script, so the check
 * and the change are atomic per session; no write reads, then writes, from the client.
 *
 * @module
 */
import { createHash } from 'node:crypto';
import type { EpochMilliseconds, StoreDeleteInput, StorePutInput, StoreTouchInput } from '../../src/types.js';
import { HEADER } from './codec.js';
import type { Bucket } from './keys.js';

/** How many expired sessions of its bucket each write removes at most. */
const SWEEP = 10;

/**
 * Lua helpers prepended to every script. Numbers are written with `%.17g` so that any double
 * (an `expiresAt` of `now + 1.5`, say) survives the round trip; `''` stands for "never".
 */
export const LUA_HELPERS = `
local H = ${HEADER}
local function num(x) return string.format('%.17g', x) end
-- whether a stored expiresAt is still ahead of now
local function alive(at, now) return at == '' or (tonumber(at) or 0) > now end
-- the header of the session value at key as
-- {version, createdAt, updatedAt, expiresAt, token, itemCount, lastSeq} (times and token as
-- texts, the rest numbers), or nil when there is none or it is not one of ours: a missing key,
-- a value shorter than the header, a malformed header, or a key of another type
local function head(key)
  local h = redis.pcall('GETRANGE', key, 0, H - 1)
  if type(h) ~= 'string' or #h ~= H or string.byte(h, H) ~= 10 then return nil end
  local v, c, u, e, t, n, l = string.match(h, '^(%d+),([^,]+),([^,]+),([^,]*),([^, ]*),(%d+),(%d+) *\\n$')
  if not (v and tonumber(c) and tonumber(u) and (e == '' or tonumber(e))) then return nil end
  return {tonumber(v), c, u, e, t, tonumber(n), tonumber(l)}
end
-- a header of exactly H bytes; raises an error (before any write) if the fields do not fit
local function header(version, createdAt, updatedAt, expiresAt, token, itemCount, lastSeq)
  local h = version .. ',' .. createdAt .. ',' .. updatedAt .. ',' .. expiresAt .. ',' .. token
    .. ',' .. num(itemCount) .. ',' .. num(lastSeq)
  if #h > H - 1 then error('session header longer than ' .. (H - 1) .. ' bytes: ' .. h) end
  return h .. string.rep(' ', H - 1 - #h) .. '\\n'
end
-- min(idle, createdAt + maxLifetime), each '' for none; nil for never
local function expiry(idle, createdAt, maxLifetime)
  local at = tonumber(idle)
  if maxLifetime ~= '' then
    local cap = createdAt + tonumber(maxLifetime)
    if at == nil or cap < at then at = cap end
  end
  return at
end
-- the items key of session id, from its bucket's session key prefix (…{b<n>}:s: → …{b<n>}:i:<id>)
local function items_of(base, id) return string.sub(base, 1, -3) .. 'i:' .. id end
-- sets or clears the expiry of a session's items as the session's ('' for never)
local function expire_items(key, expiresAt)
  if expiresAt == '' then redis.call('PERSIST', key)
  else redis.call('PEXPIREAT', key, string.format('%.0f', math.ceil(tonumber(expiresAt)))) end
end
-- removes id (its value and items) from the bucket if its session is missing or expired at now
local function drop_if_gone(base, ids, exp, id, now)
  local key = base .. id
  local cur = head(key)
  if cur and alive(cur[4], now) then
    if cur[4] == '' then redis.call('ZREM', exp, id) else redis.call('ZADD', exp, cur[4], id) end
    return 0
  end
  redis.call('DEL', key, items_of(base, id))
  redis.call('ZREM', ids, id)
  redis.call('ZREM', exp, id)
  return 1
end
-- whether a write carrying fence (its ARGV text, a whole number in decimal; '' for none: not
-- checked) is refused at now: the lease at key is not live, or holds another fence. Compares
-- the text of the fence in place, the cheapest check (it runs in every fenced write)
local function fenced(key, fence, now)
  if fence == '' then return false end
  local v = redis.pcall('GET', key)
  if type(v) ~= 'string' or string.sub(v, 1, #fence + 1) ~= fence .. ',' then return true end
  local at = tonumber(string.match(v, '^%d+,([^,]+)'))
  return not (at and at > now)
end
-- removes a few sessions of the bucket whose expiry has passed, so they stop costing memory
local function sweep(base, ids, exp, now)
  for _, id in ipairs(redis.call('ZRANGEBYSCORE', exp, '-inf', num(now), 'LIMIT', 0, ${SWEEP})) do
    drop_if_gone(base, ids, exp, id, now)
  end
end
`;

/**
 * Writes a session, keeping its items. KEYS[1] its value (string: header, then data); KEYS[2]
 * its bucket's id index (sorted set, score 0); KEYS[3] its bucket's expiry index (sorted set,
 * score expiresAt); KEYS[4] its items (hash, see item-scripts.ts); KEYS[5] the lease of the id
 * (see lease-scripts.ts).
 * ARGV[1] id; ARGV[2] data (JSON text); ARGV[3] now (ms since epoch); ARGV[4] idle expiry
 * (ms since epoch) or ''; ARGV[5] maxLifetime (ms) or ''; ARGV[6] ifVersion or '';
 * ARGV[7] the bucket's session key prefix (for the sweep); ARGV[8] the write's token;
 * ARGV[9] the fence or '' (none: the lease is not read).
 * Reads only the header, never the old data. When the stored header carries this token the
 * write was applied already (a client resending it after a reconnect): nothing is written
 * and the same answer is given again. Then a fence that is not the live lease's refuses the
 * write, before ifVersion. A put that creates the session removes items left by an
 * expired one; one that changes the expiry gives the items the same.
 * Returns `{1, version, createdAt, expiresAt, itemCount, lastSeq}` when written,
 * `{0, live version}` when not, `{-1}` when fenced.
 * Its KEYS and ARGV are laid out by {@link putArgs}.
 */
const PUT_LUA = `
local now = tonumber(ARGV[3])
local cur = head(KEYS[1])
if cur and cur[5] == ARGV[8] then return {1, num(cur[1]), cur[2], cur[4], num(cur[6]), num(cur[7])} end
if fenced(KEYS[5], ARGV[9], now) then return {-1} end
local version, createdAt, count, last = 0, now, 0, 0
local live = cur and alive(cur[4], now)
if live then version, createdAt, count, last = cur[1], tonumber(cur[2]), cur[6], cur[7] end
if ARGV[6] ~= '' and tonumber(ARGV[6]) ~= version then return {0, num(version)} end
local at = expiry(ARGV[4], createdAt, ARGV[5])
local expiresAt = at and num(at) or ''
version = version + 1
local value = header(num(version), num(createdAt), ARGV[3], expiresAt, ARGV[8], count, last) .. ARGV[2]
-- a new session starts with no items (those of an expired one, or of one evicted, go now)
if not live then redis.call('DEL', KEYS[4])
elseif expiresAt ~= cur[4] then expire_items(KEYS[4], expiresAt) end
if at then
  -- PXAT sets the key's Redis expiry in the same command; a plain SET clears any old one
  redis.call('SET', KEYS[1], value, 'PXAT', string.format('%.0f', math.ceil(at)))
  redis.call('ZADD', KEYS[3], expiresAt, ARGV[1])
else
  redis.call('SET', KEYS[1], value)
  if cur and cur[4] ~= '' then redis.call('ZREM', KEYS[3], ARGV[1]) end
end
-- a session that exists is always indexed (only DELETE and drop_if_gone remove ids, with the value)
if not cur then redis.call('ZADD', KEYS[2], 0, ARGV[1]) end
-- writes that set an expiry tidy the bucket's expired index entries (Redis frees the values)
if at then sweep(ARGV[7], KEYS[2], KEYS[3], now) end
return {1, num(version), num(createdAt), expiresAt, num(count), num(last)}
`;

/**
 * Renews a live session's expiry (and its items'), rewriting only its header (`SETRANGE`, same
 * width: the data stays where it is). KEYS[1..5] as in {@link PUT_LUA}. ARGV[1] id; ARGV[2] now; ARGV[3] idle
 * expiry or ''; ARGV[4] maxLifetime or ''; ARGV[5] the bucket's session key prefix;
 * ARGV[6] the touch's token (a resent touch whose token is stored changes nothing);
 * ARGV[7] the fence or ''.
 * Returns the session's whole value (new header, then data), nil when none is live, `{-1}`
 * when fenced (checked first, after the token).
 * Its KEYS and ARGV are laid out by {@link touchArgs}.
 */
const TOUCH_LUA = `
local now = tonumber(ARGV[2])
local cur = head(KEYS[1])
if cur and cur[5] == ARGV[6] then return redis.call('GET', KEYS[1]) end
if fenced(KEYS[5], ARGV[7], now) then return {-1} end
if not cur then return false end
if not alive(cur[4], now) then return false end
local at = expiry(ARGV[3], tonumber(cur[2]), ARGV[4])
local expiresAt = at and num(at) or ''
redis.call('SETRANGE', KEYS[1], 0, header(num(cur[1]), cur[2], cur[3], expiresAt, ARGV[6], cur[6], cur[7]))
-- read before PEXPIREAT: the answer is the record written, as put's, even when Redis's clock is
-- already past the new expiry (the key is then gone at once)
local value = redis.call('GET', KEYS[1])
if expiresAt ~= cur[4] then expire_items(KEYS[4], expiresAt) end
if at then
  redis.call('PEXPIREAT', KEYS[1], string.format('%.0f', math.ceil(at)))
  redis.call('ZADD', KEYS[3], expiresAt, ARGV[1])
elseif cur[4] ~= '' then
  redis.call('PERSIST', KEYS[1])
  redis.call('ZREM', KEYS[3], ARGV[1])
end
if at then sweep(ARGV[5], KEYS[2], KEYS[3], now) end
return value
`;

/**
 * Removes a session and its items, not its lease. KEYS[1..5] as in {@link PUT_LUA}.
 * ARGV[1] id; ARGV[2] now; ARGV[3] ifVersion or ''; ARGV[4] the bucket's session key prefix;
 * ARGV[5] the fence or ''.
 * Returns `{1, value}` with the removed session's whole value (header, then data),
 * `{0, live version}` when nothing was removed (`'0'` when none is live), or `{-1}` when
 * fenced (checked first).
 * Its KEYS and ARGV are laid out by {@link deleteArgs}.
 */
const DELETE_LUA = `
local now = tonumber(ARGV[2])
if fenced(KEYS[5], ARGV[5], now) then return {-1} end
local cur = head(KEYS[1])
local live = cur and alive(cur[4], now)
if live and ARGV[3] ~= '' and tonumber(ARGV[3]) ~= cur[1] then return {0, num(cur[1])} end
local value = false
if live then value = redis.call('GETDEL', KEYS[1]) else redis.call('DEL', KEYS[1]) end
redis.call('DEL', KEYS[4])
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('ZREM', KEYS[3], ARGV[1])
sweep(ARGV[4], KEYS[2], KEYS[3], now)
if not live then return {0, '0'} end
return {1, value}
`;

/**
 * Drops index entries that a page found without a live session (expired, or evicted by
 * `maxmemory`), checking each again inside the script. KEYS[1] the bucket's id index;
 * KEYS[2] its expiry index. ARGV[1] now; ARGV[2] the bucket's session key prefix;
 * ARGV[3..] the ids. Returns how many were dropped.
 * Its KEYS and ARGV are laid out by {@link pruneArgs}.
 */
const PRUNE_LUA = `
local now, n = tonumber(ARGV[1]), 0
for i = 3, #ARGV do n = n + drop_if_gone(ARGV[2], KEYS[1], KEYS[2], ARGV[i], now) end
return n
`;

/** A script, the SHA1 that `EVALSHA` knows it by, and how many of its arguments are KEYS. */
export interface Script {
  lua: string;
  sha: string;
  keys: number;
}

export function script(body: string, keys: number): Script {
  const lua = LUA_HELPERS + body;
  return { lua, sha: createHash('sha1').update(lua).digest('hex'), keys };
}

/** {@link PUT_LUA}: writes a session. */
export const PUT = script(PUT_LUA, 5);
/** {@link TOUCH_LUA}: renews a live session's expiry. */
export const TOUCH = script(TOUCH_LUA, 5);
/** {@link DELETE_LUA}: removes a session. */
export const DELETE = script(DELETE_LUA, 5);
/** {@link PRUNE_LUA}: drops index entries of sessions that are gone. */
export const PRUNE = script(PRUNE_LUA, 2);

/** The keys and arguments of a script, in order: its KEYS first, then its ARGV. */
export type ScriptArgs = (string | number)[];

/** `''` stands for "none" in the scripts' arguments. */
export function optional(value: number | null | undefined): string | number {
  return value ?? '';
}

/** {@link PUT}'s KEYS and ARGV for `input`, in bucket `b`, carrying write token `token`. */
export function putArgs(b: Bucket, input: StorePutInput, token: string): ScriptArgs {
  return [
    b.session + input.id, // KEYS[1] the session's value
    b.ids, // KEYS[2] the bucket's id index
    b.exp, // KEYS[3] the bucket's expiry index
    b.items + input.id, // KEYS[4] the session's items
    b.lease + input.id, // KEYS[5] the lease of the id
    input.id, // ARGV[1] id
    input.data, // ARGV[2] data (JSON text)
    input.now, // ARGV[3] now
    optional(input.idleExpiresAt), // ARGV[4] idle expiry or ''
    optional(input.maxLifetime), // ARGV[5] maxLifetime or ''
    optional(input.ifVersion), // ARGV[6] ifVersion or ''
    b.session, // ARGV[7] the bucket's session key prefix (for the sweep)
    token, // ARGV[8] the write's token
    optional(input.fence), // ARGV[9] fence or ''
  ];
}

/** {@link TOUCH}'s KEYS and ARGV for `input`, in bucket `b`, carrying write token `token`. */
export function touchArgs(b: Bucket, input: StoreTouchInput, token: string): ScriptArgs {
  return [
    b.session + input.id, // KEYS[1] the session's value
    b.ids, // KEYS[2] the bucket's id index
    b.exp, // KEYS[3] the bucket's expiry index
    b.items + input.id, // KEYS[4] the session's items
    b.lease + input.id, // KEYS[5] the lease of the id
    input.id, // ARGV[1] id
    input.now, // ARGV[2] now
    optional(input.idleExpiresAt), // ARGV[3] idle expiry or ''
    optional(input.maxLifetime), // ARGV[4] maxLifetime or ''
    b.session, // ARGV[5] the bucket's session key prefix (for the sweep)
    token, // ARGV[6] the touch's token
    optional(input.fence), // ARGV[7] fence or ''
  ];
}

/** {@link DELETE}'s KEYS and ARGV for `input`, in bucket `b`. */
export function deleteArgs(b: Bucket, input: StoreDeleteInput): ScriptArgs {
  return [
    b.session + input.id, // KEYS[1] the session's value
    b.ids, // KEYS[2] the bucket's id index
    b.exp, // KEYS[3] the bucket's expiry index
    b.items + input.id, // KEYS[4] the session's items
    b.lease + input.id, // KEYS[5] the lease of the id
    input.id, // ARGV[1] id
    input.now, // ARGV[2] now
    optional(input.ifVersion), // ARGV[3] ifVersion or ''
    b.session, // ARGV[4] the bucket's session key prefix (for the sweep)
    optional(input.fence), // ARGV[5] fence or ''
  ];
}

/** {@link PRUNE}'s KEYS and ARGV: check `ids` of bucket `b` again at `now`, drop those gone. */
export function pruneArgs(b: Bucket, now: EpochMilliseconds, ids: string[]): ScriptArgs {
  return [
    b.ids, // KEYS[1] the bucket's id index
    b.exp, // KEYS[2] the bucket's expiry index
    now, // ARGV[1] now
    b.session, // ARGV[2] the bucket's session key prefix
    ...ids, // ARGV[3..] the ids
  ];
}
