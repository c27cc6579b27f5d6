/**
 * The in-process subjects. Each `create()` returns a fresh instance with the same async
 * methods, so the harness calls every subject the same way:
 *   put(id, data)  get(id) → data | undefined  del(id)  list(state) → array of ≤ 100 values
 *   ids() → every id (the fastest way the subject's API has to list them all)
 * `list` gets a state object it may keep a cursor in. `ordered` says whether the subject
 * lists in id order with a cursor (ours) or only reads whatever its API enumerates first.
 * `create(max, ttl)` takes the entry bound for LRU subjects (others ignore it) and an idle
 * time to live in ms that every write sets, as each subject's API sets one (the raw Map,
 * the limit, ignores it; unstorage's drivers ignore it too). `idsNote` says what ids() does.
 */
import { createRequire } from 'node:module';
import { LRUCache } from 'lru-cache';
import { Keyv } from 'keyv';
import { createStorage } from 'unstorage';
import unstorageMemory from 'unstorage/drivers/memory';
import unstorageLru from 'unstorage/drivers/lru-cache';
import expressSession from 'express-session';
import memorystore from 'memorystore';
import { entry } from './dist.mjs';
import { idWalker } from './id-walk.mjs';

const require = createRequire(import.meta.url);
const PAGE = 100;
/** Room for every session of a throughput run, so no LRU subject ever evicts. */
const LRU_MAX = 100_000;

/** Imports the built library (`npm run build` at the root makes dist/; see lib/dist.mjs). */
export async function loadLibrary() {
  const core = await import(entry('index.js').href);
  const lru = await import(entry('lru.js').href);
  return { SessionManager: core.SessionManager, MemoryStore: core.MemoryStore, LruStore: lru.LruStore };
}

function firstEntries(iterable, n, map) {
  const out = [];
  for (const entry of iterable) {
    out.push(map(entry));
    if (out.length === n) break;
  }
  return out;
}

/** Promise form of a callback store method (express-session stores). */
function call(store, method, ...args) {
  return new Promise((resolve, reject) =>
    store[method](...args, (err, value) => (err ? reject(err) : resolve(value))),
  );
}

/** An express-session store keeps the session object itself; it needs a `cookie`. */
const COOKIE = { originalMaxAge: null, expires: null, httpOnly: true, path: '/' };
/** The cookie of a session that expires `ttl` ms from now, as express-session writes it. */
const cookie = (ttl) =>
  ttl === undefined ? COOKIE : { originalMaxAge: ttl, maxAge: ttl, expires: new Date(Date.now() + ttl), httpOnly: true, path: '/' };

export async function memorySubjects() {
  const { SessionManager, MemoryStore, LruStore } = await loadLibrary();

  /** Ours: the manager over a store; list walks the ordered index with cursors. */
  const ours = (name, makeStore) => ({
    name,
    role: 'ours',
    ordered: true,
    idsNote: "a cursor walk of manager.list in pages of 1,000 with fields: 'id' if the library takes it, else fields: 'meta' (printed with the results)",
    create(max = LRU_MAX, ttl = undefined) {
      const m = new SessionManager({ store: makeStore(max), ttl });
      let walker;
      return {
        put: (id, data) => m.put(id, data),
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
        /** Which fields the id walk asked for (after the first ids()). */
        idsFields: () => walker?.fields,
        close: () => m.close(),
      };
    },
  });

  return [
    {
      name: 'raw Map (JSON)',
      role: 'limit',
      note: 'put = JSON.stringify + Map#set; get = Map#get + JSON.parse; list = first 100 entries + JSON.parse; no TTL ever',
      idsNote: '[...map.keys()]',
      create() {
        const map = new Map();
        return {
          put: (id, data) => void map.set(id, JSON.stringify(data)),
          get: (id) => {
            const json = map.get(id);
            return json === undefined ? undefined : JSON.parse(json);
          },
          del: (id) => map.delete(id),
          list: () => firstEntries(map, PAGE, ([id, json]) => ({ id, data: JSON.parse(json) })),
          ids: () => [...map.keys()],
          close() {},
        };
      },
    },
    {
      name: 'raw lru-cache (JSON)',
      role: 'peer',
      note: 'lru-cache 11 holding JSON strings (ttl option when set); list = first 100 of entries()',
      idsNote: '[...cache.keys()]',
      create(max = LRU_MAX, ttl = undefined) {
        const cache = new LRUCache({ max, ...(ttl === undefined ? {} : { ttl }) });
        return {
          put: (id, data) => void cache.set(id, JSON.stringify(data)),
          get: (id) => {
            const json = cache.get(id);
            return json === undefined ? undefined : JSON.parse(json);
          },
          del: (id) => cache.delete(id),
          list: () => firstEntries(cache.entries(), PAGE, ([id, json]) => ({ id, data: JSON.parse(json) })),
          ids: () => [...cache.keys()],
          close() {},
        };
      },
    },
    ours('agent-sessions MemoryStore', () => new MemoryStore()),
    ours('agent-sessions LruStore', (max) => new LruStore({ max })),
    {
      name: 'Keyv (memory)',
      role: 'peer',
      vs: true,
      note: 'new Keyv() over its default Map (set(id, data, ttl) when set); list = first 100 of keyv.iterator()',
      idsNote: 'every key of keyv.iterator() (which also reads the values: Keyv has no keys-only walk)',
      create(max, ttl = undefined) {
        const keyv = new Keyv();
        return {
          put: (id, data) => keyv.set(id, data, ttl),
          get: (id) => keyv.get(id),
          del: (id) => keyv.delete(id),
          async list() {
            const out = [];
            for await (const [id, data] of keyv.iterator()) {
              out.push({ id, data });
              if (out.length === PAGE) break;
            }
            return out;
          },
          async ids() {
            const out = [];
            for await (const [id] of keyv.iterator()) out.push(id);
            return out;
          },
          close() {},
        };
      },
    },
    ...[
      ['unstorage (memory)', () => unstorageMemory()],
      ['unstorage (lru-cache)', (max) => unstorageLru({ max })],
    ].map(([name, driver]) => ({
      name,
      role: 'peer',
      note: 'list = getKeys() (every key) + getItems() of the first 100; setItem(id, data, { ttl }) when set, which these drivers ignore',
      idsNote: 'getKeys()',
      create(max = LRU_MAX, ttl = undefined) {
        const storage = createStorage({ driver: driver(max) });
        const options = ttl === undefined ? undefined : { ttl: ttl / 1000 };
        return {
          put: (id, data) => storage.setItem(id, data, options),
          get: async (id) => (await storage.getItem(id)) ?? undefined,
          del: (id) => storage.removeItem(id),
          async list() {
            const keys = await storage.getKeys();
            const items = await storage.getItems(keys.slice(0, PAGE));
            return items.map(({ key, value }) => ({ id: key, data: value }));
          },
          ids: () => storage.getKeys(),
          close: () => storage.dispose(),
        };
      },
    })),
    {
      name: 'express-session MemoryStore',
      role: 'peer',
      vs: true,
      note: 'callback API (a cookie expiring in ttl when set); list = all() (parses every session) then the first 100',
      idsNote: 'Object.keys(all()) (it has no keys-only call; all() parses every session)',
      create(max, ttl = undefined) {
        const store = new expressSession.MemoryStore();
        return {
          put: (id, data) => call(store, 'set', id, { cookie: cookie(ttl), data }),
          get: async (id) => (await call(store, 'get', id))?.data,
          del: (id) => call(store, 'destroy', id),
          async list() {
            const all = await call(store, 'all');
            return Object.keys(all)
              .slice(0, PAGE)
              .map((id) => ({ id, data: all[id].data }));
          },
          ids: async () => Object.keys(await call(store, 'all')),
          close() {},
        };
      },
    },
    {
      name: 'memorystore',
      role: 'peer',
      vs: true,
      note: 'callback API, no prune timer (a cookie with maxAge ttl when set); list = ids() (every key) + get() of the first 100',
      idsNote: 'ids()',
      create(max, ttl = undefined) {
        const MemoryStoreES = require('memorystore')(expressSession);
        const store = new MemoryStoreES({});
        return {
          put: (id, data) => call(store, 'set', id, { cookie: cookie(ttl), data }),
          get: async (id) => (await call(store, 'get', id))?.data,
          del: (id) => call(store, 'destroy', id),
          async list() {
            const ids = await call(store, 'ids');
            const out = [];
            for (const id of ids.slice(0, PAGE)) out.push({ id, data: (await call(store, 'get', id))?.data });
            return out;
          },
          ids: () => call(store, 'ids'),
          close: () => store.stopInterval(),
        };
      },
    },
  ];
}
