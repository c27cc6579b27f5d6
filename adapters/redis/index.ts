/**
 * `RedisStore`: sessions shared by every process that reaches one Redis or Redis Cluster,
 * over `ioredis`.
 *
 * @module
 */
import { Redis, type Cluster } from 'ioredis';
import type { StoreUnavailableError } from '../../src/errors.js';
import type {
  EpochMilliseconds,
  Milliseconds,
  SessionRecord,
  SessionStore,
  StoreAcquireInput,
  StoreAcquireResult,
  StoreAppendInput,
  StoreAppendResult,
  StoreDeleteInput,
  StoreItemsPage,
  StoreItemsQuery,
  StoreListQuery,
  StorePopInput,
  StorePopResult,
  StoreTruncateInput,
  StoreTruncateResult,
  StorePutInput,
  StoreReleaseInput,
  StoreRenewInput,
  StoreTouchInput,
  StoreWriteResult,
} from '../../src/types.js';
import { checkTime, foreign, HEADER, live, parse, token } from './codec.js';
import { Deadlines } from './deadline.js';
import * as log from './items.js';
import * as lease from './leases.js';
import { bucketOf, buckets, type Bucket } from './keys.js';
import { DELETE, deleteArgs, PRUNE, pruneArgs, PUT, putArgs, TOUCH, touchArgs } from './scripts.js';
import { Writer } from './write.js';

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
   * After every write (put, touch, clear, append, pop, truncate), wait until this many
   * replicas have it before answering: Redis `WAIT`, pipelined right after the script on the same connection and
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

/**
 * Sessions in Redis, shared by every process that uses the same Redis (or Redis Cluster) and
 * prefix. Each session is one string (a fixed-width header, then its data); writes are single
 * Lua scripts that check and bump the version atomically; expiry is Redis's own
 * (`PEXPIREAT`); `list` reads ordered per-bucket indexes, never `KEYS` or `SCAN`. Every
 * operation settles within `timeout`, even when Redis is down, frozen or unreachable. See
 * docs/redis.md.
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
  readonly #buckets: Bucket[];
  readonly #deadlines: Deadlines;
  readonly #writer: Writer;
  readonly #items: log.ItemContext;

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
    this.#buckets = buckets(prefix);
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
    this.#deadlines = new Deadlines(this.#client, this.#owned, timeout);
    this.#writer = new Writer(this.#client, waitForReplicas, waitTimeout);
    this.#items = { deadlines: this.#deadlines, writer: this.#writer, bucket: (id) => this.#bucket(id) };
  }

  async get(id: string, now: EpochMilliseconds): Promise<SessionRecord | undefined> {
    let value: string | null;
    try {
      value = await this.#deadlines.run('get', id, false, () => this.#client.get(this.#key(id)));
    } catch (err) {
      if (foreign(err)) return undefined;
      throw err;
    }
    const record = parse(id, value, true);
    return live(record, now) ? record : undefined;
  }

  async put(input: StorePutInput): Promise<StoreWriteResult> {
    const { id, data, now } = input;
    checkTime('idleExpiresAt', input.idleExpiresAt);
    checkTime('maxLifetime', input.maxLifetime);
    const args = putArgs(this.#bucket(id), input, token());
    const reply = (await this.#deadlines.run('put', id, true, (due) =>
      this.#writer.write(PUT, args, (r) => (r as number[])[0] === 1, due),
    )) as [number, string, string?, string?, string?, string?];
    lease.refuseFenced(reply, id, input.fence);
    if (reply[0] !== 1) return { ok: false, currentVersion: Number(reply[1]) };
    const [, version, createdAt, at, itemCount, lastSeq] = reply;
    const expiresAt = at === '' || at === undefined ? null : Number(at);
    const record = { id, data, version: Number(version), createdAt: Number(createdAt), updatedAt: now, expiresAt };
    return { ok: true, record: { ...record, itemCount: Number(itemCount), lastSeq: Number(lastSeq) } };
  }

  async touch(input: StoreTouchInput): Promise<SessionRecord | undefined> {
    const { id } = input;
    checkTime('idleExpiresAt', input.idleExpiresAt);
    checkTime('maxLifetime', input.maxLifetime);
    const args = touchArgs(this.#bucket(id), input, token());
    const reply = await this.#deadlines.run('touch', id, true, (due) =>
      this.#writer.write(TOUCH, args, (r) => typeof r === 'string', due),
    );
    lease.refuseFenced(reply, id, input.fence);
    return parse(id, reply, true);
  }

  async delete(input: StoreDeleteInput): Promise<StoreWriteResult> {
    const { id } = input;
    const args = deleteArgs(this.#bucket(id), input);
    const reply = (await this.#deadlines.run('delete', id, true, (due) =>
      this.#writer.write(DELETE, args, (r) => (r as number[])[0] === 1, due),
    )) as [number, string];
    lease.refuseFenced(reply, id, input.fence);
    if (reply[0] !== 1) return { ok: false, currentVersion: Number(reply[1]) };
    const record = parse(id, reply[1], true);
    if (record === undefined) throw new Error(`the removed value of ${JSON.stringify(id)} has no valid header`);
    return { ok: true, record };
  }

  /** One script: the items get seqs after `lastSeq` (see item-scripts.ts). */
  append(input: StoreAppendInput): Promise<StoreAppendResult> {
    return log.append(this.#items, input);
  }

  /** One script reading the page's seqs with one `HMGET`. */
  items(query: StoreItemsQuery): Promise<StoreItemsPage | undefined> {
    return log.items(this.#items, query);
  }

  /** One script. */
  pop(input: StorePopInput): Promise<StorePopResult> {
    return log.pop(this.#items, input);
  }

  /** One script, O(removed). */
  truncate(input: StoreTruncateInput): Promise<StoreTruncateResult> {
    return log.truncate(this.#items, input);
  }

  /** One script, one round trip: the fence comes from the bucket's counter (see lease-scripts.ts). */
  acquire(input: StoreAcquireInput): Promise<StoreAcquireResult> {
    return lease.acquire(this.#items, input);
  }

  /** One script, one round trip. */
  renew(input: StoreRenewInput): Promise<EpochMilliseconds | undefined> {
    return lease.renew(this.#items, input);
  }

  /** One script, one round trip. */
  release(input: StoreReleaseInput): Promise<boolean> {
    return lease.release(this.#items, input);
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
    return this.#deadlines.run('list', prefix, false, async () => {
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
            prunes.push(this.#writer.eval(PRUNE, pruneArgs(b, now, stale)).catch(() => undefined));
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
      return (await this.#deadlines.run('ping', '', false, () => this.#client.ping())) === 'PONG';
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
    if (this.#deadlines.closed) return;
    this.#deadlines.close();
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
}
