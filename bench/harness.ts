import { readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import * as prettier from 'prettier';
import { setImmediate as nextMacrotask, setTimeout as sleep } from 'node:timers/promises';

/** What every contender's handler receives (or finds in `event.data`). */
export interface OrderPayload {
  readonly orderId: string;
  readonly amount: number;
  readonly currency: string;
}

/**
 * Counts handled events. Every contender's handler body is `completion.record(amount)`, so the
 * work per event is the same and the clock stops when the last handler has run, not after a sleep.
 */
export class Completion {
  sink = 0;
  handled = 0;
  private target = 0;
  private reached?: () => void;

  record(amount: number): void {
    this.sink += amount;
    if (++this.handled === this.target) this.reached!();
  }

  reset(): void {
    this.sink = 0;
    this.handled = 0;
    this.target = 0;
    this.reached = undefined;
  }

  /**
   * Resolves once `count` events were handled. Rejects if that takes longer than `stallMs`, so a
   * lost or dead-lettered event fails the bench instead of hanging it.
   */
  until(count: number, stallMs = 15_000): Promise<void> {
    if (this.handled >= count) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(
          new Error(`only ${this.handled} of ${count} events were handled after ${stallMs} ms`),
        );
      }, stallMs);
      this.target = count;
      this.reached = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
}

/** Publishes one event; a promise when the bus is asynchronous (ours), nothing otherwise. */
export type Publish = (payload: OrderPayload) => unknown;

export interface DriveOptions {
  readonly events: number;
  /**
   * Events published back to back before waiting for them to be handled. Bounds what is in
   * flight, like a producer under back-pressure, so the figure is throughput and not how fast a
   * queue of pending promises can be built (and then garbage-collected).
   */
  readonly window: number;
  /** Called after each window, e.g. to sample memory. */
  readonly afterWindow?: (published: number) => void;
}

const PAYLOADS: readonly OrderPayload[] = Array.from({ length: 1024 }, (_, i) => ({
  orderId: `order-${String(i).padStart(6, '0')}`,
  amount: (i % 100) + 1,
  currency: 'EUR',
}));

/**
 * Publishes `events` events through `publish` and resolves with the milliseconds from the first
 * publish until the last handler completed. Payloads come from a fixed pool so that building them
 * costs nothing in the loop; whatever a bus builds around them (envelopes, events) is measured.
 */
export async function drive(
  publish: Publish,
  completion: Completion,
  { events, window, afterWindow }: DriveOptions,
): Promise<number> {
  completion.reset();
  const started = performance.now();
  for (let from = 0; from < events; from += window) {
    const to = Math.min(events, from + window);
    const published: Promise<unknown>[] = [];
    for (let i = from; i < to; i++) {
      const result = publish(PAYLOADS[i & 1023]);
      if (result instanceof Promise) published.push(result);
    }
    // A rejected publish (e.g. a validation error) must fail the bench, not go unnoticed.
    if (published.length) await Promise.all(published);
    await completion.until(to);
    afterWindow?.(to);
  }
  const elapsed = performance.now() - started;
  // Deliveries still queued would mean an event was handled twice; let them surface first.
  await nextMacrotask();
  if (completion.handled !== events) {
    throw new Error(`${completion.handled} handler runs for ${events} events`);
  }
  return elapsed;
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

export function gc(): void {
  const collect = (globalThis as { gc?: () => void }).gc;
  if (!collect) throw new Error('Run node with --expose-gc (npm run bench does).');
  // Twice: the first pass can leave objects that only become garbage once finalizers ran.
  collect();
  collect();
}

/**
 * Memory use once garbage is collected. V8 hands freed pages back to the OS lazily, so it gets a
 * moment between two collections; otherwise RSS says more about GC timing than about what is kept.
 */
export async function settledMemory(): Promise<NodeJS.MemoryUsage> {
  gc();
  await sleep(1_000);
  gc();
  return process.memoryUsage();
}

export function machine(): string {
  const cpu = cpus();
  return `Node ${process.version}, ${process.platform}/${process.arch}, ${cpu.length} × ${cpu[0]?.model.trim()}`;
}

export const int = (value: number): string => Math.round(value).toLocaleString('en-US');
export const mb = (bytes: number): string => (bytes / 2 ** 20).toFixed(1);

/**
 * A GitHub-flavoured markdown table laid out as prettier lays it out, so that it can be pasted into
 * docs/benchmarks.md as printed. The first column is left-aligned, the figures right-aligned.
 */
export function markdownTable(
  header: readonly string[],
  rows: ReadonlyArray<readonly string[]>,
): string {
  const widths = header.map((title, i) =>
    Math.max(title.length, ...rows.map((row) => row[i].length)),
  );
  const line = (cells: readonly string[]) =>
    `| ${cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join(' | ')} |`;
  const rule = line(
    widths.map((width, i) => (i === 0 ? '-'.repeat(width) : `${'-'.repeat(width - 1)}:`)),
  );
  return [line(header), rule, ...rows.map(line)].join('\n');
}

/** Where `npm run bench` keeps its latest figures, between one pair of markers per part. */
const RESULTS_FILE = join(__dirname, '..', '..', 'docs', 'benchmarks.md');

/**
 * Records what a bench prints (console.log) from now on, and `write()` puts it in
 * docs/benchmarks.md between `<!-- bench:<part> -->` and `<!-- /bench:<part> -->`, formatted by
 * the project's prettier, with the date. A run with `--no-write`, or with any flag but `sameRun`
 * (`--only`, `--events`…: not the whole part as `npm run bench` runs it), keeps the file as it is.
 */
export function recordResults(part: string, sameRun: readonly string[] = []) {
  const partial = process.argv.slice(2).some((arg) => !sameRun.includes(arg));
  const printed: string[] = [];
  const log = console.log.bind(console);
  console.log = (...values: unknown[]) => {
    printed.push(
      values.map((value) => (typeof value === 'string' ? value : inspect(value))).join(' '),
    );
    log(...values);
  };
  return {
    async write(): Promise<void> {
      console.log = log;
      if (partial) return;
      const open = `<!-- bench:${part} -->`;
      const close = `<!-- /bench:${part} -->`;
      const text = readFileSync(RESULTS_FILE, 'utf8');
      const from = text.indexOf(open);
      const to = text.indexOf(close);
      if (from < 0 || to < from) {
        console.error(
          `docs/benchmarks.md has no ${open} … ${close} markers: the results of this part were not written there.`,
        );
        return;
      }
      const day = new Date().toISOString().slice(0, 10);
      // Table rows stay together; other lines become paragraphs of their own.
      const lines = printed.join('\n').split('\n');
      const spaced = lines.flatMap((line, i) => {
        const previous = lines[i - 1];
        const apart =
          i > 0 && line && previous && !(line.startsWith('|') && previous.startsWith('|'));
        return apart ? ['', line] : [line];
      });
      const body = [`Written by \`npm run bench\` on ${day}:`, '', ...spaced].join('\n');
      const next = `${text.slice(0, from + open.length)}\n\n${body.trim()}\n\n${text.slice(to)}`;
      const options = (await prettier.resolveConfig(RESULTS_FILE)) ?? {};
      writeFileSync(
        RESULTS_FILE,
        await prettier.format(next, { ...options, filepath: RESULTS_FILE }),
      );
      log(`\n(written to docs/benchmarks.md, ${part})`);
    },
  };
}
