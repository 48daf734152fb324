import { failsFirstAttempt } from '../../apps/reliability-worker/src/fault.plan';
import { ProbePublisher } from './probe.publisher';
import { Scenario, withScenario } from './scenario.harness';

jest.setTimeout(300_000);

const EVENTS = 10_000;
const FAIL_FRACTION = 0.05;

describe('R1 transient failures', () => {
  it('applies 10,000 events once each when 5 % fail their first attempt, and dead-letters none', () =>
    withScenario(new Scenario('R1'), async (scenario) => {
      const worker = { CONCURRENCY: '50', FAIL_FRACTION: String(FAIL_FRACTION) };
      // Two processes on one queue: retries may land on either, the Redis store is shared.
      await scenario.startWorker('w1', worker);
      await scenario.startWorker('w2', worker);
      const publisher = await ProbePublisher.start({
        transport: 'sns-sqs',
        endpoint: scenario.endpoint,
        topicPrefix: scenario.topicPrefix,
      });
      const events = ProbePublisher.events(scenario.run, EVENTS);
      const outcome = await publisher.publish(events, 500).finally(() => publisher.close());
      expect(outcome.failed).toEqual([]);

      await scenario.waitForApplied(EVENTS, 240_000);
      await scenario.waitForEmptyQueue();

      // Exactly the events the hash picked failed, once each, and were applied on the retry.
      const picked = events.filter((e) => failsFirstAttempt(e.id, FAIL_FRACTION)).map((e) => e.id);
      const injected = await scenario.ledger.injected();
      expect([...injected.keys()].sort()).toEqual(picked.sort());
      expect([...injected.values()].every((times) => times === 1)).toBe(true);
      expect(await scenario.depth(scenario.dlq)).toBe(0);

      const result = await scenario.account(outcome.accepted);
      expect(result).toMatchObject({ applied: EVENTS, twice: 0, lost: 0, strangers: [] });
      scenario.record({
        scenario: 'R1 transient failures',
        sent: outcome.accepted.length,
        applied: result.applied,
        twice: result.twice,
        inDlq: 0,
        lost: result.lost,
        notes:
          `${injected.size} first attempts failed (${((100 * injected.size) / EVENTS).toFixed(1)} %), ` +
          'all applied on a retry; 2 workers × 50 concurrent',
      });
    }));
});
