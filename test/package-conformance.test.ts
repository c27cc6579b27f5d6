// A third-party adapter's view: the suite and the store both come from the built package
// (`npm test` builds first). Imported by URL so that typechecking does not need dist/.
const dist = (file: string) => new URL(`../dist/${file}`, import.meta.url).href;
const { describeStore } = (await import(dist('conformance.js'))) as typeof import('./conformance/index.js');
const { MemoryStore } = (await import(dist('index.js'))) as typeof import('../src/index.js');
type Store = InstanceType<typeof MemoryStore>;

describeStore('MemoryStore from dist, through agent-sessions/conformance', ({ now }) => new MemoryStore({ now }), {
  sweep: { purge: (store) => (store as Store).purgeStale(), count: (store) => (store as Store).size },
  modelRuns: 20,
});
