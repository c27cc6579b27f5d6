/**
 * Lease tests with real processes, shared by the single-server and the Cluster tests: the child
 * is test/adapters/redis-lease-child.ts, bundled once into plain CommonJS. Processes are
 * stopped and resumed by PID (only those a test started).
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { bundleChild } from './bundle-child.js';

const here = dirname(fileURLToPath(import.meta.url));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Where the child connects: one Redis, or a Cluster's nodes; and its keys' prefix and session. */
export interface LeaseJob {
  url?: string;
  ports?: number[];
  prefix: string;
  id: string;
}

/** One critical section, as the child logs it (times in µs of the host's monotonic clock). */
export interface Section {
  pid: number;
  fence: number;
  read: number;
  enter: number;
  leave: number;
}

/** Bundles the child into `dir`; returns the file to run with `node`. */
export function bundleLeaseChild(dir: string): Promise<string> {
  return bundleChild(join(here, '../adapters/redis-lease-child.ts'), dir);
}

/** Runs `processes` children in mode `exclusive`, `count` sections each; resolves with their logs. */
export function runExclusive(child: string, job: LeaseJob, processes: number, count: number): Promise<Section[][]> {
  const one = () =>
    new Promise<Section[]>((resolve, reject) =>
      execFile(
        process.execPath,
        [child, JSON.stringify({ ...job, mode: 'exclusive', count })],
        { timeout: 150_000, killSignal: 'SIGKILL' },
        (err, stdout, stderr) => (err ? reject(new Error(`child failed: ${stderr || err.message}`)) : resolve(JSON.parse(stdout) as Section[])),
      ),
    );
  return Promise.all(Array.from({ length: processes }, one));
}

/**
 * Checks the logs of {@link runExclusive}: `total` sections; in the order they entered, each
 * entered after the one before had left (no two overlapped), with a greater fence, and read
 * the value the one before wrote (0, 1, 2, …).
 */
export function checkExclusive(logs: Section[][], total: number): void {
  const sections = logs.flat().sort((a, b) => a.enter - b.enter);
  expect(sections).toHaveLength(total);
  const overlaps = sections.filter((s, i) => i > 0 && s.enter <= sections[i - 1]!.leave);
  expect(overlaps, 'sections that entered before the previous one left').toEqual([]);
  sections.forEach((s, i) => {
    if (i > 0) expect(s.fence).toBeGreaterThan(sections[i - 1]!.fence);
    expect(s.read).toBe(i);
  });
  expect(new Set(sections.map((s) => s.pid)).size).toBe(logs.length);
}

/** A child in mode `worker`: one command at a time on stdin, one JSON answer per line. */
export class LeaseWorker {
  readonly process: ChildProcess;
  readonly #answers: string[] = [];
  readonly #waiting: ((line: string) => void)[] = [];
  #stderr = '';

  constructor(child: string, job: LeaseJob) {
    this.process = spawn(process.execPath, [child, JSON.stringify({ ...job, mode: 'worker' })], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.process.stderr!.on('data', (d: Buffer) => (this.#stderr += d.toString()));
    createInterface({ input: this.process.stdout! }).on('line', (line) => {
      const waiter = this.#waiting.shift();
      if (waiter) waiter(line);
      else this.#answers.push(line);
    });
  }

  /** Writes a command; its answer is the next {@link LeaseWorker.answer}. */
  send(command: Record<string, unknown>): void {
    this.process.stdin!.write(`${JSON.stringify(command)}\n`);
  }

  /** The next answer, within `timeout` ms. */
  answer<T = Record<string, unknown>>(timeout = 15_000): Promise<T> {
    const queued = this.#answers.shift();
    if (queued !== undefined) return Promise.resolve(JSON.parse(queued) as T);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`worker ${this.process.pid} did not answer: ${this.#stderr}`)), timeout);
      this.#waiting.push((line) => {
        clearTimeout(timer);
        resolve(JSON.parse(line) as T);
      });
    });
  }

  /** Sends a command and waits for its answer. */
  ask<T = Record<string, unknown>>(command: Record<string, unknown>): Promise<T> {
    this.send(command);
    return this.answer<T>();
  }

  /** Sends `signal` to this worker, by PID. */
  signal(signal: NodeJS.Signals): void {
    this.process.kill(signal);
  }

  /** Asks the worker to close its store and exit; SIGKILLs it (by PID) if it has not within 5 s. */
  async exit(): Promise<void> {
    if (this.process.exitCode !== null || this.process.signalCode !== null) return;
    const exited = new Promise((r) => this.process.once('exit', r));
    this.process.kill('SIGCONT');
    this.send({ op: 'exit' });
    const timer = setTimeout(() => this.process.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  }
}

/** What one round of {@link staleWriter} saw. */
export interface StaleRound {
  /** The stalled holder's fence, and the one that took over. */
  fences: [number, number];
  /** The stalled holder's write after it resumed: an error name, or the version it wrote. */
  stale: { error?: string; code?: string; version?: number };
  /** The session afterwards, as `read` gave it. */
  after: { data: unknown; version: number } | undefined;
  /** What the new holder wrote. */
  written: { data: string; version: number };
}

/**
 * `rounds` times: `holder` takes the lease (ttl `ttl` ms) and writes with it; it is SIGSTOPped
 * with a write with its fence already sent; once the ttl has passed, `other` acquires and
 * writes; `holder` is SIGCONTed, runs its stale write, and `read` gives the session.
 */
export async function staleWriter(
  holder: LeaseWorker,
  other: LeaseWorker,
  read: () => Promise<{ data: unknown; version: number } | undefined>,
  rounds: number,
  ttl = 300,
): Promise<StaleRound[]> {
  const seen: StaleRound[] = [];
  for (let round = 0; round < rounds; round++) {
    const mine = await holder.ask<{ fence: number }>({ op: 'acquire', ttl });
    expect(await holder.ask({ op: 'put', fence: mine.fence, data: `holder-${round}` })).toHaveProperty('version');
    holder.signal('SIGSTOP');
    holder.send({ op: 'put', fence: mine.fence, data: `stale-${round}` }); // runs once it resumes
    await sleep(ttl + 100);
    const next = await other.ask<{ fence: number }>({ op: 'acquire', ttl: 10_000 });
    const data = `fresh-${round}`;
    const { version } = await other.ask<{ version: number }>({ op: 'put', fence: next.fence, data });
    holder.signal('SIGCONT');
    const stale = await holder.answer<StaleRound['stale']>();
    seen.push({ fences: [mine.fence, next.fence], stale, after: await read(), written: { data, version } });
    expect(await other.ask({ op: 'release', fence: next.fence })).toEqual({ released: true });
  }
  return seen;
}
