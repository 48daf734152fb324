import { SpanKind, context, trace, type SpanContext } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type ReadableSpan,
} from '@opentelemetry/sdk-trace-base';
import { Controller, Injectable, Post } from '@nestjs/common';
import { EventBus, EventHandler, type EventEnvelope } from '@nestjs-events/core';
import { SnsSqsTransport } from '@nestjs-events/sns';
import request from 'supertest';
import { awsTestConfig, uniqueName, type Emulator } from './fixtures/aws';
import { createTestApp, type TestApp } from './fixtures/create-app';
import { ThingHappened, ThingNoted } from './fixtures/events';
import { until } from './fixtures/until';

jest.setTimeout(40_000);

const exporter = new InMemorySpanExporter();
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
const contextManager = new AsyncLocalStorageContextManager().enable();
beforeAll(() => {
  trace.setGlobalTracerProvider(provider);
  context.setGlobalContextManager(contextManager);
});
afterAll(async () => {
  await provider.shutdown();
  contextManager.disable();
  trace.disable();
  context.disable();
});

/** The span of an incoming request, as HTTP server instrumentation would start it. */
@Controller('orders')
class OrdersController {
  constructor(private readonly bus: EventBus) {}

  @Post()
  async place(): Promise<{ ok: true }> {
    const tracer = trace.getTracer('test-http');
    await tracer.startActiveSpan('POST /orders', { kind: SpanKind.SERVER }, async (span) => {
      try {
        await this.bus.publish(ThingHappened.create({ name: 'order', size: 1 }));
      } finally {
        span.end();
      }
    });
    return { ok: true };
  }
}

/** The second service: handles thing.happened and publishes thing.noted from its handler. */
@Injectable()
class Noter {
  constructor(private readonly bus: EventBus) {}

  @EventHandler(ThingHappened)
  async note(event: EventEnvelope) {
    await this.bus.publish(ThingNoted.create({ note: `saw ${event.id}` }));
  }
}

const noted: EventEnvelope[] = [];

@Injectable()
class NoteReader {
  @EventHandler(ThingNoted)
  read(event: EventEnvelope) {
    noted.push(event);
  }
}

const EMULATORS: readonly Emulator[] = ['fauxqs', 'moto'];

describe.each(EMULATORS)('tracing across two applications over %s', (emulator) => {
  let apps: TestApp[] = [];

  afterEach(async () => {
    await Promise.all(apps.map(({ app }) => app.close()));
    apps = [];
    exporter.reset();
    noted.length = 0;
  });

  it('makes one trace from the request through publish, queue and handler to the handler’s own publish', async () => {
    const prefix = uniqueName('trace');
    const transport = (queue: string) =>
      new SnsSqsTransport({
        ...awsTestConfig(emulator),
        topics: { prefix: `${prefix}-` },
        queues: [{ name: `${prefix}-${queue}`, waitTimeSeconds: 1 }],
        provision: true,
      });
    const orders = await createTestApp(
      { controllers: [OrdersController], providers: [NoteReader] },
      { source: 'orders', tracing: true, transports: [transport('orders')] },
    );
    apps.push(orders);
    const notes = await createTestApp(
      { providers: [Noter] },
      { source: 'notes', tracing: true, transports: [transport('notes')] },
    );
    apps.push(notes);

    await request(orders.app.getHttpServer()).post('/orders').expect(201);
    await until(() => noted.length === 1, 20_000, 'thing.noted handled by orders');
    await until(
      () => exporter.getFinishedSpans().filter((s) => s.kind === SpanKind.CONSUMER).length === 2,
      5_000,
      'both process spans ended',
    );

    const spans = exporter.getFinishedSpans();
    const named = (name: string): ReadableSpan => {
      const found = spans.filter((s) => s.name === name);
      expect(found).toHaveLength(1);
      return found[0];
    };
    const server = named('POST /orders');
    const sendHappened = named('send thing.happened');
    const processHappened = named('process thing.happened');
    const sendNoted = named('send thing.noted');
    const processNoted = named('process thing.noted');
    const ids = (span: ReadableSpan): SpanContext => span.spanContext();
    const parentOf = (span: ReadableSpan) => span.parentSpanContext?.spanId;

    for (const span of [sendHappened, processHappened, sendNoted, processNoted]) {
      expect(ids(span).traceId).toBe(ids(server).traceId);
    }
    expect(parentOf(sendHappened)).toBe(ids(server).spanId);
    expect(parentOf(processHappened)).toBe(ids(sendHappened).spanId);
    expect(parentOf(sendNoted)).toBe(ids(processHappened).spanId);
    expect(parentOf(processNoted)).toBe(ids(sendNoted).spanId);
    expect([sendHappened.kind, processHappened.kind]).toEqual([
      SpanKind.PRODUCER,
      SpanKind.CONSUMER,
    ]);
    expect(sendHappened.attributes).toMatchObject({
      'messaging.system': 'aws_sns',
      'messaging.operation.type': 'send',
      'messaging.destination.name': 'thing.happened',
      'nestjs_events.event.type': 'thing.happened',
    });
    expect(processHappened.attributes).toMatchObject({
      'messaging.system': 'aws_sqs',
      'messaging.operation.type': 'process',
      'messaging.destination.name': `${prefix}-notes`,
      'nestjs_events.handler': 'Noter.note',
      'nestjs_events.delivery.attempt': 1,
      'nestjs_events.outcome': 'handled',
    });
    // The event itself carries the producer span's context.
    expect(noted[0].metadata.traceparent).toBe(
      `00-${ids(sendNoted).traceId}-${ids(sendNoted).spanId}-01`,
    );
  });
});

describe('tracing in memory', () => {
  afterEach(() => exporter.reset());

  it('gives each event of a batch a create span, which its handler run is the child of, and links the send span to them', async () => {
    const seen: EventEnvelope[] = [];
    @Injectable()
    class Reader {
      @EventHandler(ThingHappened)
      run(event: EventEnvelope) {
        seen.push(event);
      }
    }
    const { app } = await createTestApp({ providers: [Reader] }, { tracing: true });
    try {
      const bus = app.get(EventBus);
      const tracer = trace.getTracer('test-http');
      const events = [1, 2, 3].map((size) => ThingHappened.create({ name: 'batch', size }));
      await tracer.startActiveSpan('POST /batch', { kind: SpanKind.SERVER }, async (span) => {
        try {
          await bus.publishAll(events);
        } finally {
          span.end();
        }
      });
      await until(
        () => exporter.getFinishedSpans().filter((s) => s.kind === SpanKind.CONSUMER).length === 3,
        5_000,
        'three process spans',
      );
      const spans = exporter.getFinishedSpans();
      const [server] = spans.filter((s) => s.name === 'POST /batch');
      const creates = spans.filter((s) => s.name === 'create thing.happened');
      const sends = spans.filter((s) => s.name.startsWith('send '));
      const runs = spans.filter((s) => s.kind === SpanKind.CONSUMER);
      expect(creates).toHaveLength(3);
      expect(sends).toHaveLength(1);
      const [send] = sends;
      expect(send.attributes['messaging.batch.message_count']).toBe(3);
      for (const create of [...creates, send]) {
        expect(create.parentSpanContext?.spanId).toBe(server.spanContext().spanId);
        expect(create.spanContext().traceId).toBe(server.spanContext().traceId);
      }
      expect(send.links.map((link) => link.context.spanId).sort()).toEqual(
        creates.map((create) => create.spanContext().spanId).sort(),
      );
      const createOf = new Map(
        creates.map((create) => [create.attributes['messaging.message.id'], create]),
      );
      for (const event of seen) {
        const create = createOf.get(event.id)!;
        expect(create.attributes['messaging.operation.type']).toBe('create');
        expect(event.metadata.traceparent).toBe(
          `00-${create.spanContext().traceId}-${create.spanContext().spanId}-01`,
        );
        const run = runs.find((r) => r.attributes['messaging.message.id'] === event.id)!;
        expect(run.parentSpanContext?.spanId).toBe(create.spanContext().spanId);
      }
    } finally {
      await app.close();
    }
  });

  it('records retries as span events and a failed run as an error, without its message', async () => {
    let failures = 1;
    @Injectable()
    class Flaky {
      @EventHandler(ThingHappened, { retry: { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 1 } })
      run() {
        if (failures-- > 0) throw new Error('secret customer data');
      }
    }
    const { app, probe } = await createTestApp({ providers: [Flaky] }, { tracing: true });
    try {
      await app.get(EventBus).publish(ThingHappened.create({ name: 'a', size: 1 }));
      await probe.waitFor('thing.happened');
      await until(() => exporter.getFinishedSpans().length === 3, 5_000, 'three spans');
      const runs = exporter.getFinishedSpans().filter((s) => s.kind === SpanKind.CONSUMER);
      expect(runs.map((s) => s.attributes['nestjs_events.outcome'])).toEqual(['retry', 'handled']);
      const [failed] = runs;
      expect(failed.events.map((e) => e.name)).toEqual(['retry']);
      expect(failed.status).toEqual({ code: 2, message: 'Error' });
      const recorded = JSON.stringify({
        attributes: failed.attributes,
        events: failed.events,
        status: failed.status,
      });
      expect(recorded).not.toContain('secret customer data');
      expect(runs[1].attributes['messaging.system']).toBe('in_memory');
    } finally {
      await app.close();
    }
  });
});
