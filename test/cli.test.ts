/**
 * The `agent-sessions` command as a shell user runs it: the built bin as a child process
 * against the real Redis, under a key prefix of its own (removed at the end).
 */
import { execFileSync, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, inject, it } from 'vitest';
import pkg from '../package.json' with { type: 'json' };

const root = fileURLToPath(new URL('../', import.meta.url));
const bin = 'bin/agent-sessions.mjs';
const redisUrl = inject('redisUrl');
const run = randomUUID().slice(0, 8);
const keyPrefix = `cli-test-${run}:`;

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the bin with `args` (and `input` on stdin) and waits for it to exit. */
function cli(args: string[], input = '', env: Record<string, string> = {}): Promise<Result> {
  const child = spawn(process.execPath, [bin, ...args], {
    cwd: root,
    env: { ...process.env, SESSION_STORE: redisUrl ?? '', ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdin.end(input);
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

/** `cli` under this run's key prefix (or `prefix`). */
const at = (args: string[], input?: string, prefix = keyPrefix) => cli([...args, '--key-prefix', prefix], input);

/** Pipes `export` under one key prefix into `import` under another; both exit codes. */
function pipeExport(from: string, to: string): Promise<[number | null, Result]> {
  const exporter = spawn(process.execPath, [bin, 'export', '--key-prefix', from], {
    cwd: root,
    env: { ...process.env, SESSION_STORE: redisUrl ?? '' },
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const importer = spawn(process.execPath, [bin, 'import', '--json', '--key-prefix', to], {
    cwd: root,
    env: { ...process.env, SESSION_STORE: redisUrl ?? '' },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  exporter.stdout.pipe(importer.stdin);
  let stdout = '';
  let stderr = '';
  importer.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  importer.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exported = new Promise<number | null>((resolve) => exporter.on('close', resolve));
  const imported = new Promise<Result>((resolve) => importer.on('close', (code) => resolve({ code, stdout, stderr })));
  return Promise.all([exported, imported]);
}

describe('the agent-sessions bin in the package', () => {
  it('is the package bin, and npm pack ships it with the modules it imports', () => {
    expect(pkg.bin).toEqual({ 'agent-sessions': bin });
    const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
    const [packed] = JSON.parse(execFileSync(npm, ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: root, encoding: 'utf8' })) as [{ files: { path: string }[] }];
    const files = packed.files.map((f) => f.path).filter((f) => f.startsWith('bin/'));
    expect(files.sort()).toEqual(['bin/agent-sessions.mjs', 'bin/commands.mjs', 'bin/io.mjs', 'bin/serve.mjs']);
  });
});

describe.runIf(redisUrl)('agent-sessions (bin) against Redis', () => {
  afterAll(async () => {
    const redis = new Redis(redisUrl!);
    const stream = redis.scanStream({ match: `cli-test-${run}*`, count: 1000 });
    for await (const keys of stream) if ((keys as string[]).length > 0) await redis.unlink(...(keys as string[]));
    await redis.quit();
  });

  it('put, get, ls, items, append and rm: their output and exit 0', async () => {
    const put = await at(['put', 'user-1:a', '{"messages":["hi"]}', '--ttl', '60000', '--json']);
    expect(put).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(put.stdout)).toMatchObject({ id: 'user-1:a', data: { messages: ['hi'] }, version: 1, itemCount: 0 });
    expect(JSON.parse(put.stdout).expiresAt).not.toBeNull();

    const fromStdin = await at(['put', 'user-1:b'], '{"n":2}\n');
    expect(fromStdin.code).toBe(0);
    expect(fromStdin.stdout).toMatch(/^id {7}user-1:b\nversion  1\n[\s\S]*data:\n\{\n {2}"n": 2\n\}\n$/);

    const got = await at(['get', 'user-1:a', '--json']);
    expect(got.code).toBe(0);
    expect(JSON.parse(got.stdout).data).toEqual({ messages: ['hi'] });

    const appended = await at(['append', 'user-1:a', '--json'], '{"role":"user"}\n\n"two"\n3\n');
    expect(appended.code).toBe(0);
    expect(JSON.parse(appended.stdout)).toEqual({ id: 'user-1:a', appended: 3, firstSeq: 1, lastSeq: 3, version: 2 });

    const items = await at(['items', 'user-1:a', '--json']);
    expect(items.stdout.trim().split('\n').map((l) => JSON.parse(l).data)).toEqual([{ role: 'user' }, 'two', 3]);
    const last = await at(['items', 'user-1:a', '--last', '2']);
    expect(last.stdout.split('\n')[0]).toMatch(/^SEQ +CREATED +DATA$/);
    expect(last.stdout.trim().split('\n').slice(1).map((l) => l.split(/ +/)[0])).toEqual(['2', '3']);

    const table = await at(['ls', '--prefix', 'user-1:']);
    expect(table.code).toBe(0);
    const lines = table.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^ID +VERSION +ITEMS +UPDATED +EXPIRES$/);
    expect(lines.slice(1).map((l) => l.split(/ +/).slice(0, 3))).toEqual([['user-1:a', '2', '3'], ['user-1:b', '1', '0']]);
    const json = await at(['ls', '--prefix', 'user-1:a', '--json']);
    expect(json.stdout.trim().split('\n').map((l) => JSON.parse(l))).toEqual([expect.objectContaining({ id: 'user-1:a', itemCount: 3 })]);

    const removed = await at(['rm', 'user-1:b']);
    expect(removed).toMatchObject({ code: 0, stdout: 'removed user-1:b (version 1, 0 items)\n' });
    expect((await at(['ls', '--prefix', 'user-1:', '--json'])).stdout.trim().split('\n')).toHaveLength(1);
  });

  it('serve --port 0 --store redis://… serves the API under --key-prefix and exits 0 on SIGINT', async () => {
    const child = spawn(process.execPath, [bin, 'serve', '--port', '0', '--store', redisUrl!, '--key-prefix', keyPrefix], {
      cwd: root,
      env: { ...process.env, SESSION_STORE: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    const url = await new Promise<string>((resolve) => {
      let out = '';
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        const match = /serving (http:\/\/127\.0\.0\.1:\d+)\/sessions over the Redis store/.exec(out);
        if (match) resolve(match[1]!);
      });
    });
    const response = await fetch(`${url}/sessions/served`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: '{"data":7}' });
    expect(response.status).toBe(200);
    expect(JSON.parse((await at(['get', 'served', '--json'])).stdout).data).toBe(7);
    child.kill('SIGINT');
    expect(await exited).toBe(0);
  });

  it('a missing session is exit 1 with not_found on stderr, for get, rm and items', async () => {
    for (const command of ['get', 'rm', 'items']) {
      const result = await at([command, 'nobody-here']);
      expect(result).toEqual({ code: 1, stdout: '', stderr: `agent-sessions ${command}: not_found: no session "nobody-here"\n` });
    }
  });

  it('a failed operation is exit 1 with the problem code: bad JSON, a bad id, a bad append line', async () => {
    expect(await at(['put', 'x', '{nope'])).toMatchObject({ code: 1, stderr: expect.stringMatching(/^agent-sessions put: invalid_json: the JSON argument is not JSON/) });
    expect(await at(['put', 'a b', '1'])).toMatchObject({ code: 1, stderr: expect.stringMatching(/^agent-sessions put: invalid_identifier: /) });
    const bad = await at(['append', 'bad-line', '--json'], '1\n{oops\n');
    expect(bad).toMatchObject({ code: 1, stderr: expect.stringMatching(/invalid_json: line 2 is not JSON/) });
    expect((await at(['get', 'bad-line'])).code).toBe(1); // the batch with the bad line appended nothing
    expect(await cli(['ls'], '', { SESSION_STORE: 'mongo' })).toMatchObject({ code: 2 });
  });

  it('usage errors are exit 2 with the subcommand help on stderr', async () => {
    const cases = [
      ['get'],
      ['get', 'a', 'b'],
      ['ls', '--bogus'],
      ['items', 'a', '--last', 'ten'],
      ['put', 'a', '1', '--ttl', '-5'],
      ['ls', '--store', 'mongo'],
      ['serve', '--port', '70000'],
    ];
    for (const args of cases) {
      const result = await at(args);
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.stdout).toBe('');
      expect(result.stderr).toContain(`Usage: agent-sessions ${args[0]}`);
    }
    expect(await cli(['frobnicate'])).toMatchObject({ code: 2, stderr: expect.stringContaining('unknown command "frobnicate"') });
    expect((await cli([])).code).toBe(2);
    expect((await cli(['ls'], '', { SESSION_STORE: '' })).stderr).toContain('ls needs --store redis://');
    expect((await at(['append', 'a'], '')).code).toBe(2);
  });

  it('--help on each subcommand prints its usage and exits 0', async () => {
    for (const name of ['serve', 'ls', 'get', 'put', 'rm', 'items', 'append', 'export', 'import']) {
      const result = await cli([name, '--help']);
      expect(result).toMatchObject({ code: 0, stderr: '' });
      expect(result.stdout).toMatch(new RegExp(`^Usage: agent-sessions ${name}\\b`));
    }
    const top = await cli(['--help']);
    expect(top.code).toBe(0);
    expect(top.stdout).toContain('Commands:');
  });

  it('import refuses a session that exists (exit 1, version_conflict) and skips expired ones', async () => {
    const prefix = `cli-test-${run}-conflict:`;
    const lines = [
      { id: 'c1', data: 1, expiresAt: null, items: [] },
      { id: 'gone', data: 2, expiresAt: '2000-01-01T00:00:00.000Z', items: [] },
    ].map((l) => JSON.stringify(l)).join('\n');
    expect(JSON.parse((await at(['import', '--json'], lines, prefix)).stdout)).toEqual({ imported: 1, skipped: 1 });
    expect(await at(['import'], lines, prefix)).toMatchObject({ code: 1, stderr: expect.stringContaining('version_conflict') });
  });

  it('export | import round-trips 100,000 sessions with items; the two exports are the same', async () => {
    const from = `cli-test-${run}-from:`;
    const to = `cli-test-${run}-to:`;
    const count = 100_000;
    let backup = '';
    for (let i = 0; i < count; i++) {
      const id = `s-${String(i).padStart(6, '0')}`;
      const items = i % 10 === 0 ? [{ role: 'user', n: i }, 'reply', i] : [];
      backup += `${JSON.stringify({ id, data: { n: i, tag: 'x' }, expiresAt: i % 1000 === 0 ? '2999-01-01T00:00:00.000Z' : null, items })}\n`;
    }
    const seeded = await at(['import', '--json'], backup, from);
    expect(seeded.code).toBe(0);
    expect(JSON.parse(seeded.stdout)).toEqual({ imported: count, skipped: 0 });

    const [exportCode, imported] = await pipeExport(from, to);
    expect(exportCode).toBe(0);
    expect(imported.code).toBe(0);
    expect(JSON.parse(imported.stdout)).toEqual({ imported: count, skipped: 0 });
    // The import lasts over a second: its progress line on stderr.
    expect(imported.stderr).toContain(`${count} sessions imported, done`);

    const [a, b] = await Promise.all([at(['export'], '', from), at(['export'], '', to)]);
    expect(a.code).toBe(0);
    // expiresAt is recomputed from the remaining ttl on import: compare it apart.
    const strip = (text: string) => text.replace(/"expiresAt":"[^"]+"/g, '"expiresAt":"set"');
    expect(strip(b.stdout)).toBe(strip(a.stdout));
    expect(strip(a.stdout)).toBe(strip(backup));
    const sample = a.stdout.split('\n')[4_000]!;
    expect(JSON.parse(sample)).toEqual({ id: 's-004000', data: { n: 4000, tag: 'x' }, expiresAt: expect.any(String), items: [{ role: 'user', n: 4000 }, 'reply', 4000] });
    expect(Date.parse(JSON.parse(sample).expiresAt)).toBeGreaterThan(Date.parse('2998-12-31T00:00:00.000Z'));
  }, 120_000);
});
