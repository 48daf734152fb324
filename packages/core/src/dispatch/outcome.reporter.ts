import type { HandlingContext } from '../context/event-context';
import { describeError } from '../errors/describe-error';
import type { EventEnvelope } from '../interfaces/event-envelope.interface';
import type { EventsMonitor } from '../monitor/events.monitor';
import { EventLogger } from '../observability/event-log';
import type { RetryPolicy } from '../retry/retry-policy';
import type { DeliveryOutcome } from '../transport/transport.interface';

const HANDLED: DeliveryOutcome = { status: 'handled' };
const SKIPPED: DeliveryOutcome = { status: 'skipped' };
/** Shared: a settled promise can be awaited by any number of callers. */
const SKIPPED_PROMISE = Promise.resolve(SKIPPED);

/**
 * Turns how one delivery ended into what the transport should do next, per the handler's retry
 * policy, and leaves its trace: a log record for failures and denials, a notification on
 * `EventsMonitor` for everything (built only while someone listens).
 */
export class OutcomeReporter {
  private readonly logger: EventLogger;

  constructor(
    private readonly handler: string,
    private readonly retry: RetryPolicy,
    private readonly monitor: EventsMonitor,
    logPayloads = false,
  ) {
    this.logger = new EventLogger('EventHandler', logPayloads);
  }

  /** The handler returned, or was skipped (see `context.skipped`); `started` is a performance.now(). */
  succeeded(context: HandlingContext, started: number): DeliveryOutcome {
    const { monitor, handler } = this;
    const { event, attempt, skipped } = context;
    if (skipped) {
      if (skipped === 'guard') {
        const denied = `${handler} skipped event ${event.id} (${event.type}): a guard denied it`;
        this.logger.debug(denied, event, { handler, attempt, reason: skipped });
      }
      if (monitor.observed) monitor.notify({ kind: 'skipped', event, handler, reason: skipped });
      return SKIPPED;
    }
    if (monitor.observed) {
      const durationMs = performance.now() - started;
      monitor.notify({ kind: 'handled', event, handler, attempt, durationMs });
    }
    return HANDLED;
  }

  /** The content filter rejected `event` (as the handler would have seen it). */
  filtered(event: EventEnvelope): Promise<DeliveryOutcome> {
    const { monitor, handler } = this;
    if (monitor.observed) monitor.notify({ kind: 'skipped', event, handler, reason: 'filtered' });
    return SKIPPED_PROMISE;
  }

  /** The run outlived `timeoutMs`: logged now, while it is still running somewhere. */
  timedOut(context: HandlingContext, timeoutMs: number): void {
    const { monitor, handler } = this;
    const { event, attempt } = context;
    this.logger.error(
      `${handler} is still running on event ${event.id} (${event.type}) after its timeout of ` +
        `${timeoutMs} ms; the attempt counts as failed and the run is reported as stuck`,
      event,
      { handler, attempt, reason: 'timeout' },
    );
    if (monitor.observed) monitor.notify({ kind: 'timed-out', event, handler, attempt, timeoutMs });
  }

  failed(event: EventEnvelope, attempt: number, error: unknown): DeliveryOutcome {
    const { monitor, handler } = this;
    const decision = this.retry.decide(error, attempt);
    const what = `${handler} failed on event ${event.id} (${event.type}) at attempt ${attempt}: ${describeError(error)}`;
    if (decision.retry) {
      const { delayMs } = decision;
      this.logger.warn(`${what}; retrying in ${delayMs} ms`, event, {
        handler,
        attempt,
        delayMs,
        error,
      });
      if (monitor.observed) {
        monitor.notify({ kind: 'retrying', event, handler, attempt, delayMs, error });
      }
      return { status: 'retry', delayMs, error };
    }
    const { reason } = decision;
    this.logger.error(`${what}; dead-lettered (${reason})`, event, {
      handler,
      attempt,
      reason,
      error,
    });
    // The transport reports the dead letter once it has written it.
    return { status: 'dead-letter', reason, error, attempts: attempt };
  }
}
