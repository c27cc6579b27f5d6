/**
 * A small HTTP client for the HTTP tests: node:http with keep-alive (so paths are sent exactly
 * as written, `%2e%2e` and all), raw sockets for slow and oversized bodies, and a check of
 * every answer from the sessions routes against docs/openapi.json.
 */
import { Agent, request, type IncomingHttpHeaders } from 'node:http';
import { connect } from 'node:net';
import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { expect } from 'vitest';

export interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
  /** The parsed body when it is JSON, else `undefined`. */
  body: any;
}

export interface SendOptions {
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** Do not check the answer against the OpenAPI document (it is the host's, not ours). */
  hostAnswer?: boolean;
}

const agent = new Agent({ keepAlive: true, maxSockets: 8 });

export function send(base: string, method: string, path: string, options: SendOptions = {}): Promise<Reply> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = { ...options.headers };
    if (options.body !== undefined && headers['content-length'] === undefined) {
      headers['content-length'] = Buffer.byteLength(options.body);
    }
    const req = request(
      { host: url.hostname, port: url.port, method, path, headers, agent },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let body: unknown;
          try {
            body = text === '' ? undefined : JSON.parse(text);
          } catch {
            body = undefined;
          }
          const reply: Reply = { status: res.statusCode ?? 0, headers: res.headers, text, body };
          try {
            if (!options.hostAnswer) checkAgainstOpenApi(method, path, reply, base);
          } catch (err) {
            reject(err);
            return;
          }
          resolve(reply);
        });
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

export function json(value: unknown, headers: Record<string, string> = {}): SendOptions {
  return { headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(value) };
}

export interface RawReply {
  status: number;
  headers: Record<string, string>;
  body: string;
  /** Body bytes the client had written when the answer came. */
  sent: number;
}

/**
 * Sends `head` (request line and headers), then `chunks` one by one with `gap` ms between
 * them, stopping as soon as an answer arrives; resolves with the answer once the server
 * closes the connection or the answer is complete.
 */
export function rawExchange(base: string, head: string, chunks: Iterable<Buffer | string>, gap: number): Promise<RawReply> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(url.port), url.hostname);
    let received = Buffer.alloc(0);
    let answered = false;
    let sent = 0;
    let done = false;
    const iterator = chunks[Symbol.iterator]();
    const finish = () => {
      if (done) return;
      const text = received.toString('latin1');
      const end = text.indexOf('\r\n\r\n');
      if (end < 0) return;
      const lines = text.slice(0, end).split('\r\n');
      const headers: Record<string, string> = {};
      for (const line of lines.slice(1)) {
        const colon = line.indexOf(':');
        headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
      }
      const length = Number(headers['content-length'] ?? NaN);
      const body = received.subarray(end + 4);
      if (Number.isFinite(length) && body.length < length) return;
      done = true;
      socket.destroy();
      const status = Number(lines[0]!.split(' ')[1]);
      const textBody = body.toString('utf8');
      try {
        const [method, path] = head.split(' ');
        let parsed: unknown;
        try {
          parsed = JSON.parse(textBody);
        } catch {}
        checkAgainstOpenApi(method!, path!, { status, headers, text: textBody, body: parsed }, base);
      } catch (err) {
        reject(err);
        return;
      }
      resolve({ status, headers, body: textBody, sent });
    };
    socket.on('data', (d: Buffer) => {
      answered = true;
      received = Buffer.concat([received, d]);
      finish();
    });
    socket.on('end', finish);
    socket.on('close', () => {
      finish();
      if (!done) reject(new Error(`connection closed without a whole answer: ${received.toString('latin1')}`));
    });
    socket.on('error', () => {});
    const pump = () => {
      if (answered || socket.destroyed) return;
      const next = iterator.next();
      if (next.done) return;
      const chunk = typeof next.value === 'string' ? Buffer.from(next.value) : next.value;
      socket.write(chunk, () => {
        sent += chunk.length;
        setTimeout(pump, gap);
      });
    };
    socket.write(head, () => pump());
  });
}

/** The first answer on a raw connection. */
export interface RawAnswer {
  status: number;
  headers: Record<string, string>;
  text: string;
  /** Whether the server closed the connection after answering. */
  closed: boolean;
}

/**
 * Writes `chunks` to a fresh connection (`gap` ms apart) and resolves with the first answer
 * once it is complete and the server has closed the connection, or 200 ms after a complete
 * answer on a connection left open.
 */
export function rawRequest(base: string, chunks: Array<string | Buffer>, gap = 0): Promise<RawAnswer> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(url.port), url.hostname);
    let received = Buffer.alloc(0);
    let timer: NodeJS.Timeout | undefined;
    const parse = (closed: boolean): RawAnswer | undefined => {
      const text = received.toString('latin1');
      const end = text.indexOf('\r\n\r\n');
      if (end < 0) return undefined;
      const lines = text.slice(0, end).split('\r\n');
      const headers: Record<string, string> = {};
      for (const line of lines.slice(1)) {
        const colon = line.indexOf(':');
        headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
      }
      const body = received.subarray(end + 4).toString('utf8');
      if (Buffer.byteLength(body) < Number(headers['content-length'] ?? 0)) return undefined;
      return { status: Number(lines[0]!.split(' ')[1]), headers, text: body, closed };
    };
    socket.on('data', (d: Buffer) => {
      received = Buffer.concat([received, d]);
      if (parse(false) !== undefined && timer === undefined) {
        timer = setTimeout(() => {
          socket.destroy();
          resolve(parse(false)!);
        }, 200);
      }
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      clearTimeout(timer);
      const answer = parse(true);
      if (answer === undefined) reject(new Error(`closed without a whole answer: ${JSON.stringify(received.toString('latin1'))}`));
      else resolve(answer);
    });
    let i = 0;
    const pump = (): void => {
      if (socket.destroyed || i >= chunks.length) return;
      socket.write(chunks[i++]!, () => setTimeout(pump, gap));
    };
    pump();
  });
}

// --- docs/openapi.json ---------------------------------------------------------------------

const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => Ajv2020;
export const openapi = JSON.parse(readFileSync(new URL('../../docs/openapi.json', import.meta.url), 'utf8'));
const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats(ajv);
ajv.addSchema(openapi, 'openapi.json');

/** `METHOD template status` of every answer checked, per host (its base URL). */
const covered = new Map<string, Set<string>>();

/**
 * The answers checked so far from the host at `base`. A host starting on a base URL that an
 * earlier host of the file used starts with none: call this with `reset` when it starts.
 */
export function coverageOf(base: string, reset = false): Set<string> {
  let answers = covered.get(base);
  if (answers === undefined || reset) {
    answers = new Set();
    covered.set(base, answers);
  }
  return answers;
}

/** The OpenAPI path template a request path falls in, or `null` outside the routes. */
export function templateOf(path: string): string | null {
  const p = path.split('?')[0]!;
  if (p === '/sessions' || p === '/sessions/') return '/sessions';
  if (!p.startsWith('/sessions/')) return null;
  const rest = p.slice('/sessions/'.length);
  const slash = rest.indexOf('/');
  if (slash < 0) return '/sessions/{identifier}';
  const sub = rest.slice(slash);
  if (sub === '/items') return '/sessions/{identifier}/items';
  if (sub === '/items/last') return '/sessions/{identifier}/items/last';
  if (sub === '/lease') return '/sessions/{identifier}/lease';
  return null;
}

function deref(node: any): any {
  while (node && typeof node.$ref === 'string') {
    node = node.$ref.slice(2).split('/').reduce((o: any, k: string) => o?.[k.replace(/~1/g, '/').replace(/~0/g, '~')], openapi);
  }
  return node;
}

function validate(ref: string, value: unknown, what: string): void {
  const check = ajv.getSchema(`openapi.json${ref}`);
  if (check === undefined) throw new Error(`no schema ${ref}`);
  if (!check(value)) {
    throw new Error(`${what} does not match ${ref}: ${ajv.errorsText(check.errors)}\n${String(JSON.stringify(value)).slice(0, 500)}`);
  }
}

/**
 * Checks one answer of the sessions routes against docs/openapi.json, and counts it for the
 * host at `base` when given.
 */
export function checkAgainstOpenApi(method: string, path: string, reply: Reply, base?: string): void {
  const template = templateOf(path);
  const what = `${method} ${path} → ${reply.status}`;
  const operation = template === null ? undefined : openapi.paths[template]?.[method.toLowerCase()];
  let response: any = operation?.responses?.[String(reply.status)];
  if (response === undefined && template !== null && operation === undefined && reply.status === 405) {
    response = openapi.components.responses.MethodNotAllowed;
  }
  if (response === undefined && reply.status === 404) response = openapi.components.responses.NotFound;
  expect(response, `${what} is not in docs/openapi.json`).toBeDefined();
  if (base !== undefined) coverageOf(base).add(`${method} ${template} ${reply.status}`);
  response = deref(response);
  for (const [name, header] of Object.entries<any>(response.headers ?? {})) {
    const value = reply.headers[name.toLowerCase()];
    expect(value, `${what}: header ${name}`).toBeTypeOf('string');
    const schema = deref(header).schema;
    if (schema?.pattern) expect(value).toMatch(new RegExp(schema.pattern));
  }
  const media = (reply.headers['content-type'] ?? '').split(';')[0]!.trim();
  if (response.content === undefined || method === 'HEAD') {
    expect(reply.text, `${what} has no body`).toBe('');
    return;
  }
  const content = response.content[media];
  expect(content, `${what}: content type ${media} is not documented`).toBeDefined();
  const ref: string = content.schema.$ref;
  validate(ref.replace(/^#/, '#'), reply.body, what);
}

/** Checks a problem body against docs/openapi.json's `Problem` schema. */
export function checkProblem(body: unknown, what: string): void {
  validate('#/components/schemas/Problem', body, what);
}

/** Every `METHOD template status` docs/openapi.json declares. */
export function documentedAnswers(): string[] {
  const out: string[] = [];
  for (const [template, item] of Object.entries<any>(openapi.paths)) {
    for (const method of ['get', 'head', 'put', 'post', 'delete']) {
      for (const status of Object.keys(item[method]?.responses ?? {})) {
        out.push(`${method.toUpperCase()} ${template} ${status}`);
      }
    }
  }
  return out;
}
