import { ProbePublisher } from './probe.publisher';
import { Scenario, withScenario } from './scenario.harness';

jest.setTimeout(180_000);

const EVENTS = 200;
// Renewals every 500 ms: a stall of the event loop up to about a second (seen at a load of 8 on
// two cores with a 1 s lock) still leaves one on time.
const LOCK_TTL_MS = 1_500;
const HANDLER_DELAY_MS = 3 * LOCK_TTL_MS;

describe('R8 slow handler, short lock', () => {
  it('applies an event delivered to two consumers once, though its handler outlives the lock', () =>
    withScenario(new Scenario('R8'), async (scenario) => {
      // As R6: two queues on the topic, one worker each, one handler name and one Redis store,
      // so SNS hands every event to both at once. But the handler takes three lock periods: only
      // the holder's renewals keep the duplicate out. The effect is written apart from the
      // completion (`separate`), so no fencing in the ledger's script could hide a second run.
      const queues = [`${scenario.run}-a`, `${scenario.run}-b`];
      const worker = {
        CONCURRENCY: '50',
        HANDLER_DELAY_MS: String(HANDLER_DELAY_MS),
        LOCK_TTL_MS: String(LOCK_TTL_MS),
        EFFECT: 'separate',
      };
      await scenario.startWorker('wa', { ...worker, EVENTS_QUEUE: queues[0] });
      await scenario.startWorker('wb', { ...worker, EVENTS_QUEUE: queues[1] });
      const publisher = await ProbePublisher.start({
        transport: 'sns-sqs',
        endpoint: scenario.endpoint,
        topicPrefix: scenario.topicPrefix,
      });
      const events = ProbePublisher.events(scenario.run, EVENTS);
      const outcome = await publisher.publish(events, 100).finally(() => publisher.close());
      expect(outcome.failed).toEqual([]);

      await scenario.waitForApplied(EVENTS, 120_000);
      for (const queue of queues) {
        await scenario.waitForEmptyQueue(queue, 60_000);
        expect(await scenario.depth(`${queue}-dlq`)).toBe(0);
      }

      const received = await scenario.ledger.received();
      const deliveredTwice = events.filter((e) => (received.get(e.id) ?? 0) >= 2).length;
      expect(deliveredTwice).toBe(EVENTS);
      const claims = await scenario.ledger.claims();
      // The deliveries overlapped, and the holders renewed their locks without losing one.
      expect(claims['in-progress'] ?? 0).toBeGreaterThan(0);
      expect(claims.extended ?? 0).toBeGreaterThanOrEqual(EVENTS);
      expect(claims['extend-refused'] ?? 0).toBe(0);
      expect(await scenario.ledger.heldLocks()).toBe(0);
      const result = await scenario.account(outcome.accepted);
      expect(result).toMatchObject({ applied: EVENTS, twice: 0, lost: 0, strangers: [] });
      scenario.record({
        scenario: 'R8 slow handler, short lock',
        sent: outcome.accepted.length,
        applied: result.applied,
        twice: result.twice,
        inDlq: 0,
        lost: result.lost,
        notes:
          `handler ${HANDLER_DELAY_MS} ms, lock TTL ${LOCK_TTL_MS} ms; each event delivered to 2 ` +
          `consumers at once (${deliveredTwice} received twice); ${claims.extended ?? 0} lock ` +
          `renewals, ${claims['extend-refused'] ?? 0} refused; ${claims['in-progress'] ?? 0} ` +
          `claims answered in-progress, ${claims.completed ?? 0} completed (skipped); effect ` +
          'written apart from the completion',
      });
    }));
});
