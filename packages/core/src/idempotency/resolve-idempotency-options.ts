import type { IdempotencyOptions } from './idempotency-options.interface';

type Defaulted = Required<Omit<IdempotencyOptions, 'key' | 'fingerprint'>>;

/** Idempotency options with every default filled in and checked. */
export type ResolvedIdempotencyOptions = Defaulted &
  Pick<IdempotencyOptions, 'key' | 'fingerprint'>;

const DEFAULTS: Defaulted = {
  ttlMs: 24 * 60 * 60 * 1000,
  lockTtlMs: 60_000,
  whenInProgress: 'wait',
  operationTimeoutMs: 5_000,
};

/** Merges module defaults and per-handler options; `where` names them in errors. */
export function resolveIdempotencyOptions(
  where: string,
  ...layers: Array<IdempotencyOptions | undefined>
): ResolvedIdempotencyOptions {
  const options = Object.assign({}, DEFAULTS, ...layers) as ResolvedIdempotencyOptions;
  for (const name of ['ttlMs', 'lockTtlMs', 'operationTimeoutMs'] as const) {
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
  const { fingerprint } = options;
  if (fingerprint !== undefined && fingerprint !== false && typeof fingerprint !== 'function') {
    throw new TypeError(`${where}: fingerprint must be a function or false.`);
  }
  return options;
}
