import { rollsBack } from '../../apps/reliability-worker/src/outbox/outbox.producer';
import { until } from '../fixtures/until';
import { OutboxScenario, withOutboxScenario } from './outbox.harness';

jest.setTimeout(180_000);

const RUNS = { postgres: { events: 2000 }, dynamodb: { events: 400 } } as const;
const ROLLBACK_FRACTION = 0.2;

/** A fifth of the transactions publish, then roll back: none of their events is ever sent. */
describe.each(['postgres', 'dynamodb'] as const)('R21 outbox rollback (%s)', (kind) => {
  it('sends the events of committed transactions only', () =>
    withOutboxScenario(new OutboxScenario('R21', kind), async (scenario) => {
      const { events } = RUNS[kind];
      await scenario.setup();
      await scenario.startReceiver();
      const producer = await scenario.startProducer('p1', {
        PRODUCE: String(events),
        ROLLBACK_FRACTION: String(ROLLBACK_FRACTION),
      });
      const expectedRollbacks = Array.from({ length: events }, (_, seq) => seq).filter((seq) =>
        rollsBack(scenario.run, seq, ROLLBACK_FRACTION),
      ).length;
      await until(() => OutboxScenario.produced(producer) !== undefined, 120_000, 'production');
      await scenario.waitForAllDelivered(60_000);
      await producer.kill('SIGTERM');
      const produced = OutboxScenario.produced(producer);
      const result = await scenario.account();
      // A transaction the database refused (moto answers some concurrent ones with a 500) is
      // neither committed nor rolled back on purpose; the entity table is the truth.
      expect(produced?.rolledBack).toBe(expectedRollbacks);
      expect(result.committed).toBe(produced?.committed);
      expect(result.committed + expectedRollbacks + (produced?.failed ?? 0)).toBe(events);
      expect(result.lost).toBe(0);
      expect(result.twice).toBe(0);
      expect(result.strangers).toBe(0);
      const arrivedSeqs = new Set(scenario.arrivals.map((arrival) => arrival.seq));
      const rolledBackArrived = Array.from({ length: events }, (_, seq) => seq).filter(
        (seq) => rollsBack(scenario.run, seq, ROLLBACK_FRACTION) && arrivedSeqs.has(seq),
      );
      expect(rolledBackArrived).toEqual([]);
      scenario.recordAccounting(
        `R21 outbox: transactions rolled back (${kind})`,
        result,
        `${events} transactions, ${expectedRollbacks} rolled back after their publish` +
          (produced?.failed ? `, ${produced.failed} refused by the database` : '') +
          '; ' +
          `0 of their events arrived, every committed one once`,
      );
    }));
});
