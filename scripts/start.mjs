#!/usr/bin/env node
/**
 * `npm start`: `agent-sessions serve` (bin/agent-sessions.mjs) from a checkout.
 *
 *   PORT           port to listen on (default 3000; 0 picks a free one)
 *   HOST           interface to listen on (default 127.0.0.1; 0.0.0.0 for every interface)
 *   SESSION_STORE  memory (default) | lru | redis://[user:pass@]host:port[/db] | rediss://…
 *
 * Builds dist/ first when it is missing or older than the sources. Logs one line with the
 * URL. See bin/serve.mjs for the request deadlines and the clean shutdown on SIGINT/SIGTERM.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

function fail(message) {
  console.error(`agent-sessions: ${message}`);
  process.exit(1);
}

/** The newest modification time (ms) of a file, or of any file under a directory. */
function newest(path) {
  if (!existsSync(path)) return 0;
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let time = 0;
  for (const entry of readdirSync(path)) time = Math.max(time, newest(join(path, entry)));
  return time;
}

/** Runs the build (tsup) when an entry of dist/ is missing or older than a source. */
function ensureBuilt() {
  const outputs = ['index.js', 'lru.js', 'redis.js', 'http.js'].map((f) => join(root, 'dist', f));
  const built = outputs.every((f) => existsSync(f)) ? Math.min(...outputs.map((f) => statSync(f).mtimeMs)) : 0;
  const sources = Math.max(newest(join(root, 'src')), newest(join(root, 'adapters')), newest(join(root, 'tsup.config.ts')));
  if (built >= sources) return;
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const result = spawnSync(npm, ['run', '--silent', 'build'], { cwd: root, encoding: 'utf8', shell: process.platform === 'win32' });
  if (result.status !== 0) {
    process.stderr.write(`${result.stdout ?? ''}${result.stderr ?? ''}`);
    fail(`the build failed (npm run build exited ${result.status ?? result.signal ?? result.error?.message})`);
  }
}

ensureBuilt();
const { run } = await import('../bin/agent-sessions.mjs');
process.exitCode = await run(['serve']);
