import { Inject, Injectable, Optional } from '@nestjs/common';
import { HealthIndicatorService, type HealthIndicatorResult } from '@nestjs/terminus';
import {
  EVENTS_TRANSPORTS,
  StuckHandlers,
  type StuckHandler,
  type Transport,
  type TransportHealth,
} from '@nestjs-events/core';

/** Options of one `isHealthy` check. */
export interface EventsHealthCheckOptions {
  /**
   * Names of the transports to check, e.g. `['sns-sqs']` for a check of its own. A name that no
   * transport has is reported down, so a typo cannot pass for a healthy transport.
   * @default every transport of the application
   */
  transports?: readonly string[];
  /**
   * How long a transport's `health()` may take before it counts as down. The built-in transports
   * answer at once; this bounds custom ones that ask their broker, so that the health endpoint
   * answers within the probe's own timeout.
   * @default 1000
   */
  timeoutMs?: number;
}

/** One transport's entry in the details: its status first, then its own details. */
export type TransportHealthDetails = { status: 'up' | 'down' } & Record<string, unknown>;

export interface EventsHealthDetails extends Record<string, unknown> {
  transports: Record<string, TransportHealthDetails>;
  /** Handler runs past their timeout that have not settled (listed only when there are some). */
  stuckHandlers?: StuckHandler[];
}

const DEFAULT_TIMEOUT_MS = 1000;

/**
 * Health of the event transports, for `@nestjs/terminus`: up when every transport reports up and
 * no handler run is stuck past its timeout, with each transport's details (consumers, publisher,
 * …) under `transports.<name>` and the stuck runs under `stuckHandlers`.
 *
 * ```ts
 * @Get('health')
 * @HealthCheck()
 * check() {
 *   return this.health.check([() => this.events.isHealthy()]);
 * }
 * ```
 */
@Injectable()
export class EventsHealthIndicator {
  constructor(
    private readonly healthIndicatorService: HealthIndicatorService,
    @Inject(EVENTS_TRANSPORTS) private readonly transports: readonly Transport[],
    @Optional() private readonly stuck?: StuckHandlers,
  ) {}

  /**
   * Asks every transport (or those named in `options.transports`) for its health.
   * @param key Key of the result in the health check's response. @default 'events'
   */
  async isHealthy<const Key extends string = 'events'>(
    key: Key = 'events' as Key,
    options: EventsHealthCheckOptions = {},
  ): Promise<HealthIndicatorResult<Key>> {
    const indicator = this.healthIndicatorService.check(key);
    const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const names = options.transports ?? this.transports.map((t) => t.name);
    const entries = await Promise.all(
      names.map(async (name): Promise<[string, TransportHealthDetails]> => {
        const transport = this.transports.find((t) => t.name === name);
        if (!transport) {
          const known = this.transports.map((t) => `"${t.name}"`).join(', ') || 'none';
          return [
            name,
            { status: 'down', error: `no transport named "${name}" (known: ${known})` },
          ];
        }
        return [name, toDetails(await healthOf(transport, timeoutMs))];
      }),
    );
    const stuckHandlers = this.stuck?.list() ?? [];
    const details: EventsHealthDetails = {
      transports: Object.fromEntries(entries),
      ...(stuckHandlers.length > 0 && { stuckHandlers }),
    };
    return stuckHandlers.length === 0 && entries.every(([, entry]) => entry.status === 'up')
      ? indicator.up(details)
      : indicator.down(details);
  }
}

/** A transport's health, with a throwing or hanging `health()` reported as down. */
async function healthOf(transport: Transport, timeoutMs: number): Promise<TransportHealth> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<TransportHealth>((resolve) => {
    timer = setTimeout(
      () =>
        resolve({
          status: 'down',
          details: { error: `health() took longer than ${timeoutMs} ms` },
        }),
      timeoutMs,
    );
  });
  try {
    // Called inside the async arrow, so a health() that throws synchronously is caught too.
    return await Promise.race([(async () => transport.health())(), timeout]);
  } catch (error) {
    const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    return { status: 'down', details: { error: `health() failed: ${message}` } };
  } finally {
    clearTimeout(timer);
  }
}

function toDetails(health: TransportHealth): TransportHealthDetails {
  // `status` leads, and a detail of the same name cannot contradict it.
  return Object.assign({ status: health.status }, health.details, { status: health.status });
}
