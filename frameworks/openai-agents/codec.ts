/**
 * How an Agents SDK item becomes a JSON value and back, exactly: bytes (`Uint8Array`, as
 * images and files in tool outputs carry) become `{ "$bytes": "<base64>" }`, and a plain
 * object that would read as a wrapper (its only key `$bytes` or `$object`) is itself wrapped
 * as `{ "$object": { …its entries, encoded… } }`. Every other value is JSON already.
 *
 * @module
 */

/** A JSON value as this codec writes it. */
export type Encoded = null | boolean | number | string | Encoded[] | { [key: string]: Encoded };

const BYTES = '$bytes';
const OBJECT = '$object';

/** Sets an own entry, `__proto__` included (an assignment to it would set the prototype). */
function set(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(target, key, { value, writable: true, enumerable: true, configurable: true });
  else target[key] = value;
}

/** The only key of `value` when it has exactly one own key, else `undefined`. */
function soleKey(value: object): string | undefined {
  let only: string | undefined;
  for (const key of Object.keys(value)) {
    if (only !== undefined) return undefined;
    only = key;
  }
  return only;
}

/** `value` as JSON: bytes wrapped, look-alike objects escaped, `undefined` entries left out. */
export function encode(value: unknown): Encoded {
  if (value === null || typeof value !== 'object') return value as Encoded;
  if (value instanceof Uint8Array) return { [BYTES]: Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64') };
  if (Array.isArray(value)) return value.map(encode);
  const out: { [key: string]: Encoded } = {};
  for (const [key, entry] of Object.entries(value)) if (entry !== undefined) set(out, key, encode(entry));
  const only = soleKey(out);
  return only === BYTES || only === OBJECT ? { [OBJECT]: out } : out;
}

/**
 * The value {@link encode} was given (bytes as a plain `Uint8Array`). It works in place: `value`
 * must be a fresh parse of the stored JSON, as the manager hands out.
 */
export function decode(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) value[i] = decode(value[i]);
    return value;
  }
  let record = value as Record<string, unknown>;
  const only = soleKey(record);
  if (only === BYTES && typeof record[BYTES] === 'string') return new Uint8Array(Buffer.from(record[BYTES], 'base64'));
  if (only === OBJECT) record = record[OBJECT] as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    const entry = record[key];
    const decoded = decode(entry);
    if (decoded !== entry) set(record, key, decoded);
  }
  return record;
}

/** The JSON text of an encoded value with its keys sorted: equal texts, equal values. */
function canonical(value: Encoded): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  const keys = Object.keys(value).sort();
  return `{${keys.map((key) => `${JSON.stringify(key)}:${canonical(value[key]!)}`).join(',')}}`;
}

/** Whether two lists of items are the same once stored (key order and `undefined` entries aside). */
export function sameItems(a: readonly unknown[], b: readonly unknown[]): boolean {
  return a.length === b.length && a.every((item, i) => canonical(encode(item)) === canonical(encode(b[i])));
}
