#!/usr/bin/env node
/**
 * The `agent-sessions` command: `serve` the HTTP API, or work on a store's sessions from a
 * shell (`ls`, `get`, `put`, `rm`, `items`, `append`, `export`, `import`). See docs/cli.md.
 * Exit 0 on success, 1 when the operation fails (the problem's code and detail on stderr),
 * 2 for a usage error.
 */
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { COMMANDS, HELP, USAGE } from './commands.mjs';
import { Failure, UsageError } from './io.mjs';

const COMMON = {
  help: { type: 'boolean', short: 'h' },
  store: { type: 'string' },
  'key-prefix': { type: 'string' },
  json: { type: 'boolean' },
};

/** Hides a password in a store URL before it is shown. */
function redact(url) {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return 'redis';
  }
}

/** Opens the store `spec` (from --store when `fromFlag`, else SESSION_STORE) names: memory, lru or a redis:// URL. */
async function openStore(spec, keyPrefix, fromFlag) {
  const value = (spec ?? '').trim();
  if (keyPrefix !== undefined && !/^rediss?:\/\//i.test(value)) throw new UsageError('--key-prefix needs a redis:// store');
  if (value === '' || value === 'memory') {
    const { MemoryStore } = await import('agent-sessions');
    return { store: new MemoryStore(), label: 'memory store' };
  }
  if (value === 'lru') {
    const { LruStore } = await import('agent-sessions/lru');
    return { store: new LruStore(), label: 'LRU store' };
  }
  if (/^rediss?:\/\//i.test(value)) {
    const { RedisStore } = await import('agent-sessions/redis');
    const options = keyPrefix === undefined ? { url: value } : { url: value, prefix: keyPrefix };
    return { store: new RedisStore(options), label: `Redis store at ${redact(value)}` };
  }
  // A bad flag is a usage error; a bad environment is a failure to open the store.
  const problem = `must be memory, lru or a redis:// URL; got ${JSON.stringify(value)}`;
  throw fromFlag ? new UsageError(`--store ${problem}`) : new Failure('invalid_store', `SESSION_STORE ${problem}`);
}

function fail(message) {
  console.error(`agent-sessions: ${message}`);
  process.exit(1);
}

/**
 * Runs the command line `argv` (without node and the script) and resolves to the exit code;
 * `serve` never resolves (its signals end the process).
 * @param {string[]} argv
 * @returns {Promise<number>}
 */
export async function run(argv) {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(USAGE);
    return name === undefined ? 2 : 0;
  }
  const command = COMMANDS[name];
  if (command === undefined) {
    console.error(`agent-sessions: unknown command ${JSON.stringify(name)}\n\n${USAGE}`);
    return 2;
  }
  let manager;
  let serving = false;
  try {
    const { values, positionals } = parseArgs({
      args: rest,
      options: { ...COMMON, ...command.options },
      allowPositionals: true,
      strict: true,
    });
    if (values.help) {
      process.stdout.write(HELP[name]);
      return 0;
    }
    if (positionals.length < command.args[0] || positionals.length > command.args[1]) {
      throw new UsageError(`${name} takes ${command.args[0] === command.args[1] ? command.args[0] : `${command.args[0]} to ${command.args[1]}`} argument(s); got ${positionals.length}`);
    }
    const spec = values.store ?? process.env.SESSION_STORE;
    if (name !== 'serve' && !/^rediss?:\/\//i.test((spec ?? '').trim())) {
      throw new UsageError(`${name} needs --store redis://… (or SESSION_STORE): a memory store starts empty`);
    }
    const opened = await openStore(spec, values['key-prefix'], values.store !== undefined);
    const { SessionManager } = await import('agent-sessions');
    manager = new SessionManager({ store: opened.store });
    if (name === 'serve') {
      await command.run({ manager, label: opened.label, values, positionals, fail });
      serving = true;
      return await new Promise(() => {});
    }
    await command.run({ manager, values, positionals });
    return 0;
  } catch (err) {
    if (err instanceof UsageError || err?.code?.startsWith?.('ERR_PARSE_ARGS')) {
      console.error(`agent-sessions ${name}: ${err.message}\n\n${HELP[name]}`);
      return 2;
    }
    console.error(`agent-sessions ${name}: ${err?.code ?? 'error'}: ${err?.message ?? err}`);
    return 1;
  } finally {
    if (!serving) await manager?.close().catch(() => {});
  }
}

const invoked = process.argv[1] && realpathSync(process.argv[1]);
if (invoked === realpathSync(fileURLToPath(import.meta.url))) {
  const code = await run(process.argv.slice(2));
  process.exitCode = code;
}
