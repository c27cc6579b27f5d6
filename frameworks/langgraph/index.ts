/**
 * agent-sessions/langgraph: a LangGraph checkpointer over a {@link SessionManager}, on any store.
 *
 * @module
 */
import { isDeepStrictEqual } from 'node:util';
import type { RunnableConfig } from '@langchain/core/runnables';
import {
  BaseCheckpointSaver,
  TASKS,
  WRITES_IDX_MAP,
  copyCheckpoint,
  maxChannelVersion,
  type ChannelVersions,
  type Checkpoint,
  type CheckpointListOptions,
  type CheckpointMetadata,
  type CheckpointPendingWrite,
  type CheckpointTuple,
  type PendingWrite,
  type SerializerProtocol,
} from '@langchain/langgraph-checkpoint';
import { isIdentifierPrefix } from '../../src/identifier.js';
import { InvalidArgumentError, VersionConflictError } from '../../src/errors.js';
import { quote } from '../../src/json.js';
import type { SessionManager } from '../../src/manager.js';
import { SessionIds, checkpointIdOf, namespaceOf, threadOf } from './ids.js';
import { Log, keptWrites, references, type CheckpointItem, type Found, type ItemsManager, type Serialized, type ValueItem, type Version, type WritesItem } from './log.js';

/** Options of {@link SessionsSaver}. */
export interface SessionsSaverOptions {
  /**
   * Start of every session id the saver uses (identifier characters). Give each saver sharing a
   * manager its own: listing across threads walks the sessions with this prefix.
   * @defaultValue `'langgraph:'`
   */
  prefix?: string;
  /**
   * LangGraph's serializer for checkpoints, metadata, channel values and writes.
   * @defaultValue LangGraph's `JsonPlusSerializer`
   */
  serde?: SerializerProtocol;
}

/** How many times `put` reads again after another write slipped in between its read and its append. */
const PUT_ATTEMPTS = 20;

/**
 * A LangGraph `BaseCheckpointSaver` that keeps each thread's checkpoints in sessions of a
 * {@link SessionManager}: a `(thread_id, checkpoint_ns)` pair is one session and its log holds
 * the checkpoints, the tasks' pending writes and the channel values, each channel value stored
 * once per version. See docs/frameworks.md for the stored shapes.
 *
 * @example
 * ```ts
 * import { SessionManager } from 'agent-sessions';
 * import { SessionsSaver } from 'agent-sessions/langgraph';
 *
 * const checkpointer = new SessionsSaver(new SessionManager());
 * const graph = builder.compile({ checkpointer });
 * await graph.invoke(input, { configurable: { thread_id: 'chat-1' } });
 * ```
 */
export class SessionsSaver extends BaseCheckpointSaver {
  readonly #manager: ItemsManager;
  readonly #ids: SessionIds;

  /**
   * @param manager - the manager (and so the store) that keeps the threads
   * @param options - session id prefix and serializer
   * @throws `TypeError` when `prefix` is not made of identifier characters
   */
  constructor(manager: SessionManager<unknown, unknown>, options: SessionsSaverOptions = {}) {
    super(options.serde);
    const { prefix = 'langgraph:' } = options;
    if (typeof prefix !== 'string' || !isIdentifierPrefix(prefix)) {
      throw new TypeError(`prefix must be up to 256 characters of A–Z a–z 0–9 . _ ~ : @ -; got ${quote(prefix)}`);
    }
    this.#manager = manager;
    this.#ids = new SessionIds(prefix);
  }

  /** The checkpoint `config` names (the newest of its thread and namespace without `checkpoint_id`), or `undefined`. */
  async getTuple(config: RunnableConfig): Promise<CheckpointTuple | undefined> {
    const conf = config.configurable ?? {};
    if (conf.thread_id === undefined) return undefined;
    const thread = threadOf(conf.thread_id, 'getTuple');
    const namespace = namespaceOf(conf.checkpoint_ns);
    const wanted = checkpointIdOf(conf.checkpoint_id);
    const log = new Log(this.#manager, this.#ids.id(thread, namespace), 8);
    for await (const found of this.#checkpoints(log, thread, namespace)) {
      if (wanted === undefined || found.item.id === wanted) return this.#tuple(log, found);
    }
    return undefined;
  }

  /**
   * Checkpoints newest first: of one thread when `config` names a `thread_id` (of one namespace
   * when it names a `checkpoint_ns`), else of every thread, thread after thread. `before` keeps
   * checkpoints whose id sorts below its `checkpoint_id`; `filter` keeps those whose metadata
   * holds each given key with an equal value.
   */
  async *list(config: RunnableConfig, options: CheckpointListOptions = {}): AsyncGenerator<CheckpointTuple> {
    const { limit, before, filter } = options;
    const conf = config.configurable ?? {};
    const thread = conf.thread_id === undefined ? undefined : threadOf(conf.thread_id, 'list');
    const namespace = conf.checkpoint_ns === undefined ? undefined : namespaceOf(conf.checkpoint_ns);
    const wanted = checkpointIdOf(conf.checkpoint_id);
    const beforeId = checkpointIdOf(before?.configurable?.checkpoint_id);
    let left = limit ?? Infinity;
    if (left <= 0) return;
    for await (const session of this.#sessions(thread, namespace)) {
      const log = new Log(this.#manager, session.id, Math.min(left * 4, 64));
      for await (const found of this.#checkpoints(log, session.thread, session.namespace)) {
        const { id } = found.item;
        if ((wanted !== undefined && id !== wanted) || (beforeId !== undefined && id >= beforeId)) continue;
        const metadata = (await this.#load(found.item.metadata)) as Record<string, unknown>;
        if (filter && !Object.entries(filter).every(([key, value]) => isDeepStrictEqual(metadata[key], value))) continue;
        yield await this.#tuple(log, found, metadata);
        if (--left <= 0) return;
      }
    }
  }

  /**
   * Stores `checkpoint` after the values of the channels in `newVersions`, in one append; the
   * other channels' values are referred to where the parent checkpoint found them.
   *
   * @throws `InvalidArgumentError` when `config` has no `thread_id`
   */
  async put(
    config: RunnableConfig,
    checkpoint: Checkpoint,
    metadata: CheckpointMetadata,
    newVersions: ChannelVersions,
  ): Promise<RunnableConfig> {
    const conf = config.configurable ?? {};
    const thread = threadOf(conf.thread_id, 'put');
    const namespace = namespaceOf(conf.checkpoint_ns);
    const parent = checkpointIdOf(conf.checkpoint_id);
    const { channel_values: values, ...body } = copyCheckpoint(checkpoint);
    const fresh: CheckpointItem['fresh'] = [];
    const stored: ValueItem[] = [];
    for (const [channel, version] of Object.entries(newVersions)) {
      if (values[channel] === undefined) continue;
      fresh.push([channel, version]);
      stored.push({ kind: 'value', channel, version, value: await this.#dump(values[channel]) });
    }
    const item: CheckpointItem = {
      kind: 'checkpoint',
      id: checkpoint.id,
      ...(parent === undefined ? {} : { parent }),
      checkpoint: await this.#dump(body),
      metadata: await this.#dump(metadata),
      fresh,
      carried: [],
    };
    const id = this.#ids.id(thread, namespace);
    const freshChannels = new Set(fresh.map(([channel]) => channel));
    const toCarry = Object.keys(body.channel_versions).filter((channel) => !freshChannels.has(channel));
    for (let attempt = 1; ; attempt++) {
      const log = new Log(this.#manager, id, 8);
      item.carried = parent === undefined || toCarry.length === 0 ? [] : await this.#carried(log, thread, namespace, parent, body.channel_versions, toCarry);
      try {
        if (item.carried.length === 0) {
          await this.#manager.append(id, [...stored, item]);
          break;
        }
        // the seqs refer to the session as read: append only if it did not change since
        const done = await this.#manager.append(id, [...stored, item], { ifVersion: log.version });
        if (done.firstSeq === log.lastSeq + 1) break;
        // the same version in a session deleted and begun again in between: take the append back
        await this.#manager.truncate(id, { after: done.firstSeq - 1, ifVersion: done.version });
      } catch (err) {
        if (!(err instanceof VersionConflictError)) throw err;
      }
      if (attempt >= PUT_ATTEMPTS) throw new VersionConflictError(`put: thread ${quote(thread)} kept changing; tried ${PUT_ATTEMPTS} times`, 0);
    }
    return { configurable: { thread_id: thread, checkpoint_ns: namespace, checkpoint_id: checkpoint.id } };
  }

  /**
   * Stores one task's writes against the checkpoint `config` names, in one append. Reads keep
   * the first write per task and index, and the last for the special negative indexes.
   *
   * @throws `InvalidArgumentError` when `config` has no `thread_id` or `checkpoint_id`
   */
  async putWrites(config: RunnableConfig, writes: PendingWrite[], taskId: string, taskPath = ''): Promise<void> {
    const conf = config.configurable ?? {};
    const thread = threadOf(conf.thread_id, 'putWrites');
    const namespace = namespaceOf(conf.checkpoint_ns);
    const checkpoint = checkpointIdOf(conf.checkpoint_id);
    if (checkpoint === undefined) {
      throw new InvalidArgumentError('putWrites: config.configurable.checkpoint_id must be a non-empty string; got none');
    }
    if (writes.length === 0) return;
    const item: WritesItem = {
      kind: 'writes',
      checkpoint,
      task: taskId,
      path: taskPath,
      writes: await Promise.all(
        writes.map(async ([channel, value], index) => [WRITES_IDX_MAP[channel] ?? index, channel, await this.#dump(value)] as WritesItem['writes'][number]),
      ),
    };
    await this.#manager.append(this.#ids.id(thread, namespace), [item]);
  }

  /** Removes every checkpoint and write of `threadId`, in every namespace. */
  async deleteThread(threadId: string): Promise<void> {
    const thread = threadOf(threadId, 'deleteThread');
    for await (const session of this.#sessions(thread, undefined)) await this.#manager.clear(session.id);
  }

  /** References to the values of `channels` the parent checkpoint holds at the same versions. */
  async #carried(
    log: Log,
    thread: string,
    namespace: string,
    parent: string,
    versions: ChannelVersions,
    channels: string[],
  ): Promise<CheckpointItem['carried']> {
    const found = await this.#find(log, thread, namespace, parent);
    if (found === undefined) return [];
    const refs = references(found);
    return channels.flatMap((channel) => {
      const ref = refs.get(channel);
      return ref && ref[0] === versions[channel] ? [[channel, ref[0], ref[1]] as [string, Version, number]] : [];
    });
  }

  /** The sessions holding `thread` (every thread when `undefined`) in `namespace` (every one when `undefined`). */
  async *#sessions(thread: string | undefined, namespace: string | undefined): AsyncGenerator<{ id: string; thread: string; namespace: string }> {
    if (thread !== undefined && namespace !== undefined) {
      yield { id: this.#ids.id(thread, namespace), thread, namespace };
      return;
    }
    if (thread !== undefined) yield { id: this.#ids.id(thread, ''), thread, namespace: '' };
    const prefix = thread === undefined ? this.#ids.prefix : this.#ids.namespacesOf(thread);
    let cursor: string | undefined;
    do {
      const page = await this.#manager.list({ prefix, limit: 100, fields: 'meta', ...(cursor === undefined ? {} : { cursor }) });
      for (const { id } of page.sessions) {
        const parsed = this.#ids.parse(id);
        if (parsed && (namespace === undefined || parsed.namespace === namespace)) yield { id, ...parsed };
      }
      cursor = page.nextCursor ?? undefined;
    } while (cursor !== undefined);
  }

  /** The checkpoints of a log newest first, each with the writes against it. */
  async *#checkpoints(log: Log, thread: string, namespace: string): AsyncGenerator<Found> {
    const writes = new Map<string, WritesItem[]>();
    for await (const { seq, item } of log.newestFirst()) {
      if (item.kind === 'writes') {
        const list = writes.get(item.checkpoint);
        if (list === undefined) writes.set(item.checkpoint, [item]);
        else list.push(item);
      } else if (item.kind === 'checkpoint') {
        const against = writes.get(item.id) ?? [];
        writes.delete(item.id);
        yield { thread, namespace, seq, item, writes: against.reverse() };
      }
    }
  }

  /** Checkpoint `id` of a log, or `undefined`. */
  async #find(log: Log, thread: string, namespace: string, id: string): Promise<Found | undefined> {
    for await (const found of this.#checkpoints(log, thread, namespace)) if (found.item.id === id) return found;
    return undefined;
  }

  /** The tuple of a found checkpoint: its channel values read back by seq, its pending writes in order. */
  async #tuple(log: Log, found: Found, metadata?: Record<string, unknown>): Promise<CheckpointTuple> {
    const { thread, namespace, item } = found;
    const checkpoint = (await this.#load(item.checkpoint)) as Checkpoint;
    checkpoint.channel_values = await this.#values(log, found);
    const tuple: CheckpointTuple = {
      config: { configurable: { thread_id: thread, checkpoint_ns: namespace, checkpoint_id: item.id } },
      checkpoint,
      metadata: (metadata ?? (await this.#load(item.metadata))) as CheckpointMetadata,
      pendingWrites: await this.#pendingWrites(found.writes),
    };
    if (item.parent !== undefined) {
      tuple.parentConfig = { configurable: { thread_id: thread, checkpoint_ns: namespace, checkpoint_id: item.parent } };
      if (checkpoint.v < 4) await this.#migratePendingSends(checkpoint, thread, namespace, log.id, item.parent);
    }
    return tuple;
  }

  /** A checkpoint's channel values, from the value items its references point at. */
  async #values(log: Log, found: Found): Promise<Record<string, unknown>> {
    const refs = references(found);
    const items = await log.at([...refs.values()].map(([, seq]) => seq));
    const values: Record<string, unknown> = {};
    for (const [channel, [version, seq]] of refs) {
      const stored = items.get(seq);
      if (stored?.kind !== 'value' || stored.channel !== channel || stored.version !== version) {
        throw new Error(`checkpoint ${quote(found.item.id)} of session ${quote(log.id)}: the value of channel ${quote(channel)} version ${quote(version)} is missing from seq ${seq}`);
      }
      values[channel] = await this.#load(stored.value);
    }
    return values;
  }

  /** The pending writes of `items`, deserialized, in `writesSortKey` order. */
  async #pendingWrites(items: WritesItem[]): Promise<CheckpointPendingWrite[]> {
    return Promise.all(keptWrites(items).map(async (w) => [w.task, w.channel, await this.#load(w.value)] as CheckpointPendingWrite));
  }

  /** Checkpoints before format 4 kept pending sends as the parent's `TASKS` writes: move them into the channel. */
  async #migratePendingSends(checkpoint: Checkpoint, thread: string, namespace: string, id: string, parent: string): Promise<void> {
    const found = await this.#find(new Log(this.#manager, id, 8), thread, namespace, parent);
    const sends = (await this.#pendingWrites(found?.writes ?? [])).filter(([, channel]) => channel === TASKS);
    checkpoint.channel_values[TASKS] = sends.map(([, , value]) => value);
    const versions = Object.values(checkpoint.channel_versions);
    checkpoint.channel_versions[TASKS] = versions.length > 0 ? maxChannelVersion(...versions) : this.getNextVersion(undefined);
  }

  async #dump(value: unknown): Promise<Serialized> {
    const [type, bytes] = await this.serde.dumpsTyped(value);
    return [type, Buffer.from(bytes).toString('base64')];
  }

  async #load([type, base64]: Serialized): Promise<unknown> {
    return this.serde.loadsTyped(type, new Uint8Array(Buffer.from(base64, 'base64')));
  }
}
