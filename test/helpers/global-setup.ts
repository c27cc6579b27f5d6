import type { TestProject } from 'vitest/node';
import { hasRedisServer, spawnRedis, type SpawnedRedis } from './redis-server.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The Redis every Redis test uses, or `null` when none could be had (outside CI). */
    redisUrl: string | null;
  }
}

/**
 * Finds a Redis for the tests: `REDIS_URL`, else a `redis-server` spawned on a free port,
 * else a testcontainers Redis if Docker answers. Outside CI a missing Redis skips the Redis
 * tests with one loud line; under CI it fails the run.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  let cleanup = async () => {};
  let url: string | null = process.env.REDIS_URL ?? null;
  if (url === null && hasRedisServer()) {
    const server: SpawnedRedis = await spawnRedis();
    url = server.url;
    cleanup = () => server.dispose();
  }
  if (url === null) {
    try {
      const { GenericContainer } = await import('testcontainers');
      const container = await new GenericContainer('redis:7').withExposedPorts(6379).start();
      url = `redis://${container.getHost()}:${container.getMappedPort(6379)}`;
      cleanup = async () => void (await container.stop());
    } catch (err) {
      const why = `no REDIS_URL, no redis-server binary, and testcontainers failed (${(err as Error).message})`;
      if (process.env.CI) throw new Error(`Redis is required under CI: ${why}`);
      console.warn(`\n!!! SKIPPING EVERY REDIS TEST: ${why}\n`);
    }
  }
  project.provide('redisUrl', url);
  return cleanup;
}
