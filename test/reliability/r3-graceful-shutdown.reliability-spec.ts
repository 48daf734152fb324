import { until } from '../fixtures/until';
import { ProbePublisher } from './probe.publisher';
import { Scenario, withScenario } from './scenario.harness';

jest.setTimeout(180_000);

const EVENTS = 2000;
const DRAIN_DEADLINE_MS = 5000;
const WORKER = {
  CONCURRENCY: '50',
  // Slow enough that SIGTERM always finds a full set of handlers running, fast enough to drain.
  HANDLER_DELAY_MS: '200',
  SHUTDOWN_TIMEOUT_MS: String(DRAIN_DEADLINE_MS),
};
// Closing the Redis and SQS clients after the drain, and Node's own exit.
const EXIT_SLACK_MS = 2000;

describe('R3 graceful shutdown', () => {
  it('finishes in-flight handlers on SIGTERM, flushes their deletes and exits within the deadline', () =>
    withScenario(new Scenario('R3'), async (scenario) => {
      const w1 = await scenario.startWorker('w1', WORKER);
      const publisher = await ProbePublisher.start({
        transport: 'sns-sqs',
        endpoint: scenario.endpoint,
        topicPrefix: scenario.topicPrefix,
      });
      const events = ProbePublisher.events(scenario.run, EVENTS);
      const outcome = await publisher.publish(events, 500).finally(() => publisher.close());
      expect(outcome.failed).toEqual([]);

      await scenario.waitForApplied(300, 60_000);
      // A batch received together finishes together, so between two batches no handler runs:
      // SIGTERM goes in while one batch is running (the handlers take 200 ms, the check a few).
      let inFlight = 0;
      await until(
        async () => (inFlight = await scenario.ledger.heldLocks()) > 0,
        30_000,
        'handlers in flight',
      );
      const termAt = Date.now();
      const exit = await w1.kill('SIGTERM');
      const drainMs = exit.at - termAt;
      // enableShutdownHooks: Nest closes the app, then re-raises the signal.
      expect(exit).toMatchObject({ code: null, signal: 'SIGTERM' });
      expect(drainMs).toBeLessThan(DRAIN_DEADLINE_MS + EXIT_SLACK_MS);
      expect(w1.output()).not.toMatch(/Drain deadline .* reached/);
      // Every claim w1 took was completed: no handler was abandoned half-way.
      expect(await scenario.ledger.heldLocks()).toBe(0);
      const appliedByW1 = [...(await scenario.ledger.firstAppliers())]
        .filter(([, worker]) => worker === 'w1')
        .map(([id]) => id);
      // Received but never handed to a handler: only what an aborted long poll had taken.
      const leftInvisible = (await scenario.queues.depth(scenario.queue)).inFlight;

      await scenario.startWorker('w2', { ...WORKER, HANDLER_DELAY_MS: '0' });
      await scenario.waitForApplied(EVENTS, 90_000);
      await scenario.waitForEmptyQueue();

      // A completed message whose delete was lost would be received again.
      const received = await scenario.ledger.received();
      const cameBack = appliedByW1.filter((id) => (received.get(id) ?? 0) > 1);
      expect(cameBack).toEqual([]);
      const result = await scenario.account(outcome.accepted);
      expect(result).toMatchObject({ applied: EVENTS, twice: 0, lost: 0, strangers: [] });
      scenario.record({
        scenario: 'R3 graceful shutdown (SIGTERM)',
        sent: outcome.accepted.length,
        applied: result.applied,
        twice: result.twice,
        inDlq: 0,
        lost: result.lost,
        notes:
          `SIGTERM with ${inFlight} handlers in flight; all finished, exit after ${drainMs} ms ` +
          `(deadline ${DRAIN_DEADLINE_MS} ms); ${appliedByW1.length} completed by w1, ` +
          `${cameBack.length} came back; ${leftInvisible} left invisible by the aborted poll`,
      });
    }));
});
