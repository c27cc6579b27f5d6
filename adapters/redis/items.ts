/**
 * `RedisStore`'s item methods: each is one script (see item-scripts.ts), one round trip, run
 * under the store's deadline like its other writes.
 *
 * @module
 */
import type {
  ItemRecord,
  StoreAppendInput,
  StoreAppendResult,
  StoreItemsPage,
  StoreItemsQuery,
  StorePopInput,
  StorePopResult,
  StoreTruncateInput,
  StoreTruncateResult,
} from '../../src/types.js';
import { checkTime, token } from './codec.js';
import type { Deadlines } from './deadline.js';
import { APPEND, appendArgs, ITEMS, itemsArgs, POP, popArgs, TRUNCATE, truncateArgs } from './item-scripts.js';
import type { Bucket } from './keys.js';
import { refuseFenced } from './leases.js';
import type { Writer } from './write.js';

/** What the item methods need of the store. */
export interface ItemContext {
  deadlines: Deadlines;
  writer: Writer;
  bucket(id: string): Bucket;
}

/** An item from a stored value `createdAt,json` and its seq. */
function item(seq: number, value: string): ItemRecord {
  const comma = value.indexOf(',');
  return { seq, createdAt: Number(value.slice(0, comma)), data: value.slice(comma + 1) };
}

/** Runs {@link APPEND}. */
export async function append(ctx: ItemContext, input: StoreAppendInput): Promise<StoreAppendResult> {
  checkTime('idleExpiresAt', input.idleExpiresAt);
  checkTime('maxLifetime', input.maxLifetime);
  const args = appendArgs(ctx.bucket(input.id), input, token());
  const reply = (await ctx.deadlines.run('append', input.id, true, (due) =>
    ctx.writer.write(APPEND, args, (r) => (r as unknown[])[0] === 1 && (r as unknown[])[4] === 0, due),
  )) as [number, string, string, string, number?];
  refuseFenced(reply, input.id, input.fence);
  if (reply[0] === 1) {
    const [, version, firstSeq, lastSeq, replayed] = reply;
    return { ok: true, version: Number(version), firstSeq: Number(firstSeq), lastSeq: Number(lastSeq), replayed: replayed === 1 };
  }
  const reason = reply[1] as 'version' | 'replaceAfter' | 'full';
  return { ok: false, reason, currentVersion: Number(reply[2]), lastSeq: Number(reply[3]) };
}

/** Runs {@link ITEMS}. */
export async function items(ctx: ItemContext, query: StoreItemsQuery): Promise<StoreItemsPage | undefined> {
  const args = itemsArgs(ctx.bucket(query.id), query);
  const reply = (await ctx.deadlines.run('items', query.id, false, () => ctx.writer.eval(ITEMS, args))) as
    | [string, number, string, ...string[]]
    | null;
  if (reply === null) return undefined;
  const [version, more, first, ...values] = reply;
  const step = query.order === 'desc' ? -1 : 1;
  const page: ItemRecord[] = [];
  // a value missing (evicted by maxmemory) is left out, its neighbours keep their seqs
  values.forEach((v, i) => v !== '' && page.push(item(Number(first) + i * step, v)));
  return { items: page, version: Number(version), hasMore: more === 1 };
}

/** Runs {@link POP}. */
export async function pop(ctx: ItemContext, input: StorePopInput): Promise<StorePopResult> {
  const args = popArgs(ctx.bucket(input.id), input, token());
  const reply = (await ctx.deadlines.run('pop', input.id, true, (due) =>
    ctx.writer.write(POP, args, (r) => (r as unknown[])[0] === 1 && (r as unknown[])[2] !== null, due),
  )) as [number, string, string | null];
  refuseFenced(reply, input.id, input.fence);
  if (reply[0] !== 1) return { ok: false, currentVersion: Number(reply[1]) };
  const popped = reply[2];
  if (popped === null || popped === undefined) return { ok: true, item: undefined, version: Number(reply[1]) };
  const comma = popped.indexOf(',');
  return { ok: true, item: item(Number(popped.slice(0, comma)), popped.slice(comma + 1)), version: Number(reply[1]) };
}

/** Runs {@link TRUNCATE}. */
export async function truncate(ctx: ItemContext, input: StoreTruncateInput): Promise<StoreTruncateResult> {
  const args = truncateArgs(ctx.bucket(input.id), input, token());
  const reply = (await ctx.deadlines.run('truncate', input.id, true, (due) =>
    ctx.writer.write(TRUNCATE, args, (r) => (r as unknown[])[0] === 1 && (r as unknown[])[2] !== 0, due),
  )) as [number, string, number];
  refuseFenced(reply, input.id, input.fence);
  if (reply[0] !== 1) return { ok: false, currentVersion: Number(reply[1]) };
  return { ok: true, removed: Number(reply[2]), version: Number(reply[1]) };
}
