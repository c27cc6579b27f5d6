/**
 * The conformance suite can fail: every case runs against stores broken on purpose (a
 * MemoryStore behind a wrapper with one defect each), and each defect must be caught by the
 * case named for it. The same wrapper without a defect passes the whole suite.
 */
import { describe, expect, it } from 'vitest';
import {
  MemoryStore,
  type SessionRecord,
  type SessionStore,
  type StoreAcquireInput,
  type StoreAcquireResult,
  type StoreAppendInput,
  type StoreAppendResult,
  type StoreDeleteInput,
  type StoreItemsPage,
  type StoreItemsQuery,
  type StoreListQuery,
  type StorePopInput,
  type StorePopResult,
  type StorePutInput,
  type StoreReleaseInput,
  type StoreRenewInput,
  type StoreTouchInput,
  type StoreTruncateInput,
  type StoreTruncateResult,
  type StoreWriteResult,
} from '../src/index.js';
import { describeStore, enabled, features, runCase, type StoreFactory, type SuiteOptions } from './conformance/index.js';

/** A MemoryStore behind a wrapper that passes every call on; the defects below override one method. */
class Wrapper implements SessionStore {
  constructor(readonly inner: MemoryStore) {}
  get(id: string, now: number): Promise<SessionRecord | undefined> {
    return this.inner.get(id, now);
  }
  put(input: StorePutInput): Promise<StoreWriteResult> {
    return this.inner.put(input);
  }
  touch(input: StoreTouchInput): Promise<SessionRecord | undefined> {
    return this.inner.touch(input);
  }
  delete(input: StoreDeleteInput): Promise<StoreWriteResult> {
    return this.inner.delete(input);
  }
  list(query: StoreListQuery): Promise<SessionRecord[]> {
    return this.inner.list(query);
  }
  append(input: StoreAppendInput): Promise<StoreAppendResult> {
    return this.inner.append(input);
  }
  items(query: StoreItemsQuery): Promise<StoreItemsPage | undefined> {
    return this.inner.items(query);
  }
  pop(input: StorePopInput): Promise<StorePopResult> {
    return this.inner.pop(input);
  }
  truncate(input: StoreTruncateInput): Promise<StoreTruncateResult> {
    return this.inner.truncate(input);
  }
  acquire(input: StoreAcquireInput): Promise<StoreAcquireResult> {
    return this.inner.acquire(input);
  }
  renew(input: StoreRenewInput): Promise<number | undefined> {
    return this.inner.renew(input);
  }
  release(input: StoreReleaseInput): Promise<boolean> {
    return this.inner.release(input);
  }
  ping(): Promise<boolean> {
    return this.inner.ping();
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}

const sweep: SuiteOptions['sweep'] = {
  purge: (store) => (store as Wrapper).inner.purgeStale(),
  count: (store) => (store as Wrapper).inner.size,
};

const defects: { defect: string; caughtBy: string; store: new (inner: MemoryStore) => Wrapper }[] = [
  {
    defect: 'get returns expired records',
    caughtBy: 'a record is live until expiresAt and absent from it on, for get, list, touch and delete',
    store: class extends Wrapper {
      override get(id: string) {
        return this.inner.get(id, -Infinity);
      }
    },
  },
  {
    defect: 'meta listing returns bodies',
    caughtBy: 'list with meta leaves data out of every record and keeps the rest',
    store: class extends Wrapper {
      override list(query: StoreListQuery) {
        return this.inner.list({ ...query, meta: false });
      }
    },
  },
  {
    defect: 'conditional write reads, awaits a tick, then writes',
    caughtBy: 'of 10 concurrent puts with the same ifVersion exactly one succeeds',
    store: class extends Wrapper {
      override async put(input: StorePutInput): Promise<StoreWriteResult> {
        if (input.ifVersion === undefined) return this.inner.put(input);
        const current = (await this.inner.get(input.id, input.now))?.version ?? 0;
        await new Promise((r) => setImmediate(r));
        if (current !== input.ifVersion) return { ok: false, currentVersion: current };
        const { ifVersion: _, ...unconditional } = input;
        return this.inner.put(unconditional);
      }
    },
  },
  {
    defect: 'list skips the first id after `after`',
    caughtBy: 'list with after starts strictly after that id, and limit bounds every page',
    store: class extends Wrapper {
      override async list(query: StoreListQuery) {
        const page = await this.inner.list({ ...query, limit: query.limit + 1 });
        return (query.after === undefined ? page : page.slice(1)).slice(0, query.limit);
      }
    },
  },
  {
    defect: 'put resets createdAt when it replaces a record',
    caughtBy: 'put replaces a live record at version + 1, keeping createdAt and moving updatedAt to now',
    store: class extends Wrapper {
      override async put(input: StorePutInput): Promise<StoreWriteResult> {
        const result = await this.inner.put(input);
        return result.ok ? { ok: true, record: { ...result.record, createdAt: input.now } } : result;
      }
    },
  },
  {
    defect: 'delete ignores ifVersion',
    caughtBy: 'delete with ifVersion removes only that version, and is refused with the live version otherwise',
    store: class extends Wrapper {
      override delete({ ifVersion: _, ...input }: StoreDeleteInput) {
        return this.inner.delete(input);
      }
    },
  },
  {
    defect: 'append reads lastSeq, awaits a tick, then writes (not atomic)',
    caughtBy: '50 concurrent appends of 3 items end with 150 items at seqs 1..150, each batch contiguous',
    store: class extends Wrapper {
      override async append(input: StoreAppendInput): Promise<StoreAppendResult> {
        const lastSeq = (await this.inner.get(input.id, input.now))?.lastSeq ?? 0;
        await new Promise((r) => setImmediate(r));
        return this.inner.append({ ...input, replaceAfter: input.replaceAfter ?? lastSeq });
      }
    },
  },
  {
    defect: 'items pages include expired sessions\' items',
    caughtBy: 'an expired session takes its items and keys with it, for items, pop, truncate and append',
    store: class extends Wrapper {
      override items(query: StoreItemsQuery) {
        return this.inner.items({ ...query, now: -Infinity });
      }
    },
  },
  {
    defect: 'put forgets the items',
    caughtBy: 'put replaces data and keeps the items, itemCount and lastSeq',
    store: class extends Wrapper {
      override async put(input: StorePutInput): Promise<StoreWriteResult> {
        await this.inner.truncate({ id: input.id, now: input.now, after: 0 });
        return this.inner.put(input);
      }
    },
  },
  {
    defect: 'a replayed append applies its batch again',
    caughtBy: 'a resent idempotencyKey answers the first result with replayed, whatever the batch or ifVersion, and adds nothing',
    store: class extends Wrapper {
      override append({ idempotencyKey: _, ...input }: StoreAppendInput) {
        return this.inner.append(input);
      }
    },
  },
  {
    defect: 'touch ignores maxLifetime',
    caughtBy: 'touch never extends a record past createdAt + maxLifetime',
    store: class extends Wrapper {
      override touch(input: StoreTouchInput) {
        return this.inner.touch({ ...input, maxLifetime: null });
      }
    },
  },
  {
    defect: 'put ignores the fence',
    caughtBy: 'every write with a stale fence rejects FencedError and changes nothing (put, touch, delete, append, pop, truncate)',
    store: class extends Wrapper {
      override put({ fence: _, ...input }: StorePutInput) {
        return this.inner.put(input);
      }
    },
  },
  {
    defect: 'release answers true for a lost lease',
    caughtBy: 'renew and release of a lost lease (expired, released, or superseded) answer undefined and false and change nothing',
    store: class extends Wrapper {
      override async release(input: StoreReleaseInput) {
        await this.inner.release(input);
        return true;
      }
    },
  },
];

const cases = Object.values(features).flat();

describe('the conformance suite against broken stores', () => {
  for (const { defect, caughtBy, store: Broken } of defects) {
    it(`catches a store whose ${defect}`, async () => {
      const factory: StoreFactory = ({ now }) => new Broken(new MemoryStore({ now }));
      const options: SuiteOptions = { sweep, modelRuns: 20 };
      const failed: string[] = [];
      for (const c of cases.filter((c) => enabled(c, options))) {
        await runCase(c, factory, options).catch(() => failed.push(c.name));
      }
      expect(cases.map((c) => c.name)).toContain(caughtBy);
      expect(failed).toContain(caughtBy);
    });
  }
});

describeStore('MemoryStore behind the wrapper without a defect', ({ now }) => new Wrapper(new MemoryStore({ now })), { sweep });
