import {
  Catch,
  Controller,
  Injectable,
  Module,
  UseFilters,
  Scope,
  UseGuards,
  UseInterceptors,
  type CallHandler,
  type CanActivate,
  type ExceptionFilter,
  type ExecutionContext,
  type NestInterceptor,
  Inject,
} from '@nestjs/common';
import { APP_GUARD, REQUEST } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import {
  EventBus,
  EventHandler,
  EventsModule,
  EventValidationError,
  Idempotent,
  InMemoryTransport,
  NonRetryableError,
  EVENTS_CONTEXT_TYPE,
  type EventEnvelope,
  type EventOf,
} from '@nestjs-events/core';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { EventProbe } from '@nestjs-events/core/testing';
import { tap } from 'rxjs';
import { ThingArchived, ThingHappened, ThingHappenedV1, ThingNoted } from './fixtures/events';
import { bootEachTest, createTestApp } from './fixtures/create-app';

const boot = bootEachTest();

describe('publishing and handling', () => {
  @Injectable()
  class Recorder {
    readonly seen: EventOf<typeof ThingHappened>[] = [];
    @EventHandler(ThingHappened)
    onThing(event: EventOf<typeof ThingHappened>) {
      this.seen.push(event);
    }
  }

  it('delivers a published event to its handler, stamped with source and correlation', async () => {
    const { app, probe } = await boot({ providers: [Recorder] });
    const event = ThingHappened.create({ name: 'a', size: 1 }, { aggregateId: 'a-1' });
    await app.get(EventBus).publish(event);
    await probe.waitFor('thing.happened');
    const [seen] = app.get(Recorder).seen;
    expect(seen).toMatchObject({
      id: event.id,
      type: 'thing.happened',
      version: 2,
      source: 'test',
      aggregateId: 'a-1',
      data: { name: 'a', size: 1 },
      metadata: { correlationId: event.id },
    });
    expect(seen.metadata.causationId).toBeUndefined();
    expect(Date.parse(seen.occurredAt)).not.toBeNaN();
  });

  it('upcasts a v1 event before the v2 handler sees it', async () => {
    const { app, probe } = await boot({ providers: [Recorder] });
    await app.get(EventBus).publish(ThingHappenedV1.create({ name: 'old' }));
    await probe.waitFor('thing.happened');
    expect(app.get(Recorder).seen[0]).toMatchObject({ version: 2, data: { name: 'old', size: 0 } });
  });

  it('rejects invalid data at publish, naming the type and the fields, and sends nothing', async () => {
    const { app, probe } = await boot({ providers: [Recorder] });
    const bad = ThingHappened.create({ name: 42, size: -1 } as never);
    const attempt = app
      .get(EventBus)
      .publishAll([ThingHappened.create({ name: 'ok', size: 1 }), bad]);
    await expect(attempt).rejects.toThrow(EventValidationError);
    await expect(attempt).rejects.toThrow(
      /"thing\.happened" v2 has invalid data: name: .*; size: /,
    );
    await probe.waitForIdle();
    expect(probe.published).toHaveLength(0);
    expect(app.get(Recorder).seen).toHaveLength(0);
  });

  it('refuses a version newer than the consumer knows, without retrying', async () => {
    const { app, probe } = await boot({ providers: [Recorder] });
    const future = { ...ThingHappened.create({ name: 'x', size: 1 }), version: 3 };
    await app.get(EventBus).publish(future);
    const dead = await probe.waitForDeadLetter('thing.happened');
    expect(dead.reason).toBe('non-retryable');
    expect(dead.attempts).toBe(1);
    expect(String(dead.error)).toMatch(/knows it only up to v2/);
  });

  it('rejects something that is not an envelope, saying what is wrong', async () => {
    const { app } = await boot({ providers: [Recorder] });
    await expect(app.get(EventBus).publish({ type: 'x..y' } as never)).rejects.toThrow(
      /"id" must be a non-empty string, got undefined; "type" must be a dotted event type/,
    );
  });

  it('holds events published before bootstrap until handlers are subscribed', async () => {
    const transport = new InMemoryTransport();
    await transport.publish([ThingHappened.create({ name: 'early', size: 1 }, { source: 'x' })]);
    const { app, probe } = await boot({ providers: [Recorder] }, { transports: [transport] });
    await probe.waitForIdle();
    expect(app.get(Recorder).seen.map((e) => e.data.name)).toEqual(['early']);
  });
});

describe('several handlers and wildcards', () => {
  @Injectable()
  class Many {
    readonly calls: string[] = [];
    @EventHandler('thing.*')
    any(event: EventEnvelope) {
      this.calls.push(`any:${event.type}`);
    }
    @EventHandler([ThingHappened, 'thing.happened', 'thing.*'])
    once(event: EventEnvelope) {
      this.calls.push(`once:${event.type}`);
    }
    @EventHandler(ThingNoted)
    failing() {
      throw new NonRetryableError('broken on purpose');
    }
    @EventHandler(ThingNoted)
    @EventHandler(ThingArchived)
    stacked(event: EventEnvelope) {
      this.calls.push(`stacked:${event.type}`);
    }
  }

  it('runs every matching handler once, and one failing does not affect another', async () => {
    const { app, probe } = await boot({ providers: [Many] });
    const bus = app.get(EventBus);
    await bus.publish(ThingHappened.create({ name: 'a', size: 1 }));
    await bus.publish(ThingNoted.create({ note: 'n' }));
    await bus.publish(ThingArchived.create({ name: 'a' }));
    await probe.waitForIdle();
    expect(app.get(Many).calls.sort()).toEqual(
      [
        'any:thing.happened',
        'any:thing.noted',
        'any:thing.archived',
        'once:thing.happened',
        'once:thing.noted',
        'once:thing.archived',
        'stacked:thing.noted',
        'stacked:thing.archived',
      ].sort(),
    );
    expect(probe.deadLettered.map((d) => d.handler)).toEqual(['Many.failing']);
  });
});

describe('retries and dead letters', () => {
  @Injectable()
  class Flaky {
    attempts = 0;
    @EventHandler(ThingHappened, { retry: { maxAttempts: 4 } })
    onThing() {
      this.attempts++;
      if (this.attempts < 3) throw new Error(`transient failure ${this.attempts}`);
    }
  }

  @Injectable()
  class Broken {
    attempts = 0;
    @EventHandler(ThingNoted, { retry: { maxAttempts: 3 } })
    onNote() {
      this.attempts++;
      throw new Error('downstream is gone');
    }
  }

  it('retries a transient failure with backoff until it succeeds', async () => {
    const { app, probe } = await boot({ providers: [Flaky] });
    await app.get(EventBus).publish(ThingHappened.create({ name: 'a', size: 1 }));
    const handled = await probe.waitFor('thing.happened');
    expect(handled.attempt).toBe(3);
    expect(app.get(Flaky).attempts).toBe(3);
    const retries = probe.of('retrying');
    expect(retries.map((r) => r.attempt)).toEqual([1, 2]);
    expect(retries.every((r) => r.delayMs >= 0 && r.delayMs <= 5)).toBe(true);
    expect(probe.deadLettered).toHaveLength(0);
  });

  it('dead-letters a permanent failure with its error after the last attempt', async () => {
    const transport = new InMemoryTransport();
    const { app, probe } = await boot({ providers: [Broken] }, { transports: [transport] });
    const event = ThingNoted.create({ note: 'n' });
    await app.get(EventBus).publish(event);
    await probe.waitForDeadLetter('thing.noted');
    await probe.waitForIdle();
    expect(app.get(Broken).attempts).toBe(3);
    expect(transport.deadLetters).toHaveLength(1);
    const [dead] = transport.deadLetters;
    expect(dead).toMatchObject({ handler: 'Broken.onNote', reason: 'max-attempts', attempts: 3 });
    expect(dead.event.id).toBe(event.id);
    expect((dead.error as Error).message).toBe('downstream is gone');
  });

  it('dead-letters retries still waiting when the drain deadline passes', async () => {
    const transport = new InMemoryTransport();
    // Closed by the test itself, to look at what the drain left: not booted per test.
    const { app, probe } = await createTestApp(
      { providers: [Broken] },
      {
        transports: [transport],
        retry: { baseDelayMs: 60_000, maxDelayMs: 60_000 },
        shutdownTimeoutMs: 50,
      },
    );
    await app.get(EventBus).publish(ThingNoted.create({ note: 'n' }));
    await probe.waitForNotification('retrying', 'thing.noted');
    await app.close();
    expect(transport.deadLetters.map((d) => d.reason)).toEqual(['shutdown']);
  });
});

describe('idempotency', () => {
  @Injectable()
  class Points {
    credited = 0;
    @Idempotent()
    @EventHandler(ThingHappened)
    credit() {
      this.credited++;
    }
  }

  @Injectable()
  class ByName {
    applied: string[] = [];
    @Idempotent({ key: (event) => (event as EventOf<typeof ThingHappened>).data.name })
    @EventHandler(ThingHappened)
    apply(event: EventOf<typeof ThingHappened>) {
      this.applied.push(event.id);
    }
  }

  @Injectable()
  class FailsOnce {
    attempts = 0;
    @Idempotent()
    @EventHandler(ThingNoted)
    onNote() {
      if (++this.attempts === 1) throw new Error('first try fails');
    }
  }

  it('skips a duplicate delivery of the same event without running the handler', async () => {
    const { app, probe } = await boot({ providers: [Points] });
    const event = ThingHappened.create({ name: 'a', size: 1 });
    await app.get(EventBus).publish(event);
    await probe.waitFor('thing.happened');
    await app.get(EventBus).publish(event);
    const skipped = await probe.waitForSkipped('thing.happened');
    expect(skipped).toMatchObject({ reason: 'duplicate', handler: 'Points.credit' });
    expect(app.get(Points).credited).toBe(1);
    expect(probe.of('skipped')).toHaveLength(1);
    expect(probe.handled).toHaveLength(1);
  });

  it('uses the key function, and scopes keys per handler', async () => {
    const { app, probe } = await boot({ providers: [ByName, Points] });
    const bus = app.get(EventBus);
    await bus.publishAll([
      ThingHappened.create({ name: 'same', size: 1 }),
      ThingHappened.create({ name: 'same', size: 2 }),
    ]);
    await probe.waitForIdle();
    expect(app.get(ByName).applied).toHaveLength(1);
    expect(app.get(Points).credited).toBe(2);
  });

  it('releases the key when the handler fails, so the retry runs', async () => {
    const { app, probe } = await boot({ providers: [FailsOnce] });
    await app.get(EventBus).publish(ThingNoted.create({ note: 'n' }));
    const handled = await probe.waitFor('thing.noted');
    expect(handled.attempt).toBe(2);
    expect(app.get(FailsOnce).attempts).toBe(2);
  });

  it('waits for a concurrent delivery of the same key, then skips it', async () => {
    @Injectable()
    class Slow {
      runs = 0;
      release: () => void = () => undefined;
      private markStarted: () => void = () => undefined;
      readonly started = new Promise<void>((resolve) => (this.markStarted = resolve));
      @Idempotent()
      @EventHandler(ThingNoted)
      async onNote() {
        this.runs++;
        this.markStarted();
        await new Promise<void>((resolve) => (this.release = resolve));
      }
    }
    const { app, probe } = await boot({ providers: [Slow] });
    const event = ThingNoted.create({ note: 'n' });
    await app.get(EventBus).publish(event);
    const slow = app.get(Slow);
    await slow.started;
    await app.get(EventBus).publish(event);
    slow.release();
    await probe.waitForSkipped('thing.noted');
    await probe.waitForIdle();
    expect(slow.runs).toBe(1);
  });
});

describe('Nest enhancers on handler methods', () => {
  const calls: string[] = [];

  @Injectable()
  class TraceInterceptor implements NestInterceptor {
    intercept(context: ExecutionContext, next: CallHandler) {
      const [event] = context.getArgs<[EventEnvelope]>();
      calls.push(`interceptor:${context.getType()}:${event.type}:${context.getHandler().name}`);
      return next.handle().pipe(tap(() => calls.push('interceptor:after')));
    }
  }

  @Injectable()
  class OnlyBigThings implements CanActivate {
    canActivate(context: ExecutionContext) {
      const [event] = context.getArgs<[EventOf<typeof ThingHappened>]>();
      calls.push(`guard:${event.data.size}`);
      return event.data.size >= 10;
    }
  }

  @Injectable()
  class Guarded {
    @UseGuards(OnlyBigThings)
    @UseInterceptors(TraceInterceptor)
    @EventHandler(ThingHappened)
    onThing(event: EventOf<typeof ThingHappened>) {
      calls.push(`handler:${event.data.size}`);
    }
  }

  beforeEach(() => (calls.length = 0));

  it('runs guards and interceptors with context type "events"', async () => {
    const { app, probe } = await boot({ providers: [Guarded, OnlyBigThings, TraceInterceptor] });
    await app.get(EventBus).publish(ThingHappened.create({ name: 'big', size: 10 }));
    await probe.waitFor('thing.happened');
    expect(calls).toEqual([
      'guard:10',
      `interceptor:${EVENTS_CONTEXT_TYPE}:thing.happened:onThing`,
      'handler:10',
      'interceptor:after',
    ]);
  });

  it('treats a guard denial as "not for this handler": skipped, not retried', async () => {
    const { app, probe } = await boot({ providers: [Guarded, OnlyBigThings, TraceInterceptor] });
    await app.get(EventBus).publish(ThingHappened.create({ name: 'small', size: 1 }));
    const skipped = await probe.waitForSkipped('thing.happened');
    expect(skipped.reason).toBe('guard');
    expect(calls).toEqual(['guard:1']);
    expect(probe.of('retrying')).toHaveLength(0);
  });
});

describe('guards beyond a plain denial', () => {
  const calls: string[] = [];
  beforeEach(() => (calls.length = 0));

  @Injectable()
  class BrokenGuard implements CanActivate {
    canActivate(): boolean {
      throw new Error('guard broke');
    }
  }

  @Catch()
  class Recover implements ExceptionFilter {
    catch(error: Error) {
      calls.push(`filter:${error.message}`);
      return 'recovered';
    }
  }

  @Injectable()
  class Filtered {
    @UseGuards(BrokenGuard)
    @UseFilters(Recover)
    @EventHandler(ThingHappened)
    onThing() {
      calls.push('handler');
    }
  }

  @Injectable()
  class NoNotes implements CanActivate {
    canActivate(context: ExecutionContext) {
      return context.getArgs<[EventEnvelope]>()[0].type !== 'thing.noted';
    }
  }

  @Injectable()
  class Everything {
    @EventHandler('thing.*')
    onAny(event: EventEnvelope) {
      calls.push(`handler:${event.type}`);
    }
  }

  it("sends a guard's own error to the handler's exception filters", async () => {
    const { app, probe } = await boot({ providers: [Filtered, BrokenGuard] });
    await app.get(EventBus).publish(ThingHappened.create({ name: 'a', size: 1 }));
    await probe.waitFor('thing.happened');
    expect(calls).toEqual(['filter:guard broke']);
    expect(probe.of('skipped')).toHaveLength(0);
  });

  it('applies global guards, and reports their denial as skipped', async () => {
    const { app, probe } = await boot({
      providers: [Everything, { provide: APP_GUARD, useClass: NoNotes }],
    });
    const bus = app.get(EventBus);
    await bus.publish(ThingNoted.create({ note: 'n' }));
    const skipped = await probe.waitForSkipped('thing.noted');
    await bus.publish(ThingHappened.create({ name: 'a', size: 1 }));
    await probe.waitFor('thing.happened');
    expect(skipped).toMatchObject({ reason: 'guard', handler: 'Everything.onAny' });
    expect(calls).toEqual(['handler:thing.happened']);
    expect(probe.of('retrying')).toHaveLength(0);
  });
});

describe('correlation and causation', () => {
  @Injectable()
  class Chain {
    constructor(private readonly bus: EventBus) {}
    @EventHandler(ThingHappened)
    async first(event: EventOf<typeof ThingHappened>) {
      await this.bus.publish(ThingNoted.create({ note: `noted ${event.data.name}` }));
    }
    @EventHandler(ThingNoted)
    async second(event: EventOf<typeof ThingNoted>) {
      await this.bus.publish(ThingArchived.create({ name: event.data.note }));
    }
  }

  it('carries the correlation id across two hops, each caused by the one before', async () => {
    const { app, probe } = await boot({ providers: [Chain] });
    const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    const root = ThingHappened.create({ name: 'a', size: 1 }, { metadata: { traceparent } });
    await app.get(EventBus).publish(root);
    const archived = await probe.waitForPublished('thing.archived');
    const noted = probe.published.find((e) => e.type === 'thing.noted')!;
    expect(noted.metadata).toMatchObject({
      correlationId: root.id,
      causationId: root.id,
      traceparent,
    });
    expect(archived.metadata).toMatchObject({
      correlationId: root.id,
      causationId: noted.id,
      traceparent,
    });
    expect(archived.source).toBe('test');
  });
});

describe('where handlers live', () => {
  const seen: string[] = [];
  beforeEach(() => (seen.length = 0));

  @Controller()
  class ThingsController {
    @EventHandler(ThingHappened)
    onThing() {
      seen.push('controller');
    }
  }

  class Plain {
    @EventHandler(ThingHappened)
    onThing() {
      seen.push('factory');
    }
  }

  @Injectable({ scope: Scope.REQUEST })
  class PerEvent {
    static instances = 0;
    constructor(@Inject(REQUEST) readonly event: EventEnvelope) {
      PerEvent.instances++;
    }
    @EventHandler(ThingHappened)
    onThing(event: EventEnvelope) {
      seen.push(`scoped:${this.event === event}`);
    }
  }

  it('finds handlers on controllers, factory providers and request-scoped providers', async () => {
    const { app, probe } = await boot({
      controllers: [ThingsController],
      providers: [{ provide: 'PLAIN', useFactory: () => new Plain() }, PerEvent],
    });
    const bus = app.get(EventBus);
    await bus.publish(ThingHappened.create({ name: 'a', size: 1 }));
    await bus.publish(ThingHappened.create({ name: 'b', size: 1 }));
    await probe.waitForIdle();
    expect(seen.sort()).toEqual(
      ['controller', 'controller', 'factory', 'factory', 'scoped:true', 'scoped:true'].sort(),
    );
    expect(PerEvent.instances).toBe(2);
  });
});

describe('isolation', () => {
  @Injectable()
  class Counter {
    count = 0;
    @Idempotent()
    @EventHandler(ThingHappened)
    onThing() {
      this.count++;
    }
  }

  it('keeps two applications in one process apart: handlers, transports and stores', async () => {
    const first = await createTestApp({ providers: [Counter] });
    const second = await createTestApp({ providers: [Counter] });
    try {
      const event = ThingHappened.create({ name: 'a', size: 1 });
      await first.app.get(EventBus).publish(event);
      await first.probe.waitFor('thing.happened');
      // Same event id in the second app: its store has never seen it.
      await second.app.get(EventBus).publish(event);
      await second.probe.waitFor('thing.happened');
      await first.probe.waitForIdle();
      expect(first.app.get(Counter).count).toBe(1);
      expect(second.app.get(Counter).count).toBe(1);
      expect(first.probe.published).toHaveLength(1);
      expect(second.probe.published).toHaveLength(1);
    } finally {
      await first.app.close();
      await second.app.close();
    }
  });
});

describe('bootstrap checks', () => {
  async function bootstrapError(providers: unknown[], options = {}): Promise<Error> {
    const moduleRef = await Test.createTestingModule({
      imports: [EventsModule.forRoot({ source: 'test', ...options })],
      providers: providers as never,
    }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    try {
      await app.init();
    } catch (error) {
      return error as Error;
    } finally {
      await app.close().catch(() => undefined);
    }
    throw new Error('bootstrap succeeded');
  }

  it('refuses @EventHandler on something that is not an event definition', async () => {
    @Injectable()
    class Wrong {
      @EventHandler({ type: 'thing.happened' } as never)
      onThing() {}
    }
    const error = await bootstrapError([Wrong]);
    expect(error.name).toBe('EventsConfigurationError');
    expect(error.message).toMatch(
      /@EventHandler on Wrong\.onThing: an object with keys \["type"\] is not an event type or a definition/,
    );
  });

  it('hints at a circular import when the definition is undefined', async () => {
    @Injectable()
    class Circular {
      @EventHandler(undefined as never)
      onThing() {}
    }
    expect((await bootstrapError([Circular])).message).toMatch(
      /Circular\.onThing.*circular import/,
    );
  });

  it('refuses an unknown transport and a malformed selector', async () => {
    @Injectable()
    class Elsewhere {
      @EventHandler(ThingHappened, { transport: 'sqs' })
      onThing() {}
    }
    expect((await bootstrapError([Elsewhere])).message).toMatch(
      /no transport is named "sqs". Known transports: "memory"/,
    );
    @Injectable()
    class BadSelector {
      @EventHandler('thing..happened')
      onThing() {}
    }
    expect((await bootstrapError([BadSelector])).message).toMatch(
      /BadSelector\.onThing: Event type selector/,
    );
  });

  it('refuses a handler class provided twice', async () => {
    @Injectable()
    class Twice {
      @EventHandler(ThingHappened)
      onThing() {}
    }
    const error = await bootstrapError([Twice, { provide: 'AGAIN', useClass: Twice }]);
    expect(error.message).toMatch(/Twice\.onThing is registered twice/);
  });
});

describe('classes that share a name', () => {
  function moduleWithListener(seen: string[], tag: string) {
    // Declared per call: two distinct classes, both called Listener, as in two feature modules.
    @Injectable()
    class Listener {
      @Idempotent()
      @EventHandler(ThingHappened)
      handle() {
        seen.push(tag);
      }
    }
    @Module({ providers: [Listener] })
    class FeatureModule {}
    return FeatureModule;
  }

  it('runs both handlers, under names that stay readable and unique', async () => {
    const seen: string[] = [];
    const { app, probe } = await boot({
      imports: [moduleWithListener(seen, 'first'), moduleWithListener(seen, 'second')],
    });
    const event = ThingHappened.create({ name: 'a', size: 1 });
    await app.get(EventBus).publish(event);
    await probe.waitForIdle();
    expect(seen.sort()).toEqual(['first', 'second']);
    expect(probe.handled.map((h) => h.handler).sort()).toEqual([
      'Listener.handle',
      'Listener.handle@FeatureModule',
    ]);
    // Their idempotency keys are apart too: a redelivery is a duplicate for each of them.
    await app.get(EventBus).publish(event);
    await probe.waitForIdle();
    expect(seen).toHaveLength(2);
    expect(probe.of('skipped').map((s) => s.reason)).toEqual(['duplicate', 'duplicate']);
  });
});

describe('forRootAsync', () => {
  @Injectable()
  class Listener {
    @EventHandler(ThingHappened)
    onThing() {}
  }

  it('reads its options from ConfigService', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [
        EventsModule.forRootAsync({
          imports: [
            ConfigModule.forRoot({
              ignoreEnvFile: true,
              load: [() => ({ SERVICE_NAME: 'from-config' })],
            }),
          ],
          inject: [ConfigService],
          useFactory: (config: ConfigService) => ({
            source: config.getOrThrow<string>('SERVICE_NAME'),
          }),
        }),
      ],
      providers: [Listener],
    }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    const probe = EventProbe.attach(app);
    await app.init();
    try {
      await app.get(EventBus).publish(ThingHappened.create({ name: 'a', size: 1 }));
      const handled = await probe.waitFor('thing.happened');
      expect(handled.event.source).toBe('from-config');
      expect(handled.handler).toBe('Listener.onThing');
    } finally {
      await app.close();
    }
  });
});

describe('content patterns', () => {
  @Injectable()
  class Filtered {
    readonly big: string[] = [];
    readonly named: string[] = [];
    @EventHandler(ThingHappened, { pattern: { data: { size: [{ numeric: ['>=', 10] }] } } })
    onBig(event: EventOf<typeof ThingHappened>) {
      this.big.push(event.data.name);
    }
    @EventHandler('thing.*', { pattern: { type: ['thing.noted'], source: [{ prefix: 'te' }] } })
    onNoted(event: EventEnvelope) {
      this.named.push(event.type);
    }
  }

  it('runs a handler only for events its pattern matches, and reports the others as filtered', async () => {
    const { app, probe } = await boot({ providers: [Filtered] });
    const bus = app.get(EventBus);
    await bus.publishAll([
      ThingHappened.create({ name: 'small', size: 1 }),
      ThingHappened.create({ name: 'large', size: 10 }),
      ThingHappenedV1.create({ name: 'legacy' }),
      ThingNoted.create({ note: 'n' }),
    ]);
    await probe.waitForIdle();
    expect(app.get(Filtered).big).toEqual(['large']);
    expect(app.get(Filtered).named).toEqual(['thing.noted']);
    const filtered = probe.of('skipped').filter((s) => s.reason === 'filtered');
    expect(filtered).toHaveLength(5);
    expect(probe.deadLettered).toHaveLength(0);
  });

  it('refuses a broken pattern at bootstrap, naming the handler and the operator', async () => {
    @Injectable()
    class Broken {
      @EventHandler(ThingHappened, { pattern: { data: { size: [{ numeric: ['>>', 1] }] } } })
      onThing() {}
    }
    const moduleRef = await Test.createTestingModule({
      imports: [EventsModule.forRoot({ source: 'test' })],
      providers: [Broken],
    }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    await expect(app.init()).rejects.toThrow(
      /@EventHandler on Broken\.onThing: Invalid event pattern at "data\.size": .*numeric/,
    );
    await app.close();
  });
});
