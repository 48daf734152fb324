import type { Message } from '@aws-sdk/client-sqs';
import { DEAD_LETTER_ATTRIBUTES } from '@nestjs-events/sqs';
import { failsFirstAttempt, picks } from '../../apps/reliability-worker/src/fault.plan';
import { ProbePublisher } from './probe.publisher';
import { Scenario, withScenario } from './scenario.harness';

jest.setTimeout(180_000);

const EVENTS = 1000;
const FAIL_FRACTION = 0.1;
const GIVE_UP_FRACTION = 0.1;
const AUDIT = 'ProbeAuditHandler.audit';
const PROBE = 'ProbeHandler.apply';

/** The event id of a dead-letter copy: its body is the SNS notification or the envelope. */
function eventIdOf(message: Message): string | undefined {
  const body = JSON.parse(message.Body ?? '{}') as { id?: string; Message?: string };
  return typeof body.Message === 'string'
    ? (JSON.parse(body.Message) as { id?: string }).id
    : body.id;
}

const attribute = (message: Message, name: string) =>
  message.MessageAttributes?.[name]?.StringValue;

describe('R9 several handlers on one queue', () => {
  it('runs each handler once per event though the other one retries or gives up', () =>
    withScenario(new Scenario('R9'), async (scenario) => {
      // Two handlers of the event on one queue: the probe handler (idempotent) fails the first
      // attempt of a hashed 10 %, the audit handler (not idempotent, every run counted) gives up
      // at once on another hashed 10 %. A redelivery the probe handler asks for must not run the
      // audit again: the delivery ledger, in the shared Redis store, says it is done.
      const worker = {
        CONCURRENCY: '50',
        FAIL_FRACTION: String(FAIL_FRACTION),
        SECOND_HANDLER: 'true',
        GIVE_UP_FRACTION: String(GIVE_UP_FRACTION),
      };
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

      await scenario.waitForApplied(EVENTS, 90_000);
      await scenario.waitForEmptyQueue();

      const ids = events.map((e) => e.id);
      const retried = ids.filter((id) => failsFirstAttempt(id, FAIL_FRACTION));
      const givenUp = ids.filter((id) => picks('give-up', id, GIVE_UP_FRACTION));
      const both = givenUp.filter((id) => retried.includes(id));
      // The probe handler failed exactly the picked first attempts, once each.
      const injected = await scenario.ledger.injected();
      expect([...injected.keys()].sort()).toEqual([...retried].sort());

      // The audit ran once per event: neither the retries nor its own dead letters ran it again.
      const audits = await scenario.ledger.secondRuns();
      const auditedTwice = ids.filter((id) => (audits.get(id) ?? 0) > 1);
      const neverAudited = ids.filter((id) => !audits.has(id));
      expect({ auditedTwice, neverAudited, strangers: audits.size - EVENTS }).toEqual({
        auditedTwice: [],
        neverAudited: [],
        strangers: 0,
      });

      // One dead letter per event the audit gave up on, naming it; none for the probe handler.
      const dead = await scenario.deadLetters(givenUp.length, 30_000);
      const deadIds = dead.map(eventIdOf);
      expect([...deadIds].sort()).toEqual([...givenUp].sort());
      const handlers = new Set(dead.map((m) => attribute(m, DEAD_LETTER_ATTRIBUTES.handler)));
      expect([...handlers]).toEqual([AUDIT]);
      expect(dead.some((m) => attribute(m, DEAD_LETTER_ATTRIBUTES.handler)?.includes(PROBE))).toBe(
        false,
      );
      const reasons = new Set(dead.map((m) => attribute(m, DEAD_LETTER_ATTRIBUTES.reason)));

      // Every event applied once by the probe handler, including those the audit gave up on.
      const result = await scenario.account(outcome.accepted);
      expect(result).toMatchObject({ applied: EVENTS, twice: 0, lost: 0, strangers: [] });
      const received = await scenario.ledger.received();
      const redelivered = ids.filter((id) => (received.get(id) ?? 0) > 1).length;
      scenario.record({
        scenario: 'R9 several handlers on one queue',
        sent: outcome.accepted.length,
        applied: result.applied,
        twice: result.twice,
        inDlq: dead.length,
        lost: result.lost,
        notes:
          `2 handlers, 2 workers × 50 concurrent; ${PROBE} failed ${retried.length} first ` +
          `attempts, all applied on a retry; ${AUDIT} gave up on ${givenUp.length} ` +
          `(${both.length} of them also retried by ${PROBE}); ${redelivered} messages received ` +
          `again, ${AUDIT} ran once per event (${audits.size} runs); ${dead.length} dead letters, ` +
          `each naming ${AUDIT} (${[...reasons].join(', ')}), none for ${PROBE}`,
      });
    }));
});
