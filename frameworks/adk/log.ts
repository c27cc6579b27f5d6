/**
 * An ADK session's events as items: reading the newest ones back, and replacing one in place.
 *
 * Each item is an {@link EventItem}: the event (its state delta inside, `temp:` keys removed)
 * and, when the event changed the session's own state (or every {@link STATE_EVERY} items),
 * that whole state after it. One `append` holds both, so an event and its state change are
 * stored together or not at all; the session's state is the `state` of its newest item that
 * has one, or the state it was created with.
 *
 * @module
 */
import type { Event } from '@google/adk';
import { InvalidArgumentError, VersionConflictError } from '../../src/errors.js';
import type { SessionManager } from '../../src/manager.js';

/** What one item of an ADK session holds. */
export interface EventItem {
  /** The event as JSON. */
  event: Event;
  /** The session's own state after this event (no `app:`, `user:` or `temp:` keys), if carried. */
  state?: Record<string, unknown>;
}

/** What a session's `data` holds: its own state when it was created. */
export interface SessionData {
  /** The state given to `createSession`, without `app:`, `user:` and `temp:` keys. */
  state: Record<string, unknown>;
}

/** At most this many items follow the newest item that carries the state. */
export const STATE_EVERY = 50;

/** What {@link readLog} found. */
export interface LogRead {
  /** The events asked for, oldest first. */
  events: Event[];
  /** The session's own state, or `undefined` when no item carried it. */
  state: Record<string, unknown> | undefined;
  /** Seq of the newest item (0 for none) and of the newest that carried the state (0 for none). */
  lastSeq: number;
  stateSeq: number;
}

const PAGE = 1000;
const STATE_PAGE = 100;
const TRIES = 10;

/**
 * Reads the newest events of session `id`, newest page first: at most `limit` of them, only
 * those with a timestamp after `after`, and pages on only until the state is found too.
 * `undefined` when the session is gone. A write between two pages makes it read again.
 */
export async function readLog(
  manager: SessionManager,
  id: string,
  limit: number,
  after: number | undefined,
): Promise<LogRead | undefined> {
  for (let attempt = 0; attempt < TRIES; attempt++) {
    const read = await readPages(manager, id, limit, after);
    if (read !== 'moved') return read;
  }
  throw new VersionConflictError(`'${id}' changed while it was read, ${TRIES} times in a row; try again`, 0);
}

async function readPages(manager: SessionManager, id: string, limit: number, after: number | undefined) {
  const read: LogRead = { events: [], state: undefined, lastSeq: 0, stateSeq: 0 };
  let collecting = limit > 0;
  let before: number | undefined;
  let version: number | undefined;
  // pages grow from a first guess: all events, the newest `limit`, or (after a time) 100
  let guess = limit === Infinity ? (after === undefined ? PAGE : STATE_PAGE) : limit;
  for (;;) {
    const size = Math.min(PAGE, collecting ? Math.min(guess, limit - read.events.length) : STATE_PAGE);
    guess *= 2;
    const page = await manager.items(id, { order: 'desc', limit: size, ...(before === undefined ? {} : { before }) });
    if (page === undefined) return undefined;
    if (version !== undefined && page.version !== version) return 'moved' as const;
    version = page.version;
    for (const { seq, data } of page.items) {
      const item = data as EventItem;
      if (read.lastSeq === 0) read.lastSeq = seq;
      if (collecting && after !== undefined && item.event.timestamp <= after) collecting = false;
      if (collecting) {
        read.events.push(item.event);
        if (read.events.length >= limit) collecting = false;
      }
      if (read.state === undefined && item.state !== undefined) {
        read.state = item.state;
        read.stateSeq = seq;
      }
      if (!collecting && read.state !== undefined) break;
    }
    const last = page.items.at(-1);
    if (!page.hasMore || last === undefined || (!collecting && read.state !== undefined)) break;
    before = last.seq;
  }
  read.events.reverse();
  return read;
}

/**
 * Replaces the stored event with `item.event.id` by `item`, keeping its place: the items from
 * it to the newest are appended again with `replaceAfter`, at the version they were read at,
 * so a concurrent write makes it read again. The last of them carries `item.state`. Answers
 * the seq range written, or `undefined` when the log has no such event.
 */
export async function replaceEvent(
  manager: SessionManager,
  id: string,
  item: EventItem & { state: Record<string, unknown> },
): Promise<{ lastSeq: number } | undefined> {
  for (let attempt = 0; attempt < TRIES; attempt++) {
    const tail: EventItem[] = [];
    let found: number | undefined;
    let version: number | undefined;
    let before: number | undefined;
    let moved = false;
    while (found === undefined) {
      const page = await manager.items(id, { order: 'desc', limit: STATE_PAGE, ...(before === undefined ? {} : { before }) });
      if (page === undefined) throw new InvalidArgumentError(`no ADK session is stored as '${id}'`);
      if (version !== undefined && page.version !== version) moved = true;
      version = page.version;
      for (const { seq, data } of page.items) {
        if ((data as EventItem).event.id === item.event.id) {
          found = seq;
          break;
        }
        tail.unshift(data as EventItem);
      }
      const last = page.items.at(-1);
      if (moved || found !== undefined || !page.hasMore || last === undefined) break;
      before = last.seq;
    }
    if (moved) continue;
    if (found === undefined) return undefined;
    const batch: EventItem[] = [{ event: item.event }, ...tail];
    batch[batch.length - 1] = { ...batch[batch.length - 1]!, state: item.state };
    try {
      const done = await manager.append(id, batch, { replaceAfter: found - 1, ifVersion: version });
      return { lastSeq: done.lastSeq };
    } catch (error) {
      if (!(error instanceof VersionConflictError)) throw error;
    }
  }
  throw new VersionConflictError(`event replaced in '${id}' by others ${TRIES} times in a row; try again`, 0);
}
