/**
 * Where the built library is imported from: `../dist` (the root's `npm run build`), or the
 * folder in BENCH_DIST — to compare another build (a branch, a patch) in the same way.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

export const DIST = process.env.BENCH_DIST
  ? new URL(`${pathToFileURL(resolve(process.env.BENCH_DIST)).href}/`)
  : new URL('../../dist/', import.meta.url);

/** The URL of a built entry, such as `index.js`. */
export const entry = (file) => new URL(file, DIST);

/** Whether a built entry exists. */
export const built = (file) => existsSync(entry(file));
