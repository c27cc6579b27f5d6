/**
 * The JSON rules for `data`, and how values are shown in messages.
 *
 * @module
 */
import { ValidationError } from './errors.js';

/** How deep `data` may nest; deeper values are refused rather than overflow the stack. */
export const MAX_DEPTH = 512;

/**
 * Shows a caller's value in a message, briefly and without control characters. Never throws,
 * even for an object whose `toString` is not a function (`{"toString": 1}` in a JSON body).
 */
export function quote(value: unknown): string {
  let text: string;
  try {
    text = typeof value === 'string' ? value : String(value);
  } catch {
    text = Array.isArray(value) ? '[an array]' : `[${typeof value}]`;
  }
  const short = text.length > 40 ? `${text.slice(0, 40)}…` : text;
  return JSON.stringify(short);
}

/**
 * Throws the {@link ValidationError} for the part of `data` at `path`, or of an item when the
 * path starts with the item's index (`root` is then `'items'`).
 */
function fail(root: 'data' | 'items', path: PropertyKey[], what: string): never {
  const [first, ...rest] = path;
  const keys = (ks: PropertyKey[]) => ks.map((k) => `[${JSON.stringify(String(k))}]`).join('');
  const where = root === 'data' ? `data${keys(path)}` : `items[${String(first)}]${keys(rest)}`;
  const rule = root === 'data' ? 'session data' : 'each item';
  throw new ValidationError(`${where} ${what}; ${rule} must be a JSON value`, [{ message: what, path: [...path] }]);
}

/**
 * Serializes `data` to JSON text, refusing anything that JSON would change silently:
 * `undefined` (at the top or in an array), functions, symbols, BigInt, non-finite numbers,
 * cycles, class instances (`Date`, `Map`…), and nesting deeper than {@link MAX_DEPTH}.
 * `undefined` object properties are dropped, as `JSON.stringify` does. With `item`, the value
 * is that item of an append's batch, and a refusal names it (`items[2]`, path `[2, …]`).
 */
export function toJson(data: unknown, item?: number): string {
  // The quick walk only says yes or no; on a no, the careful walk finds what and where.
  if (!isJson(data, 0)) check(data, item === undefined ? [] : [item], new Set(), item === undefined ? 'data' : 'items');
  return JSON.stringify(data);
}

/**
 * Whether `value` is a JSON value JSON.stringify keeps as it is. Cheap: no path, no set of
 * ancestors (a cycle shows up as nesting past {@link MAX_DEPTH}), `for…in` without allocation.
 * It may say no where {@link check} finds nothing (an enumerable property added to
 * `Object.prototype`); it never says yes to a value that `check` refuses.
 */
function isJson(value: unknown, depth: number): boolean {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return true;
    case 'number':
      return Number.isFinite(value);
    case 'object':
      break;
    default:
      return false;
  }
  if (value === null) return true;
  if (depth >= MAX_DEPTH) return false;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      if (item === undefined || (typeof item !== 'string' && !isJson(item, depth + 1))) return false;
    }
    return true;
  }
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return false;
  for (const key in value) {
    const item = (value as Record<string, unknown>)[key];
    if (item !== undefined && typeof item !== 'string' && !isJson(item, depth + 1)) return false;
  }
  return true;
}

/** Throws a {@link ValidationError} naming the first part of `value` that is not JSON. */
function check(value: unknown, path: PropertyKey[], parents: Set<object>, root: 'data' | 'items'): void {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return;
    case 'number':
      if (!Number.isFinite(value)) fail(root, path, `is ${value}, which JSON cannot represent`);
      return;
    case 'object':
      break;
    default:
      fail(root, path, `is a ${typeof value}`);
  }
  if (value === null) return;
  if (parents.has(value)) fail(root, path, 'refers to itself (a cycle)');
  if (path.length - (root === 'items' ? 1 : 0) >= MAX_DEPTH) fail(root, path, `nests deeper than ${MAX_DEPTH} levels`);
  parents.add(value);
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      if (value[i] === undefined) fail(root, [...path, i], 'is undefined (or a hole)');
      path.push(i);
      check(value[i], path, parents, root);
      path.pop();
    }
  } else {
    const proto: unknown = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) {
      fail(root, path, `is a ${(value as object).constructor?.name ?? 'class instance'}, not a plain object`);
    }
    for (const key of Object.keys(value)) {
      const item = (value as Record<string, unknown>)[key];
      if (item === undefined) continue;
      path.push(key);
      check(item, path, parents, root);
      path.pop();
    }
  }
  parents.delete(value);
}
