import { GetQueueAttributesCommand, type Message } from '@aws-sdk/client-sqs';
import { DEAD_LETTER_ATTRIBUTES } from '@nestjs-events/sqs';
import { ProbeEvent } from '../../apps/reliability-worker/src/probe.events';
import { until } from '../fixtures/until';
import { Scenario, withScenario } from './scenario.harness';

jest.setTimeout(180_000);

const GOOD = 1000;
// A body that cannot be dead-lettered keeps coming back once per visibility timeout until the
// queue's redrive policy (5 receives) moves it: 2 s keeps that under 15 s.
const VISIBILITY_TIMEOUT_S = 2;
const EVENT_LIMIT_BYTES = 256 * 1024;

interface Poison {
  readonly kind: string;
  readonly id: string;
  readonly body: string;
  /** The dead-letter reason (and error) the consumer documents for it. */
  readonly reason?: string;
  readonly error?: RegExp;
}

interface Observed {
  readonly kind: string;
  readonly dlq?: Message;
  readonly reason?: string;
  readonly error?: string;
  readonly applied: number;
}

const reasonOf = (message?: Message) =>
  message?.MessageAttributes?.[DEAD_LETTER_ATTRIBUTES.reason]?.StringValue;
const errorOf = (message?: Message) =>
  message?.MessageAttributes?.[DEAD_LETTER_ATTRIBUTES.error]?.StringValue;

function poisonFor(run: string, queueMaxBytes: number): Poison[] {
  const valid = { ...ProbeEvent.create({ run, seq: 0 }, { source: 'reliability-raw' }) };
  const envelope = (id: string, changes: object) => JSON.stringify({ ...valid, id, ...changes });
  const atLimitStart = `{"id":"${run}-at-limit","type":"reliability.probe",`;
  return [
    {
      kind: 'malformed JSON',
      id: `${run}-malformed`,
      body: `{"id":"${run}-malformed","type":"reliability.probe",`,
      reason: 'malformed-json',
    },
    {
      kind: 'unknown event type',
      id: `${run}-unknown-type`,
      body: envelope(`${run}-unknown-type`, { type: 'reliability.unknown' }),
      reason: 'unknown-event-type',
    },
    {
      kind: 'schema violation',
      id: `${run}-schema`,
      body: envelope(`${run}-schema`, { data: { run, seq: 'seven' } }),
      reason: 'non-retryable',
      error: /EventValidationError/,
    },
    {
      kind: 'version newer than known',
      id: `${run}-too-new`,
      body: envelope(`${run}-too-new`, { version: 2 }),
      reason: 'non-retryable',
      error: /UnsupportedEventVersionError/,
    },
    {
      // Over the 256 KiB that the library's publishers refuse; SQS takes it (up to 1 MiB).
      kind: 'oversize event (300 KiB)',
      id: `${run}-oversize`,
      body: envelope(`${run}-oversize`, {
        data: { run, seq: 0, pad: 'x'.repeat(EVENT_LIMIT_BYTES + 44 * 1024) },
      }),
      reason: 'oversize',
      error: /PoisonMessageError: The event is \d+ bytes, over the 262144-byte limit/,
    },
    {
      // As large as the queue allows: its copy in the DLQ has no room for the reason attributes
      // (the consumer logs the reason), but it goes there at once, not after the redrive.
      kind: `malformed body at the queue limit (${queueMaxBytes / 1024} KiB)`,
      id: `${run}-at-limit`,
      body: atLimitStart + 'x'.repeat(queueMaxBytes - atLimitStart.length),
    },
  ];
}

describe('R4 poison input', () => {
  const observed = new Map<string, Observed>();

  it('dead-letters each poison message with its reason and keeps consuming the good ones', () =>
    withScenario(new Scenario('R4'), async (scenario) => {
      await scenario.startWorker('w1', { VISIBILITY_TIMEOUT_S: String(VISIBILITY_TIMEOUT_S) });
      const { Attributes } = await scenario.queues.client.send(
        new GetQueueAttributesCommand({
          QueueUrl: await scenario.queues.url(scenario.queue),
          AttributeNames: ['MaximumMessageSize'],
        }),
      );
      const poison = poisonFor(scenario.run, Number(Attributes?.MaximumMessageSize));
      const goods = Array.from({ length: GOOD }, (_, seq) =>
        ProbeEvent.create({ run: scenario.run, seq }, { source: 'reliability-raw' }),
      );
      // Good messages before, between and after the poison ones.
      const block = GOOD / (poison.length + 1);
      for (let index = 0; index <= poison.length; index++) {
        const slice = goods.slice(index * block, (index + 1) * block);
        await scenario.sendRaw(slice.map((event) => JSON.stringify(event)));
        if (poison[index]) await scenario.queues.send(scenario.queue, poison[index].body);
      }

      const goodIds = goods.map((event) => event.id);
      await until(
        async () => (await scenario.account(goodIds)).lost === 0,
        60_000,
        'every good message applied',
      );
      const goodsDoneS = scenario.seconds;
      const dead = await scenario.deadLetters(poison.length, 60_000);
      const applied = await scenario.ledger.applied();
      for (const item of poison) {
        const dlq = dead.find((message) => message.Body?.startsWith(`{"id":"${item.id}"`));
        observed.set(item.kind, {
          kind: item.kind,
          dlq,
          reason: reasonOf(dlq),
          error: errorOf(dlq),
          applied: applied.get(item.id) ?? 0,
        });
      }

      // The kinds the consumer documents: in the DLQ at once, with the reason and the error.
      for (const item of poison.filter((p) => p.reason)) {
        const seen = observed.get(item.kind)!;
        expect({ kind: item.kind, reason: seen.reason }).toEqual({
          kind: item.kind,
          reason: item.reason,
        });
        if (item.error) expect(seen.error).toMatch(item.error);
        expect(seen.applied).toBe(0);
      }
      // The DLQ holds poison messages only, each once.
      const poisonInDlq = [...observed.values()].filter((seen) => seen.dlq).length;
      expect(dead).toHaveLength(poisonInDlq);
      // Each source message is deleted after its copy is in the DLQ (and deletes are batched).
      await scenario.waitForEmptyQueue();

      // Nothing lost: each poison message is in the DLQ.
      const inDlq = new Set(poison.filter((p) => observed.get(p.kind)?.dlq).map((p) => p.id));
      const sent = [...goodIds, ...poison.map((p) => p.id)];
      const result = await scenario.account(sent, inDlq);
      expect(result).toMatchObject({ twice: 0, lost: 0, strangers: [] });
      expect(result.applied).toBe(GOOD + poison.filter((p) => applied.has(p.id)).length);

      const outcomeOf = (seen: Observed) =>
        seen.reason
          ? `${seen.reason} (${/^\w+/.exec(seen.error ?? '')?.[0] ?? '?'})`
          : seen.dlq
            ? 'in the DLQ without reason attributes (no room left; the reason is logged)'
            : seen.applied
              ? 'applied, not dead-lettered'
              : 'missing';
      scenario.record({
        scenario: 'R4 poison input',
        sent: sent.length,
        applied: result.applied,
        twice: result.twice,
        inDlq: dead.length,
        lost: result.lost,
        notes:
          [...observed.values()].map((seen) => `${seen.kind}: ${outcomeOf(seen)}`).join('; ') +
          `; all ${GOOD} good messages applied after ${goodsDoneS.toFixed(1)} s`,
      });
    }));
});
