import { join } from 'node:path';
import { build } from 'tsup';

/**
 * Bundles the TypeScript child script `entry` (ioredis and the library included) into one
 * CommonJS file `child.cjs` in `dir`, to run with plain `node`: a cross-process test then
 * needs neither a build of dist/ nor a TypeScript loader. Returns the file's path.
 */
export async function bundleChild(entry: string, dir: string): Promise<string> {
  await build({
    config: false,
    entry: { child: entry },
    outDir: dir,
    format: ['cjs'],
    platform: 'node',
    target: 'node20',
    noExternal: [/.*/],
    splitting: false,
    dts: false,
    silent: true,
  });
  return join(dir, 'child.cjs');
}
