import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

// `npm test` builds first (the pretest script), so dist/ is what a user would install.
const dist = new URL('../dist/', import.meta.url);

function loaded(code: string): string[] {
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', code], { encoding: 'utf8' });
  return JSON.parse(out) as string[];
}

describe('the built package', () => {
  it('has been built', () => {
    expect(existsSync(new URL('index.js', dist))).toBe(true);
  });

  it('importing agent-sessions pulls in no package at all: neither ioredis nor lru-cache (ESM)', () => {
    // ESM has no module cache to read: follow the import graph of the built entry instead.
    const specs = loaded(`
      import { readFileSync } from 'node:fs';
      const entry = ${JSON.stringify(new URL('index.js', dist).href)};
      await import(entry);
      const seen = new Set();
      const bare = new Set();
      const walk = (url) => {
        if (seen.has(url)) return;
        seen.add(url);
        for (const m of readFileSync(new URL(url), 'utf8').matchAll(/(?:from|import)\\s*\\(?\\s*["']([^"']+)["']/g)) {
          if (m[1].startsWith('.')) walk(new URL(m[1], url).href);
          else bare.add(m[1]);
        }
      };
      walk(entry);
      console.log(JSON.stringify([...bare].filter((s) => !s.startsWith('node:'))));
    `);
    expect(specs).toEqual([]);
  });

  it('requiring agent-sessions loads neither ioredis nor lru-cache (CommonJS)', () => {
    const out = execFileSync(
      process.execPath,
      ['-e', `require(${JSON.stringify(new URL('index.cjs', dist).pathname)}); console.log(JSON.stringify(Object.keys(require.cache)))`],
      { encoding: 'utf8' },
    );
    const files = JSON.parse(out) as string[];
    expect(files.some((f) => f.includes('dist/index.cjs'))).toBe(true);
    expect(files.filter((f) => f.includes('node_modules'))).toEqual([]);
  });

  it('shares one SessionError class between entries, so instanceof holds', async () => {
    const core = await import(new URL('index.js', dist).href);
    const lru = await import(new URL('lru.js', dist).href);
    const sessions = new core.SessionManager({ store: new lru.LruStore({ maxBytes: 10 }) });
    const err = await sessions.put('k', 'x'.repeat(50)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(core.PayloadTooLargeError);
    expect(err).toBeInstanceOf(core.SessionError);
  });

  it('a process with expiring sessions in a MemoryStore or LruStore exits by itself, closed or not', () => {
    // execFileSync throws if the child is still running after `timeout` (a timer holding it open).
    for (const close of [false, true]) {
      execFileSync(
        process.execPath,
        [
          '--input-type=module',
          '-e',
          `
            const { SessionManager } = await import(${JSON.stringify(new URL('index.js', dist).href)});
            const { LruStore } = await import(${JSON.stringify(new URL('lru.js', dist).href)});
            for (const store of [undefined, new LruStore()]) {
              const sessions = new SessionManager({ store, ttl: 3_600_000 });
              await sessions.put('a', 1);
              if (${close}) await sessions.close();
            }
          `,
        ],
        { timeout: 10_000 },
      );
    }
  });
});
