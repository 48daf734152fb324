import { failsFirstAttempt } from '../../apps/reliability-worker/src/fault.plan';
import { FaultProxy, type EntrySeen } from './fault.proxy';
import { ProbePublisher } from './probe.publisher';
import { Scenario, withScenario } from './scenario.harness';

jest.setTimeout(180_000);

// The publishers' default policy: 4 attempts per entry, backoff from 100 ms up to 2 s.
const PUBLISH_ATTEMPTS = 4;

interface Case {
  readonly name: string;
  readonly options: ConstructorParameters<typeof Scenario>[1];
  readonly events: number;
  /** Every `permanentEvery`-th event fails on every attempt. */
  readonly permanentEvery: number;
}

const cases: Case[] = [
  {
    name: 'SNS PublishBatch',
    options: { emulator: 'fauxqs', transport: 'sns-sqs' },
    events: 1000,
    permanentEvery: 100,
  },
  {
    name: 'EventBridge PutEvents',
    options: { emulator: 'moto', transport: 'eventbridge' },
    events: 500,
    permanentEvery: 50,
  },
];

describe('R7 partial publish failure', () => {
  it.each(cases)(
    'retries only the failed entries of $name and names the ones that never went through',
    ({ name, options, events: count, permanentEvery }) =>
      withScenario(
        new Scenario(name.startsWith('SNS') ? 'R7' : 'R7b', options),
        async (scenario) => {
          await scenario.startWorker('w1');
          const proxy = await FaultProxy.start(scenario.endpoint);
          const publisher = await ProbePublisher.start({
            transport: scenario.transport,
            endpoint: proxy.endpoint,
            topicPrefix: scenario.topicPrefix,
            eventBus: scenario.eventBus,
          });
          try {
            const events = ProbePublisher.events(scenario.run, count);
            const permanent = new Set(
              events.filter((_, seq) => seq % permanentEvery === 7).map((e) => e.id),
            );
            // 10 % of the events fail their first two attempts, then go through.
            const transient = new Set(
              events.filter((e) => failsFirstAttempt(`publish:${e.id}`, 0.1)).map((e) => e.id),
            );
            proxy.partial(
              (id, attempt) => permanent.has(id) || (transient.has(id) && attempt <= 2),
            );
            const outcome = await publisher.publish(events, 100);
            proxy.pass();

            // The caller is told exactly which events did not go through.
            expect([...outcome.failed].sort()).toEqual([...permanent].sort());
            // Only failed entries were sent again: per event, failures then at most one success.
            const seen = new Map<string, EntrySeen[]>();
            for (const entry of proxy.entries) {
              seen.set(entry.eventId, [...(seen.get(entry.eventId) ?? []), entry]);
            }
            let resent = 0;
            for (const event of events) {
              const tries = seen.get(event.id) ?? [];
              const successes = tries.filter((t) => !t.failed).length;
              expect({ id: event.id, successes }).toEqual({
                id: event.id,
                successes: permanent.has(event.id) ? 0 : 1,
              });
              if (successes) expect(tries[tries.length - 1].failed).toBe(false);
              if (!permanent.has(event.id) && !transient.has(event.id))
                expect(tries).toHaveLength(1);
              if (permanent.has(event.id))
                expect(tries.length).toBeGreaterThanOrEqual(PUBLISH_ATTEMPTS);
              resent += tries.length - 1;
            }
            const failedEntries = proxy.entries.filter((e) => e.failed).length;

            const sent = outcome.accepted;
            await scenario.waitForApplied(sent.length, 90_000);
            await scenario.waitForEmptyQueue();
            const result = await scenario.account(sent);
            expect(result).toMatchObject({ applied: count - permanent.size, twice: 0, lost: 0 });
            expect(result.strangers).toEqual([]);
            scenario.record({
              scenario: `R7 partial publish failure (${name})`,
              sent: sent.length,
              applied: result.applied,
              twice: result.twice,
              inDlq: 0,
              lost: result.lost,
              notes:
                `${failedEntries} entries answered failed (${transient.size} events twice, ` +
                `${permanent.size} always); ${resent} resends, none of an entry that had gone ` +
                `through; PublishError.failedEventIds named exactly the ${permanent.size}`,
            });
          } finally {
            await publisher.close();
            await proxy.close();
          }
        },
      ),
  );
});
