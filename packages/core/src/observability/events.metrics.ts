import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import type { Subscription } from 'rxjs';
import type { SkipReason } from '../context/event-context';
import { EventsConfigurationError } from '../errors/events-configuration.error';
import { EVENTS_MODULE_OPTIONS } from '../events-module.definition';
import type { EventsModuleOptions } from '../interfaces/events-module-options.interface';
import type {
  EventNotification,
  EventScopedNotification,
} from '../monitor/event-notification.interface';
import { EventsMonitor } from '../monitor/events.monitor';
import type {
  EventsMetricsOptions,
  EventsMetricsSnapshot,
  HandlerMetricsSnapshot,
  TransportMetricsSnapshot,
} from './events-metrics.interface';
import { checkBuckets, DEFAULT_LATENCY_BUCKETS_MS, LatencyHistogram } from './latency.histogram';
import { OpenTelemetryRecorder } from './open-telemetry.recorder';

/** Counters of one handler, or of all of them. */
class HandlerCounters {
  handled = 0;
  retried = 0;
  deadLettered = 0;
  readonly skipped: Record<SkipReason, number> = { duplicate: 0, guard: 0, filtered: 0 };
  readonly latency: LatencyHistogram;

  constructor(boundaries: readonly number[]) {
    this.latency = new LatencyHistogram(boundaries);
  }

  snapshot(): HandlerMetricsSnapshot {
    return {
      handled: this.handled,
      failed: this.retried + this.deadLettered,
      retried: this.retried,
      deadLettered: this.deadLettered,
      skipped: { ...this.skipped },
      latencyMs: this.latency.snapshot(),
    };
  }
}

/**
 * Counters (published, handled, failed, retried, dead-lettered, skipped by reason) and handler
 * latency, per handler and in total, for dashboards, health endpoints or an exporter of your own:
 * read them with `snapshot()`. With `@opentelemetry/api` installed, the same are recorded as
 * OpenTelemetry instruments. Built from `EventsMonitor` notifications, and only when the module
 * option `metrics` is on: otherwise nothing listens, and handling an event costs nothing extra.
 */
@Injectable()
export class EventsMetrics implements OnApplicationShutdown {
  /** True when the module option `metrics` is on. */
  readonly enabled: boolean;
  private readonly boundaries: readonly number[];
  private readonly total: HandlerCounters;
  private readonly byHandler = new Map<string, HandlerCounters>();
  private readonly byTransport = new Map<string, TransportCounters>();
  private published = 0;
  private readonly openTelemetry?: OpenTelemetryRecorder;
  private readonly subscription?: Subscription;

  constructor(
    monitor: EventsMonitor,
    @Inject(EVENTS_MODULE_OPTIONS) { metrics = false }: EventsModuleOptions,
  ) {
    const options: EventsMetricsOptions | undefined = metrics === true ? {} : metrics || undefined;
    this.enabled = options !== undefined;
    this.boundaries = DEFAULT_LATENCY_BUCKETS_MS;
    if (options?.histogramBuckets !== undefined) {
      try {
        this.boundaries = checkBuckets(options.histogramBuckets, 'metrics.histogramBuckets');
      } catch (error) {
        throw new EventsConfigurationError(`EventsModule: ${(error as Error).message}`);
      }
    }
    this.total = new HandlerCounters(this.boundaries);
    if (!options) return;
    if (options.openTelemetry !== false) {
      this.openTelemetry = OpenTelemetryRecorder.create(this.boundaries);
    }
    this.subscription = monitor.notifications$.subscribe((notification) =>
      this.record(notification),
    );
  }

  /** The counts so far: a copy, which later events do not change. */
  snapshot(): EventsMetricsSnapshot {
    const handlers: Record<string, HandlerMetricsSnapshot> = {};
    for (const [handler, counters] of this.byHandler) handlers[handler] = counters.snapshot();
    const transports: Record<string, TransportMetricsSnapshot> = {};
    for (const [name, counters] of this.byTransport) {
      transports[name] = { ...counters, outbox: { ...counters.outbox } };
    }
    return {
      enabled: this.enabled,
      published: this.published,
      total: this.total.snapshot(),
      handlers,
      transports,
    };
  }

  /** Stops listening once the transports have drained, so their last events count. */
  onApplicationShutdown(): void {
    this.subscription?.unsubscribe();
  }

  private record(notification: EventNotification): void {
    this.openTelemetry?.record(notification);
    switch (notification.kind) {
      case 'published':
        this.published++;
        return;
      case 'poison':
        this.transportCounters(notification.transport).poison++;
        return;
      case 'dead-letter-failed':
        this.transportCounters(notification.transport).deadLetterFailures++;
        return;
      case 'delete-failed':
        this.transportCounters(notification.transport).deleteFailures++;
        return;
      case 'receive-failed':
        this.transportCounters(notification.transport).receiveFailures++;
        return;
      case 'outbox-relayed':
        this.transportCounters(notification.transport).outbox.relayed++;
        return;
      case 'outbox-retrying':
        this.transportCounters(notification.transport).outbox.retried++;
        return;
      case 'outbox-parked':
        this.transportCounters(notification.transport).outbox.parked++;
        return;
    }
    count(this.total, notification);
    count(this.countersOf(notification.handler), notification);
  }

  private transportCounters(name: string): TransportCounters {
    let counters = this.byTransport.get(name);
    if (!counters) {
      counters = {
        poison: 0,
        deadLetterFailures: 0,
        deleteFailures: 0,
        receiveFailures: 0,
        outbox: { relayed: 0, retried: 0, parked: 0 },
      };
      this.byTransport.set(name, counters);
    }
    return counters;
  }

  private countersOf(handler: string): HandlerCounters {
    let counters = this.byHandler.get(handler);
    if (!counters) this.byHandler.set(handler, (counters = new HandlerCounters(this.boundaries)));
    return counters;
  }
}

interface TransportCounters {
  poison: number;
  deadLetterFailures: number;
  deleteFailures: number;
  receiveFailures: number;
  outbox: { relayed: number; retried: number; parked: number };
}

function count(
  counters: HandlerCounters,
  notification: Exclude<EventScopedNotification, { kind: 'published' }>,
): void {
  switch (notification.kind) {
    case 'handled':
      counters.handled++;
      counters.latency.record(notification.durationMs);
      return;
    case 'retrying':
      counters.retried++;
      return;
    case 'dead-lettered':
      counters.deadLettered++;
      return;
    case 'skipped':
      counters.skipped[notification.reason]++;
      return;
  }
}
