import { until } from '../fixtures/until';
import { QueueInspector } from '../fixtures/sqs-queue';
import { LedgerReader } from './ledger.reader';
import { OutboxScenario, withOutboxScenario } from './outbox.harness';
import { ProbePublisher } from './probe.publisher';

jest.setTimeout(180_000);

const RUNS = { postgres: { events: 2000 }, dynamodb: { events: 400 } } as const;
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
describe.each(['postgres', 'dynamodb'] as const)('R24 inbox crash (%s)', (kind) => {
  it('applies each event’s database writes once across a SIGKILL', () =>
    withOutboxScenario(new OutboxScenario('R24', kind), async (scenario) => {
      const EVENTS = RUNS[kind].events;
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
      const effects = async () => (await scenario.effects()).size;
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
        const rows = [...(await scenario.effects())].map(([eventId, effect]) => ({
          eventId,
          ...effect,
        }));
        const twice = rows.filter((row) => row.count > 1).length;
        const received = await ledger.received();
        const cameBack = [...received.entries()].filter(([, times]) => times > 1);
        const byW1 = new Set(rows.filter((row) => row.worker === 'w1').map((row) => row.eventId));
        const skipped = cameBack.filter(([id]) => byW1.has(id)).length;
        expect(rows).toHaveLength(EVENTS);
        expect(twice).toBe(0);
        expect(cameBack.length).toBeGreaterThan(0);
        scenario.record({
          scenario: `R24 inbox: crash between the writes and the delete (${kind})`,
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
