/**
 * The Lua scripts of a session's items (append, a page, pop, truncate) and their builders.
 * A session's items live in one hash next to its value, under the same hash tag:
 *
 * - field `<seq>` (decimal): `createdAt,json` of the item with that seq;
 * - field `b`: the UTF-8 bytes of item JSON the log holds (for `maxLogBytes`);
 * - field `p`: `seq,createdAt,json` of the last popped item, and `t`: how many items the last
 *   truncate removed (a resent pop or truncate answers with them);
 * - field `kn`: how many keyed appends the session has had; `k#<n mod 1000>`: the key of keyed
 *   append n (a ring: the 1,001st newer key pushes it out); `k:<key>`:
 *   `at,version,firstSeq,lastSeq,n`, the remembered result of that key.
 *
 * The log holds exactly the seqs `lastSeq - itemCount + 1 … lastSeq` (both in the header), so
 * every script computes which fields to read or remove: no scan.
 *
 * @module
 */
import { IDEMPOTENCY_KEYS, IDEMPOTENCY_WINDOW } from '../../src/types.js';
import type { StoreAppendInput, StoreItemsQuery, StorePopInput, StoreTruncateInput } from '../../src/types.js';
import type { Bucket } from './keys.js';
import { optional, script, type ScriptArgs } from './scripts.js';

/** Lua helpers of the item scripts, after those of scripts.ts. */
const ITEM_HELPERS = `
-- the JSON bytes of a stored item value 'createdAt,json'
local function json_bytes(v) return #v - string.find(v, ',', 1, true) end
-- the JSON bytes of items lo..hi of the items hash at key (read 1,000 at a time), removing
-- them too when del
local function span(key, lo, hi, del)
  local bytes = 0
  for from = lo, hi, 1000 do
    local fields = {}
    for s = from, math.min(hi, from + 999) do fields[#fields + 1] = s end
    for _, v in ipairs(redis.call('HMGET', key, unpack(fields))) do if v then bytes = bytes + json_bytes(v) end end
    if del then redis.call('HDEL', key, unpack(fields)) end
  end
  return bytes
end
-- the header of live session cur with a new version and log, its times and expiry kept but
-- updatedAt (made before any write: one that would not fit raises an error first)
local function rewritten(cur, version, updatedAt, token, count, last)
  return header(num(version), cur[2], updatedAt, cur[4], token, count, last)
end
`;

/**
 * Appends items. KEYS[1] the session's value; KEYS[2] its items (hash); KEYS[3] its bucket's
 * id index; KEYS[4] its bucket's expiry index; KEYS[5] the lease of the id. ARGV[1] id; ARGV[2] now; ARGV[3] idle expiry or
 * ''; ARGV[4] maxLifetime or ''; ARGV[5] ifVersion or ''; ARGV[6] idempotency key or '';
 * ARGV[7] replaceAfter or ''; ARGV[8] maxItems or ''; ARGV[9] maxLogBytes or ''; ARGV[10]
 * '1' to drop the oldest items over a limit; ARGV[11] the bucket's session key prefix (for the
 * sweep); ARGV[12] the append's token; ARGV[13] the fence or ''; ARGV[14..] the items (JSON
 * text).
 * Steps: a resend of this very append (its token in the header) answers as the first run; a
 * session expired at now is removed with its items; a remembered key answers its result
 * (`replayed`); then a fence that is not the live lease's, ifVersion, replaceAfter and the
 * limits may refuse with nothing changed;
 * else the items get seqs `lastSeq + 1 …`, in one HSET, and the header and expiry are written.
 * Returns `{1, version, firstSeq, lastSeq, replayed 0|1}`, `{0, reason, version, lastSeq}`, or
 * `{-1}` when fenced.
 * Reads no item but those it removes (replaceAfter, dropOldest). Laid out by {@link appendArgs}.
 */
const APPEND_LUA = `
local now, n = tonumber(ARGV[2]), #ARGV - 13
local cur = head(KEYS[1])
if cur and cur[5] == ARGV[12] then return {1, num(cur[1]), num(cur[7] - n + 1), num(cur[7]), 0} end
local live = cur and alive(cur[4], now)
local version, createdAt, count, last = 0, now, 0, 0
if live then version, createdAt, count, last = cur[1], tonumber(cur[2]), cur[6], cur[7] end
local key = ARGV[6]
if live and key ~= '' then
  local rec = redis.call('HGET', KEYS[2], 'k:' .. key)
  if rec then
    local at, v, f, l = string.match(rec, '^([^,]+),(%d+),(%d+),(%d+),')
    if tonumber(at) + ${IDEMPOTENCY_WINDOW} > now then return {1, v, f, l, 1} end
  end
end
if fenced(KEYS[5], ARGV[13], now) then return {-1} end
if ARGV[5] ~= '' and tonumber(ARGV[5]) ~= version then return {0, 'version', num(version), num(last)} end
local after = tonumber(ARGV[7])
if after and after > last then return {0, 'replaceAfter', num(version), num(last)} end
local bytes = 0
if count > 0 then bytes = tonumber(redis.call('HGET', KEYS[2], 'b') or '0') end
local oldest, added = last - count + 1, 0
for i = 14, #ARGV do added = added + #ARGV[i] end
-- items that replaceAfter removes: seqs above it
local cut_from, cut_bytes = last + 1, 0
if after and after < last then
  cut_from = math.max(after + 1, oldest)
  if cut_from <= last then cut_bytes = span(KEYS[2], cut_from, last, false) end
end
local kept = math.max(0, math.min(count, (after or last) - oldest + 1))
local max_items, max_bytes = tonumber(ARGV[8]), tonumber(ARGV[9])
-- the oldest items to drop so that the log fits after the append (their bytes are read only
-- when maxLogBytes needs them, and when they are removed)
local drop, drop_bytes = 0, 0
local function over() return (max_items and kept - drop + n > max_items)
  or (max_bytes and bytes - cut_bytes - drop_bytes + added > max_bytes) end
while drop < kept and over() do
  if ARGV[10] ~= '1' then return {0, 'full', num(version), num(last)} end
  drop = drop + 1
  if max_bytes then drop_bytes = drop_bytes + json_bytes(redis.call('HGET', KEYS[2], oldest + drop - 1)) end
end
if over() then return {0, 'full', num(version), num(last)} end
local at = expiry(ARGV[3], createdAt, ARGV[4])
local expiresAt = at and num(at) or ''
local first = (after or last) + 1
-- the new header before any write: one that would not fit raises an error with nothing written
local h = header(num(version + 1), num(createdAt), ARGV[2], expiresAt, ARGV[12], kept - drop + n, first + n - 1)
if cur and not live then redis.call('DEL', KEYS[1], KEYS[2]) elseif not cur then redis.call('DEL', KEYS[2]) end
if cut_from <= last then span(KEYS[2], cut_from, last, true) end
if drop > 0 then drop_bytes = span(KEYS[2], oldest, oldest + drop - 1, true) end
local fields = {}
for i = 14, #ARGV do
  fields[#fields + 1] = first + i - 14
  fields[#fields + 1] = ARGV[2] .. ',' .. ARGV[i]
end
redis.call('HSET', KEYS[2], 'b', bytes - cut_bytes - drop_bytes + added, unpack(fields))
last, version = first + n - 1, version + 1
if key ~= '' then
  local k = redis.call('HINCRBY', KEYS[2], 'kn', 1)
  local slot = 'k#' .. (k % ${IDEMPOTENCY_KEYS})
  local old = redis.call('HGET', KEYS[2], slot)
  if old then
    local rec = redis.call('HGET', KEYS[2], 'k:' .. old)
    if rec and tonumber(string.match(rec, '(%d+)$')) == k - ${IDEMPOTENCY_KEYS} then redis.call('HDEL', KEYS[2], 'k:' .. old) end
  end
  redis.call('HSET', KEYS[2], slot, key, 'k:' .. key, ARGV[2] .. ',' .. num(version) .. ',' .. num(first) .. ',' .. num(last) .. ',' .. k)
end
if live then redis.call('SETRANGE', KEYS[1], 0, h) else redis.call('SET', KEYS[1], h .. 'null') end
if at then
  local pxat = string.format('%.0f', math.ceil(at))
  redis.call('PEXPIREAT', KEYS[1], pxat)
  redis.call('PEXPIREAT', KEYS[2], pxat)
  redis.call('ZADD', KEYS[4], expiresAt, ARGV[1])
elseif cur and cur[4] ~= '' then
  redis.call('PERSIST', KEYS[1])
  redis.call('PERSIST', KEYS[2])
  redis.call('ZREM', KEYS[4], ARGV[1])
end
if not cur then redis.call('ZADD', KEYS[3], 0, ARGV[1]) end
if at then sweep(ARGV[11], KEYS[3], KEYS[4], now) end
return {1, num(version), num(first), num(last), 0}
`;

/**
 * Reads a page of items. KEYS[1] the session's value; KEYS[2] its items. ARGV[1] now;
 * ARGV[2] after or ''; ARGV[3] before or ''; ARGV[4] limit; ARGV[5] 'asc' or 'desc'.
 * Computes the page's seqs from the header and reads them with one HMGET: O(page).
 * Returns nil when no session is live, else `{version, hasMore 0|1, firstSeq, value…}`
 * with each value `createdAt,json`, in the page's order (seqs step by +1 asc, -1 desc).
 * Laid out by {@link itemsArgs}.
 */
const ITEMS_LUA = `
local now = tonumber(ARGV[1])
local cur = head(KEYS[1])
if not (cur and alive(cur[4], now)) then return false end
local last, limit = cur[7], tonumber(ARGV[4])
local lo, hi = math.max((tonumber(ARGV[2]) or -1) + 1, last - cur[6] + 1), math.min((tonumber(ARGV[3]) or last + 1) - 1, last)
if lo > hi then return {num(cur[1]), 0, 0} end
local from, to, step, more
if ARGV[5] == 'desc' then from, to, step, more = hi, math.max(lo, hi - limit + 1), -1, hi - limit + 1 > lo
else from, to, step, more = lo, math.min(hi, lo + limit - 1), 1, lo + limit - 1 < hi end
local fields = {}
for s = from, to, step do fields[#fields + 1] = s end
local page = redis.call('HMGET', KEYS[2], unpack(fields))
local out = {num(cur[1]), more and 1 or 0, num(from)}
for i, v in ipairs(fields) do out[i + 3] = page[i] or '' end
return out
`;

/**
 * Removes the newest item. KEYS[1] the session's value; KEYS[2] its items; KEYS[3] the lease
 * of the id. ARGV[1] now; ARGV[2] ifVersion or ''; ARGV[3] the pop's token (a resend finding it
 * answers the item it popped, kept in field `p`); ARGV[4] the fence or ''. Keeps the expiry.
 * Returns `{1, version, 'seq,createdAt,json' or false}`, `{0, live version}`, or `{-1}` when
 * fenced.
 * Laid out by {@link popArgs}.
 */
const POP_LUA = `
local now = tonumber(ARGV[1])
local cur = head(KEYS[1])
if cur and cur[5] == ARGV[3] then return {1, num(cur[1]), redis.call('HGET', KEYS[2], 'p')} end
if fenced(KEYS[3], ARGV[4], now) then return {-1} end
local version = (cur and alive(cur[4], now)) and cur[1] or 0
if ARGV[2] ~= '' and tonumber(ARGV[2]) ~= version then return {0, num(version)} end
if version == 0 or cur[6] == 0 then return {1, num(version), false} end
local last = cur[7]
local h = rewritten(cur, version + 1, ARGV[1], ARGV[3], cur[6] - 1, last - 1)
local v = redis.call('HGET', KEYS[2], last)
local item = num(last) .. ',' .. (v or '')
redis.call('HDEL', KEYS[2], last)
if v then redis.call('HINCRBY', KEYS[2], 'b', -json_bytes(v)) end
redis.call('HSET', KEYS[2], 'p', item)
redis.call('SETRANGE', KEYS[1], 0, h)
return {1, num(version + 1), item}
`;

/**
 * Removes the items after or before a seq. KEYS[1] the session's value; KEYS[2] its items;
 * KEYS[3] the lease of the id. ARGV[1] now; ARGV[2] after or ''; ARGV[3] before or ''; ARGV[4]
 * ifVersion or ''; ARGV[5] the truncate's token (a resend finding it answers the count kept in
 * field `t`); ARGV[6] the fence or ''. Keeps the expiry.
 * Returns `{1, version, removed}`, `{0, live version}`, or `{-1}` when fenced. O(removed).
 * Laid out by {@link truncateArgs}.
 */
const TRUNCATE_LUA = `
local now = tonumber(ARGV[1])
local cur = head(KEYS[1])
if cur and cur[5] == ARGV[5] then return {1, num(cur[1]), tonumber(redis.call('HGET', KEYS[2], 't') or '0')} end
if fenced(KEYS[3], ARGV[6], now) then return {-1} end
local version = (cur and alive(cur[4], now)) and cur[1] or 0
if ARGV[4] ~= '' and tonumber(ARGV[4]) ~= version then return {0, num(version)} end
if version == 0 then return {1, '0', 0} end
local count, last = cur[6], cur[7]
local oldest, lo, hi, new_last = last - count + 1, 0, -1, last
if ARGV[2] ~= '' then
  local after = tonumber(ARGV[2])
  lo, hi, new_last = math.max(after + 1, oldest), last, math.min(last, after)
else
  lo, hi = oldest, math.min(tonumber(ARGV[3]) - 1, last)
end
local removed = math.max(0, hi - lo + 1)
-- nothing to remove changes nothing, lastSeq included
if removed == 0 then return {1, num(version), 0} end
local h = rewritten(cur, version + 1, ARGV[1], ARGV[5], count - removed, new_last)
if removed > 0 then redis.call('HINCRBY', KEYS[2], 'b', -span(KEYS[2], lo, hi, true)) end
redis.call('HSET', KEYS[2], 't', removed)
redis.call('SETRANGE', KEYS[1], 0, h)
return {1, num(version + 1), removed}
`;

/** {@link APPEND_LUA}: appends items. */
export const APPEND = script(ITEM_HELPERS + APPEND_LUA, 5);
/** {@link ITEMS_LUA}: reads a page of items. */
export const ITEMS = script(ITEM_HELPERS + ITEMS_LUA, 2);
/** {@link POP_LUA}: removes the newest item. */
export const POP = script(ITEM_HELPERS + POP_LUA, 3);
/** {@link TRUNCATE_LUA}: removes items after or before a seq. */
export const TRUNCATE = script(ITEM_HELPERS + TRUNCATE_LUA, 3);

/** {@link APPEND}'s KEYS and ARGV for `input`, in bucket `b`, carrying write token `token`. */
export function appendArgs(b: Bucket, input: StoreAppendInput, token: string): ScriptArgs {
  return [
    b.session + input.id, // KEYS[1] the session's value
    b.items + input.id, // KEYS[2] the session's items
    b.ids, // KEYS[3] the bucket's id index
    b.exp, // KEYS[4] the bucket's expiry index
    b.lease + input.id, // KEYS[5] the lease of the id
    input.id, // ARGV[1] id
    input.now, // ARGV[2] now
    optional(input.idleExpiresAt), // ARGV[3] idle expiry or ''
    optional(input.maxLifetime), // ARGV[4] maxLifetime or ''
    optional(input.ifVersion), // ARGV[5] ifVersion or ''
    input.idempotencyKey ?? '', // ARGV[6] idempotency key or ''
    optional(input.replaceAfter), // ARGV[7] replaceAfter or ''
    optional(input.maxItems), // ARGV[8] maxItems or ''
    optional(input.maxLogBytes), // ARGV[9] maxLogBytes or ''
    input.dropOldest ? '1' : '0', // ARGV[10] drop the oldest over a limit
    b.session, // ARGV[11] the bucket's session key prefix (for the sweep)
    token, // ARGV[12] the append's token
    optional(input.fence), // ARGV[13] fence or ''
    ...input.items, // ARGV[14..] the items
  ];
}

/** {@link ITEMS}'s KEYS and ARGV for `query`, in bucket `b`. */
export function itemsArgs(b: Bucket, query: StoreItemsQuery): ScriptArgs {
  return [
    b.session + query.id, // KEYS[1] the session's value
    b.items + query.id, // KEYS[2] the session's items
    query.now, // ARGV[1] now
    optional(query.after), // ARGV[2] after or ''
    optional(query.before), // ARGV[3] before or ''
    query.limit, // ARGV[4] limit
    query.order, // ARGV[5] 'asc' or 'desc'
  ];
}

/** {@link POP}'s KEYS and ARGV for `input`, in bucket `b`, carrying write token `token`. */
export function popArgs(b: Bucket, input: StorePopInput, token: string): ScriptArgs {
  return [
    b.session + input.id, // KEYS[1] the session's value
    b.items + input.id, // KEYS[2] the session's items
    b.lease + input.id, // KEYS[3] the lease of the id
    input.now, // ARGV[1] now
    optional(input.ifVersion), // ARGV[2] ifVersion or ''
    token, // ARGV[3] the pop's token
    optional(input.fence), // ARGV[4] fence or ''
  ];
}

/** {@link TRUNCATE}'s KEYS and ARGV for `input`, in bucket `b`, carrying write token `token`. */
export function truncateArgs(b: Bucket, input: StoreTruncateInput, token: string): ScriptArgs {
  return [
    b.session + input.id, // KEYS[1] the session's value
    b.items + input.id, // KEYS[2] the session's items
    b.lease + input.id, // KEYS[3] the lease of the id
    input.now, // ARGV[1] now
    optional(input.after), // ARGV[2] after or ''
    optional(input.before), // ARGV[3] before or ''
    optional(input.ifVersion), // ARGV[4] ifVersion or ''
    token, // ARGV[5] the truncate's token
    optional(input.fence), // ARGV[6] fence or ''
  ];
}
