import { setTimeout as delay } from 'node:timers/promises';
import type { EventEnvelope } from '@nestjs-events/core';
import { until } from '../fixtures/until';
import { FaultProxy } from './fault.proxy';
import { ProbePublisher, type PublishOutcome } from './probe.publisher';
import { Scenario, withScenario } from './scenario.harness';

jest.setTimeout(180_000);

const BEFORE = 800;
const AFTER = 800;
const DURING_CHUNK = 20;
const OUTAGE_MS = 5000;
const MAX_POLL_BACKOFF_MS = 2000;
const WORKERS = 2;
const CONCURRENCY = 50;
const BATCH_SIZE = 10; // the consumer's default
const PUBLISH_ATTEMPTS = 4; // the publisher's default policy
const ENTRIES_PER_BATCH = 10; // PublishBatch
// ReceiveMessage calls per worker during the outage. The consumer keeps up to
// ceil(concurrency / batchSize) receives going at once, and after a failure waits a random time
// in [c/2, c], c = 100 ms · 2^(failures in a row) capped at MAX_POLL_BACKOFF_MS: at least 100,
// 200, 400, 800, then 1000 ms between one receive's calls, so at most 8 calls each in 5 s. One
// that did not back off would call again as soon as the SDK gave up, hundreds of times.
const MAX_RECEIVE_CALLS_PER_WORKER = Math.ceil(CONCURRENCY / BATCH_SIZE) * 8;

const describeActions = (actions: Record<string, number>) =>
  Object.entries(actions)
    .filter(([action]) => action !== 'ReceiveMessage')
    .map(([action, count]) => `${action} ${count}`)
    .join(', ') || 'none';

describe('R5 broker outage', () => {
  it('backs off during a 5 s outage, recovers alone, and loses nothing', () =>
    withScenario(new Scenario('R5'), async (scenario) => {
      // Two proxies in front of fauxqs, so that consumer and publisher traffic count apart. Both
      // reset every connection during the outage: fauxqs keeps its queues in memory, and a real
      // restart would lose them.
      const consumers = await FaultProxy.start(scenario.endpoint);
      const publishers = await FaultProxy.start(scenario.endpoint);
      const publisher = await ProbePublisher.start({
        transport: 'sns-sqs',
        endpoint: publishers.endpoint,
        topicPrefix: scenario.topicPrefix,
      });
      try {
        const worker = {
          EVENTS_ENDPOINT: consumers.endpoint,
          CONCURRENCY: String(CONCURRENCY),
          MAX_POLL_BACKOFF_MS: String(MAX_POLL_BACKOFF_MS),
        };
        for (let index = 1; index <= WORKERS; index++) {
          await scenario.startWorker(`w${index}`, worker);
        }
        const accepted: string[] = [];
        const take = (outcome: PublishOutcome) => accepted.push(...outcome.accepted);

        const before = ProbePublisher.events(scenario.run, BEFORE);
        const first = await publisher.publish(before, 100);
        expect(first.failed).toEqual([]);
        take(first);
        await scenario.waitForApplied(BEFORE / 4, 60_000);

        // The outage, in the middle of consuming; the publisher keeps trying to publish.
        const appliedAtOutage = await scenario.ledger.appliedCount();
        const callsBefore = await scenario.ledger.receiveCalls();
        consumers.outage();
        publishers.outage();
        // At the end of the outage: the calls made during it, and the wait for consuming to
        // resume, from that very moment (the publishing loop below may still be in a call).
        const ended = delay(OUTAGE_MS).then(async () => {
          consumers.pass('after');
          publishers.pass('after');
          const at = Date.now();
          const [calls, applied] = await Promise.all([
            scenario.ledger.receiveCalls(),
            scenario.ledger.appliedCount(),
          ]);
          const resumed = until(
            async () => (await scenario.ledger.appliedCount()) > applied,
            30_000,
            'consuming to resume after the outage',
          ).then(() => Date.now() - at);
          return { calls, resumed };
        });
        const surfaced: EventEnvelope[] = [];
        const reasons = new Set<string>();
        let seq = BEFORE;
        while (consumers.inOutage) {
          const chunk = ProbePublisher.events(scenario.run, DURING_CHUNK, seq);
          seq += DURING_CHUNK;
          const outcome = await publisher.publish(chunk, DURING_CHUNK);
          take(outcome);
          const failed = new Set(outcome.failed);
          surfaced.push(...chunk.filter((event) => failed.has(event.id)));
          outcome.reasons.forEach((reason) => reasons.add(reason));
        }
        const end = await ended;
        const recoveredMs = await end.resumed;
        const calls = [...end.calls].map(([w, n]) => ({ w, n: n - (callsBefore.get(w) ?? 0) }));
        const outage = consumers.stats('outage');
        const attempts = outage.actions.ReceiveMessage ?? 0;
        // Each batch the caller was told about was tried per policy before it gave up.
        const failedBatches = surfaced.length / ENTRIES_PER_BATCH;
        const publishAttempts = publishers.stats('outage').actions.PublishBatch ?? 0;
        expect(publishAttempts).toBeGreaterThanOrEqual(failedBatches * PUBLISH_ATTEMPTS);

        // The caller was told which events failed: it publishes them again, then the rest.
        expect(surfaced.length).toBeGreaterThan(0);
        const again = await publisher.publish(surfaced, 100);
        expect(again.failed).toEqual([]);
        take(again);
        const rest = await publisher.publish(ProbePublisher.events(scenario.run, AFTER, seq), 100);
        expect(rest.failed).toEqual([]);
        take(rest);

        const sent = [...new Set(accepted)];
        await scenario.waitForApplied(sent.length, 90_000);
        await scenario.waitForEmptyQueue();
        expect(await scenario.depth(scenario.dlq)).toBe(0);

        const seconds = OUTAGE_MS / 1000;
        expect(calls).toHaveLength(WORKERS);
        for (const { n } of calls) expect(n).toBeLessThanOrEqual(MAX_RECEIVE_CALLS_PER_WORKER);
        expect(recoveredMs).toBeLessThan(MAX_POLL_BACKOFF_MS + 5000);
        const result = await scenario.account(sent);
        expect(result).toMatchObject({ twice: 0, lost: 0, strangers: [] });
        expect(result.applied).toBe(sent.length);
        scenario.record({
          scenario: 'R5 broker outage (5 s)',
          sent: sent.length,
          applied: result.applied,
          twice: result.twice,
          inDlq: 0,
          lost: result.lost,
          notes:
            `${appliedAtOutage} applied when it began; in ${seconds} s the consumers made ` +
            `${calls.map((c) => c.n).join(' and ')} ReceiveMessage calls (bound ` +
            `${MAX_RECEIVE_CALLS_PER_WORKER} each; ${attempts} HTTP attempts with the SDK's ` +
            `retries) and ${outage.requests - attempts} other requests ` +
            `(${describeActions(outage.actions)}); resumed ${(recoveredMs / 1000).toFixed(1)} s ` +
            `after; the publisher made ${publishAttempts} attempts at ${failedBatches} batches, then ` +
            `surfaced their ${surfaced.length} events as PublishError ` +
            `(${[...reasons].join('; ').slice(0, 80)}); the caller published them again`,
        });
      } finally {
        await publisher.close();
        await Promise.all([consumers.close(), publishers.close()]);
      }
    }));
});
