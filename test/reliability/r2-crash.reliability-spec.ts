import { until } from '../fixtures/until';
import { ProbePublisher } from './probe.publisher';
import { Scenario, withScenario } from './scenario.harness';

jest.setTimeout(180_000);

const EVENTS = 2000;
const VISIBILITY_TIMEOUT_S = 5;
const WORKER = {
  CONCURRENCY: '50',
  // Work before the side effect, so that a batch is really in flight when the process dies, and
  // slow enough (250 events/s) that the worker cannot drain the queue while it is being filled.
  HANDLER_DELAY_MS: '200',
  VISIBILITY_TIMEOUT_S: String(VISIBILITY_TIMEOUT_S),
  // Shorter than the visibility timeout: the dead worker's claims have expired by the time its
  // messages come back, so the second worker takes them over at once instead of waiting.
  LOCK_TTL_MS: '3000',
};

/**
 * SIGKILL one worker in the middle of a batch, start a second: the messages the first had in
 * flight come back after the visibility timeout and the second applies them. `effect` is how
 * the side effect relates to the idempotency record (see ProbeHandler).
 */
async function crashRun(scenario: Scenario, effect: 'atomic' | 'separate') {
  const w1 = await scenario.startWorker('w1', { ...WORKER, EFFECT: effect });
  const publisher = await ProbePublisher.start({
    transport: 'sns-sqs',
    endpoint: scenario.endpoint,
    topicPrefix: scenario.topicPrefix,
  });
  const events = ProbePublisher.events(scenario.run, EVENTS);
  const outcome = await publisher.publish(events, 500).finally(() => publisher.close());
  expect(outcome.failed).toEqual([]);

  await scenario.waitForApplied(EVENTS / 4, 60_000);
  await until(async () => (await scenario.ledger.heldLocks()) > 0, 30_000, 'handlers in flight');
  const killedAt = Date.now();
  await w1.kill('SIGKILL');
  // Claims the dead worker held: the handlers it had in flight, between claim and completion.
  const inFlight = await scenario.ledger.heldLocks();
  const appliedAtKill = await scenario.ledger.appliedCount();
  expect(inFlight).toBeGreaterThan(0);

  await scenario.startWorker('w2', { ...WORKER, EFFECT: effect });
  await scenario.waitForApplied(EVENTS, 90_000);
  const recoveredS = (Date.now() - killedAt) / 1000;
  await scenario.waitForEmptyQueue();
  expect(await scenario.depth(scenario.dlq)).toBe(0);

  const result = await scenario.account(outcome.accepted);
  expect(result.lost).toBe(0);
  expect(result.strangers).toEqual([]);
  // An event applied twice was first applied by the killed worker, which died before its
  // completion reached the store: the window between side effect and completion.
  const first = await scenario.ledger.firstAppliers();
  const windowHits = result.twiceIds.filter((id) => first.get(id) === 'w1').length;
  expect(windowHits).toBe(result.twice);
  // What w1 had received and not deleted: delivered again, to w2.
  const received = await scenario.ledger.received();
  const cameBack = [...received.values()].filter((times) => times > 1).length;
  expect(cameBack).toBeGreaterThanOrEqual(inFlight);
  return { outcome, result, inFlight, appliedAtKill, recoveredS, windowHits, cameBack };
}

describe('R2 crash', () => {
  it('finishes a SIGKILLed worker’s batch in a second worker, applying nothing twice', () =>
    withScenario(new Scenario('R2'), async (scenario) => {
      const run = await crashRun(scenario, 'atomic');
      expect(run.result.twice).toBe(0);
      scenario.record({
        scenario: 'R2 crash (SIGKILL)',
        sent: run.outcome.accepted.length,
        applied: run.result.applied,
        twice: run.result.twice,
        inDlq: 0,
        lost: run.result.lost,
        notes:
          `killed with ${run.inFlight} handlers in flight (${run.appliedAtKill} applied); ` +
          `${run.cameBack} messages came back, w2 finished ${run.recoveredS.toFixed(1)} s after ` +
          `the kill (visibility timeout ${VISIBILITY_TIMEOUT_S} s); effect and completion in one ` +
          'Redis script',
      });
    }));

  it('measures the window a side effect outside the store leaves open', () =>
    withScenario(new Scenario('R2b'), async (scenario) => {
      const run = await crashRun(scenario, 'separate');
      scenario.record({
        scenario: 'R2b crash, effect not atomic with completion (measurement)',
        sent: run.outcome.accepted.length,
        applied: run.result.applied,
        twice: run.result.twice,
        inDlq: 0,
        lost: run.result.lost,
        notes:
          `killed with ${run.inFlight} handlers in flight, ${run.cameBack} messages came back; ` +
          `${run.windowHits} had been killed between side effect and completion and were ` +
          'applied again (the documented window)',
      });
    }));
});
