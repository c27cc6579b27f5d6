/**
 * The manager's operations answering JSON text, for the HTTP layer: each returns the session as
 * the JSON text of a `Session` (exactly `JSON.stringify` of what the public method would return)
 * built around the stored `data` JSON, which is never parsed and serialized again. They follow
 * the same rules as the public methods, through the manager's core ({@link coreOf}).
 * Internal: not exported from the package.
 *
 * @module
 */
import { itemsQuery, type ItemsOptions } from './items.js';
import { timeText } from './iso-time.js';
import { coreOf } from './manager-core.js';
import type { ClearOptions, PutOptions, SessionManager } from './manager.js';
import { toSessionJson } from './session-view.js';

/** A session as JSON text (the `Session` shape) and its version. */
export interface SessionText {
  /** The session's version, for an `ETag`. */
  version: number;
  /** The whole session as JSON text. */
  json: string;
}

/** {@link SessionManager.get} as text: the live session `id`, or `undefined`. */
export async function getSessionText(manager: SessionManager<unknown>, id: string): Promise<SessionText | undefined> {
  const core = coreOf(manager);
  const now = core.now();
  const record = await core.read(id, now);
  if (record === undefined || !core.live(record, now)) return undefined;
  return { version: record.version, json: toSessionJson(record, record.data ?? 'null') };
}

/** {@link SessionManager.put} as text: the stored session. */
export async function putSessionText<T>(
  manager: SessionManager<T>,
  id: string,
  data: T,
  options: PutOptions = {},
): Promise<SessionText> {
  const { record, json } = await coreOf<T>(manager).write(id, data, options);
  return { version: record.version, json: toSessionJson(record, json) };
}

/** {@link SessionManager.clear} as text: the removed session, or `undefined` if there was none. */
export async function clearSessionText(
  manager: SessionManager<unknown>,
  id: string,
  options: ClearOptions = {},
): Promise<SessionText | undefined> {
  const core = coreOf(manager);
  const input = core.deleteInput(id, options);
  const record = core.removed(input, await core.store.delete(input));
  return record && { version: record.version, json: toSessionJson(record, record.data ?? 'null') };
}

/**
 * {@link SessionManager.items} as text: `{"items":[…],"hasMore":…}` (each item a `SessionItem`,
 * its stored JSON never parsed) and the session's version, or `undefined` when there is no session.
 */
export async function itemsText(
  manager: SessionManager<unknown>,
  id: string,
  options: ItemsOptions = {},
): Promise<SessionText | undefined> {
  const core = coreOf(manager);
  const page = await core.store.items(itemsQuery(core, id, options));
  if (page === undefined) return undefined;
  const items = page.items.map((r) => `{"seq":${r.seq},"data":${r.data},"createdAt":"${timeText(r.createdAt)}"}`);
  return { version: page.version, json: `{"items":[${items.join(',')}],"hasMore":${page.hasMore}}` };
}
