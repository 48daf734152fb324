import type { LatencySnapshot } from './events-metrics.interface';

/** OpenTelemetry's default explicit-bucket boundaries, which suit milliseconds. */
export const DEFAULT_LATENCY_BUCKETS_MS: readonly number[] = Object.freeze([
  0, 5, 10, 25, 50, 75, 100, 250, 500, 750, 1000, 2500, 5000, 7500, 10000,
]);

/** Checks histogram boundaries (finite, strictly increasing); `where` names them in the error. */
export function checkBuckets(boundaries: unknown, where: string): readonly number[] {
  if (!Array.isArray(boundaries)) {
    throw new RangeError(`${where} must be an array of numbers, got ${typeof boundaries}.`);
  }
  const checked: number[] = [];
  for (const [index, bound] of (boundaries as unknown[]).entries()) {
    if (typeof bound !== 'number' || !Number.isFinite(bound)) {
      throw new RangeError(`${where}[${index}] must be a finite number, got ${String(bound)}.`);
    }
    if (index > 0 && bound <= checked[index - 1]) {
      throw new RangeError(
        `${where} must be strictly increasing: ${bound} follows ${checked[index - 1]}.`,
      );
    }
    checked.push(bound);
  }
  return Object.freeze(checked);
}

/** Count, sum, min, max and fixed buckets of durations: constant memory, whatever the traffic. */
export class LatencyHistogram {
  private count = 0;
  private sum = 0;
  private min = Infinity;
  private max = -Infinity;
  private readonly counts: number[];

  /** `boundaries` must have passed `checkBuckets`. */
  constructor(private readonly boundaries: readonly number[]) {
    this.counts = new Array<number>(boundaries.length + 1).fill(0);
  }

  record(value: number): void {
    this.count++;
    this.sum += value;
    if (value < this.min) this.min = value;
    if (value > this.max) this.max = value;
    // A linear scan: the list of bounds is short, and most runs land in its first buckets.
    let bucket = 0;
    while (bucket < this.boundaries.length && value > this.boundaries[bucket]) bucket++;
    this.counts[bucket]++;
  }

  snapshot(): LatencySnapshot {
    const empty = this.count === 0;
    return {
      count: this.count,
      sum: this.sum,
      min: empty ? 0 : this.min,
      max: empty ? 0 : this.max,
      boundaries: this.boundaries,
      counts: [...this.counts],
    };
  }
}
