/**
 * Where the built library is imported from: `../dist` (the root's `npm run build`), or the
 * folder in BENCH_DIST — to compare another build (a branch, a patch) in the same way.
 */
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

export const DIST = process.env.BENCH_DIST
  ? new URL(`${pathToFileURL(resolve(process.env.BENCH_DIST)).href}/`)
  : new URL('../../dist/', import.meta.url);

/** The URL of a built entry, such as `index.js`. */
export const entry = (file) => new URL(file, DIST);

/** Which build is benched, for the results: its folder and when its index.js was built. */
export function describeDist() {
  const index = entry('index.js');
  if (!existsSync(index)) return 'no build';
  const where = process.env.BENCH_DIST ? `BENCH_DIST=${process.env.BENCH_DIST}` : 'dist/';
  return `${where} built ${statSync(index).mtime.toISOString().slice(0, 16)}Z`;
}

/** Whether a built entry exists. */
export const built = (file) => existsSync(entry(file));
