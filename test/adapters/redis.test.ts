import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, inject } from 'vitest';
import { RedisStore } from '../../adapters/redis/index.js';
import { describeStore } from '../conformance/index.js';
import { removePrefix, uniquePrefix } from './redis-helpers.js';

const url = inject('redisUrl');
const prefixes: string[] = [];
let client: Redis;

function nextPrefix(label = ''): string {
  const prefix = uniquePrefix(label);
  prefixes.push(prefix);
  return prefix;
}

describe.skipIf(!url)('RedisStore', () => {
  beforeAll(() => {
    client = new Redis(url!);
  });
  afterAll(async () => {
    for (const prefix of prefixes) await removePrefix(client, prefix);
    await client.quit();
  });

  describeStore('RedisStore', () => new RedisStore({ client, prefix: nextPrefix() }), {
    // the second store opens its own connection, as another process would
    shared: () => {
      const prefix = nextPrefix('shared');
      return [new RedisStore({ client, prefix }), new RedisStore({ url: url!, prefix })];
    },
  });
});
