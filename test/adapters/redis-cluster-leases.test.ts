/**
 * Leases across real processes on a Redis Cluster (3 masters, no replica) that this file
 * starts: mutual exclusion of 8 processes looping `withLease`, and the stale writer refused
 * every time. The children (test/adapters/redis-lease-child.ts) each open their own Cluster
 * client.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisStore } from '../../adapters/redis/index.js';
import { SessionManager } from '../../src/index.js';
import { startRedisCluster, type RedisCluster } from '../helpers/redis-cluster.js';
import { bundleLeaseChild, checkExclusive, LeaseWorker, runExclusive, staleWriter } from '../helpers/redis-lease-processes.js';
import { hasRedisServer } from '../helpers/redis-server.js';

const available = hasRedisServer();
if (!available && process.env.CI) throw new Error('the Redis Cluster lease tests need a redis-server binary on the PATH under CI');

describe.skipIf(!available)('RedisStore leases across processes on a Redis Cluster', () => {
  const dir = mkdtempSync(join(tmpdir(), 'agent-sessions-cluster-lease-child-'));
  const prefix = `as-${randomBytes(4).toString('hex')}:`;
  let cluster: RedisCluster;
  let client: Cluster;
  let sessions: SessionManager;
  let child: string;
  let ports: number[];

  beforeAll(async () => {
    [cluster, child] = await Promise.all([startRedisCluster({ replicas: 0 }), bundleLeaseChild(dir)]);
    ports = cluster.startupNodes.map((n) => n.port);
    client = new Cluster(cluster.startupNodes);
    sessions = new SessionManager({ store: new RedisStore({ client, prefix }) });
  }, 60_000);

  afterAll(async () => {
    await sessions?.close();
    client?.disconnect();
    await cluster?.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  it('8 processes × 25 withLease sections (read, sleep, write + 1 with the fence): the counter ends at exactly 200, no two sections overlap, fences increase', async () => {
    const logs = await runExclusive(child, { ports, prefix, id: 'counter' }, 8, 25);
    checkExclusive(logs, 200);
    expect(await sessions.get('counter')).toMatchObject({ data: 200, version: 200 });
  }, 160_000);

  it('the stale writer: a holder SIGSTOPped past its ttl, resumed, writing with its old fence, is refused with FencedError 20 times out of 20; nothing it wrote lands', async () => {
    const job = { ports, prefix, id: 'stale' };
    const [holder, other] = [new LeaseWorker(child, job), new LeaseWorker(child, job)];
    try {
      const rounds = await staleWriter(holder, other, () => sessions.get('stale') as never, 20);
      const landed = rounds.filter((r) => r.stale.error !== 'FencedError' || r.after?.data !== r.written.data);
      expect(landed).toEqual([]);
      for (const r of rounds) {
        expect(r.stale).toMatchObject({ error: 'FencedError', code: 'fenced' });
        expect(r.after).toMatchObject({ data: r.written.data, version: r.written.version });
      }
      const fences = rounds.flatMap((r) => r.fences);
      expect(fences.every((f, i) => i === 0 || f > fences[i - 1]!)).toBe(true);
    } finally {
      await Promise.all([holder.exit(), other.exit()]);
    }
  }, 120_000);
});
