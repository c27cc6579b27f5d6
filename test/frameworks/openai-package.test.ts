/**
 * The built `agent-sessions/openai-agents` entry (`npm test` builds dist/ first): loading it
 * loads no package — not the SDK (whose types alone it uses), not another framework, not a
 * store's client — and its errors are the core's classes.
 */
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

const dist = new URL('../../dist/', import.meta.url);

describe('the built openai-agents entry', () => {
  it('requiring it loads nothing from node_modules: no SDK, no other framework (CommonJS)', () => {
    const out = execFileSync(
      process.execPath,
      ['-e', `require(${JSON.stringify(new URL('openai-agents.cjs', dist).pathname)}); console.log(JSON.stringify(Object.keys(require.cache)))`],
      { encoding: 'utf8' },
    );
    const files = JSON.parse(out) as string[];
    expect(files.some((f) => f.endsWith('dist/openai-agents.cjs'))).toBe(true);
    expect(files.filter((f) => f.includes('node_modules'))).toEqual([]);
  });

  it('its errors are the core entry\'s classes, so instanceof holds across entries', async () => {
    const core = await import(new URL('index.js', dist).href);
    const { AgentsSession } = await import(new URL('openai-agents.js', dist).href);
    const session = new AgentsSession(new core.SessionManager(), 'chat-1');
    const err = await session.applyHistoryTransaction({ operationId: '', transaction: { type: 'append_items', items: [] } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(core.InvalidArgumentError);
    expect(() => new AgentsSession(new core.SessionManager(), 'no spaces')).toThrow(core.InvalidIdentifierError);
  });
});
