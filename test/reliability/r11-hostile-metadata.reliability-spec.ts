import type { Message } from '@aws-sdk/client-sqs';
import { DEAD_LETTER_ATTRIBUTES } from '@nestjs-events/sqs';
import { ProbeEvent } from '../../apps/reliability-worker/src/probe.events';
import { until } from '../fixtures/until';
import { Scenario, withScenario } from './scenario.harness';

jest.setTimeout(180_000);

const GOOD = 1000;

interface Hostile {
  readonly kind: string;
  readonly id: string;
  readonly body: string;
  /** What the dead-letter error must say: the field and what was wrong, never the value. */
  readonly error: RegExp;
}

function hostileFor(run: string): Hostile[] {
  const valid = { ...ProbeEvent.create({ run, seq: 0 }, { source: 'reliability-raw' }) };
  const hostile = (kind: string, slug: string, changes: object, error: RegExp): Hostile => {
    const id = `${run}-${slug}`;
    const metadata = { ...valid.metadata, correlationId: id };
    return { kind, id, body: JSON.stringify({ ...valid, id, metadata, ...changes }), error };
  };
  return [
    hostile(
      'correlationId an object',
      'correlation-object',
      { metadata: { ...valid.metadata, correlationId: { $gt: '' } } },
      /"metadata\.correlationId" must be a string, got an object/,
    ),
    hostile(
      'correlationId a number',
      'correlation-number',
      { metadata: { ...valid.metadata, correlationId: 42 } },
      /"metadata\.correlationId" must be a string, got a number/,
    ),
    hostile(
      'correlationId of 200 KiB',
      'correlation-huge',
      { metadata: { ...valid.metadata, correlationId: 'x'.repeat(200 * 1024) } },
      /"metadata\.correlationId" is 204800 characters long, over the limit of 256/,
    ),
    hostile(
      'occurredAt 2024-02-30',
      'impossible-date',
      { occurredAt: '2024-02-30T00:00:00Z' },
      /"occurredAt" must be an ISO-8601 time of a real date/,
    ),
    hostile(
      'traceparent not W3C',
      'bad-traceparent',
      { metadata: { ...valid.metadata, traceparent: 'trace-me-if-you-can' } },
      /"metadata\.traceparent" must be a W3C traceparent/,
    ),
  ];
}

const attribute = (message: Message | undefined, name: string) =>
  message?.MessageAttributes?.[name]?.StringValue;

describe('R11 hostile metadata', () => {
  it('dead-letters envelopes with hostile metadata before any handler, and applies the rest', () =>
    withScenario(new Scenario('R11'), async (scenario) => {
      await scenario.startWorker('w1');
      const hostile = hostileFor(scenario.run);
      const goods = Array.from({ length: GOOD }, (_, seq) =>
        ProbeEvent.create({ run: scenario.run, seq }, { source: 'reliability-raw' }),
      );
      // Good messages before, between and after the hostile ones.
      const block = GOOD / (hostile.length + 1);
      for (let index = 0; index <= hostile.length; index++) {
        const slice = goods.slice(index * block, (index + 1) * block);
        await scenario.sendRaw(slice.map((event) => JSON.stringify(event)));
        if (hostile[index]) await scenario.queues.send(scenario.queue, hostile[index].body);
      }

      const goodIds = goods.map((event) => event.id);
      await until(
        async () => (await scenario.account(goodIds)).lost === 0,
        60_000,
        'every good message applied',
      );
      const goodsDoneS = scenario.seconds;
      const dead = await scenario.deadLetters(hostile.length, 30_000);
      await scenario.waitForEmptyQueue();
      const applied = await scenario.ledger.applied();

      // Each hostile envelope in the DLQ once, with its reason and what was wrong; never applied.
      const byId = new Map(
        dead.map((m) => [(JSON.parse(m.Body ?? '{}') as { id?: string }).id, m]),
      );
      expect(dead).toHaveLength(byId.size);
      const seen = hostile.map((item) => {
        const message = byId.get(item.id);
        return {
          kind: item.kind,
          inDlq: message !== undefined,
          reason: attribute(message, DEAD_LETTER_ATTRIBUTES.reason),
          error: attribute(message, DEAD_LETTER_ATTRIBUTES.error) ?? '',
          applied: applied.get(item.id) ?? 0,
        };
      });
      for (const [index, item] of hostile.entries()) {
        expect(seen[index]).toMatchObject({
          kind: item.kind,
          inDlq: true,
          reason: 'not-an-event',
          applied: 0,
        });
        expect(seen[index].error).toMatch(/^PoisonMessageError: Cannot consume event/);
        expect(seen[index].error).toMatch(item.error);
      }
      // The DLQ holds the hostile envelopes only.
      expect([...byId.keys()].sort()).toEqual(hostile.map((item) => item.id).sort());

      const hostileIds = new Set(hostile.map((item) => item.id));
      const sent = [...goodIds, ...hostileIds];
      const result = await scenario.account(sent, hostileIds);
      expect(result).toMatchObject({ applied: GOOD, twice: 0, lost: 0, strangers: [] });
      scenario.record({
        scenario: 'R11 hostile metadata',
        sent: sent.length,
        applied: result.applied,
        twice: result.twice,
        inDlq: dead.length,
        lost: result.lost,
        notes:
          seen
            .map(({ kind, reason, error }) => {
              const problem = /: (".+?" [^.;]+)/.exec(error)?.[1] ?? '?';
              return `${kind}: ${reason} (${problem})`;
            })
            .join('; ') +
          `; none applied; all ${GOOD} good messages applied after ${goodsDoneS.toFixed(1)} s`,
      });
    }));
});
