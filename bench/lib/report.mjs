/** Statistics and markdown output shared by the suites. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { svgChart } from './chart.mjs';
import { describeDist } from './dist.mjs';

export const RESULTS_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'results');

export function median(values) {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** 1234567 → "1.23 M", 12345 → "12.3 k". */
export function rate(n) {
  if (!Number.isFinite(n)) return '–';
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)} M`;
  if (n >= 1e4) return `${(n / 1e3).toFixed(0)} k`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)} k`;
  return n.toFixed(n >= 100 ? 0 : 1);
}

export function ratio(x) {
  return Number.isFinite(x) ? `${x.toFixed(2)}×` : '–';
}

/**
 * The ratio of two subjects measured in the same rounds: the median of the per-round ratios
 * `a[i] / b[i]`, with their smallest and largest. Pairing by round cancels most of the drift
 * that load from elsewhere on the machine causes between rounds.
 */
export function paired(a, b) {
  const r = a.map((x, i) => x / b[i]);
  return { median: median(r), min: Math.min(...r), max: Math.max(...r) };
}

/** "279 k (0.69×, 0.61–0.78)": median rate, then the paired ratio to `base` and its range. */
export function cell(samples, base) {
  const p = paired(samples, base);
  return `${rate(median(samples))} (${ratio(p.median)}, ${p.min.toFixed(2)}–${p.max.toFixed(2)})`;
}

/** A markdown table from a header row and rows of cells. */
export function table(header, rows) {
  const line = (cells) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

/** Collects PASS/MISS lines for the targets of a suite. */
export class Targets {
  lines = [];
  misses = 0;
  /** `value` compared with `limit` by `op` ('>=' or '<='); `unit` formats both. */
  check(name, value, op, limit, unit = (x) => `${x.toFixed(3)}×`) {
    const ok = op === '>=' ? value >= limit : value <= limit;
    if (!ok) this.misses++;
    this.lines.push(`- **${ok ? 'PASS' : 'MISS'}** ${name}: ${unit(value)} (target ${op} ${unit(limit)})`);
    return ok;
  }
  note(text) {
    this.lines.push(`- ${text}`);
  }
  toString() {
    return this.lines.join('\n');
  }
}

export function environment() {
  const cpu = cpus();
  const load = loadavg().map((x) => x.toFixed(1)).join(' ');
  return `Node ${process.version}, ${cpu.length} × ${cpu[0]?.model ?? 'cpu'}, ${new Date().toISOString().slice(0, 16)}Z, load average at the end ${load}; library: ${describeDist()}`;
}

/** The file name of a suite's results, `<suite>-quick` for a BENCH_QUICK run (git-ignored). */
export const resultName = (suite) => `${suite}${process.env.BENCH_QUICK === '1' ? '-quick' : ''}`;

/**
 * Prints `markdown` and writes it to `bench/results/<suite>.md` (`<suite>-quick.md` for a
 * BENCH_QUICK run, which git ignores, so a smoke run never replaces a real result). With
 * `chart` (see lib/chart.mjs), also writes it as `<suite>.svg` next to the markdown.
 */
export function publish(suite, markdown, chart) {
  process.stdout.write(`${markdown}\n`);
  mkdirSync(RESULTS_DIR, { recursive: true });
  const name = resultName(suite);
  writeFileSync(join(RESULTS_DIR, `${name}.md`), `${markdown}\n`);
  process.stdout.write(`\n(written to bench/results/${name}.md)\n`);
  if (chart) {
    writeFileSync(join(RESULTS_DIR, `${name}.svg`), svgChart(chart));
    process.stdout.write(`(chart written to bench/results/${name}.svg)\n`);
  }
}
