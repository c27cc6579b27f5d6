/**
 * The item commands of the model test: append (with `ifVersion`, `replaceAfter` and a ttl),
 * items pages, pop and truncate, each run on the model and on the real manager.
 */
import fc from 'fast-check';
import { expect } from 'vitest';
import { InvalidArgumentError, VersionConflictError } from '../../src/index.js';
import { check, iso, live, MAX_ITEMS, outcome, type Command, type Entry, type Model, type ModelItem, type Real } from './model.js';

const itemView = (i: ModelItem) => ({ seq: i.seq, data: i.data, createdAt: iso(i.createdAt) });

/** Whether `ifVersion` refuses a write to `cur`, and then checks that the real call was refused. */
function refused(result: { ok: unknown } | { error: unknown }, cur: Entry | undefined, ifVersion: number | undefined): boolean {
  if (ifVersion === undefined || ifVersion === (cur?.version ?? 0)) return false;
  expect(result).toEqual({ error: expect.any(VersionConflictError) });
  return true;
}

/** `cur` after a change of its items: version + 1, updatedAt now. */
function changed(m: Model, id: string, cur: Entry, items: ModelItem[], lastSeq: number): void {
  m.sessions.set(id, { ...cur, version: cur.version + 1, updatedAt: m.clock(), items, lastSeq });
}

class Append implements Command {
  constructor(
    readonly id: string,
    readonly batch: unknown[],
    readonly ttl: number | undefined,
    readonly ifVersion: number | undefined,
    readonly replaceAfter: number | undefined,
  ) {}
  check = check;
  async run(m: Model, r: Real) {
    const { id, batch, ttl, ifVersion, replaceAfter } = this;
    const result = await outcome(r.append(id, batch, { ttl, ifVersion, replaceAfter }));
    const cur = live(m, id);
    if (refused(result, cur, ifVersion)) return;
    const lastSeq = cur?.lastSeq ?? 0;
    if (replaceAfter !== undefined && replaceAfter > lastSeq) {
      expect(result).toEqual({ error: expect.any(InvalidArgumentError) });
      return;
    }
    const after = replaceAfter ?? lastSeq;
    const now = m.clock();
    const added = batch.map((data, i) => ({ seq: after + 1 + i, data, createdAt: now }));
    const items = [...(cur?.items ?? []).filter((i) => i.seq <= after), ...added].slice(-MAX_ITEMS);
    const version = (cur?.version ?? 0) + 1;
    m.sessions.set(id, {
      data: cur === undefined ? null : cur.data,
      version,
      createdAt: cur?.createdAt ?? now,
      updatedAt: now,
      expiresAt: ttl === undefined ? null : now + ttl,
      items,
      lastSeq: after + batch.length,
    });
    expect(result).toEqual({ ok: { version, firstSeq: after + 1, lastSeq: after + batch.length, replayed: false } });
  }
  toString() {
    return `append(${this.id}, ${JSON.stringify(this.batch)}, ttl ${this.ttl}, ifVersion ${this.ifVersion}, replaceAfter ${this.replaceAfter})`;
  }
}

class Items implements Command {
  constructor(readonly id: string, readonly after: number | undefined, readonly before: number | undefined, readonly limit: number, readonly order: 'asc' | 'desc') {}
  check = check;
  async run(m: Model, r: Real) {
    const { id, after = 0, before = Infinity, limit, order } = this;
    const page = await r.items(id, { after: this.after, before: this.before, limit, order });
    const cur = live(m, id);
    if (cur === undefined) {
      expect(page).toBeUndefined();
      return;
    }
    const range = cur.items.filter((i) => i.seq > after && i.seq < before);
    if (order === 'desc') range.reverse();
    expect(page).toEqual({ items: range.slice(0, limit).map(itemView), version: cur.version, hasMore: range.length > limit });
  }
  toString() {
    return `items(${this.id}, after ${this.after}, before ${this.before}, limit ${this.limit}, ${this.order})`;
  }
}

class Pop implements Command {
  constructor(readonly id: string, readonly ifVersion: number | undefined) {}
  check = check;
  async run(m: Model, r: Real) {
    const result = await outcome(r.pop(this.id, { ifVersion: this.ifVersion }));
    const cur = live(m, this.id);
    if (refused(result, cur, this.ifVersion)) return;
    const newest = cur?.items[cur.items.length - 1];
    if (cur !== undefined && newest !== undefined) changed(m, this.id, cur, cur.items.slice(0, -1), cur.lastSeq - 1);
    expect(result).toEqual({ ok: newest && itemView(newest) });
  }
  toString() {
    return `pop(${this.id}, ifVersion ${this.ifVersion})`;
  }
}

class Truncate implements Command {
  constructor(readonly id: string, readonly after: boolean, readonly n: number, readonly ifVersion: number | undefined) {}
  check = check;
  async run(m: Model, r: Real) {
    const { id, after, n, ifVersion } = this;
    const result = await outcome(r.truncate(id, after ? { after: n, ifVersion } : { before: n, ifVersion }));
    const cur = live(m, id);
    if (refused(result, cur, ifVersion)) return;
    const kept = cur?.items.filter((i) => (after ? i.seq <= n : i.seq >= n)) ?? [];
    const removed = (cur?.items.length ?? 0) - kept.length;
    if (cur !== undefined && removed > 0) changed(m, id, cur, kept, after ? Math.min(cur.lastSeq, n) : cur.lastSeq);
    expect(result).toEqual({ ok: { removed, version: live(m, id)?.version ?? 0 } });
  }
  toString() {
    return `truncate(${this.id}, ${this.after ? 'after' : 'before'} ${this.n}, ifVersion ${this.ifVersion})`;
  }
}

/**
 * The item commands, over two of the model test's ids so that they meet often; appends and
 * pages come twice, so that logs grow and get read.
 */
export function itemCommands(): fc.Arbitrary<Command>[] {
  const id = fc.constantFrom('a', 'b');
  const item = fc.oneof(fc.integer(), fc.string({ maxLength: 8 }), fc.constant(null), fc.record({ role: fc.constantFrom('user', 'agent') }));
  /** Mostly absent, so that most writes apply and logs grow. */
  const rarely = <V>(arb: fc.Arbitrary<V>) => fc.oneof({ arbitrary: fc.constant(undefined), weight: 3 }, { arbitrary: arb, weight: 1 });
  const ifVersion = rarely(fc.integer({ min: 0, max: 6 }));
  const seq = fc.integer({ min: 0, max: 8 });
  const append = fc
    .tuple(id, fc.array(item, { minLength: 1, maxLength: 3 }), rarely(fc.integer({ min: 1, max: 5000 })), ifVersion, rarely(seq))
    .map(([i, b, t, v, r]) => new Append(i, b, t, v, r));
  const items = fc
    .tuple(id, fc.option(seq, { nil: undefined }), fc.option(seq, { nil: undefined }), fc.integer({ min: 1, max: 4 }), fc.constantFrom('asc' as const, 'desc' as const))
    .map(([i, a, b, l, o]) => new Items(i, a, b, l, o));
  return [
    append,
    append,
    items,
    items,
    fc.tuple(id, ifVersion).map(([i, v]) => new Pop(i, v)),
    fc.tuple(id, fc.boolean(), seq, ifVersion).map(([i, a, n, v]) => new Truncate(i, a, n, v)),
  ];
}
