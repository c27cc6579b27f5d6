/** Input and output helpers of the `agent-sessions` command. */
import { createInterface } from 'node:readline';

/** A mistake in how the command was called: exit 2. */
export class UsageError extends Error {}

/** A failed operation with a problem code: exit 1. */
export class Failure extends Error {
  /** @param {string} code @param {string} message */
  constructor(code, message) {
    super(message);
    this.code = code;
  }
}

/** Writes `text` to stdout, waiting when the pipe is full. */
export function out(text) {
  return process.stdout.write(text) ? undefined : new Promise((resolve) => process.stdout.once('drain', resolve));
}

/** The lines of stdin, without their ends (blank lines skipped). */
export async function* stdinLines() {
  for await (const line of createInterface({ input: process.stdin, crlfDelay: Infinity })) {
    if (line.trim() !== '') yield line;
  }
}

/** All of stdin as text. */
export async function stdinText() {
  let text = '';
  process.stdin.setEncoding('utf8');
  for await (const chunk of process.stdin) text += chunk;
  return text;
}

/** Parses `text` as JSON, or fails with `invalid_json` naming `what`. */
export function parseJson(text, what) {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new Failure('invalid_json', `${what} is not JSON: ${err.message}`);
  }
}

/** A whole number option from `min` up, or a usage error. */
export function whole(name, value, min) {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < min) {
    throw new UsageError(`--${name} must be a whole number from ${min}; got ${JSON.stringify(value)}`);
  }
  return n;
}

/**
 * A progress line on stderr for work that lasts over a second: `tick(n)` redraws it at most
 * four times a second; `done()` ends the line if one was drawn.
 */
export function progress(what) {
  const start = Date.now();
  let shown = 0;
  return {
    tick(count) {
      const now = Date.now();
      if (now - start < 1_000 || now - shown < 250) return;
      shown = now;
      process.stderr.write(`\ragent-sessions: ${count} ${what}…`);
    },
    done(count) {
      if (shown !== 0) process.stderr.write(`\ragent-sessions: ${count} ${what}, done\n`);
    },
  };
}

/** Rows as a text table under `headers`, columns padded to their widest cell. */
export function table(headers, rows) {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const line = (cells) => cells.map((c, i) => String(c).padEnd(widths[i])).join('  ').trimEnd();
  return `${[line(headers), ...rows.map(line)].join('\n')}\n`;
}

/** A JSON value shortened to `max` characters for a table cell. */
export function brief(value, max = 60) {
  const text = JSON.stringify(value) ?? 'null';
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
