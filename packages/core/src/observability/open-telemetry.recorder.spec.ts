import { metrics } from '@opentelemetry/api';
import {
  DataPointType,
  MeterProvider,
  MetricReader,
  type HistogramMetricData,
  type MetricData,
} from '@opentelemetry/sdk-metrics';
import type { EventEnvelope } from '../interfaces/event-envelope.interface';
import { MAX_CACHED_TYPES } from '../utils/cache-limits';
import { INSTRUMENTS, METER_NAME, OpenTelemetryRecorder } from './open-telemetry.recorder';

/** Reads on demand, for tests. */
class TestReader extends MetricReader {
  protected onShutdown(): Promise<void> {
    return Promise.resolve();
  }
  protected onForceFlush(): Promise<void> {
    return Promise.resolve();
  }
}

const placed: EventEnvelope = {
  id: 'e-1',
  type: 'order.placed',
  version: 1,
  source: 'test',
  occurredAt: '2024-01-01T00:00:00.000Z',
  data: { secret: 'payload' },
  metadata: { correlationId: 'e-1' },
};

describe('OpenTelemetryRecorder', () => {
  let reader: TestReader;

  beforeEach(() => {
    reader = new TestReader();
    metrics.setGlobalMeterProvider(new MeterProvider({ readers: [reader] }));
  });
  afterEach(() => metrics.disable());

  async function collect(): Promise<Map<string, MetricData>> {
    const { resourceMetrics } = await reader.collect();
    const scope = resourceMetrics.scopeMetrics.find((s) => s.scope.name === METER_NAME);
    return new Map((scope?.metrics ?? []).map((metric) => [metric.descriptor.name, metric]));
  }

  /** Data points of a counter as `attributes → value`, attributes in JSON. */
  function points(metric: MetricData | undefined): Record<string, number> {
    return Object.fromEntries(
      (metric?.dataPoints ?? []).map((point) => [
        JSON.stringify(point.attributes),
        point.value as number,
      ]),
    );
  }

  it('records counters with event type and handler, and reasons for skips and dead letters', async () => {
    const recorder = OpenTelemetryRecorder.create([10, 100])!;
    const error = new Error('boom');
    recorder.record({ kind: 'published', event: placed, transport: 'memory' });
    recorder.record({
      kind: 'retrying',
      event: placed,
      handler: 'A.a',
      attempt: 1,
      delayMs: 1,
      error,
    });
    recorder.record({ kind: 'handled', event: placed, handler: 'A.a', attempt: 2, durationMs: 12 });
    recorder.record({
      kind: 'dead-lettered',
      event: placed,
      handler: 'B.b',
      transport: 'memory',
      reason: 'non-retryable',
      error,
      attempts: 1,
    });
    recorder.record({ kind: 'skipped', event: placed, handler: 'C.c', reason: 'duplicate' });

    const recorded = await collect();
    const a = JSON.stringify({ 'event.type': 'order.placed', handler: 'A.a' });
    const b = JSON.stringify({ 'event.type': 'order.placed', handler: 'B.b' });
    expect(points(recorded.get(INSTRUMENTS.published))).toEqual({
      [JSON.stringify({ 'event.type': 'order.placed' })]: 1,
    });
    expect(points(recorded.get(INSTRUMENTS.handled))).toEqual({ [a]: 1 });
    expect(points(recorded.get(INSTRUMENTS.retried))).toEqual({ [a]: 1 });
    expect(points(recorded.get(INSTRUMENTS.failed))).toEqual({ [a]: 1, [b]: 1 });
    expect(points(recorded.get(INSTRUMENTS.deadLettered))).toEqual({
      [JSON.stringify({ 'event.type': 'order.placed', handler: 'B.b', reason: 'non-retryable' })]:
        1,
    });
    expect(points(recorded.get(INSTRUMENTS.skipped))).toEqual({
      [JSON.stringify({ 'event.type': 'order.placed', handler: 'C.c', reason: 'duplicate' })]: 1,
    });

    const duration = recorded.get(INSTRUMENTS.duration) as HistogramMetricData;
    expect(duration.dataPointType).toBe(DataPointType.HISTOGRAM);
    expect(duration.descriptor.unit).toBe('ms');
    expect(duration.dataPoints).toHaveLength(1);
    expect(duration.dataPoints[0].attributes).toEqual({
      'event.type': 'order.placed',
      handler: 'A.a',
    });
    expect(duration.dataPoints[0].value).toMatchObject({
      count: 1,
      sum: 12,
      min: 12,
      max: 12,
      // The advised boundaries replace the SDK's defaults.
      buckets: { boundaries: [10, 100], counts: [0, 1, 0] },
    });
  });

  it('keeps the attributes of a bounded number of event types, and records the others alike', async () => {
    const recorder = OpenTelemetryRecorder.create([1])!;
    // Types a queue may carry from anywhere, e.g. `order.<uuid>` to a handler of `order.*`.
    const types = Array.from({ length: MAX_CACHED_TYPES + 100 }, (_, i) => `order.kind-${i}`);
    for (const type of types) {
      const event = { ...placed, type };
      recorder.record({ kind: 'published', event, transport: 'memory' });
      recorder.record({ kind: 'handled', event, handler: 'A.a', attempt: 1, durationMs: 1 });
    }

    const recorded = await collect();
    const last = types[types.length - 1];
    expect(points(recorded.get(INSTRUMENTS.published))).toMatchObject({
      [JSON.stringify({ 'event.type': last })]: 1,
    });
    expect(points(recorded.get(INSTRUMENTS.handled))).toMatchObject({
      [JSON.stringify({ 'event.type': last, handler: 'A.a' })]: 1,
    });
    const kept = recorder as unknown as {
      typeAttributes: Map<string, unknown>;
      handlerAttributes: Map<string, Map<string, unknown>>;
    };
    expect(kept.typeAttributes.size).toBe(MAX_CACHED_TYPES);
    expect(kept.handlerAttributes.get('A.a')?.size).toBe(MAX_CACHED_TYPES);
  });

  it('puts nothing from the payload into attributes', async () => {
    const recorder = OpenTelemetryRecorder.create([1])!;
    recorder.record({ kind: 'handled', event: placed, handler: 'A.a', attempt: 1, durationMs: 1 });
    expect(JSON.stringify([...(await collect()).values()].map((m) => m.dataPoints))).not.toContain(
      'payload',
    );
  });

  it('is not created when @opentelemetry/api is not installed', () => {
    jest.isolateModules(() => {
      jest.doMock('@opentelemetry/api', () => {
        throw Object.assign(new Error("Cannot find module '@opentelemetry/api'"), {
          code: 'MODULE_NOT_FOUND',
        });
      });
      const isolated = jest.requireActual<{ OpenTelemetryRecorder: typeof OpenTelemetryRecorder }>(
        './open-telemetry.recorder',
      );
      expect(isolated.OpenTelemetryRecorder.create([1])).toBeUndefined();
    });
  });
});
