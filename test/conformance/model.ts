/**
 * A simple model of the contract for the random-operations test: a Map and a clock. Every
 * command runs on the model and on a real manager over the store and compares their results.
 */
import fc from 'fast-check';
import { expect } from 'vitest';
import { PayloadTooLargeError, VersionConflictError, type SessionManager } from '../../src/index.js';
import type { Case } from './context.js';

interface Entry {
  data: unknown;
  version: number;
  createdAt: number;
  updatedAt: number;
  expiresAt: number | null;
}

export interface Model {
  clock: () => number;
  tick: (ms: number) => void;
  sessions: Map<string, Entry>;
}

type Real = SessionManager<unknown>;
type Command = fc.AsyncCommand<Model, Real>;

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
const MAX_BYTES = 300;

function live(m: Model, id: string): Entry | undefined {
  const e = m.sessions.get(id);
  if (e && e.expiresAt !== null && e.expiresAt <= m.clock()) {
    m.sessions.delete(id);
    return undefined;
  }
  return e;
}

function view(id: string, e: Entry) {
  return { id, data: e.data, version: e.version, createdAt: iso(e.createdAt), updatedAt: iso(e.updatedAt), expiresAt: iso(e.expiresAt), itemCount: 0, lastSeq: 0 };
}

async function outcome<T>(p: Promise<T>): Promise<{ ok: T } | { error: unknown }> {
  try {
    return { ok: await p };
  } catch (error) {
    return { error };
  }
}

const check = () => true;

class Put implements Command {
  constructor(readonly id: string, readonly data: unknown, readonly ttl: number | undefined, readonly ifVersion: number | undefined) {}
  check = check;
  async run(m: Model, r: Real) {
    const result = await outcome(r.put(this.id, this.data, { ttl: this.ttl, ifVersion: this.ifVersion }));
    const cur = live(m, this.id);
    const now = m.clock();
    if (Buffer.byteLength(JSON.stringify(this.data)) + this.id.length > MAX_BYTES) {
      expect(result).toEqual({ error: expect.any(PayloadTooLargeError) });
      return;
    }
    if (this.ifVersion !== undefined && this.ifVersion !== (cur?.version ?? 0)) {
      expect(result).toEqual({ error: expect.any(VersionConflictError) });
      expect(((result as { error: VersionConflictError }).error).currentVersion).toBe(cur?.version ?? 0);
      return;
    }
    const next: Entry = {
      data: this.data,
      version: (cur?.version ?? 0) + 1,
      createdAt: cur?.createdAt ?? now,
      updatedAt: now,
      expiresAt: this.ttl === undefined ? null : now + this.ttl,
    };
    m.sessions.set(this.id, next);
    expect(result).toEqual({ ok: view(this.id, next) });
  }
  toString() {
    return `put(${this.id}, ${JSON.stringify(this.data)}, ttl ${this.ttl}, ifVersion ${this.ifVersion})`;
  }
}

class Get implements Command {
  constructor(readonly id: string) {}
  check = check;
  async run(m: Model, r: Real) {
    const got = await r.get(this.id);
    const cur = live(m, this.id);
    expect(got).toEqual(cur && view(this.id, cur));
  }
  toString() {
    return `get(${this.id})`;
  }
}

class Clear implements Command {
  constructor(readonly id: string, readonly ifVersion: number | undefined) {}
  check = check;
  async run(m: Model, r: Real) {
    const result = await outcome(r.clear(this.id, { ifVersion: this.ifVersion }));
    const cur = live(m, this.id);
    if (this.ifVersion !== undefined && this.ifVersion !== (cur?.version ?? 0)) {
      expect(result).toEqual({ error: expect.any(VersionConflictError) });
      return;
    }
    if (this.ifVersion !== undefined && cur === undefined) {
      expect(result).toEqual({ error: expect.any(VersionConflictError) });
      return;
    }
    m.sessions.delete(this.id);
    expect(result).toEqual({ ok: cur && view(this.id, cur) });
  }
  toString() {
    return `clear(${this.id}, ifVersion ${this.ifVersion})`;
  }
}

class Touch implements Command {
  constructor(readonly id: string, readonly ttl: number) {}
  check = check;
  async run(m: Model, r: Real) {
    const got = await r.touch(this.id, { ttl: this.ttl });
    const cur = live(m, this.id);
    if (cur) cur.expiresAt = m.clock() + this.ttl;
    expect(got).toEqual(cur && view(this.id, cur));
  }
  toString() {
    return `touch(${this.id}, ${this.ttl})`;
  }
}

class Tick implements Command {
  constructor(readonly ms: number) {}
  check = check;
  async run(m: Model) {
    m.tick(this.ms);
  }
  toString() {
    return `tick(${this.ms})`;
  }
}

class Walk implements Command {
  constructor(readonly prefix: string, readonly limit: number, readonly meta: boolean) {}
  check = check;
  async run(m: Model, r: Real) {
    const got: unknown[] = [];
    let cursor: string | undefined;
    do {
      const page = await r.list({ prefix: this.prefix, limit: this.limit, cursor, fields: this.meta ? 'meta' : 'all' });
      expect(page.sessions.length).toBeLessThanOrEqual(this.limit);
      got.push(...page.sessions);
      cursor = page.nextCursor ?? undefined;
    } while (cursor !== undefined);
    const ids = [...m.sessions.keys()].filter((id) => id.startsWith(this.prefix) && live(m, id)).sort();
    expect(got).toEqual(
      ids.map((id) => {
        const { data, ...rest } = view(id, m.sessions.get(id)!);
        return this.meta ? rest : { ...rest, data };
      }),
    );
  }
  toString() {
    return `walk(prefix ${this.prefix}, limit ${this.limit}, meta ${this.meta})`;
  }
}

/** The commands of the model test, over a few ids so that operations collide. */
export function modelCommands(): fc.Arbitrary<Command>[] {
  const id = fc.constantFrom('a', 'a:1', 'a:2', 'b', 'b.x', 'B', 'c-9', 'z~');
  const data = fc.oneof(
    fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.parse(JSON.stringify(v)) as unknown),
    fc.string({ minLength: 280, maxLength: 320 }),
  );
  const ttl = fc.option(fc.integer({ min: 1, max: 5000 }), { nil: undefined });
  const ifVersion = fc.option(fc.integer({ min: 0, max: 4 }), { nil: undefined });
  return [
    fc.tuple(id, data, ttl, ifVersion).map(([i, d, t, v]) => new Put(i, d, t, v)),
    id.map((i) => new Get(i)),
    fc.tuple(id, ifVersion).map(([i, v]) => new Clear(i, v)),
    fc.tuple(id, fc.integer({ min: 1, max: 5000 })).map(([i, t]) => new Touch(i, t)),
    fc.integer({ min: 1, max: 3000 }).map((ms) => new Tick(ms)),
    fc.tuple(fc.constantFrom('', 'a', 'a:', 'b', 'B', 'q'), fc.integer({ min: 1, max: 4 }), fc.boolean()).map(
      ([p, l, meta]) => new Walk(p, l, meta),
    ),
  ];
}

export const model: Case[] = [
  {
    name: 'matches a simple model over random operation sequences',
    async run({ manager, fresh, now, tick, options }) {
      await fc.assert(
        fc.asyncProperty(fc.commands(modelCommands(), { maxCommands: 40 }), async (commands) => {
          // a fresh store per run (closed with the case), as the model starts empty
          const real = manager({ maxBytes: MAX_BYTES }, await fresh());
          const m: Model = { clock: now, tick, sessions: new Map() };
          await fc.asyncModelRun(() => ({ model: m, real }), commands);
        }),
        { numRuns: options.modelRuns ?? 60 },
      );
    },
  },
];
