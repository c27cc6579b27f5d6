/**
 * The workload: agent conversations of about 1 KB of JSON (a few fields and five messages),
 * with ids shaped like `user-42:thread-7`. Deterministic, so every subject sees the same data.
 */

/** A small seeded PRNG (mulberry32), so runs are repeatable. */
export function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Shuffles `items` in place with `random`. */
export function shuffle(items, random) {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j], items[i]];
  }
  return items;
}

/** `n` distinct session ids, in a random order; `tag` keeps sets apart (hits vs misses). */
export function makeIds(n, tag = 't', seed = 1) {
  const ids = [];
  for (let i = 0; i < n; i++) ids.push(`user-${i % 997}:${tag}hread-${i}`);
  return shuffle(ids, prng(seed));
}

const WORDS = 'the agent read a file then asked which branch to deploy and the user said main after the tests pass'.split(' ');

function sentence(random, length) {
  let s = '';
  while (s.length < length) s += `${WORDS[Math.floor(random() * WORDS.length)]} `;
  return s.slice(0, length).trimEnd();
}

/** The data of session number `i` (about 1 KB as JSON); `turn` varies it for overwrites. */
export function sessionData(i, turn = 5) {
  const random = prng(i * 31 + turn);
  const messages = [
    { role: 'system', content: sentence(random, 100) },
    { role: 'user', content: sentence(random, 110), at: 1_732_000_000_000 + i },
    { role: 'assistant', content: sentence(random, 150), tokens: 212 },
    { role: 'user', content: sentence(random, 80), at: 1_732_000_060_000 + i },
    { role: 'assistant', content: sentence(random, 140), tokens: 187, toolCalls: [{ name: 'search', args: { q: 'deploy' } }] },
  ];
  return {
    agent: 'support-assistant',
    model: 'model-large-2025-01',
    userId: `user-${i % 997}`,
    title: sentence(random, 30),
    turn,
    totalTokens: 1200 + (i % 500),
    tags: ['deploy', 'ci'],
    messages,
  };
}

/** Builds `n` data values for ids in order (built before timing, shared by all subjects). */
export function makeData(n, turn = 5) {
  const out = new Array(n);
  for (let i = 0; i < n; i++) out[i] = sessionData(i, turn);
  return out;
}
