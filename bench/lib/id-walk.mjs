/**
 * "List every id" for our library: a cursor walk of `manager.list` in pages of 1,000 (the
 * most a page may hold). The library has no ids-only walk yet, so this asks once for
 * `fields: 'id'` and falls back to `fields: 'meta'` (sessions without data, the cheapest
 * listing it has today) when the manager refuses it as a bad option. `fields` says which
 * was used, so results never pass a meta walk off as an id walk.
 */
const PAGE = 1000;

/** The ids of one page, whatever shape an ids-only page takes (ids, or sessions holding one). */
const idsOf = (page) => page.ids ?? page.sessions.map((s) => (typeof s === 'string' ? s : s.id));

export async function idWalker(manager) {
  let fields = 'id';
  try {
    await manager.list({ limit: 1, fields });
  } catch (err) {
    if (err?.code !== 'invalid_argument') throw err;
    fields = 'meta';
  }
  return {
    fields,
    /** Every id, in id order. */
    async all() {
      const ids = [];
      let cursor;
      do {
        const page = await manager.list({ limit: PAGE, cursor, fields });
        for (const id of idsOf(page)) ids.push(id);
        cursor = page.nextCursor ?? undefined;
      } while (cursor);
      return ids;
    },
  };
}
