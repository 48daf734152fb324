import { setTimeout as delay } from 'node:timers/promises';
import { endpointOf } from '../fixtures/aws';
import { until } from '../fixtures/until';
import { FaultProxy } from './fault.proxy';
import { OutboxScenario, withOutboxScenario } from './outbox.harness';

jest.setTimeout(180_000);

const RUNS = { postgres: { events: 2000 }, dynamodb: { events: 400 } } as const;
const OUTAGE_MS = 5000;

const describeActions = (actions: Record<string, number>) =>
  Object.entries(actions)
    .map(([action, count]) => `${action} ${count}`)
    .join(', ') || 'none';

/**
 * The relay's broker (SNS, through a fault proxy) goes away for 5 s while the producer keeps
 * committing: the relay backs off, then sends everything, in order per aggregate.
 */
describe.each(['postgres', 'dynamodb'] as const)('R22 outbox broker outage (%s)', (kind) => {
  it('backs off while the broker is down, then sends every committed event in order', () =>
    withOutboxScenario(new OutboxScenario('R22', kind), async (scenario) => {
      const EVENTS = RUNS[kind].events;
      await scenario.setup();
      await scenario.startReceiver();
      const proxy = await FaultProxy.start(endpointOf('fauxqs'));
      try {
        const producer = await scenario.startProducer('p1', {
          EVENTS_ENDPOINT: proxy.endpoint,
          PRODUCE: String(EVENTS),
          // 10 lanes, one transaction each per 25 ms: about 8 s of production, across the outage.
          PRODUCE_DELAY_MS: '25',
          RELAY_RETRY_BASE_MS: '200',
          RELAY_RETRY_MAX_MS: '2000',
          RELAY_MAX_ATTEMPTS: '100',
        });
        await until(() => scenario.arrivals.length >= EVENTS / 4, 60_000, 'a quarter delivered');
        const deliveredBefore = scenario.arrivals.length;
        proxy.outage('outage');
        // The injected fault lasts a fixed time, by definition: the one sleep of the scenario.
        await delay(OUTAGE_MS);
        const outage = proxy.stats('outage');
        const committedDuring = await scenario.committedCount();
        const deliveredDuring = scenario.arrivals.length;
        proxy.pass('after');
        const resumedAt = Date.now();
        await until(
          () => scenario.arrivals.length > deliveredDuring,
          30_000,
          'the first delivery after the outage',
        );
        const resumedS = (Date.now() - resumedAt) / 1000;
        await until(() => OutboxScenario.produced(producer) !== undefined, 60_000, 'production');
        await scenario.waitForAllDelivered(60_000);
        await producer.kill('SIGTERM');
        const metrics = OutboxScenario.relayMetrics(producer);
        const result = await scenario.account();
        expect(result.lost).toBe(0);
        expect(result.strangers).toBe(0);
        expect(result.outOfOrder).toEqual([]);
        // Backing off: a relay that retried hot would make hundreds of calls in 5 s.
        expect(outage.requests).toBeLessThan(100);
        expect(metrics?.failed).toBeGreaterThan(0);
        scenario.recordAccounting(
          `R22 outbox: broker down 5 s (${kind})`,
          result,
          `${deliveredBefore} delivered when it began, ${committedDuring} committed by its end; ` +
            `in 5 s the relay made ${outage.requests} HTTP attempts (${describeActions(outage.actions)}), ` +
            `${metrics?.failed ?? '?'} row sends failed and were retried with backoff; first ` +
            `delivery ${resumedS.toFixed(1)} s after; all in order per aggregate` +
            (result.twice > 0
              ? `; ${result.twice} sent twice (a reply lost at the cut: at least once)`
              : ''),
        );
      } finally {
        await proxy.close();
      }
    }));
});
