/**
 * The items a {@link SessionsSaver} keeps in a session's log, and reading that log newest first.
 *
 * @module
 */
import { compareWritesSortKeys, writesSortKey } from '@langchain/langgraph-checkpoint';
import type { SessionManager } from '../../src/manager.js';

/** The serializer's output `[type, bytes]`, with the bytes as base64. */
export type Serialized = [type: string, base64: string];

/** A channel version as LangGraph numbers them. */
export type Version = number | string;

/** One checkpoint, put after the values of the channels it changed. */
export interface CheckpointItem {
  kind: 'checkpoint';
  /** The checkpoint id. */
  id: string;
  /** The parent checkpoint's id (same thread and namespace), if any. */
  parent?: string;
  /** The checkpoint without `channel_values`. */
  checkpoint: Serialized;
  /** Its metadata. */
  metadata: Serialized;
  /** Channels whose values sit just before this item, in this order (one value item each). */
  fresh: [channel: string, version: Version][];
  /** Channels whose values an earlier put stored, with the seq of their value item. */
  carried: [channel: string, version: Version, seq: number][];
}

/** One channel value at one version: stored once, whatever the number of checkpoints holding it. */
export interface ValueItem {
  kind: 'value';
  channel: string;
  version: Version;
  value: Serialized;
}

/** The writes of one `putWrites` call: one task's writes against one checkpoint. */
export interface WritesItem {
  kind: 'writes';
  /** The checkpoint id the writes belong to. */
  checkpoint: string;
  task: string;
  /** The task path (`''` when none was given). */
  path: string;
  writes: [index: number, channel: string, value: Serialized][];
}

/** Anything a saver appends. */
export type LogItem = CheckpointItem | ValueItem | WritesItem;

/** What the saver needs of a manager. */
export type ItemsManager = Pick<SessionManager<unknown, unknown>, 'append' | 'items' | 'list' | 'clear' | 'truncate'>;

/** An item with its seq. */
export interface Entry {
  seq: number;
  item: LogItem;
}

/** The most items one `items` call returns. */
const MAX_PAGE = 1000;

/** One session's log, read newest first in growing pages; `version` is the session's version at the first page. */
export class Log {
  /** The session's version when the first page was read; 0 when there is no session. */
  version = 0;
  /** The newest seq when the first page was read; 0 when there is no item. */
  lastSeq = 0;
  /** The items of the page being walked, to find values without a second read. */
  readonly #page = new Map<number, LogItem>();

  constructor(
    readonly manager: ItemsManager,
    readonly id: string,
    readonly firstPage: number,
  ) {}

  /** Every item, newest first. */
  async *newestFirst(): AsyncGenerator<Entry> {
    let before: number | undefined;
    let limit = this.firstPage;
    for (;;) {
      const page = await this.manager.items(this.id, { order: 'desc', limit, ...(before === undefined ? {} : { before }) });
      if (page === undefined) return;
      if (before === undefined) {
        this.version = page.version;
        this.lastSeq = page.items[0]?.seq ?? 0;
      }
      this.#page.clear();
      for (const { seq, data } of page.items) this.#page.set(seq, data as LogItem);
      for (const { seq, data } of page.items) yield { seq, item: data as LogItem };
      const last = page.items.at(-1);
      if (!page.hasMore || last === undefined) return;
      before = last.seq;
      limit = Math.min(limit * 4, MAX_PAGE);
    }
  }

  /** The items at `seqs`, from the page in hand or read in runs of consecutive seqs. */
  async at(seqs: number[]): Promise<Map<number, LogItem>> {
    const found = new Map<number, LogItem>();
    const missing: number[] = [];
    for (const seq of new Set(seqs)) {
      const item = this.#page.get(seq);
      if (item === undefined) missing.push(seq);
      else found.set(seq, item);
    }
    missing.sort((a, b) => a - b);
    const runs: [number, number][] = [];
    for (const seq of missing) {
      const run = runs.at(-1);
      if (run !== undefined && run[1] === seq - 1 && seq - run[0] < MAX_PAGE) run[1] = seq;
      else runs.push([seq, seq]);
    }
    await Promise.all(
      runs.map(async ([from, to]) => {
        const page = await this.manager.items(this.id, { after: from - 1, before: to + 1, limit: to - from + 1 });
        for (const { seq, data } of page?.items ?? []) found.set(seq, data as LogItem);
      }),
    );
    return found;
  }
}

/** One checkpoint found in a log, with the writes against it (oldest first) and its session's identity. */
export interface Found {
  thread: string;
  namespace: string;
  seq: number;
  item: CheckpointItem;
  writes: WritesItem[];
}

/** Channel → `[version, seq of its value item]` for a found checkpoint. */
export function references({ seq, item }: Pick<Found, 'seq' | 'item'>): Map<string, [Version, number]> {
  const refs = new Map<string, [Version, number]>();
  item.fresh.forEach(([channel, version], i) => refs.set(channel, [version, seq - item.fresh.length + i]));
  for (const [channel, version, at] of item.carried) refs.set(channel, [version, at]);
  return refs;
}

/** One write kept for a read. */
export interface KeptWrite {
  task: string;
  channel: string;
  value: Serialized;
}

/** The writes reads keep, in `writesSortKey` order: the first per task and index, the last for negative indexes. */
export function keptWrites(items: WritesItem[]): KeptWrite[] {
  const kept = new Map<string, KeptWrite & { path: string; index: number }>();
  for (const { task, path, writes } of items) {
    for (const [index, channel, value] of writes) {
      const key = JSON.stringify([task, index]);
      if (index >= 0 && kept.has(key)) continue;
      kept.set(key, { path, task, index, channel, value });
    }
  }
  return [...kept.values()].sort((a, b) =>
    compareWritesSortKeys(writesSortKey(a.path, a.task, a.index), writesSortKey(b.path, b.task, b.index)),
  );
}
