/**
 * The subjects of the items suite: `SessionManager` over MemoryStore, LruStore and RedisStore.
 * `create({ url, prefix })` returns `{ m, close() }` (a fresh manager; Redis on its own
 * connection, every key under `prefix`). A subject whose build has no item methods yet is
 * `{ name, skip }` with the reason.
 *
 * Every manager takes `maxBytes: 8 MiB`: the read-modify-write way keeps 1,000 items of ~1 KB
 * in `data`, over the default 1 MiB. Items themselves stay far under it.
 */
import { Redis } from 'ioredis';
import { built, entry } from './dist.mjs';

export const MAX_BYTES = 8 * 1024 * 1024;
/** The LRU bound: a byte bound large enough never to evict, so its size accounting runs. */
const LRU_BYTES = 2 * 1024 * 1024 * 1024;

const lacking = (Store) =>
  ['append', 'items', 'pop', 'truncate'].filter((name) => typeof Store.prototype[name] !== 'function');

/**
 * The subjects, in-process first. `redisUrl` null: no Redis to be had (the Redis subject is
 * skipped with a printed reason).
 */
export async function itemsSubjects(redisUrl) {
  const { SessionManager, MemoryStore } = await import(entry('index.js').href);
  const { LruStore } = await import(entry('lru.js').href);
  const inProcess = (name, Store, makeStore, note) => {
    const missing = lacking(Store);
    if (typeof SessionManager.prototype.append !== 'function') return { name, skip: 'SessionManager has no append in this build' };
    if (missing.length > 0) return { name, skip: `${Store.name} has no ${missing.join('/')} in this build` };
    return {
      name,
      role: 'ours',
      note,
      async create() {
        const m = new SessionManager({ store: makeStore(), maxBytes: MAX_BYTES });
        return { m, close: () => m.close() };
      },
    };
  };
  const subjects = [
    inProcess('MemoryStore', MemoryStore, () => new MemoryStore(), 'new MemoryStore()'),
    inProcess('LruStore', LruStore, () => new LruStore({ max: 1000, maxBytes: LRU_BYTES }), 'new LruStore({ max: 1000, maxBytes: 2 GiB }) (a byte bound, so item bytes are counted; never evicts here)'),
  ];
  subjects.push(await redisSubject(SessionManager, redisUrl));
  return subjects;
}

async function redisSubject(SessionManager, url) {
  const name = 'RedisStore';
  if (url === null) return { name, skip: 'no Redis: no REDIS_URL, nothing on 127.0.0.1:6379 and no redis-server binary' };
  if (!built('redis.js')) return { name, skip: 'dist/redis.js is not built' };
  const { RedisStore } = await import(entry('redis.js').href);
  const missing = lacking(RedisStore);
  if (missing.length > 0) return { name, skip: `RedisStore has no ${missing.join('/')} in this build (Redis items not merged yet)` };
  return {
    name,
    role: 'ours',
    note: 'new RedisStore({ client, prefix }) on its own ioredis connection',
    async create({ url: at = url, prefix }) {
      const client = new Redis(at);
      const m = new SessionManager({ store: new RedisStore({ client, prefix }), maxBytes: MAX_BYTES });
      return {
        m,
        async close() {
          await m.close();
          await client.quit();
        },
      };
    },
  };
}
