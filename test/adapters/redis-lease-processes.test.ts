/**
 * Leases across real processes on one Redis: mutual exclusion of 8 processes looping
 * `withLease`, and the stale writer (a holder SIGSTOPped past its ttl, then resumed, writing
 * with its old fence) refused every time. The children are test/adapters/redis-lease-child.ts.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { RedisStore } from '../../adapters/redis/index.js';
import { SessionManager } from '../../src/index.js';
import { bundleLeaseChild, checkExclusive, LeaseWorker, runExclusive, staleWriter } from '../helpers/redis-lease-processes.js';
import { removePrefix, uniquePrefix } from './redis-helpers.js';

const url = inject('redisUrl');

describe.skipIf(!url)('RedisStore leases across processes', () => {
  const dir = mkdtempSync(join(tmpdir(), 'agent-sessions-lease-child-'));
  const prefix = uniquePrefix('leases');
  let child: string;
  let client: Redis;
  let sessions: SessionManager;

  beforeAll(async () => {
    child = await bundleLeaseChild(dir);
    client = new Redis(url!);
    sessions = new SessionManager({ store: new RedisStore({ client, prefix }) });
  });

  afterAll(async () => {
    await sessions?.close();
    await removePrefix(client, prefix);
    client?.disconnect();
    rmSync(dir, { recursive: true, force: true });
  });

  it('8 processes × 25 withLease sections (read, sleep, write + 1 with the fence): the counter ends at exactly 200, no two sections overlap, fences increase', async () => {
    const logs = await runExclusive(child, { url: url!, prefix, id: 'counter' }, 8, 25);
    checkExclusive(logs, 200);
    expect(await sessions.get('counter')).toMatchObject({ data: 200, version: 200 });
  }, 160_000);

  it('the stale writer: a holder SIGSTOPped past its ttl, resumed, writing with its old fence, is refused with FencedError 20 times out of 20; nothing it wrote lands', async () => {
    const job = { url: url!, prefix, id: 'stale' };
    const [holder, other] = [new LeaseWorker(child, job), new LeaseWorker(child, job)];
    try {
      const rounds = await staleWriter(holder, other, () => sessions.get('stale') as never, 20);
      const landed = rounds.filter((r) => r.stale.error !== 'FencedError' || r.after?.data !== r.written.data);
      expect(landed).toEqual([]);
      for (const r of rounds) {
        expect(r.stale).toMatchObject({ error: 'FencedError', code: 'fenced' });
        expect(r.after).toMatchObject({ data: r.written.data, version: r.written.version });
        expect(r.fences[1]).toBeGreaterThan(r.fences[0]);
      }
      const fences = rounds.flatMap((r) => r.fences);
      expect(fences.every((f, i) => i === 0 || f > fences[i - 1]!)).toBe(true); // across processes
    } finally {
      await Promise.all([holder.exit(), other.exit()]);
    }
  }, 120_000);
});
