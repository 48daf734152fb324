import { until } from '../fixtures/until';
import { OutboxScenario, withOutboxScenario } from './outbox.harness';

jest.setTimeout(180_000);

const RUNS = { postgres: { events: 2000 }, dynamodb: { events: 400 } } as const;

/**
 * SIGKILL a producer whose relay is off (every commit is still in the outbox) in the middle of
 * its transactions, then start a relay: every committed event is sent once, and nothing of the
 * transactions the kill cut short.
 */
describe.each(['postgres', 'dynamodb'] as const)('R20 outbox crash (%s)', (kind) => {
  it('sends every event committed before a SIGKILL exactly once, after the restart', () =>
    withOutboxScenario(new OutboxScenario('R20', kind), async (scenario) => {
      const { events } = RUNS[kind];
      await scenario.setup();
      await scenario.startReceiver();
      const producer = await scenario.startProducer('p1', {
        PRODUCE: String(events),
        RELAY: 'false',
      });
      await until(
        async () => (await scenario.committedCount()) >= events / 2,
        90_000,
        'half the transactions committed',
      );
      await producer.kill('SIGKILL');
      // A transaction the dead process had sent may still be applied by the server: wait until
      // entities and outbox rows agree (they always do, but only once the last one has landed).
      let committedAtKill = 0;
      await until(
        async () => {
          committedAtKill = await scenario.committedCount();
          return (await scenario.store.counts('sns-sqs')).pending === committedAtKill;
        },
        10_000,
        'the outbox to hold one unsent event per committed entity',
      );
      expect(scenario.arrivals).toHaveLength(0);

      const restartedAt = Date.now();
      const relay = await scenario.startProducer('p2', { PRODUCE: '0' });
      await scenario.waitForAllDelivered(90_000);
      const deliveredS = (Date.now() - restartedAt) / 1000;
      await relay.kill('SIGTERM');
      const result = await scenario.account();
      expect(result.lost).toBe(0);
      expect(result.twice).toBe(0);
      expect(result.strangers).toBe(0);
      expect(result.outOfOrder).toEqual([]);
      scenario.recordAccounting(
        `R20 outbox: crash after commit, before the relay (${kind})`,
        result,
        `producer SIGKILLed after ${committedAtKill} of ${events} commits, none sent (relay off); ` +
          `a new relay sent all ${result.committed} in ${deliveredS.toFixed(1)} s, each once, in ` +
          `order per aggregate; 0 events of the transactions cut short arrived`,
      );
    }));
});

/**
 * A measurement, as R2b is: SIGKILL a producer whose relay runs, in the middle of relaying. Rows
 * of the pass in flight that the broker had taken are sent again by the next relay (the outbox
 * is at least once); nothing committed is lost.
 */
describe('R20b outbox crash inside a relay pass (postgres)', () => {
  it('loses nothing when the relay dies mid-pass, and counts what it sends again', () =>
    withOutboxScenario(new OutboxScenario('R20b', 'postgres'), async (scenario) => {
      const events = 2000;
      await scenario.setup();
      await scenario.startReceiver();
      const producer = await scenario.startProducer('p1', {
        PRODUCE: String(events),
        PRODUCE_DELAY_MS: '5',
      });
      await until(() => scenario.arrivals.length >= events / 4, 60_000, 'a quarter delivered');
      await producer.kill('SIGKILL');
      const arrivedAtKill = scenario.arrivals.length;
      const relay = await scenario.startProducer('p2', { PRODUCE: '0' });
      await scenario.waitForAllDelivered(90_000);
      await relay.kill('SIGTERM');
      const result = await scenario.account();
      expect(result.lost).toBe(0);
      expect(result.strangers).toBe(0);
      expect(result.outOfOrder).toEqual([]);
      scenario.recordAccounting(
        'R20b outbox: crash inside a relay pass (postgres, measurement)',
        result,
        `producer and relay SIGKILLed with ${arrivedAtKill} delivered; the next relay sent ` +
          `the rest; ${result.twice} sent twice (rows of the pass in flight that the broker ` +
          'had taken before the kill are sent again: at least once)',
      );
    }));
});
