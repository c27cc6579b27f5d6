/**
 * The Redis subjects. `create({ url, prefix, ttl })` connects a fresh instance (its own
 * connection) whose keys all start with `prefix`, and returns async methods:
 *   put(id, data)  get(id) → data | undefined  del(id)  list(state) → ≤ 100 values  close()
 *   fill(id, data) — a put that also feeds the subject's list index if it needs one (raw).
 *   ids() → every id, the fastest way the subject's API has to list them all.
 * With `ttl` (ms), every write sets that idle time to live as the subject's API sets one
 * (issue 11's workload); the raw limit then is plain SET/GET/DEL: no TTL, no index.
 * No subject ever sends KEYS, FLUSHDB or FLUSHALL; the peers that list do it with SCAN,
 * because that is what their API does.
 */
import { Redis } from 'ioredis';
import { createClient } from 'redis';
import { RedisStore as ConnectRedisStore } from 'connect-redis';
import KeyvRedis from '@keyv/redis';
import { Keyv } from 'keyv';
import { createStorage } from 'unstorage';
import unstorageRedis from 'unstorage/drivers/redis';
import { built, entry } from './dist.mjs';
import { idWalker } from './id-walk.mjs';

const PAGE = 100;

function callback(store, method, ...args) {
  return new Promise((resolve, reject) => store[method](...args, (err, value) => (err ? reject(err) : resolve(value))));
}

const COOKIE = { originalMaxAge: null, expires: null, httpOnly: true, path: '/' };

/** Our subject, or a reason it is skipped when dist/redis.js is not built yet. */
async function ours() {
  if (!built('redis.js')) {
    return { skip: 'dist/redis.js is not there (adapters/redis/ not built yet): run `npm run build`' };
  }
  const { RedisStore } = await import(entry('redis.js').href);
  const { SessionManager } = await import(entry('index.js').href);
  return {
    name: 'agent-sessions RedisStore',
    role: 'ours',
    note: 'SessionManager over RedisStore({ client, prefix }) (and the manager\'s ttl when set); list = manager.list({ limit: 100, cursor })',
    idsNote: "a cursor walk of manager.list in pages of 1,000 with fields: 'id' if the library takes it, else fields: 'meta' (printed with the results)",
    async create({ url, prefix, ttl }) {
      const client = new Redis(url);
      const m = new SessionManager({ store: new RedisStore({ client, prefix }), ttl });
      let walker;
      return {
        put: (id, data) => m.put(id, data),
        fill: (id, data) => m.put(id, data),
        get: async (id) => (await m.get(id))?.data,
        del: (id) => m.clear(id),
        async list(state) {
          const page = await m.list({ limit: PAGE, cursor: state.cursor ?? undefined });
          state.cursor = page.nextCursor;
          return page.sessions;
        },
        async ids() {
          walker ??= await idWalker(m);
          return walker.all();
        },
        idsFields: () => walker?.fields,
        async close() {
          await m.close();
          await client.quit();
        },
      };
    },
  };
}

export async function redisSubjects() {
  const mine = await ours();
  return [
    {
      name: 'raw ioredis (JSON)',
      role: 'limit',
      note: 'put = SET key JSON.stringify(data); get = GET + JSON.parse; clear = DEL (+ ZREM of the index, but not in the ttl workload); list = ZRANGE BYLEX of a sorted-set index (fed by fill, outside the put timing) + MGET; never a TTL',
      idsNote: 'ZRANGE BYLEX of its index in pages of 1,000',
      async create({ url, prefix, ttl }) {
        const client = new Redis(url);
        const index = `${prefix}index`;
        return {
          put: (id, data) => client.set(prefix + id, JSON.stringify(data)),
          fill: (id, data) => client.pipeline().set(prefix + id, JSON.stringify(data)).zadd(index, 0, id).exec(),
          get: async (id) => {
            const json = await client.get(prefix + id);
            return json === null ? undefined : JSON.parse(json);
          },
          del: ttl === undefined ? (id) => client.pipeline().del(prefix + id).zrem(index, id).exec() : (id) => client.del(prefix + id),
          async list(state) {
            const ids = await client.zrange(index, state.after ? `(${state.after}` : '-', '+', 'BYLEX', 'LIMIT', 0, PAGE);
            if (ids.length === 0) return [];
            state.after = ids.length === PAGE ? ids[PAGE - 1] : undefined;
            const values = await client.mget(ids.map((id) => prefix + id));
            return ids.map((id, i) => ({ id, data: JSON.parse(values[i]) }));
          },
          async ids() {
            const out = [];
            for (let after = '-'; ; ) {
              const page = await client.zrange(index, after, '+', 'BYLEX', 'LIMIT', 0, 1000);
              out.push(...page);
              if (page.length < 1000) return out;
              after = `(${page[page.length - 1]}`;
            }
          },
          close: () => client.quit(),
        };
      },
    },
    ...(mine.skip ? [{ name: 'agent-sessions RedisStore', role: 'ours', skip: mine.skip }] : [mine]),
    {
      name: 'connect-redis',
      role: 'peer',
      note: 'connect-redis 9 over node-redis 6 (express-session store, callback API; ttl option in s when set, else its default of one day); list = ids() (SCAN of the prefix, COUNT 100) + get() of the first 100, concurrently',
      idsNote: 'ids() (SCAN MATCH prefix, COUNT 100)',
      async create({ url, prefix, ttl }) {
        const client = createClient({ url });
        client.on('error', () => {});
        await client.connect();
        const store = new ConnectRedisStore({ client, prefix, ...(ttl === undefined ? {} : { ttl: ttl / 1000 }) });
        return {
          put: (id, data) => callback(store, 'set', id, { cookie: COOKIE, data }),
          fill: (id, data) => callback(store, 'set', id, { cookie: COOKIE, data }),
          get: async (id) => (await callback(store, 'get', id))?.data,
          del: (id) => callback(store, 'destroy', id),
          async list() {
            const ids = (await callback(store, 'ids')).slice(0, PAGE);
            return Promise.all(ids.map(async (id) => ({ id, data: (await callback(store, 'get', id))?.data })));
          },
          ids: () => callback(store, 'ids'),
          close: () => client.quit(),
        };
      },
    },
    {
      name: '@keyv/redis',
      role: 'peer',
      note: 'Keyv 5 over @keyv/redis 5 (node-redis), namespace = prefix (set(id, data, ttl) when set); list = first 100 of keyv.iterator() (SCAN + MGET per batch)',
      idsNote: 'every key of keyv.iterator() (SCAN + MGET per batch: it reads the values too, Keyv has no keys-only walk)',
      async create({ url, prefix, ttl }) {
        const namespace = prefix.replace(/:$/, '');
        const adapter = new KeyvRedis(url, { namespace });
        const keyv = new Keyv(adapter, { namespace, useKeyPrefix: false });
        keyv.on('error', () => {});
        return {
          put: (id, data) => keyv.set(id, data, ttl),
          fill: (id, data) => keyv.set(id, data, ttl),
          get: (id) => keyv.get(id),
          del: (id) => keyv.delete(id),
          async list() {
            const out = [];
            for await (const [id, data] of keyv.iterator(namespace)) {
              out.push({ id, data });
              if (out.length === PAGE) break;
            }
            return out;
          },
          async ids() {
            const out = [];
            for await (const [id] of keyv.iterator(namespace)) out.push(id);
            return out;
          },
          close: () => adapter.disconnect(),
        };
      },
    },
    {
      name: 'unstorage (redis)',
      role: 'peer',
      note: "unstorage's redis driver (ioredis), base = prefix (driver option ttl in s when set: SET … EX); list = getKeys() (SCAN of the base, default COUNT) + getItems() (MGET) of the first 100",
      idsNote: 'getKeys() (SCAN MATCH base, default COUNT)',
      async create({ url, prefix, ttl }) {
        const driver = unstorageRedis({ url, base: prefix.replace(/:$/, ''), ...(ttl === undefined ? {} : { ttl: ttl / 1000 }) });
        const storage = createStorage({ driver });
        return {
          put: (id, data) => storage.setItem(id, data),
          fill: (id, data) => storage.setItem(id, data),
          get: async (id) => (await storage.getItem(id)) ?? undefined,
          del: (id) => storage.removeItem(id),
          async list() {
            const keys = (await storage.getKeys()).slice(0, PAGE);
            const items = await storage.getItems(keys);
            return items.map(({ key, value }) => ({ id: key, data: value }));
          },
          ids: () => storage.getKeys(),
          close: () => storage.dispose(),
        };
      },
    },
  ];
}
