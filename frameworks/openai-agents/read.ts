/**
 * How `AgentsSession` reads its history from the item log: the newest items, page by page,
 * all at one version of the log.
 *
 * @module
 */
import { VersionConflictError } from '../../src/errors.js';
import type { SessionManager } from '../../src/manager.js';
import { decode } from './codec.js';

/** The largest page the manager serves. */
export const PAGE = 1000;
/** How often a read or a replace starts again when another writer changed the log meanwhile. */
export const ATTEMPTS = 10;

/** Items oldest first, read at `version` (0: no session), or `'changed'` when the version moved between pages. */
type Read = { items: unknown[]; version: number } | 'changed';

/**
 * The newest `cap` items of session `id` (all of them for `Infinity`), oldest first and
 * decoded, all read at `version` (0: no session). A read that sees the version move starts
 * again, at most {@link ATTEMPTS} times, then fails with a `VersionConflictError`.
 */
export async function readLog(manager: SessionManager<unknown, unknown>, id: string, cap: number): Promise<{ items: unknown[]; version: number }> {
  for (let attempt = 1; ; attempt++) {
    const read = await (cap === Infinity ? readAll(manager, id) : readNewest(manager, id, cap));
    if (read !== 'changed') return { items: read.items.map(decode), version: read.version };
    if (attempt === ATTEMPTS) throw new VersionConflictError(`session ${id} kept changing while its history was read; try again`, 0);
  }
}

/** Every item oldest first. */
async function readAll(manager: SessionManager<unknown, unknown>, id: string): Promise<Read> {
  const out: unknown[] = [];
  let after = 0;
  let version: number | undefined;
  for (;;) {
    const page = await manager.items(id, { after, limit: PAGE });
    if (!page) return version === undefined ? { items: [], version: 0 } : 'changed';
    if (version !== undefined && page.version !== version) return 'changed';
    version = page.version;
    for (const item of page.items) out.push(item.data);
    if (!page.hasMore || page.items.length === 0) return { items: out, version };
    after = page.items[page.items.length - 1]!.seq;
  }
}

/** The newest `count` items oldest first. */
async function readNewest(manager: SessionManager<unknown, unknown>, id: string, count: number): Promise<Read> {
  const out: unknown[] = [];
  let before: number | undefined;
  let version: number | undefined;
  while (out.length < count) {
    const page = await manager.items(id, { before, order: 'desc', limit: Math.min(PAGE, count - out.length) });
    if (!page) return version === undefined ? { items: [], version: 0 } : 'changed';
    if (version !== undefined && page.version !== version) return 'changed';
    version = page.version;
    for (const item of page.items) out.push(item.data);
    if (!page.hasMore || page.items.length === 0) break;
    before = page.items[page.items.length - 1]!.seq;
  }
  return { items: out.reverse(), version: version ?? 0 };
}
