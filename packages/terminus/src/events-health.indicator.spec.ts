import { ServiceUnavailableException } from '@nestjs/common';
import { HealthCheckService, HealthIndicatorService, TerminusModule } from '@nestjs/terminus';
import { Test } from '@nestjs/testing';
import {
  EventsModule,
  InMemoryTransport,
  StuckHandlers,
  type Transport,
  type TransportHealth,
} from '@nestjs-events/core';
import { EventsHealthIndicator } from './events-health.indicator';
import { EventsHealthModule } from './events-health.module';

function transport(name: string, health: Transport['health']): Transport {
  return {
    name,
    publish: () => Promise.resolve(),
    subscribe: () => undefined,
    start: () => Promise.resolve(),
    stop: () => Promise.resolve(),
    health,
  };
}

const up = (details?: Record<string, unknown>): TransportHealth => ({ status: 'up', details });
const down = (details?: Record<string, unknown>): TransportHealth => ({ status: 'down', details });

function indicator(...transports: Transport[]): EventsHealthIndicator {
  return new EventsHealthIndicator(new HealthIndicatorService(), transports);
}

describe('EventsHealthIndicator', () => {
  it('is up when every transport is, with each one details under its name', async () => {
    const result = await indicator(
      transport('sns-sqs', () => up({ consumers: [] })),
      transport('memory', () => Promise.resolve(up({ inFlight: 0 }))),
    ).isHealthy();
    expect(result).toEqual({
      events: {
        status: 'up',
        transports: {
          'sns-sqs': { status: 'up', consumers: [] },
          memory: { status: 'up', inFlight: 0 },
        },
      },
    });
  });

  it('is down when one transport is, under the key given', async () => {
    const result = await indicator(
      transport('sns-sqs', () => down({ consumers: [{ queue: 'q', status: 'down' }] })),
      transport('memory', () => up()),
    ).isHealthy('messaging');
    expect(result).toEqual({
      messaging: {
        status: 'down',
        transports: {
          'sns-sqs': { status: 'down', consumers: [{ queue: 'q', status: 'down' }] },
          memory: { status: 'up' },
        },
      },
    });
  });

  it('keeps the status of a transport over a detail of the same name, and in front', async () => {
    const result = await indicator(
      transport('odd', () => down({ status: 'up', queue: 'q' })),
    ).isHealthy();
    expect(result.events.transports).toEqual({ odd: { status: 'down', queue: 'q' } });
    expect(Object.keys((result.events.transports as Record<string, object>).odd)).toEqual([
      'status',
      'queue',
    ]);
  });

  it('reports a transport whose health() throws or rejects as down, with the error', async () => {
    const result = await indicator(
      transport('throws', () => {
        throw new TypeError('not ready');
      }),
      transport('rejects', () => Promise.reject(new Error('broker gone'))),
    ).isHealthy();
    expect(result.events).toEqual({
      status: 'down',
      transports: {
        throws: { status: 'down', error: 'health() failed: TypeError: not ready' },
        rejects: { status: 'down', error: 'health() failed: Error: broker gone' },
      },
    });
  });

  it('reports a transport whose health() does not answer in time as down', async () => {
    const hanging = transport('hangs', () => new Promise<TransportHealth>(() => undefined));
    const result = await indicator(hanging).isHealthy('events', { timeoutMs: 20 });
    expect(result.events).toEqual({
      status: 'down',
      transports: { hangs: { status: 'down', error: 'health() took longer than 20 ms' } },
    });
  });

  it('checks only the transports named, and a name no transport has as down', async () => {
    const events = indicator(
      transport('sns-sqs', () => up()),
      transport('eventbridge', () => down()),
    );
    await expect(events.isHealthy('sqs', { transports: ['sns-sqs'] })).resolves.toEqual({
      sqs: { status: 'up', transports: { 'sns-sqs': { status: 'up' } } },
    });
    await expect(events.isHealthy('typo', { transports: ['sns_sqs'] })).resolves.toEqual({
      typo: {
        status: 'down',
        transports: {
          sns_sqs: {
            status: 'down',
            error: 'no transport named "sns_sqs" (known: "sns-sqs", "eventbridge")',
          },
        },
      },
    });
  });

  it('is down while a handler run is stuck past its timeout, listing it, and up once it settles', async () => {
    const stuck = new StuckHandlers();
    const check = new EventsHealthIndicator(
      new HealthIndicatorService(),
      [transport('memory', () => up())],
      stuck,
    );
    const settle = stuck.add({
      handler: 'Mailer.send',
      eventId: 'e-1',
      eventType: 'user.registered',
      attempt: 1,
      timeoutMs: 1000,
      since: new Date('2026-12-01T00:00:00.000Z'),
    });
    expect(await check.isHealthy()).toEqual({
      events: {
        status: 'down',
        transports: { memory: { status: 'up' } },
        stuckHandlers: [expect.objectContaining({ handler: 'Mailer.send', eventId: 'e-1' })],
      },
    });
    settle();
    expect(await check.isHealthy()).toEqual({
      events: { status: 'up', transports: { memory: { status: 'up' } } },
    });
  });

  it('is up with no transport to check', async () => {
    await expect(indicator().isHealthy()).resolves.toEqual({
      events: { status: 'up', transports: {} },
    });
  });
});

describe('EventsHealthModule', () => {
  async function check(transports: Transport[]) {
    const moduleRef = await Test.createTestingModule({
      imports: [
        EventsModule.forRoot({ source: 'test', transports }),
        TerminusModule.forRoot({ logger: false }),
        EventsHealthModule,
      ],
    }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    await app.init();
    const events = app.get(EventsHealthIndicator);
    const result = app
      .get(HealthCheckService)
      .check([() => events.isHealthy()])
      .finally(() => app.close());
    return result;
  }

  it("gives terminus the application's transports, up", async () => {
    await expect(check([new InMemoryTransport()])).resolves.toEqual({
      status: 'ok',
      info: {
        events: {
          status: 'up',
          transports: {
            memory: { status: 'up', state: 'started', inFlight: 0, deadLetters: 0 },
          },
        },
      },
      error: {},
      details: {
        events: expect.objectContaining({ status: 'up' }) as unknown,
      },
    });
  });

  it('fails the terminus health check (503) when a transport is down', async () => {
    const attempt = check([transport('broker', () => down({ reason: 'outage' }))]);
    await expect(attempt).rejects.toThrow(ServiceUnavailableException);
    await expect(attempt).rejects.toMatchObject({
      response: {
        status: 'error',
        error: {
          events: { status: 'down', transports: { broker: { status: 'down', reason: 'outage' } } },
        },
      },
    });
  });
});
