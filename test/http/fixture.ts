/**
 * What every HTTP host in the tests serves: a manager over a memory store that fails on
 * purpose for some ids, and handler options with a test `authorize`.
 */
import { MemoryStore, SessionManager, StoreUnavailableError } from '../../src/index.js';
import type { SessionStore, StoreListQuery } from '../../src/index.js';

/** Ids (and list prefixes) starting with these make the store throw. */
export const FAIL_500 = 'fail-500';
export const FAIL_503 = 'fail-503';
/** Ids starting with this are refused by `authorize`; so is any request with `x-deny: 1`. */
export const DENIED = 'denied';

/** Small limits so the tests stay fast. */
export const MAX_BODY = 64 * 1024;
export const BODY_TIMEOUT = 300;

function fault(key: string): void {
  // The messages hold the kind of internals that must never reach a client.
  if (key.startsWith(FAIL_500)) throw new Error('boom at /srv/app/secret/store.ts:42 (password=hunter2)');
  if (key.startsWith(FAIL_503)) {
    throw new StoreUnavailableError('redis 10.1.2.3:6379 refused the connection', {
      cause: new Error('connect ECONNREFUSED 10.1.2.3:6379'),
    });
  }
}

/** A MemoryStore that throws for ids starting with {@link FAIL_500} or {@link FAIL_503}. */
function faultyStore(): SessionStore {
  const inner = new MemoryStore();
  return {
    get: async (id, now) => (fault(id), inner.get(id, now)),
    put: async (input) => (fault(input.id), inner.put(input)),
    touch: async (input) => (fault(input.id), inner.touch(input)),
    delete: async (input) => (fault(input.id), inner.delete(input)),
    list: async (query: StoreListQuery) => (fault(query.prefix), inner.list(query)),
    append: async (input) => (fault(input.id), inner.append(input)),
    items: async (query) => (fault(query.id), inner.items(query)),
    pop: async (input) => (fault(input.id), inner.pop(input)),
    truncate: async (input) => (fault(input.id), inner.truncate(input)),
    acquire: async (input) => (fault(input.id), inner.acquire(input)),
    renew: async (input) => (fault(input.id), inner.renew(input)),
    release: async (input) => (fault(input.id), inner.release(input)),
    ping: () => inner.ping(),
    close: () => inner.close(),
  };
}

/** Item limits of the fixture's manager, small so that the tests can reach them. */
export const MAX_ITEM_BYTES = 1024;
export const MAX_ITEMS = 20;
export const MAX_LOG_BYTES = 4096;

export function fixtureManager(): SessionManager {
  return new SessionManager({
    store: faultyStore(),
    maxItemBytes: MAX_ITEM_BYTES,
    maxItems: MAX_ITEMS,
    maxLogBytes: MAX_LOG_BYTES,
  });
}

/** Errors the handler reported through `onError` (5xx answers). */
export const reported: unknown[] = [];

/** Handler options for a host; `header` reads a request header the host's way. */
export function fixtureOptions<R>(header: (request: R, name: string) => string | null | undefined) {
  return {
    maxBodyBytes: MAX_BODY,
    bodyTimeout: BODY_TIMEOUT,
    onError: (error: unknown) => void reported.push(error),
    authorize: async (request: R, _action: string, id?: string) =>
      header(request, 'x-deny') !== '1' && !(id ?? '').startsWith(DENIED),
  };
}

let counter = 0;
/** A fresh identifier, so that cases never see each other's sessions. */
export function uid(label = 's'): string {
  counter += 1;
  return `${label}-${counter}-${Math.random().toString(36).slice(2, 8)}`;
}
