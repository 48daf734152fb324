import { ProbePublisher } from './probe.publisher';
import { Scenario, withScenario } from './scenario.harness';

jest.setTimeout(180_000);

const EVENTS = 1000;

describe('R6 concurrent duplicates', () => {
  it('applies an event delivered to two consumers at once only once', () =>
    withScenario(new Scenario('R6'), async (scenario) => {
      // Two queues on the event's topic, one worker each, one handler name and one Redis store:
      // SNS hands every event to both at the same moment, as a duplicate delivery would.
      const queues = [`${scenario.run}-a`, `${scenario.run}-b`];
      const worker = {
        CONCURRENCY: '50',
        // The first claim is still in progress when the second delivery asks.
        HANDLER_DELAY_MS: '100',
        LOCK_TTL_MS: '10000',
      };
      await scenario.startWorker('wa', { ...worker, EVENTS_QUEUE: queues[0] });
      await scenario.startWorker('wb', { ...worker, EVENTS_QUEUE: queues[1] });
      const publisher = await ProbePublisher.start({
        transport: 'sns-sqs',
        endpoint: scenario.endpoint,
        topicPrefix: scenario.topicPrefix,
      });
      const events = ProbePublisher.events(scenario.run, EVENTS);
      const outcome = await publisher.publish(events, 500).finally(() => publisher.close());
      expect(outcome.failed).toEqual([]);

      await scenario.waitForApplied(EVENTS, 90_000);
      for (const queue of queues) {
        await scenario.waitForEmptyQueue(queue);
        expect(await scenario.depth(`${queue}-dlq`)).toBe(0);
      }

      const received = await scenario.ledger.received();
      const deliveredTwice = events.filter((e) => (received.get(e.id) ?? 0) >= 2).length;
      expect(deliveredTwice).toBe(EVENTS);
      const claims = await scenario.ledger.claims();
      // Proof that the deliveries overlapped: the second found the first one's lock.
      expect(claims['in-progress'] ?? 0).toBeGreaterThan(0);
      const result = await scenario.account(outcome.accepted);
      expect(result).toMatchObject({ applied: EVENTS, twice: 0, lost: 0, strangers: [] });
      const first = await scenario.ledger.firstAppliers();
      const byA = [...first.values()].filter((worker) => worker === 'wa').length;
      scenario.record({
        scenario: 'R6 concurrent duplicates',
        sent: outcome.accepted.length,
        applied: result.applied,
        twice: result.twice,
        inDlq: 0,
        lost: result.lost,
        notes:
          `each event delivered to 2 consumers at once (${deliveredTwice} received twice); ` +
          `${claims['in-progress'] ?? 0} claims answered in-progress (the later delivery polled ` +
          `while the first ran), ${claims.completed ?? 0} completed (skipped); applied by wa ` +
          `${byA}, by wb ${EVENTS - byA}`,
      });
    }));
});
