/**
 * The subcommands of `agent-sessions`: each has its parseArgs options, its count of
 * positionals [least, most], its help text and its `run`.
 */
import { Failure, UsageError, brief, out, parseJson, progress, stdinLines, stdinText, table, whole } from './io.mjs';
import { serve } from './serve.mjs';

/** Most lines one `append` call (and one import batch) carries: the manager's batch limit. */
const BATCH = 1000;
/** Sessions an import writes at once. */
const IMPORT_WINDOW = 64;

const STORE_HELP = `
  --store URL        redis://[user:pass@]host:port[/db] or rediss://… (default: SESSION_STORE)
  --key-prefix P     the Redis key prefix (default: agent-sessions:)
  --json             machine output (JSON)
  -h, --help         this help
`;

export const USAGE = `Usage: agent-sessions <command> [options]

Commands:
  serve [--port 3000] [--host 127.0.0.1] [--store memory|lru|redis://…]   serve the /sessions HTTP API
  ls [--prefix P] [--json]            list sessions
  get ID [--json]                     show a session
  put ID [JSON] [--ttl MS] [--json]   store a session (JSON from the argument or stdin)
  rm ID [--json]                      remove a session
  items ID [--last N] [--json]        show a session's items
  append ID [--json]                  append JSON lines from stdin (1000 lines per atomic append)
  export [--prefix P]                 write sessions with their items as JSON lines to stdout
  import                              create the sessions of an export read from stdin

Every command but serve needs --store redis://… (or SESSION_STORE); --key-prefix sets the
Redis key prefix. "agent-sessions <command> --help" for more. Exit 0 on success, 1 when the
operation fails (the problem's code and detail on stderr), 2 for a usage error.
`;

export const HELP = {
  serve: `Usage: agent-sessions serve [--port N] [--host H] [--store memory|lru|redis://…] [--key-prefix P]

Serves the /sessions HTTP API until SIGINT or SIGTERM (requests in flight get 5 s).
  --port N           port to listen on (default: PORT, else 3000; 0 picks a free one)
  --host H           interface (default: HOST, else 127.0.0.1; 0.0.0.0 for every one)
  --store S          memory (default), lru or a redis:// URL (default: SESSION_STORE)
  --key-prefix P     the Redis key prefix
  -h, --help         this help
`,
  ls: `Usage: agent-sessions ls [--prefix P] [--json]

Lists the live sessions (ids from P), a table of id, version, items, updated and expires;
with --json one JSON object per line (a session without its data).
  --prefix P         only ids starting with P${STORE_HELP}`,
  get: `Usage: agent-sessions get ID [--json]

Shows session ID; exit 1 (not_found) when there is none.${STORE_HELP}`,
  put: `Usage: agent-sessions put ID [JSON] [--ttl MS] [--json]

Stores JSON (the argument, else all of stdin) as session ID's data, creating or replacing it.
  --ttl MS           idle time to live in milliseconds (default: never expires)${STORE_HELP}`,
  rm: `Usage: agent-sessions rm ID [--json]

Removes session ID with its items; exit 1 (not_found) when there is none.${STORE_HELP}`,
  items: `Usage: agent-sessions items ID [--last N] [--json]

Shows session ID's items, oldest first: a table of seq, created and data; with --json one
JSON object per line. Exit 1 (not_found) when there is no session.
  --last N           only the newest N items${STORE_HELP}`,
  append: `Usage: agent-sessions append ID [--json] < items.jsonl

Appends one item per line of stdin (JSON; blank lines skipped), creating the session if
needed. Every 1000 lines are one atomic append: a bad line stops the command with exit 1,
and the batches before it stay appended.${STORE_HELP}`,
  export: `Usage: agent-sessions export [--prefix P] > backup.jsonl

Writes each live session (ids from P) as one JSON line to stdout:
{"id","data","expiresAt","items":[item data, oldest first]}.
  --prefix P         only ids starting with P${STORE_HELP}`,
  import: `Usage: agent-sessions import [--json] < backup.jsonl

Creates each session of an export read from stdin, with its data, its remaining time to live
and its items (new seqs from 1, new timestamps). A session that already exists stops the
import with exit 1 (version_conflict); expired lines are skipped.${STORE_HELP}`,
};

function notFound(id) {
  return new Failure('not_found', `no session ${JSON.stringify(id)}`);
}

/** Every live session from `prefix`, page by page. */
async function* sessions(manager, prefix, fields) {
  let cursor;
  do {
    const page = await manager.list({ prefix, limit: 1000, fields, cursor });
    yield* page.sessions;
    cursor = page.nextCursor ?? undefined;
  } while (cursor !== undefined);
}

/** Every item of session `id`, oldest first, or `undefined` when there is no session. */
async function allItems(manager, id) {
  const items = [];
  let after = 0;
  for (;;) {
    const page = await manager.items(id, { after, limit: 1000 });
    if (page === undefined) return undefined;
    items.push(...page.items);
    if (!page.hasMore) return items;
    after = page.items[page.items.length - 1].seq;
  }
}

const when = (iso) => iso ?? 'never';

async function showSession(session, json) {
  if (json) return out(`${JSON.stringify(session)}\n`);
  const rows = [['id', session.id], ['version', session.version], ['items', session.itemCount], ['created', session.createdAt], ['updated', session.updatedAt], ['expires', when(session.expiresAt)]];
  const data = 'data' in session ? `data:\n${JSON.stringify(session.data, null, 2)}\n` : '';
  return out(`${rows.map(([k, v]) => `${k.padEnd(8)} ${v}`).join('\n')}\n${data}`);
}

async function ls({ manager, values }) {
  const meter = progress('sessions listed');
  const rows = [];
  let count = 0;
  for await (const s of sessions(manager, values.prefix ?? '', 'meta')) {
    if (values.json) await out(`${JSON.stringify(s)}\n`);
    else rows.push([s.id, s.version, s.itemCount, s.updatedAt, when(s.expiresAt)]);
    meter.tick(++count);
  }
  meter.done(count);
  if (!values.json) await out(table(['ID', 'VERSION', 'ITEMS', 'UPDATED', 'EXPIRES'], rows));
}

async function get({ manager, values, positionals: [id] }) {
  const session = await manager.get(id);
  if (session === undefined) throw notFound(id);
  await showSession(session, values.json);
}

async function put({ manager, values, positionals: [id, text] }) {
  const ttl = whole('ttl', values.ttl, 1);
  const data = parseJson(text ?? (await stdinText()), text === undefined ? 'stdin' : 'the JSON argument');
  await showSession(await manager.put(id, data, ttl === undefined ? {} : { ttl }), values.json);
}

async function rm({ manager, values, positionals: [id] }) {
  const removed = await manager.clear(id);
  if (removed === undefined) throw notFound(id);
  await out(values.json ? `${JSON.stringify({ id, removed: true, version: removed.version })}\n` : `removed ${id} (version ${removed.version}, ${removed.itemCount} items)\n`);
}

async function items({ manager, values, positionals: [id] }) {
  const last = whole('last', values.last, 1);
  let list;
  if (last === undefined) list = await allItems(manager, id);
  else {
    list = [];
    let before;
    do {
      const page = await manager.items(id, { order: 'desc', limit: Math.min(1000, last - list.length), before });
      if (page === undefined) throw notFound(id);
      list.push(...page.items);
      before = page.hasMore ? page.items[page.items.length - 1].seq : undefined;
    } while (before !== undefined && list.length < last);
    list.reverse();
  }
  if (list === undefined) throw notFound(id);
  if (values.json) await out(list.map((i) => `${JSON.stringify(i)}\n`).join(''));
  else await out(table(['SEQ', 'CREATED', 'DATA'], list.map((i) => [i.seq, i.createdAt, brief(i.data)])));
}

async function append({ manager, values, positionals: [id] }) {
  let batch = [];
  let line = 0;
  const result = { id, appended: 0, firstSeq: null, lastSeq: null, version: null };
  const flush = async () => {
    const done = await manager.append(id, batch);
    result.appended += batch.length;
    result.firstSeq ??= done.firstSeq;
    result.lastSeq = done.lastSeq;
    result.version = done.version;
    batch = [];
  };
  for await (const text of stdinLines()) {
    batch.push(parseJson(text, `line ${++line}`));
    if (batch.length === BATCH) await flush();
  }
  if (batch.length > 0) await flush();
  if (result.appended === 0) throw new UsageError('append reads items from stdin, one JSON value per line; got none');
  await out(values.json ? `${JSON.stringify(result)}\n` : `appended ${result.appended} items to ${id}: seqs ${result.firstSeq}–${result.lastSeq}, version ${result.version}\n`);
}

async function exportSessions({ manager, values }) {
  const meter = progress('sessions exported');
  let count = 0;
  let page = [];
  const flush = async () => {
    const logs = await Promise.all(page.map((s) => (s.itemCount > 0 ? allItems(manager, s.id) : [])));
    const lines = page.map((s, i) => JSON.stringify({ id: s.id, data: s.data, expiresAt: s.expiresAt, items: (logs[i] ?? []).map((item) => item.data) }));
    await out(lines.length > 0 ? `${lines.join('\n')}\n` : '');
    page = [];
  };
  for await (const s of sessions(manager, values.prefix ?? '', 'all')) {
    page.push(s);
    if (page.length === BATCH) await flush();
    meter.tick(++count);
  }
  await flush();
  meter.done(count);
}

async function importOne(manager, entry) {
  let ttl;
  if (entry.expiresAt !== null && entry.expiresAt !== undefined) {
    ttl = Date.parse(entry.expiresAt) - Date.now();
    if (!(ttl > 0)) return false;
  }
  await manager.put(entry.id, entry.data ?? null, { ttl, ifVersion: 0 });
  const list = entry.items ?? [];
  for (let i = 0; i < list.length; i += BATCH) await manager.append(entry.id, list.slice(i, i + BATCH), { ttl });
  return true;
}

async function importSessions({ manager, values }) {
  const meter = progress('sessions imported');
  const counts = { imported: 0, skipped: 0 };
  const inFlight = new Set();
  let line = 0;
  let failed;
  for await (const text of stdinLines()) {
    const entry = parseJson(text, `line ${++line}`);
    if (typeof entry?.id !== 'string' || !Array.isArray(entry.items ?? [])) throw new Failure('invalid_json', `line ${line} is not an exported session ({"id","data","expiresAt","items"})`);
    const task = importOne(manager, entry).then(
      (written) => void (written ? counts.imported++ : counts.skipped++),
      (err) => void (failed ??= err),
    );
    inFlight.add(task);
    void task.then(() => inFlight.delete(task));
    if (inFlight.size >= IMPORT_WINDOW) await Promise.race(inFlight);
    if (failed) break;
    meter.tick(counts.imported);
  }
  await Promise.all(inFlight);
  meter.done(counts.imported);
  if (failed) throw failed;
  await out(values.json ? `${JSON.stringify(counts)}\n` : `imported ${counts.imported} sessions (${counts.skipped} expired, skipped)\n`);
}

async function serveCommand({ manager, label, values, fail }) {
  const port = values.port ?? process.env.PORT;
  const portNumber = port === undefined || port === '' ? 3000 : whole('port', port, 0);
  if (portNumber > 65535) throw new UsageError(`--port must be a whole number from 0 to 65535; got ${JSON.stringify(port)}`);
  await serve({ manager, label, port: portNumber, host: values.host ?? (process.env.HOST || '127.0.0.1'), fail });
}

export const COMMANDS = {
  serve: { args: [0, 0], options: { port: { type: 'string' }, host: { type: 'string' } }, run: serveCommand },
  ls: { args: [0, 0], options: { prefix: { type: 'string' } }, run: ls },
  get: { args: [1, 1], options: {}, run: get },
  put: { args: [1, 2], options: { ttl: { type: 'string' } }, run: put },
  rm: { args: [1, 1], options: {}, run: rm },
  items: { args: [1, 1], options: { last: { type: 'string' } }, run: items },
  append: { args: [1, 1], options: {}, run: append },
  export: { args: [0, 0], options: { prefix: { type: 'string' } }, run: exportSessions },
  import: { args: [0, 0], options: {}, run: importSessions },
};
