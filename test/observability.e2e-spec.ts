import {
  ConsoleLogger,
  Injectable,
  type INestApplication,
  type LoggerService,
  type Provider,
} from '@nestjs/common';
import { Test } from '@nestjs/testing';
import {
  EventBus,
  EventHandler,
  EventsMetrics,
  EventsModule,
  EventsMonitor,
  type EventsModuleOptions,
} from '@nestjs-events/core';
import { EventProbe } from '@nestjs-events/core/testing';
import { metrics } from '@opentelemetry/api';
import {
  MeterProvider,
  MetricReader,
  type HistogramMetricData,
  type MetricData,
} from '@opentelemetry/sdk-metrics';
import { ThingHappened, ThingNoted } from './fixtures/events';

/** Reads on demand, for tests. */
class TestReader extends MetricReader {
  protected onShutdown(): Promise<void> {
    return Promise.resolve();
  }
  protected onForceFlush(): Promise<void> {
    return Promise.resolve();
  }
}

interface Captured {
  readonly level: string;
  readonly message: unknown;
  readonly params: unknown[];
}

/** A LoggerService that keeps what it is given, the way a custom logger would receive it. */
class CapturingLogger implements LoggerService {
  readonly records: Captured[] = [];
  log(message: unknown, ...params: unknown[]) {
    this.records.push({ level: 'log', message, params });
  }
  error(message: unknown, ...params: unknown[]) {
    this.records.push({ level: 'error', message, params });
  }
  warn(message: unknown, ...params: unknown[]) {
    this.records.push({ level: 'warn', message, params });
  }
  debug(message: unknown, ...params: unknown[]) {
    this.records.push({ level: 'debug', message, params });
  }
  /** Records of one logger context (the last argument, as Nest's Logger passes it). */
  of(context: string): Captured[] {
    return this.records.filter((record) => record.params.at(-1) === context);
  }
}

// Only the very first attempt fails: the first event is handled on its second attempt.
@Injectable()
class FailsOnce {
  attempts = 0;
  @EventHandler(ThingHappened, { retry: { maxAttempts: 3 } })
  onThing() {
    if (++this.attempts === 1) throw new Error('transient failure');
  }
}

@Injectable()
class AlwaysFails {
  @EventHandler(ThingNoted, { retry: { maxAttempts: 2 } })
  onNote() {
    throw new Error('downstream is gone');
  }
}

const SECRET_NAME = 'secret-name-4711';
const SECRET_NOTE = 'secret-note-0815';

let app: INestApplication | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
  metrics.disable();
});

async function boot(
  options: Partial<EventsModuleOptions>,
  logger: LoggerService | false = false,
  providers: Provider[] = [FailsOnce, AlwaysFails],
): Promise<{ app: INestApplication; probe: EventProbe }> {
  const moduleRef = await Test.createTestingModule({
    imports: [
      EventsModule.forRoot({
        source: 'test',
        retry: { baseDelayMs: 1, maxDelayMs: 5 },
        ...options,
      }),
    ],
    providers,
  }).compile();
  app = moduleRef.createNestApplication({ logger });
  const probe = EventProbe.attach(app);
  await app.init();
  return { app, probe };
}

/** Publishes one event for each handler and waits until both are settled. */
async function publishBoth(
  started: INestApplication,
  probe: EventProbe,
): Promise<{ happened: string; noted: string }> {
  const happened = ThingHappened.create({ name: SECRET_NAME, size: 1 });
  const noted = ThingNoted.create({ note: SECRET_NOTE });
  await started.get(EventBus).publishAll([happened, noted]);
  await probe.waitFor('thing.happened');
  await probe.waitForDeadLetter('thing.noted');
  await probe.waitForIdle();
  return { happened: happened.id, noted: noted.id };
}

describe('metrics', () => {
  it('counts retries, dead letters and handled events, with latency, per handler and in total', async () => {
    const { app, probe } = await boot({ metrics: { histogramBuckets: [1, 1000] } });
    await publishBoth(app, probe);

    const snapshot = app.get(EventsMetrics).snapshot();
    expect(snapshot.enabled).toBe(true);
    expect(snapshot.published).toBe(2);
    const failsOnce = snapshot.handlers['FailsOnce.onThing'];
    expect(failsOnce).toMatchObject({ handled: 1, failed: 1, retried: 1, deadLettered: 0 });
    expect(failsOnce.latencyMs.count).toBe(1);
    expect(failsOnce.latencyMs.min).toBe(failsOnce.latencyMs.max);
    expect(failsOnce.latencyMs.sum).toBe(failsOnce.latencyMs.max);
    expect(failsOnce.latencyMs.sum).toBeGreaterThan(0);
    expect(failsOnce.latencyMs.boundaries).toEqual([1, 1000]);
    expect(failsOnce.latencyMs.counts.reduce((a, b) => a + b)).toBe(1);
    expect(snapshot.handlers['AlwaysFails.onNote']).toMatchObject({
      handled: 0,
      failed: 2,
      retried: 1,
      deadLettered: 1,
      latencyMs: { count: 0 },
    });
    expect(snapshot.total).toMatchObject({
      handled: 1,
      failed: 3,
      retried: 2,
      deadLettered: 1,
      skipped: { duplicate: 0, guard: 0, filtered: 0 },
      latencyMs: { count: 1 },
    });
  });

  it('records the same through OpenTelemetry when a MeterProvider is registered', async () => {
    const reader = new TestReader();
    metrics.setGlobalMeterProvider(new MeterProvider({ readers: [reader] }));
    const { app, probe } = await boot({ metrics: true });
    await publishBoth(app, probe);

    const { resourceMetrics } = await reader.collect();
    const recorded = new Map<string, MetricData>(
      resourceMetrics.scopeMetrics
        .filter((scope) => scope.scope.name === '@nestjs-events/core')
        .flatMap((scope) => scope.metrics)
        .map((metric) => [metric.descriptor.name, metric]),
    );
    const sum = (name: string, handler?: string): number =>
      (recorded.get(name)?.dataPoints ?? [])
        .filter((point) => handler === undefined || point.attributes.handler === handler)
        .reduce((total, point) => total + (point.value as number), 0);
    expect(sum('nestjs_events.published')).toBe(2);
    expect(sum('nestjs_events.handled', 'FailsOnce.onThing')).toBe(1);
    expect(sum('nestjs_events.retried')).toBe(2);
    expect(sum('nestjs_events.failed', 'FailsOnce.onThing')).toBe(1);
    expect(sum('nestjs_events.failed', 'AlwaysFails.onNote')).toBe(2);
    expect(recorded.get('nestjs_events.dead_lettered')?.dataPoints).toEqual([
      expect.objectContaining({
        attributes: {
          'event.type': 'thing.noted',
          handler: 'AlwaysFails.onNote',
          reason: 'max-attempts',
        },
        value: 1,
      }),
    ]);
    const duration = recorded.get('nestjs_events.handler.duration') as HistogramMetricData;
    expect(duration.descriptor.unit).toBe('ms');
    expect(duration.dataPoints).toEqual([
      expect.objectContaining({
        attributes: { 'event.type': 'thing.happened', handler: 'FailsOnce.onThing' },
        value: expect.objectContaining({ count: 1 }),
      }),
    ]);
  });

  it('is off by default: nothing listens to the monitor, so handling builds no notification', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [EventsModule.forRoot({ source: 'test' })],
      providers: [FailsOnce],
    }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    await app.init();
    expect(app.get(EventsMonitor).observed).toBe(false);
    expect(app.get(EventsMetrics).snapshot()).toMatchObject({ enabled: false, published: 0 });
  });
});

describe('logs', () => {
  it('carry the event id, type, version, correlation, handler and attempt as fields, and no data', async () => {
    const logger = new CapturingLogger();
    const { app, probe } = await boot({}, logger);
    const ids = await publishBoth(app, probe);

    const records = logger.of('EventHandler');
    const retry = records.find(
      (r) => r.level === 'warn' && String(r.message).includes('FailsOnce'),
    );
    expect(retry?.message).toMatch(
      new RegExp(
        `^FailsOnce\\.onThing failed on event ${ids.happened} \\(thing\\.happened\\) at attempt 1: ` +
          'Error: transient failure; retrying in \\d+ ms$',
      ),
    );
    expect(retry?.params).toEqual([
      {
        eventId: ids.happened,
        eventType: 'thing.happened',
        eventVersion: 2,
        correlationId: ids.happened,
        handler: 'FailsOnce.onThing',
        attempt: 1,
        delayMs: expect.any(Number),
        error: 'Error: transient failure',
      },
      'EventHandler',
    ]);
    const deadLetter = records.find((r) => r.level === 'error');
    expect(deadLetter?.message).toMatch(
      /AlwaysFails\.onNote failed .* dead-lettered \(max-attempts\)$/,
    );
    expect(deadLetter?.params).toEqual([
      {
        eventId: ids.noted,
        eventType: 'thing.noted',
        eventVersion: 1,
        correlationId: ids.noted,
        handler: 'AlwaysFails.onNote',
        attempt: 2,
        reason: 'max-attempts',
        error: 'Error: downstream is gone',
      },
      expect.stringMatching(/^Error: downstream is gone\n {4}at /),
      'EventHandler',
    ]);
    expect(JSON.stringify(logger.records)).not.toMatch(/secret-/);
  });

  it('include the data with logPayloads: true', async () => {
    const logger = new CapturingLogger();
    const { app, probe } = await boot({ logPayloads: true }, logger);
    await publishBoth(app, probe);

    const fields = logger
      .of('EventHandler')
      .map((record) => record.params[0] as { eventType: string; data?: unknown });
    expect(fields.find((f) => f.eventType === 'thing.happened')?.data).toEqual({
      name: SECRET_NAME,
      size: 1,
    });
    expect(fields.find((f) => f.eventType === 'thing.noted')?.data).toEqual({ note: SECRET_NOTE });
  });

  it("come out of Nest's JSON ConsoleLogger as fields of one record", async () => {
    const lines: string[] = [];
    const write = (chunk: string | Uint8Array) => {
      lines.push(...String(chunk).split('\n').filter(Boolean));
      return true;
    };
    jest.spyOn(process.stdout, 'write').mockImplementation(write);
    jest.spyOn(process.stderr, 'write').mockImplementation(write);
    try {
      const { app, probe } = await boot({}, new ConsoleLogger({ json: true, flattenParams: true }));
      const ids = await publishBoth(app, probe);
      const records = lines
        .map((line) => JSON.parse(line) as Record<string, unknown>)
        .filter((record) => record.context === 'EventHandler');
      expect(records).toContainEqual(
        expect.objectContaining({
          level: 'warn',
          message: expect.stringContaining('retrying in'),
          eventId: ids.happened,
          eventType: 'thing.happened',
          correlationId: ids.happened,
          handler: 'FailsOnce.onThing',
          attempt: 1,
        }),
      );
      expect(records).toContainEqual(
        expect.objectContaining({
          level: 'error',
          eventId: ids.noted,
          reason: 'max-attempts',
          stack: expect.stringContaining('downstream is gone'),
        }),
      );
      expect(lines.join('\n')).not.toMatch(/secret-/);
    } finally {
      jest.restoreAllMocks();
    }
  });
});
