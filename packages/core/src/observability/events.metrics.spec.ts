import { EventsConfigurationError } from '../errors/events-configuration.error';
import type { EventEnvelope } from '../interfaces/event-envelope.interface';
import type { EventsModuleOptions } from '../interfaces/events-module-options.interface';
import { EventsMonitor } from '../monitor/events.monitor';
import { EventsMetrics } from './events.metrics';

function event(type: string): EventEnvelope {
  return {
    id: `id-${type}`,
    type,
    version: 1,
    source: 'test',
    occurredAt: '2024-01-01T00:00:00.000Z',
    data: {},
    metadata: { correlationId: `id-${type}` },
  };
}

function create(metrics: EventsModuleOptions['metrics']): {
  monitor: EventsMonitor;
  metrics: EventsMetrics;
} {
  const monitor = new EventsMonitor();
  return { monitor, metrics: new EventsMetrics(monitor, { source: 'test', metrics }) };
}

describe('EventsMetrics', () => {
  it('does not listen when metrics are off, which is the default', () => {
    for (const option of [undefined, false]) {
      const { monitor, metrics } = create(option);
      expect(monitor.observed).toBe(false);
      expect(metrics.enabled).toBe(false);
      monitor.notify({ kind: 'published', event: event('a.b'), transport: 'memory' });
      expect(metrics.snapshot()).toMatchObject({ enabled: false, published: 0, handlers: {} });
    }
  });

  it('counts per handler and in total; failed is retried plus dead-lettered', () => {
    const { monitor, metrics } = create({ histogramBuckets: [10, 100], openTelemetry: false });
    expect(monitor.observed).toBe(true);
    const placed = event('order.placed');
    const paid = event('order.paid');
    const error = new Error('boom');
    monitor.notify({ kind: 'published', event: placed, transport: 'memory' });
    monitor.notify({ kind: 'published', event: paid, transport: 'memory' });
    monitor.notify({
      kind: 'retrying',
      event: placed,
      handler: 'A.a',
      attempt: 1,
      delayMs: 5,
      error,
    });
    monitor.notify({ kind: 'handled', event: placed, handler: 'A.a', attempt: 2, durationMs: 4 });
    monitor.notify({ kind: 'handled', event: paid, handler: 'A.a', attempt: 1, durationMs: 50 });
    monitor.notify({
      kind: 'retrying',
      event: paid,
      handler: 'B.b',
      attempt: 1,
      delayMs: 5,
      error,
    });
    monitor.notify({
      kind: 'dead-lettered',
      event: paid,
      handler: 'B.b',
      transport: 'memory',
      reason: 'max-attempts',
      error,
      attempts: 2,
    });
    monitor.notify({ kind: 'skipped', event: placed, handler: 'B.b', reason: 'filtered' });
    monitor.notify({ kind: 'skipped', event: placed, handler: 'C.c', reason: 'duplicate' });
    monitor.notify({ kind: 'skipped', event: paid, handler: 'C.c', reason: 'guard' });

    const snapshot = metrics.snapshot();
    expect(snapshot.enabled).toBe(true);
    expect(snapshot.published).toBe(2);
    expect(snapshot.handlers['A.a']).toEqual({
      handled: 2,
      failed: 1,
      retried: 1,
      deadLettered: 0,
      skipped: { duplicate: 0, guard: 0, filtered: 0 },
      latencyMs: { count: 2, sum: 54, min: 4, max: 50, boundaries: [10, 100], counts: [1, 1, 0] },
    });
    expect(snapshot.handlers['B.b']).toMatchObject({
      handled: 0,
      failed: 2,
      retried: 1,
      deadLettered: 1,
      skipped: { duplicate: 0, guard: 0, filtered: 1 },
      latencyMs: { count: 0, counts: [0, 0, 0] },
    });
    expect(snapshot.handlers['C.c'].skipped).toEqual({ duplicate: 1, guard: 1, filtered: 0 });
    expect(snapshot.total).toEqual({
      handled: 2,
      failed: 3,
      retried: 2,
      deadLettered: 1,
      skipped: { duplicate: 1, guard: 1, filtered: 1 },
      latencyMs: { count: 2, sum: 54, min: 4, max: 50, boundaries: [10, 100], counts: [1, 1, 0] },
    });
  });

  it('hands out snapshots that later events do not change', () => {
    const { monitor, metrics } = create(true);
    const before = metrics.snapshot();
    monitor.notify({
      kind: 'handled',
      event: event('a.b'),
      handler: 'A.a',
      attempt: 1,
      durationMs: 1,
    });
    expect(before.total.handled).toBe(0);
    expect(before.handlers).toEqual({});
    expect(metrics.snapshot().total.handled).toBe(1);
  });

  it('uses the default buckets with `true`', () => {
    const { metrics } = create(true);
    expect(metrics.snapshot().total.latencyMs.boundaries).toEqual([
      0, 5, 10, 25, 50, 75, 100, 250, 500, 750, 1000, 2500, 5000, 7500, 10000,
    ]);
  });

  it('refuses bad histogram buckets at bootstrap, naming the option', () => {
    expect(() => create({ histogramBuckets: [5, 1] })).toThrow(EventsConfigurationError);
    expect(() => create({ histogramBuckets: [5, 1] })).toThrow(
      'EventsModule: metrics.histogramBuckets must be strictly increasing: 1 follows 5.',
    );
  });

  it('stops listening at shutdown', () => {
    const { monitor, metrics } = create(true);
    metrics.onApplicationShutdown();
    expect(monitor.observed).toBe(false);
  });
});
