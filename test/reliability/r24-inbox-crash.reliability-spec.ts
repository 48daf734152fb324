import { until } from '../fixtures/until';
import { QueueInspector } from '../fixtures/sqs-queue';
import { LedgerReader } from './ledger.reader';
import { OutboxScenario, withOutboxScenario } from './outbox.harness';
import { ProbePublisher } from './probe.publisher';

jest.setTimeout(180_000);

const EVENTS = 2000;
const CONSUMER = {
  ROLE: 'inbox',
  CONCURRENCY: '50',
  // After the handler's write, before its commit: the kill finds handlers with written,
  // uncommitted rows, and messages committed but not deleted yet.
  HANDLER_DELAY_MS: '50',
  VISIBILITY_TIMEOUT_S: '5',
};

/**
 * An `@Inbox()` handler writes its effect to PostgreSQL in the transaction that records the
 * event as processed. SIGKILL the consumer mid-batch: uncommitted writes roll back and run again,
 * committed ones are skipped when their messages come back. Each effect is written once.
 */
describe('R24 inbox crash', () => {
  it('applies each event’s database writes once across a SIGKILL', () =>
    withOutboxScenario(new OutboxScenario('R24', 'postgres'), async (scenario) => {
      await scenario.setup('event_id uuid NOT NULL, worker text NOT NULL');
      const queue = `${scenario.run}-q`;
      const consumer = { ...CONSUMER, EVENTS_QUEUE: queue, REDIS_URL: process.env.REDIS_URL! };
      const w1 = await scenario.startProducer('w1', consumer);
      const publisher = await ProbePublisher.start({
        transport: 'sns-sqs',
        endpoint: process.env.FAUXQS_ENDPOINT!,
        topicPrefix: scenario.topicPrefix,
      });
      const events = ProbePublisher.events(scenario.run, EVENTS);
      const outcome = await publisher.publish(events, 500).finally(() => publisher.close());
      expect(outcome.failed).toEqual([]);
      const effects = async () =>
        (
          await scenario.query<{ n: number }>(
            `SELECT count(DISTINCT event_id)::int AS n FROM "${scenario.entityTable}"`,
          )
        )[0].n;
      await until(async () => (await effects()) >= EVENTS / 4, 60_000, 'a quarter applied');
      await w1.kill('SIGKILL');
      const appliedAtKill = await effects();
      await scenario.startProducer('w2', consumer);
      await until(async () => (await effects()) >= EVENTS, 90_000, 'every event applied');
      const queues = new QueueInspector('fauxqs');
      const ledger = new LedgerReader(process.env.REDIS_URL!, scenario.run);
      try {
        await until(
          async () => {
            const { visible, inFlight } = await queues.depth(queue);
            return visible + inFlight === 0;
          },
          30_000,
          'the queue to be empty',
        );
        const rows = await scenario.query<{ event_id: string; n: number; first: string }>(
          `SELECT event_id, count(*)::int AS n, min(worker) AS first
             FROM "${scenario.entityTable}" GROUP BY event_id`,
        );
        const twice = rows.filter((row) => row.n > 1).length;
        const received = await ledger.received();
        const cameBack = [...received.entries()].filter(([, times]) => times > 1);
        const byW1 = new Set(rows.filter((row) => row.first === 'w1').map((row) => row.event_id));
        const skipped = cameBack.filter(([id]) => byW1.has(id)).length;
        expect(rows).toHaveLength(EVENTS);
        expect(twice).toBe(0);
        expect(cameBack.length).toBeGreaterThan(0);
        scenario.record({
          scenario: 'R24 inbox: crash between the writes and the delete (postgres)',
          sent: outcome.accepted.length,
          applied: rows.length,
          twice,
          inDlq: 0,
          lost: EVENTS - rows.length,
          notes:
            `SIGKILL with ${appliedAtKill} applied; ${cameBack.length} messages came back, ` +
            `${skipped} of them committed by w1 before the kill (skipped by the inbox), ` +
            `${cameBack.length - skipped} rolled back with the process and applied by w2`,
        });
      } finally {
        queues.close();
        await ledger.close();
      }
    }));
});
