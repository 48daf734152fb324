import type { SQSClient } from '@aws-sdk/client-sqs';
import {
  Injectable,
  type CanActivate,
  type ExecutionContext,
  type PipeTransform,
} from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { EventEmitter2, EventEmitterModule, OnEvent } from '@nestjs/event-emitter';
import { Test } from '@nestjs/testing';
import {
  EventBus,
  EventData,
  EventHandler,
  EventsModule,
  eventOf,
  InMemoryTransport,
  isEventContext,
  type EventOf,
} from '@nestjs-events/core';
import { EventProbe } from '@nestjs-events/core/testing';
import { SqsTransport } from '@nestjs-events/sqs';
import { ThingHappened } from './fixtures/events';
import { bootEachTest, createTestApp } from './fixtures/create-app';
import { until } from './fixtures/until';

const boot = bootEachTest();

describe('pipe classes on handler parameters', () => {
  class UpperPipe implements PipeTransform {
    transform(value: string) {
      return value.toUpperCase();
    }
  }

  @Injectable()
  class Prefix {
    readonly value = 'pre-';
  }

  @Injectable()
  class PrefixPipe implements PipeTransform {
    constructor(private readonly prefix: Prefix) {}
    transform(value: string) {
      return this.prefix.value + value;
    }
  }

  @Injectable()
  class Names {
    readonly seen: Array<[string, string, string]> = [];
    @EventHandler(ThingHappened)
    onThing(
      @EventData('name', UpperPipe) upper: string,
      @EventData('name', PrefixPipe) prefixed: string,
      @EventData('name', UpperPipe, PrefixPipe) both: string,
    ) {
      this.seen.push([upper, prefixed, both]);
    }
  }

  it('builds them in the handler module, with their dependencies, and applies them', async () => {
    const { app, probe } = await boot({ providers: [Names, Prefix] });
    await app.get(EventBus).publish(ThingHappened.create({ name: 'abc', size: 1 }));
    await probe.waitFor('thing.happened');
    expect(app.get(Names).seen).toEqual([['ABC', 'pre-abc', 'pre-ABC']]);
  });

  it('fails the bootstrap, naming the handler and the pipe, when a dependency is missing', async () => {
    await expect(createTestApp({ providers: [Names] })).rejects.toThrow(
      /Names\.onThing: the pipe PrefixPipe of a parameter could not be created/,
    );
  });
});

describe('one transport instance for application after application', () => {
  @Injectable()
  class Seen {
    readonly names: string[] = [];
    @EventHandler(ThingHappened)
    onThing(event: EventOf<typeof ThingHappened>) {
      this.names.push(event.data.name);
    }
  }

  const memory = new InMemoryTransport();

  it.each(['first', 'second', 'third'])(
    'serves the %s application of the file, which sees only its own events',
    async (name) => {
      const { app, probe } = await boot({ providers: [Seen] }, { transports: [memory] });
      await app.get(EventBus).publish(ThingHappened.create({ name, size: 1 }));
      await probe.waitFor('thing.happened');
      await probe.waitForIdle();
      expect(app.get(Seen).names).toEqual([name]);
    },
  );

  it('serves a second application with an SQS-based transport too, with only its handlers', async () => {
    const client = { send: jest.fn(), destroy: jest.fn() } as unknown as SQSClient;
    const sqs = new SqsTransport({
      sqsClient: client,
      consume: 'lambda',
      queues: [{ name: 'things' }],
    });
    const runs: string[] = [];
    @Injectable()
    class First {
      @EventHandler(ThingHappened)
      on() {
        runs.push('first');
      }
    }
    @Injectable()
    class Second {
      @EventHandler(ThingHappened)
      on() {
        runs.push('second');
      }
    }
    const first = await createTestApp({ providers: [First] }, { transports: [sqs] });
    await first.app.close();
    const second = await boot({ providers: [Second] }, { transports: [sqs] });
    const event = ThingHappened.create({ name: 'again', size: 1 }, { source: 'test' });
    const response = await sqs.handleLambdaRecords([
      {
        messageId: 'm-1',
        receiptHandle: 'r-1',
        body: JSON.stringify(event),
        attributes: { ApproximateReceiveCount: '1' },
        messageAttributes: {},
        eventSource: 'aws:sqs',
        eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:things',
        awsRegion: 'us-east-1',
      } as never,
    ]);
    expect(response.batchItemFailures).toEqual([]);
    expect(runs).toEqual(['second']);
    expect(second.app).toBeDefined();
  });
});

describe('a global HTTP guard that lets event handlers through', () => {
  @Injectable()
  class ApiKeyGuard implements CanActivate {
    readonly events: string[] = [];
    canActivate(context: ExecutionContext): boolean {
      if (!isEventContext(context)) return false;
      this.events.push(eventOf(context)!.type);
      return true;
    }
  }

  @Injectable()
  class Handled {
    count = 0;
    @EventHandler(ThingHappened)
    onThing() {
      this.count++;
    }
  }

  it('tells event contexts apart and reads the event from them', async () => {
    const { app, probe } = await boot({
      providers: [Handled, ApiKeyGuard, { provide: APP_GUARD, useExisting: ApiKeyGuard }],
    });
    await app.get(EventBus).publish(ThingHappened.create({ name: 'a', size: 1 }));
    await probe.waitFor('thing.happened');
    expect(app.get(Handled).count).toBe(1);
    expect(app.get(ApiKeyGuard).events).toEqual(['thing.happened']);
  });

  it('is false, and has no event, for other contexts', () => {
    const http = {
      getType: () => 'http',
      getArgByIndex: () => ({}),
    } as unknown as ExecutionContext;
    expect(isEventContext(http)).toBe(false);
    expect(eventOf(http)).toBeUndefined();
  });
});

describe('@nestjs/event-emitter users', () => {
  @Injectable()
  class Listeners {
    readonly onEvent: string[] = [];
    readonly handled: string[] = [];

    @OnEvent('thing.happened')
    legacy(event: EventOf<typeof ThingHappened>) {
      this.onEvent.push(event.data.name);
    }

    @EventHandler(ThingHappened)
    handle(event: EventOf<typeof ThingHappened>) {
      this.handled.push(event.data.name);
    }
  }

  it("deliver to @OnEvent listeners and @EventHandler methods alike on EventEmitterModule's emitter", async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [
        EventEmitterModule.forRoot({ wildcard: true }),
        EventsModule.forRootAsync({
          inject: [EventEmitter2],
          useFactory: (emitter: EventEmitter2) => ({
            source: 'test',
            transports: [new InMemoryTransport({ emitter })],
          }),
        }),
      ],
      providers: [Listeners],
    }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    const probe = EventProbe.attach(app);
    await app.init();
    try {
      await app.get(EventBus).publish(ThingHappened.create({ name: 'both', size: 1 }));
      await probe.waitFor('thing.happened');
      const listeners = app.get(Listeners);
      await until(() => listeners.onEvent.length === 1, 5_000, 'the @OnEvent listener');
      expect(listeners.onEvent).toEqual(['both']);
      expect(listeners.handled).toEqual(['both']);
    } finally {
      await app.close();
    }
  });

  it('refuses an emitter without wildcards at bootstrap, saying how to configure it', () => {
    expect(() => new InMemoryTransport({ emitter: new EventEmitter2() })).toThrow(
      /must use wildcard: true and the "\." delimiter, e\.g\. EventEmitterModule\.forRoot\(\{ wildcard: true \}\)/,
    );
  });
});
