import { defineConfig } from 'tsup';

export default defineConfig({
  entry: {
    index: 'src/index.ts',
    lru: 'adapters/lru.ts',
    redis: 'adapters/redis/index.ts',
    http: 'src/http/index.ts',
    fastify: 'src/http/fastify.ts',
    conformance: 'test/conformance/index.ts',
    adk: 'frameworks/adk/index.ts',
    langgraph: 'frameworks/langgraph/index.ts',
    'openai-agents': 'frameworks/openai-agents/index.ts',
  },
  format: ['esm', 'cjs'],
  dts: { resolve: ['@standard-schema/spec'] },
  clean: true,
  // One copy of the core (errors, MemoryStore) shared by every entry, so `instanceof` holds.
  splitting: true,
  target: 'node20',
  // import.meta.url in the CommonJS build too (telemetry.ts resolves the optional API from it).
  shims: true,
  // Keep `node:` on built-in imports, so the package test tells them from packages.
  removeNodeProtocol: false,
  external: ['ioredis', 'lru-cache', 'vitest', 'fast-check'],
});
