/**
 * agent-sessions/adk as built (`npm test` builds first): it loads `@google/adk` and no other
 * package, and no other entry loads it.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const dist = new URL('../../dist/', import.meta.url);

/** The bare specifiers (packages) the built ESM file `entry` reaches through its own chunks. */
function packages(entry: string): string[] {
  const seen = new Set<string>();
  const bare = new Set<string>();
  const walk = (url: URL) => {
    if (seen.has(url.href)) return;
    seen.add(url.href);
    for (const [, spec] of readFileSync(url, 'utf8').matchAll(/(?:from|import)\s*\(?\s*["']([^"']+)["']/g)) {
      if (spec!.startsWith('.')) walk(new URL(spec!, url));
      else bare.add(spec!);
    }
  };
  walk(new URL(entry, dist));
  return [...bare].sort();
}

describe('the built agent-sessions/adk entry', () => {
  it('imports @google/adk and no other package (ESM)', () => {
    expect(packages('adk.js')).toEqual(['@google/adk']);
  });

  it('is loaded by no other entry', () => {
    for (const entry of ['index.js', 'lru.js', 'redis.js', 'http.js']) {
      expect(packages(entry), entry).not.toContain('@google/adk');
    }
  });

  it('requires @google/adk and nothing else (CommonJS)', () => {
    const requires = [...readFileSync(new URL('adk.cjs', dist), 'utf8').matchAll(/require\(["']([^"'.][^"']*)["']\)/g)].map((m) => m[1]);
    expect([...new Set(requires)]).toEqual(['@google/adk']);
  });
});
