/* eslint-disable @typescript-eslint/no-require-imports -- an optional peer, required lazily on purpose */
import type { Attributes, Counter, Histogram, Meter } from '@opentelemetry/api';
import type * as OpenTelemetryApi from '@opentelemetry/api';
import type { EventNotification } from '../monitor/event-notification.interface';
import { tryLoadOptionalDependency } from '../utils/optional-dependency';
import { MAX_CACHED_TYPES } from '../utils/cache-limits';

/** Name of the meter that records this library's instruments. */
export const METER_NAME = '@nestjs-events/core';

/** Instrument names, as documented in the README. */
export const INSTRUMENTS = {
  published: 'nestjs_events.published',
  handled: 'nestjs_events.handled',
  failed: 'nestjs_events.failed',
  retried: 'nestjs_events.retried',
  deadLettered: 'nestjs_events.dead_lettered',
  skipped: 'nestjs_events.skipped',
  duration: 'nestjs_events.handler.duration',
  transportErrors: 'nestjs_events.transport.errors',
  relayed: 'nestjs_events.outbox.relayed',
} as const;

/**
 * Records event notifications as OpenTelemetry counters and a latency histogram, through the
 * global MeterProvider. Attributes are `event.type` and `handler` (plus `reason` for skips and
 * dead letters), never payload data. Handlers come from code; types mostly do, but a queue may
 * carry any: attribute objects are kept for `MAX_CACHED_TYPES` types at most, and the SDK bounds
 * the series (its cardinality limit).
 */
export class OpenTelemetryRecorder {
  private readonly published: Counter;
  private readonly handled: Counter;
  private readonly failed: Counter;
  private readonly retried: Counter;
  private readonly deadLettered: Counter;
  private readonly skipped: Counter;
  private readonly duration: Histogram;
  private readonly transportErrors: Counter;
  private readonly relayed: Counter;
  // Attributes by handler, then event type: built once per pair rather than once per event.
  private readonly handlerAttributes = new Map<string, Map<string, Attributes>>();
  private readonly typeAttributes = new Map<string, Attributes>();

  private constructor(meter: Meter, boundaries: readonly number[]) {
    this.published = meter.createCounter(INSTRUMENTS.published, {
      description: 'Events published through the EventBus',
      unit: '{event}',
    });
    this.handled = meter.createCounter(INSTRUMENTS.handled, {
      description: 'Handler runs that succeeded',
      unit: '{event}',
    });
    this.failed = meter.createCounter(INSTRUMENTS.failed, {
      description: 'Handler attempts that threw (retried + dead-lettered)',
      unit: '{attempt}',
    });
    this.retried = meter.createCounter(INSTRUMENTS.retried, {
      description: 'Handler attempts that threw and are retried',
      unit: '{attempt}',
    });
    this.deadLettered = meter.createCounter(INSTRUMENTS.deadLettered, {
      description: 'Events dead-lettered by a handler',
      unit: '{event}',
    });
    this.skipped = meter.createCounter(INSTRUMENTS.skipped, {
      description: 'Deliveries acknowledged without running the handler',
      unit: '{event}',
    });
    this.transportErrors = meter.createCounter(INSTRUMENTS.transportErrors, {
      description:
        'What went wrong outside handlers: poison messages, failed dead-letter writes, deletes and receives',
      unit: '{error}',
    });
    this.relayed = meter.createCounter(INSTRUMENTS.relayed, {
      description: 'Events a transactional outbox relay sent to the broker',
      unit: '{event}',
    });
    this.duration = meter.createHistogram(INSTRUMENTS.duration, {
      description: 'Duration of successful handler runs',
      unit: 'ms',
      advice: { explicitBucketBoundaries: [...boundaries] },
    });
  }

  /**
   * A recorder on the meter of the global MeterProvider, or `undefined` when `@opentelemetry/api`
   * is not installed. The provider must be registered before this is called: the metrics API has
   * no proxy, so a meter taken earlier stays a no-op.
   */
  static create(boundaries: readonly number[]): OpenTelemetryRecorder | undefined {
    const api = tryLoadOptionalDependency<typeof OpenTelemetryApi>('@opentelemetry/api', () =>
      require('@opentelemetry/api'),
    );
    return api && new OpenTelemetryRecorder(api.metrics.getMeter(METER_NAME), boundaries);
  }

  record(notification: EventNotification): void {
    switch (notification.kind) {
      case 'poison':
      case 'dead-letter-failed':
      case 'delete-failed':
      case 'receive-failed':
        this.transportErrors.add(1, {
          transport: notification.transport,
          queue: notification.queue,
          'error.kind': notification.kind,
          ...('reason' in notification && { reason: notification.reason }),
        });
        return;
      case 'outbox-retrying':
      case 'outbox-parked':
        this.transportErrors.add(1, {
          transport: notification.transport,
          'error.kind': notification.kind,
          'event.type': notification.event.type,
        });
        return;
      case 'outbox-relayed':
        this.relayed.add(1, {
          transport: notification.transport,
          'event.type': notification.event.type,
        });
        return;
    }
    const { event } = notification;
    switch (notification.kind) {
      case 'published':
        this.published.add(1, this.attributesOf(event.type));
        return;
      case 'handled': {
        const attributes = this.attributes(notification.handler, event.type);
        this.handled.add(1, attributes);
        this.duration.record(notification.durationMs, attributes);
        return;
      }
      case 'retrying': {
        const attributes = this.attributes(notification.handler, event.type);
        this.failed.add(1, attributes);
        this.retried.add(1, attributes);
        return;
      }
      case 'dead-lettered': {
        const attributes = this.attributes(notification.handler, event.type);
        this.failed.add(1, attributes);
        this.deadLettered.add(1, { ...attributes, reason: notification.reason });
        return;
      }
      case 'skipped':
        this.skipped.add(1, {
          ...this.attributes(notification.handler, event.type),
          reason: notification.reason,
        });
        return;
    }
  }

  private attributes(handler: string, type: string): Attributes {
    let byType = this.handlerAttributes.get(handler);
    if (!byType) this.handlerAttributes.set(handler, (byType = new Map<string, Attributes>()));
    let attributes = byType.get(type);
    if (!attributes) {
      attributes = { 'event.type': type, handler };
      if (byType.size < MAX_CACHED_TYPES) byType.set(type, attributes);
    }
    return attributes;
  }

  private attributesOf(type: string): Attributes {
    let attributes = this.typeAttributes.get(type);
    if (!attributes) {
      attributes = { 'event.type': type };
      if (this.typeAttributes.size < MAX_CACHED_TYPES) this.typeAttributes.set(type, attributes);
    }
    return attributes;
  }
}
