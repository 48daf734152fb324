import type { IdempotencyOptions } from './idempotency-options.interface';

/** Idempotency options with every default filled in and checked. */
export type ResolvedIdempotencyOptions = Required<Omit<IdempotencyOptions, 'key'>> &
  Pick<IdempotencyOptions, 'key'>;

const DEFAULTS: Required<Omit<IdempotencyOptions, 'key'>> = {
  ttlMs: 24 * 60 * 60 * 1000,
  lockTtlMs: 60_000,
  whenInProgress: 'wait',
};

/** Merges module defaults and per-handler options; `where` names them in errors. */
export function resolveIdempotencyOptions(
  where: string,
  ...layers: Array<IdempotencyOptions | undefined>
): ResolvedIdempotencyOptions {
  const options = Object.assign({}, DEFAULTS, ...layers) as ResolvedIdempotencyOptions;
  for (const name of ['ttlMs', 'lockTtlMs'] as const) {
    const value = options[name];
    if (!(Number.isFinite(value) && value >= 1)) {
      throw new RangeError(
        `${where}: ${name} must be a number of milliseconds >= 1, got ${value}.`,
      );
    }
  }
  if (options.whenInProgress !== 'wait' && options.whenInProgress !== 'skip') {
    throw new RangeError(`${where}: whenInProgress must be 'wait' or 'skip'.`);
  }
  return options;
}
