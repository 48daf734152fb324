import { picks } from '../../apps/reliability-worker/src/fault.plan';
import { ProbePublisher } from './probe.publisher';
import { Scenario, withScenario } from './scenario.harness';

jest.setTimeout(180_000);

const EVENTS = 1000;
const HANG_FRACTION = 0.01;
const CONCURRENCY = 4;
const HANDLER_TIMEOUT_MS = 1000;
/** From the last publish to the last event applied. */
const BOUND_S = 30;

/**
 * Probe events of `run` whose first attempts hang on more ids than the worker has slots. The ids
 * are random, so a draw of 1,000 at 1 % picks 4 or fewer about 3 % of the time: such a draw says
 * nothing about slots being freed, and is made again (at most `draws` times).
 */
function eventsHangingMoreThanSlots(run: string, draws = 20) {
  for (let draw = 0; draw < draws; draw++) {
    const events = ProbePublisher.events(run, EVENTS);
    const picked = events.filter((e) => picks('hang', e.id, HANG_FRACTION)).map((e) => e.id);
    if (picked.length > CONCURRENCY) return { events, picked };
  }
  throw new Error(
    `R10: ${draws} draws of ${EVENTS} events each picked ${CONCURRENCY} or fewer to hang; ` +
      'check HANG_FRACTION against CONCURRENCY',
  );
}

describe('R10 hung handlers', () => {
  it('retries handler runs that never settle, and keeps consuming meanwhile', () =>
    withScenario(new Scenario('R10'), async (scenario) => {
      // The first attempt at a hashed 1 % of the ids never settles: more of them than the worker
      // has slots, so without the handler timeout they would hold every slot forever.
      await scenario.startWorker('w1', {
        CONCURRENCY: String(CONCURRENCY),
        HANG_FRACTION: String(HANG_FRACTION),
        HANDLER_TIMEOUT_MS: String(HANDLER_TIMEOUT_MS),
      });
      const publisher = await ProbePublisher.start({
        transport: 'sns-sqs',
        endpoint: scenario.endpoint,
        topicPrefix: scenario.topicPrefix,
      });
      const { events, picked } = eventsHangingMoreThanSlots(scenario.run);
      const outcome = await publisher.publish(events, 500).finally(() => publisher.close());
      expect(outcome.failed).toEqual([]);
      const publishedS = scenario.seconds;

      // Every message settled (applied or dead-lettered) within the bound.
      await scenario.waitForEmptyQueue(scenario.queue, BOUND_S * 1000);
      const settledS = scenario.seconds - publishedS;

      // Exactly the picked first attempts hung, once each, and every one was applied after.
      const hung = await scenario.ledger.hung();
      expect([...hung.keys()].sort()).toEqual([...picked].sort());
      expect([...hung.values()].every((times) => times === 1)).toBe(true);
      // Each of them applied on a later attempt, none dead-lettered (max attempts) meanwhile.
      const applied = await scenario.ledger.applied();
      const claims = await scenario.ledger.claims();
      expect({
        hungNotApplied: picked.filter((id) => !applied.has(id)),
        inDlq: await scenario.depth(scenario.dlq),
      }).toEqual({ hungNotApplied: [], inDlq: 0 });

      const result = await scenario.account(outcome.accepted);
      expect(result).toMatchObject({ applied: EVENTS, twice: 0, lost: 0, strangers: [] });
      scenario.record({
        scenario: 'R10 hung handlers',
        sent: outcome.accepted.length,
        applied: result.applied,
        twice: result.twice,
        inDlq: 0,
        lost: result.lost,
        notes:
          `${hung.size} first attempts never settled (1 worker × ${CONCURRENCY} concurrent); ` +
          `each timed out after ${HANDLER_TIMEOUT_MS} ms, freed its slot and was applied on a ` +
          `retry; all applied ${settledS.toFixed(1)} s after the last publish (bound ${BOUND_S} s); ` +
          `${claims['in-progress'] ?? 0} claims answered in-progress`,
      });
    }));
});
