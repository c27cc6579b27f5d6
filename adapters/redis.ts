/**
 * `RedisStore`: sessions shared by every process that reaches one Redis or Redis Cluster,
 * over `ioredis`.
 *
 * @module
 */
import { createHash, randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { Redis, type Cluster } from 'ioredis';
import { StoreUnavailableError } from '../src/errors.js';
import type {
  EpochMilliseconds,
  Milliseconds,
  SessionRecord,
  SessionStore,
  StoreDeleteInput,
  StoreListQuery,
  StorePutInput,
  StoreTouchInput,
  StoreWriteResult,
} from '../src/types.js';

/** Options of {@link RedisStore}: give either `client` or `url`. */
export interface RedisStoreOptions {
  /**
   * An ioredis `Redis` or `Cluster` that you own: the store uses it and never closes it.
   * Whatever its options, every operation still ends within `timeout`.
   * @defaultValue none: give this or `url`
   */
  client?: Redis | Cluster;
  /**
   * A `redis://` or `rediss://` (TLS) URL. The store then creates its own client, without
   * an offline queue, and quits it on {@link RedisStore.close}.
   * @defaultValue none: give this or `client`
   */
  url?: string;
  /**
   * Prepended to every key. Must not contain `{` or `}` (the store places its own hash tags).
   * @defaultValue 'agent-sessions:'
   */
  prefix?: string;
  /**
   * Deadline of every operation in ms: past it, the operation rejects with
   * {@link StoreUnavailableError} (`indeterminate: true` for a write that was sent).
   * @defaultValue 2000
   */
  timeout?: Milliseconds;
  /**
   * After every write (put, touch, clear), wait until this many replicas have it before
   * answering: Redis `WAIT`, pipelined right after the script on the same connection and
   * node. A write that fewer replicas acknowledge within `waitTimeout` rejects with
   * {@link StoreUnavailableError} `indeterminate: true`: the master applied it, but a
   * failover before a replica gets it would lose it. See docs/redis-cluster.md.
   *
   * **Note:** while a master has fewer replicas online, every write to it fails after
   * `waitTimeout`, and `WAIT` holds that node's connection meanwhile (reads queue behind it).
   * @defaultValue 0: answer as soon as the master has the write (replication is asynchronous)
   */
  waitForReplicas?: number;
  /**
   * How long `WAIT` waits for `waitForReplicas` replicas, in ms (whole, at least 1).
   * @defaultValue half of `timeout`
   */
  waitTimeout?: Milliseconds;
}

/** How many buckets the sessions are spread over: one hash slot each on a Cluster. */
const BUCKETS = 16;
/** How many expired sessions of its bucket each write removes at most. */
const SWEEP = 10;
/** The latest time a `Date` can hold, in ms since epoch. */
const MAX_TIME = 8.64e15;
/**
 * Width in bytes of the header that starts every session value:
 * `version,createdAt,updatedAt,expiresAt,token` in ASCII, padded with spaces, then `\n`.
 * The session's data (JSON text) follows it.
 */
const HEADER = 128;

/**
 * Lua helpers prepended to every script. Numbers are written with `%.17g` so that any double
 * (an `expiresAt` of `now + 1.5`, say) survives the round trip; `''` stands for "never".
 */
const LUA_HELPERS = `
local H = ${HEADER}
local function num(x) return string.format('%.17g', x) end
-- whether a stored expiresAt is still ahead of now
local function alive(at, now) return at == '' or (tonumber(at) or 0) > now end
-- the header of the session value at key as {version, createdAt, updatedAt, expiresAt, token}
-- (texts, version a number), or nil when there is none or it is not one of ours: a missing
-- key, a value shorter than the header, a malformed header, or a key of another type
local function head(key)
  local h = redis.pcall('GETRANGE', key, 0, H - 1)
  if type(h) ~= 'string' or #h ~= H or string.byte(h, H) ~= 10 then return nil end
  local v, c, u, e, t = string.match(h, '^(%d+),([^,]+),([^,]+),([^,]*),([^, ]*) *\\n$')
  if not (v and tonumber(c) and tonumber(u) and (e == '' or tonumber(e))) then return nil end
  return {tonumber(v), c, u, e, t}
end
-- a header of exactly H bytes; raises an error (before any write) if the fields do not fit
local function header(version, createdAt, updatedAt, expiresAt, token)
  local h = version .. ',' .. createdAt .. ',' .. updatedAt .. ',' .. expiresAt .. ',' .. token
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
-- removes id (and its value) from the bucket if its session is missing or expired at now
local function drop_if_gone(base, ids, exp, id, now)
  local key = base .. id
  local cur = head(key)
  if cur and alive(cur[4], now) then
    if cur[4] == '' then redis.call('ZREM', exp, id) else redis.call('ZADD', exp, cur[4], id) end
    return 0
  end
  redis.call('DEL', key)
  redis.call('ZREM', ids, id)
  redis.call('ZREM', exp, id)
  return 1
end
-- removes a few sessions of the bucket whose expiry has passed, so they stop costing memory
local function sweep(base, ids, exp, now)
  for _, id in ipairs(redis.call('ZRANGEBYSCORE', exp, '-inf', num(now), 'LIMIT', 0, ${SWEEP})) do
    drop_if_gone(base, ids, exp, id, now)
  end
end
`;

/**
 * Writes a session. KEYS[1] its value (string: header, then data); KEYS[2] its bucket's id
 * index (sorted set, score 0); KEYS[3] its bucket's expiry index (sorted set, score expiresAt).
 * ARGV[1] id; ARGV[2] data (JSON text); ARGV[3] now (ms since epoch); ARGV[4] idle expiry
 * (ms since epoch) or ''; ARGV[5] maxLifetime (ms) or ''; ARGV[6] ifVersion or '';
 * ARGV[7] the bucket's session key prefix (for the sweep); ARGV[8] the write's token.
 * Reads only the header, never the old data. When the stored header carries this token the
 * write was applied already (a client resending it after a reconnect): nothing is written
 * and the same answer is given again.
 * Returns `{1, version, createdAt, expiresAt}` when written, `{0, live version}` when not.
 */
const PUT_LUA = `
local now = tonumber(ARGV[3])
local cur = head(KEYS[1])
if cur and cur[5] == ARGV[8] then return {1, num(cur[1]), cur[2], cur[4]} end
local version, createdAt = 0, now
if cur and alive(cur[4], now) then version, createdAt = cur[1], tonumber(cur[2]) end
if ARGV[6] ~= '' and tonumber(ARGV[6]) ~= version then return {0, num(version)} end
local at = expiry(ARGV[4], createdAt, ARGV[5])
local expiresAt = at and num(at) or ''
version = version + 1
local value = header(num(version), num(createdAt), ARGV[3], expiresAt, ARGV[8]) .. ARGV[2]
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
return {1, num(version), num(createdAt), expiresAt}
`;

/**
 * Renews a live session's expiry, rewriting only its header (`SETRANGE`, same width: the data
 * stays where it is). KEYS[1..3] as in {@link PUT_LUA}. ARGV[1] id; ARGV[2] now; ARGV[3] idle
 * expiry or ''; ARGV[4] maxLifetime or ''; ARGV[5] the bucket's session key prefix;
 * ARGV[6] the touch's token (a resent touch whose token is stored changes nothing).
 * Returns the session's whole value (new header, then data), or nil when none is live.
 */
const TOUCH_LUA = `
local now = tonumber(ARGV[2])
local cur = head(KEYS[1])
if not cur then return false end
if cur[5] == ARGV[6] then return redis.call('GET', KEYS[1]) end
if not alive(cur[4], now) then return false end
local at = expiry(ARGV[3], tonumber(cur[2]), ARGV[4])
local expiresAt = at and num(at) or ''
redis.call('SETRANGE', KEYS[1], 0, header(num(cur[1]), cur[2], cur[3], expiresAt, ARGV[6]))
if at then
  redis.call('PEXPIREAT', KEYS[1], string.format('%.0f', math.ceil(at)))
  redis.call('ZADD', KEYS[3], expiresAt, ARGV[1])
elseif cur[4] ~= '' then
  redis.call('PERSIST', KEYS[1])
  redis.call('ZREM', KEYS[3], ARGV[1])
end
if at then sweep(ARGV[5], KEYS[2], KEYS[3], now) end
return redis.call('GET', KEYS[1])
`;

/**
 * Removes a session. KEYS[1..3] as in {@link PUT_LUA}.
 * ARGV[1] id; ARGV[2] now; ARGV[3] ifVersion or ''; ARGV[4] the bucket's session key prefix.
 * Returns `{1, value}` with the removed session's whole value (header, then data), or
 * `{0, live version}` when nothing was removed (`'0'` when none is live).
 */
const DELETE_LUA = `
local now = tonumber(ARGV[2])
local cur = head(KEYS[1])
local live = cur and alive(cur[4], now)
if live and ARGV[3] ~= '' and tonumber(ARGV[3]) ~= cur[1] then return {0, num(cur[1])} end
local value = false
if live then value = redis.call('GETDEL', KEYS[1]) else redis.call('DEL', KEYS[1]) end
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
 */
const PRUNE_LUA = `
local now, n = tonumber(ARGV[1]), 0
for i = 3, #ARGV do n = n + drop_if_gone(ARGV[2], KEYS[1], KEYS[2], ARGV[i], now) end
return n
`;

/** A script and the SHA1 that `EVALSHA` knows it by. */
interface Script {
  lua: string;
  sha: string;
}

function script(body: string): Script {
  const lua = LUA_HELPERS + body;
  return { lua, sha: createHash('sha1').update(lua).digest('hex') };
}

const PUT = script(PUT_LUA);
const TOUCH = script(TOUCH_LUA);
const DELETE = script(DELETE_LUA);
const PRUNE = script(PRUNE_LUA);

/** The keys of one bucket. `{b<n>}` is the hash tag: a bucket lives in one Cluster slot. */
interface Bucket {
  /** Sorted set of the bucket's ids, all scored 0, read with `ZRANGE … BYLEX`. */
  ids: string;
  /** Sorted set of the bucket's ids that expire, scored by `expiresAt`. */
  exp: string;
  /** Prefix of the bucket's session hashes: the key of session `id` is this plus `id`. */
  session: string;
}

/** One reply of a pipeline: `[error, value]`. */
type Reply = [Error | null, unknown];

/** A write that was never handed to a connection: its failure is not indeterminate. */
class UnsentError extends Error {}

/** The cause of an operation that passed its deadline; its own cause is the client's error now, if any. */
class DeadlineError extends Error {
  override name = 'TimeoutError';
  constructor(message: string, cause: Error | undefined) {
    super(message, cause === undefined ? undefined : { cause });
  }
}

/** The cause of an operation refused because the store was closed. */
function closedError(): Error {
  return new Error('RedisStore.close() was called');
}

/** The Cluster hash slot of a key: CRC16 (XMODEM) of its hash tag (or of the whole key) mod 16384. */
function slotOf(key: string): number {
  const open = key.indexOf('{');
  const close = open < 0 ? -1 : key.indexOf('}', open + 1);
  let crc = 0;
  for (const byte of Buffer.from(close > open + 1 ? key.slice(open + 1, close) : key)) {
    crc ^= byte << 8;
    for (let i = 0; i < 8; i++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc % 16384;
}

/**
 * The bucket of an id: FNV-1a (32 bits) of its UTF-16 code units, then murmur3's finalizer,
 * top bits. (FNV's low bits depend only on the low bits of each character, so ids that
 * differ in a few digits would crowd into a few buckets.)
 */
function bucketOf(id: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 0x01000193);
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return ((h ^ (h >>> 16)) >>> 0) % BUCKETS;
}

/** One operation waiting for its reply, failed by the sweep once `due` has passed. */
class Pending {
  /** Handed to ioredis: a write may then be applied even if no reply comes. */
  sent = false;
  /** Set while the operation waits for the client to be ready. */
  start: (() => void) | undefined = undefined;
  constructor(
    readonly due: number,
    readonly what: string,
    readonly id: string,
    readonly write: boolean,
    readonly resolve: (value: unknown) => void,
    readonly fail: (error: StoreUnavailableError) => void,
  ) {}
}

/**
 * The number written in `text` from `from` to `to` (exclusive): digits are read in place,
 * anything else (a fraction, an exponent, more digits than a double holds exactly) by `Number`.
 */
function decimal(text: string, from: number, to: number): number {
  if (to <= from) return NaN;
  if (to - from > 15) return Number(text.slice(from, to));
  let n = 0;
  for (let i = from; i < to; i++) {
    const digit = text.charCodeAt(i) - 48;
    if (digit < 0 || digit > 9) return Number(text.slice(from, to));
    n = n * 10 + digit;
  }
  return n;
}

/**
 * The record in a session value (or in just its header, when `data` is false): `undefined`
 * when the value is missing or not one of ours (shorter than the header, or a malformed
 * header). The header is ASCII, so its bytes and its UTF-16 code units line up.
 */
function parse(id: string, value: unknown, data: boolean): SessionRecord | undefined {
  if (typeof value !== 'string' || value.length < HEADER || value.charCodeAt(HEADER - 1) !== 10) return undefined;
  const a = value.indexOf(',');
  const b = value.indexOf(',', a + 1);
  const c = value.indexOf(',', b + 1);
  const d = value.indexOf(',', c + 1);
  if (a < 1 || b <= a + 1 || c <= b + 1 || d < c + 1 || d >= HEADER - 1) return undefined;
  const version = decimal(value, 0, a);
  const createdAt = decimal(value, a + 1, b);
  const updatedAt = decimal(value, b + 1, c);
  const expiresAt = d === c + 1 ? null : decimal(value, c + 1, d);
  if (!(Number.isSafeInteger(version) && version > 0 && Number.isFinite(createdAt) && Number.isFinite(updatedAt))) {
    return undefined;
  }
  if (expiresAt !== null && !Number.isFinite(expiresAt)) return undefined;
  const record: SessionRecord = { id, version, createdAt, updatedAt, expiresAt };
  if (data) record.data = value.slice(HEADER);
  return record;
}

/** Whether `err` (or its cause) is Redis saying the key holds another type: not one of ours. */
function foreign(err: unknown): boolean {
  const cause = err instanceof StoreUnavailableError ? err.cause : err;
  return cause instanceof Error && cause.message.startsWith('WRONGTYPE');
}

/** A random prefix of this process's write tokens: 8 characters of `A–Z a–z 0–9 - _`. */
const TOKEN_PREFIX = randomBytes(6).toString('base64url');
let tokens = 0;

/**
 * A token no other write carries: this process's prefix and a counter. A write script stores
 * it in the session's header and recognises a write it has already applied by it.
 */
function token(): string {
  return TOKEN_PREFIX + (tokens++).toString(36);
}

function live(record: SessionRecord | undefined, now: EpochMilliseconds): record is SessionRecord {
  return record !== undefined && (record.expiresAt === null || record.expiresAt > now);
}

function optional(value: number | null | undefined): string | number {
  return value ?? '';
}

function checkTime(name: string, value: number | null): void {
  if (value !== null && !(value <= MAX_TIME)) throw new RangeError(`${name} ${value} is past the latest Date`);
}

/**
 * Sessions in Redis, shared by every process that uses the same Redis (or Redis Cluster) and
 * prefix. Each session is one hash; writes are single Lua scripts that check and bump the
 * version atomically; expiry is Redis's own (`PEXPIREAT`); `list` reads ordered per-bucket
 * indexes, never `KEYS` or `SCAN`. Every operation settles within `timeout`, even when Redis
 * is down, frozen or unreachable. See docs/redis.md.
 *
 * @example
 * ```ts
 * import { SessionManager } from 'agent-sessions';
 * import { RedisStore } from 'agent-sessions/redis';
 *
 * const sessions = new SessionManager({
 *   store: new RedisStore({ url: process.env.REDIS_URL, prefix: 'my-agent:', timeout: 1000 }),
 *   ttl: 30 * 60_000,
 * });
 * await sessions.put('user-42:thread-7', { messages: [] });
 * await sessions.close(); // quits the client the store created
 * ```
 */
export class RedisStore implements SessionStore {
  readonly #client: Redis | Cluster;
  readonly #owned: boolean;
  readonly #timeout: Milliseconds;
  readonly #replicas: number;
  readonly #waitTimeout: Milliseconds;
  readonly #tick: Milliseconds;
  readonly #buckets: Bucket[];
  /** Operations in flight, in the order they started, which is the order they fall due. */
  readonly #pending = new Set<Pending>();
  /** Operations not yet handed to ioredis because the client is not ready. */
  readonly #waiting = new Set<Pending>();
  /** Cluster node connections by `host:port`, for writes sent straight to a slot's master. */
  readonly #nodes = new Map<string, Redis>();
  #timer: ReturnType<typeof setInterval> | undefined;
  #closed = false;
  /** The client's latest `error` event since it was last ready (forgotten when it is ready again). */
  #clientError: Error | undefined;

  /** @param options - the client or URL, key prefix and deadline */
  constructor(options: RedisStoreOptions) {
    const { client, url, prefix = 'agent-sessions:', timeout = 2000, waitForReplicas = 0 } = options ?? {};
    const { waitTimeout = Math.max(1, Math.floor(timeout / 2)) } = options ?? {};
    if ((client === undefined) === (url === undefined)) {
      throw new TypeError('RedisStore needs exactly one of client (an ioredis Redis or Cluster) and url');
    }
    if (typeof prefix !== 'string' || /[{}]/.test(prefix)) {
      throw new TypeError(`prefix must be a string without { or }; got ${JSON.stringify(prefix)}`);
    }
    if (!(typeof timeout === 'number' && Number.isFinite(timeout) && timeout > 0)) {
      throw new TypeError(`timeout must be a positive number of ms; got ${String(timeout)}`);
    }
    if (url !== undefined && typeof url !== 'string') throw new TypeError('url must be a redis:// or rediss:// string');
    if (!(Number.isSafeInteger(waitForReplicas) && waitForReplicas >= 0)) {
      throw new TypeError(`waitForReplicas must be a whole number ≥ 0; got ${String(waitForReplicas)}`);
    }
    if (!(Number.isSafeInteger(waitTimeout) && waitTimeout >= 1)) {
      throw new TypeError(`waitTimeout must be a whole number of ms ≥ 1; got ${String(waitTimeout)}`);
    }
    this.#timeout = timeout;
    this.#replicas = waitForReplicas;
    this.#waitTimeout = waitTimeout;
    this.#tick = Math.min(50, Math.max(5, timeout / 20));
    this.#buckets = Array.from({ length: BUCKETS }, (_, n) => {
      const tag = `${prefix}{b${n}}`;
      return { ids: `${tag}:ids`, exp: `${tag}:exp`, session: `${tag}:s:` };
    });
    this.#owned = client === undefined;
    this.#client =
      client ??
      new Redis(url!, {
        enableOfflineQueue: false, // a command sent while disconnected fails at once
        maxRetriesPerRequest: 0, // commands in flight when the connection drops fail at once…
        autoResendUnfulfilledCommands: false, // …and are never sent again after a reconnect
        connectTimeout: Math.max(timeout, 1000),
        disconnectTimeout: 200, // ioredis keeps a timer this long even for a socket already gone
        retryStrategy: (times) => Math.min(times * 50, 500),
      });
    this.#client.on('error', this.#onError);
    this.#client.on('ready', this.#onReady);
  }

  async get(id: string, now: EpochMilliseconds): Promise<SessionRecord | undefined> {
    let value: string | null;
    try {
      value = await this.#run('get', id, false, () => this.#client.get(this.#key(id)));
    } catch (err) {
      if (foreign(err)) return undefined;
      throw err;
    }
    const record = parse(id, value, true);
    return live(record, now) ? record : undefined;
  }

  async put(input: StorePutInput): Promise<StoreWriteResult> {
    const { id, data, now, idleExpiresAt, maxLifetime, ifVersion } = input;
    checkTime('idleExpiresAt', idleExpiresAt);
    checkTime('maxLifetime', maxLifetime);
    const b = this.#bucket(id);
    const args = [id, data, now, optional(idleExpiresAt), optional(maxLifetime), optional(ifVersion), b.session, token()];
    const reply = (await this.#run('put', id, true, (due) =>
      this.#write(PUT, [b.session + id, b.ids, b.exp], args, (r) => (r as number[])[0] === 1, due),
    )) as [
      number,
      string,
      string?,
      string?,
    ];
    if (reply[0] !== 1) return { ok: false, currentVersion: Number(reply[1]) };
    const expiresAt = reply[3] === '' || reply[3] === undefined ? null : Number(reply[3]);
    return {
      ok: true,
      record: { id, data, version: Number(reply[1]), createdAt: Number(reply[2]), updatedAt: now, expiresAt },
    };
  }

  async touch(input: StoreTouchInput): Promise<SessionRecord | undefined> {
    const { id, now, idleExpiresAt, maxLifetime } = input;
    checkTime('idleExpiresAt', idleExpiresAt);
    checkTime('maxLifetime', maxLifetime);
    const b = this.#bucket(id);
    const args = [id, now, optional(idleExpiresAt), optional(maxLifetime), b.session, token()];
    const reply = await this.#run('touch', id, true, (due) =>
      this.#write(TOUCH, [b.session + id, b.ids, b.exp], args, (r) => r !== null, due),
    );
    return parse(id, reply, true);
  }

  async delete(input: StoreDeleteInput): Promise<StoreWriteResult> {
    const { id, now, ifVersion } = input;
    const b = this.#bucket(id);
    const args = [id, now, optional(ifVersion), b.session];
    const reply = (await this.#run('delete', id, true, (due) =>
      this.#write(DELETE, [b.session + id, b.ids, b.exp], args, (r) => (r as number[])[0] === 1, due),
    )) as [number, string];
    if (reply[0] !== 1) return { ok: false, currentVersion: Number(reply[1]) };
    const record = parse(id, reply[1], true);
    if (record === undefined) throw new Error(`the removed value of ${JSON.stringify(id)} has no valid header`);
    return { ok: true, record };
  }

  /**
   * One round trip reads up to `limit` ids from every bucket's index (`ZRANGE … BYLEX`), the
   * next reads the page's values (`GET`), or only their headers (`GETRANGE`) for `meta`, so
   * a meta page never reads a body. Ids found without a live session are dropped from the
   * index by a script and replaced by a further round, so a page is short only at the end.
   */
  async list(query: StoreListQuery): Promise<SessionRecord[]> {
    const { prefix, limit, meta, now } = query;
    const max = prefix === '' ? '+' : `(${prefix}\x7f`;
    return this.#run('list', prefix, false, async () => {
      const page: SessionRecord[] = [];
      const prunes: Promise<unknown>[] = [];
      let after = query.after;
      for (;;) {
        const need = limit - page.length;
        const min = after !== undefined && after >= prefix ? `(${after}` : prefix === '' ? '-' : `[${prefix}`;
        const found = await this.#batch(
          this.#buckets.map((b) => [['zrange', b.ids, min, max, 'BYLEX', 'LIMIT', '0', String(need)]]),
        );
        const ranked = (found as string[][][]).flatMap((r) => r[0]!).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
        const more = ranked.length > need || found.some((r) => (r[0] as string[]).length === need);
        const ids = ranked.slice(0, need);
        if (ids.length === 0) break;
        const byBucket: string[][] = this.#buckets.map(() => []);
        for (const id of ids) byBucket[bucketOf(id)]!.push(id);
        const rows = await this.#batch(
          byBucket.map((group, n) =>
            group.map((id) => {
              const key = this.#buckets[n]!.session + id;
              return meta ? ['getrange', key, '0', String(HEADER - 1)] : ['get', key];
            }),
          ),
          true,
        );
        const records = new Map<string, SessionRecord>();
        byBucket.forEach((group, n) => {
          const stale: string[] = [];
          group.forEach((id, i) => {
            const record = parse(id, rows[n]![i], !meta);
            if (live(record, now)) records.set(id, record);
            else stale.push(id);
          });
          const b = this.#buckets[n]!;
          if (stale.length > 0) {
            // Housekeeping only: a failure here leaves the entries for a later page to drop.
            prunes.push(this.#eval(PRUNE, [b.ids, b.exp], [now, b.session, ...stale]).catch(() => undefined));
          }
        });
        for (const id of ids) if (records.has(id)) page.push(records.get(id)!);
        after = ids[ids.length - 1];
        if (!more || page.length === limit) break;
      }
      await Promise.all(prunes);
      return page;
    });
  }

  /** Resolves `true` when Redis answers `PING` within `timeout`, else `false`; never rejects. */
  async ping(): Promise<boolean> {
    try {
      return (await this.#run('ping', '', false, () => this.#client.ping())) === 'PONG';
    } catch {
      return false;
    }
  }

  /**
   * Stops the store: later calls reject. Quits the client if the store created it (at most
   * `timeout` waiting for replies still due, then the socket is closed); a client you passed
   * in stays open.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#client.off('ready', this.#onReady);
    if (!this.#owned) this.#client.off('error', this.#onError);
    for (const op of this.#waiting) {
      this.#pending.delete(op);
      op.fail(new StoreUnavailableError(`RedisStore was closed before ${op.what} was sent`, { cause: closedError() }));
    }
    this.#waiting.clear();
    if (this.#owned) {
      const client = this.#client;
      if (client.status === 'ready') {
        let timer: ReturnType<typeof setTimeout> | undefined;
        await Promise.race([
          client.quit().catch(() => undefined),
          new Promise((resolve) => (timer = setTimeout(resolve, this.#timeout))),
        ]);
        clearTimeout(timer);
      }
      client.disconnect();
    }
  }

  #bucket(id: string): Bucket {
    return this.#buckets[bucketOf(id)]!;
  }

  #key(id: string): string {
    return this.#bucket(id).session + id;
  }

  /** Runs a script by SHA1, sending its text once more if Redis does not know it (`NOSCRIPT`). */
  async #eval(s: Script, keys: string[], args: (string | number)[]): Promise<unknown> {
    try {
      return await this.#client.evalsha(s.sha, keys.length, ...keys, ...args);
    } catch (err) {
      if (!(err instanceof Error && err.message.startsWith('NOSCRIPT'))) throw err;
      return this.#client.eval(s.lua, keys.length, ...keys, ...args);
    }
  }

  /**
   * Runs a write script. With `waitForReplicas`, `WAIT` goes in the same pipeline right after
   * it, on the same connection, so it waits for exactly this write. `wrote` tells whether the
   * script changed anything; a reply that changed nothing needs no replica.
   *
   * On a Cluster the script goes straight to the connection of the master that holds its
   * slot, not through the Cluster's routing: ioredis's Cluster sends a command again when the
   * connection it was on closes (`retryDelayOnFailover`), and a script that a dead master had
   * run and replicated would then run twice on the promoted replica. Here a closed connection
   * fails the write as indeterminate instead, and this loop follows `MOVED` and `ASK` and
   * waits out `CLUSTERDOWN` and `TRYAGAIN` itself. It never sends after `due` (the
   * operation's deadline, `performance.now()` time): a write the caller was told failed must
   * not land later, on top of the caller's next write.
   */
  async #write(
    s: Script,
    keys: string[],
    args: (string | number)[],
    wrote: (reply: unknown) => boolean,
    due: number,
  ): Promise<unknown> {
    const cluster = this.#client.isCluster ? (this.#client as Cluster) : undefined;
    if (cluster === undefined && this.#replicas === 0) return this.#eval(s, keys, args);
    const slot = slotOf(keys[0]!);
    let [command, body] = ['evalsha', s.sha];
    let redirect: string | undefined; // "host:port" named by MOVED or ASK
    let asking = false;
    for (let redirections = 0; ; ) {
      let via: Redis | Cluster = this.#client;
      if (cluster !== undefined) {
        const name = redirect ?? cluster.slots[slot]?.[0] ?? '';
        const node = this.#node(cluster, name);
        if (node?.status !== 'ready') {
          // Send only on a connection that is up, so that a failure after sending means "sent".
          if (performance.now() >= due) {
            throw new UnsentError(`no connection to the master of slot ${slot} (${name || 'unknown'}) was ready`);
          }
          if (node === undefined) {
            cluster.refreshSlotsCache();
            [redirect, asking] = [undefined, false];
          } else if (node.status === 'wait') node.connect().catch(() => undefined);
          await new Promise<void>((resolve) => {
            const done = () => {
              clearTimeout(timer);
              node?.off('ready', done);
              resolve();
            };
            const timer = setTimeout(done, node === undefined ? 100 : 50);
            node?.once('ready', done);
          });
          continue;
        }
        via = node;
      }
      if (performance.now() >= due) throw new UnsentError(`the deadline passed before the write could be sent`);
      const [[scriptError, reply], [waitError, acknowledged]] = await this.#send(via, asking, [
        command,
        body,
        keys.length,
        ...keys,
        ...args,
      ]);
      if (scriptError?.message.startsWith('NOSCRIPT') && command === 'evalsha') {
        [command, body] = ['eval', s.lua];
        continue;
      }
      if (cluster !== undefined && scriptError) {
        // Each of these errors means the script did not run on that node.
        const [kind, , target] = scriptError.name === 'ReplyError' ? scriptError.message.split(' ') : [];
        const again = kind === 'MOVED' || kind === 'ASK' || kind === 'CLUSTERDOWN' || kind === 'TRYAGAIN';
        if (again) {
          if (++redirections > 16 || performance.now() >= due) {
            throw new UnsentError(`the cluster did not settle slot ${slot} in time (it last answered ${kind})`);
          }
          if (kind !== 'ASK') cluster.refreshSlotsCache();
          if (kind === 'CLUSTERDOWN' || kind === 'TRYAGAIN') await new Promise((r) => setTimeout(r, 100));
          [redirect, asking] = kind === 'MOVED' || kind === 'ASK' ? [target, kind === 'ASK'] : [undefined, false];
          continue;
        }
        // The connection failed: look the slot up afresh for the next write.
        if (scriptError.name !== 'ReplyError') cluster.refreshSlotsCache();
      }
      if (scriptError) throw scriptError;
      if (!wrote(reply)) return reply;
      // A plain Error, not a ReplyError: the script ran, so the outcome is indeterminate.
      if (waitError) throw new Error(`WAIT after the write failed: ${waitError.message}`);
      if (Number(acknowledged) < this.#replicas) {
        throw new Error(
          `only ${Number(acknowledged)} of ${this.#replicas} replicas acknowledged the write within ${this.#waitTimeout} ms (waitForReplicas); a failover could lose it`,
        );
      }
      return reply;
    }
  }

  /** The connection the Cluster keeps to node `host:port`, unless it has ended. */
  #node(cluster: Cluster, name: string): Redis | undefined {
    const cached = this.#nodes.get(name);
    if (cached !== undefined && cached.status !== 'end') return cached;
    const i = name.lastIndexOf(':');
    const [host, port] = [name.slice(0, i), Number(name.slice(i + 1))];
    const node = cluster.nodes('all').find((n) => n.options.port === port && n.options.host === host && n.status !== 'end');
    if (node === undefined) this.#nodes.delete(name);
    else this.#nodes.set(name, node);
    return node;
  }

  /**
   * Sends a script, after `ASKING` if `asking`, followed by `WAIT` with `waitForReplicas`, in
   * one pipeline; a lone script as a plain command. Returns `[error, reply]` of the script and
   * of `WAIT` (`[null, 0]` without it).
   */
  async #send(via: Redis | Cluster, asking: boolean, script: (string | number)[]): Promise<[Reply, Reply]> {
    if (!asking && this.#replicas === 0) {
      try {
        return [[null, await via.call(String(script[0]), ...script.slice(1))], [null, 0]];
      } catch (err) {
        return [[err as Error, null], [null, 0]];
      }
    }
    const wait = this.#replicas > 0 ? [['wait', this.#replicas, this.#waitTimeout]] : [];
    const replies = await via.pipeline([...(asking ? [['asking']] : []), script, ...wait]).exec();
    if (!replies) throw new Error('pipeline was aborted');
    const [first, second = [null, 0]] = replies.slice(asking ? 1 : 0) as Reply[];
    return [first!, second];
  }

  /**
   * Sends groups of commands, one group per bucket: one pipeline in all on a single Redis,
   * one pipeline per bucket (one hash slot) on a Cluster, all at once. Returns each group's
   * replies; throws the first error, except that with `values` a key of another type
   * (`WRONGTYPE`) reads as `null`.
   */
  async #batch(groups: string[][][], values = false): Promise<unknown[][]> {
    const parts = this.#client.isCluster ? groups.filter((g) => g.length > 0) : [groups.flat()];
    const replies = (await Promise.all(parts.map((cmds) => this.#client.pipeline(cmds).exec()))).flatMap((r) => {
      if (r === null) throw new Error('pipeline was aborted');
      return r;
    });
    let i = 0;
    return groups.map((group) =>
      group.map(() => {
        const [err, value] = replies[i++]!;
        if (err) {
          if (values && foreign(err)) return null;
          throw err;
        }
        return value;
      }),
    );
  }

  /**
   * Runs one operation under the deadline. It is handed to ioredis only once the client is
   * ready (until then it waits, unsent); one interval timer fails whatever is past due.
   */
  #run<T>(what: string, id: string, write: boolean, send: (due: number) => Promise<T>): Promise<T> {
    const status = this.#client.status;
    if (this.#closed || status === 'end') {
      const why = this.#closed ? 'RedisStore is closed' : 'the Redis client has ended (quit or disconnect)';
      const cause = this.#closed ? closedError() : new Error('the Redis client has ended', { cause: this.#currentError() });
      return Promise.reject(new StoreUnavailableError(`${why}; ${what} was not sent`, { cause }));
    }
    return new Promise<T>((resolve, reject) => {
      const op = new Pending(performance.now() + this.#timeout, what, id, write, resolve as (value: unknown) => void, reject);
      this.#pending.add(op);
      this.#timer ??= setInterval(this.#sweep, this.#tick).unref();
      if (status === 'ready') return this.#start(op, send);
      op.start = () => this.#start(op, send);
      this.#waiting.add(op);
      if (status === 'wait') this.#client.connect().catch(() => undefined);
    });
  }

  /** Hands an operation to ioredis; its reply settles it unless the sweep failed it first. */
  #start(op: Pending, send: (due: number) => Promise<unknown>): void {
    op.sent = true;
    send(op.due).then(
      (value) => this.#pending.delete(op) && op.resolve(value),
      (err: unknown) => this.#pending.delete(op) && op.fail(this.#failed(op, err)),
    );
  }

  readonly #onReady = (): void => {
    this.#clientError = undefined;
    for (const op of this.#waiting) {
      this.#waiting.delete(op);
      op.start!();
    }
  };

  readonly #sweep = (): void => {
    const now = performance.now();
    for (const op of this.#pending) {
      if (op.due > now) break;
      this.#pending.delete(op);
      this.#waiting.delete(op);
      op.fail(this.#timedOut(op));
    }
    if (this.#pending.size === 0) {
      clearInterval(this.#timer);
      this.#timer = undefined;
    }
  };

  #describe(op: Pending): string {
    return op.id === '' ? op.what : `${op.what} of ${JSON.stringify(op.id)}`;
  }

  /**
   * Remembers the client's error; for a client you own with no `error` listener of your own,
   * also logs it as ioredis does when nobody listens (ours must not silence it).
   */
  readonly #onError = (err: Error): void => {
    this.#clientError = err;
    if (!this.#owned && this.#client.listenerCount('error') === 1) {
      console.error('[ioredis] Unhandled error event:', err.stack);
    }
  };

  /** The client's error, if it has one now: it is not ready, and failed since it last was. */
  #currentError(): Error | undefined {
    return this.#client.status === 'ready' ? undefined : this.#clientError;
  }

  #timedOut(op: Pending): StoreUnavailableError {
    const indeterminate = op.write && op.sent;
    const status = this.#client.status;
    const error = this.#currentError();
    const deadline = op.sent
      ? new DeadlineError(`no reply from Redis within ${this.#timeout} ms`, error)
      : new DeadlineError(`Redis was not ready within ${this.#timeout} ms (status ${status})`, error);
    const state = op.sent ? 'did not answer' : `was not ready (status ${status}${error ? `: ${error.message}` : ''})`;
    const outcome = indeterminate ? '; the write was sent and may still be applied: read the session again' : '';
    return new StoreUnavailableError(`Redis ${state} within ${this.#timeout} ms for ${this.#describe(op)}${outcome}`, {
      cause: deadline,
      indeterminate,
    });
  }

  #failed(op: Pending, err: unknown): StoreUnavailableError {
    const message = err instanceof Error ? err.message : String(err);
    // Redis answered with an error (the script did not run), or ioredis refused to queue it.
    const unsent =
      err instanceof UnsentError || (err as Error | undefined)?.name === 'ReplyError' || message.includes('enableOfflineQueue');
    const indeterminate = op.write && !unsent;
    const outcome = indeterminate ? '; the write may have been applied: read the session again' : '';
    return new StoreUnavailableError(`Redis failed ${this.#describe(op)}: ${message}${outcome}`, {
      cause: err,
      indeterminate,
    });
  }
}
