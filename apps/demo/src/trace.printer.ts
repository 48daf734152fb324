import type { EventNotification } from '@nestjs-events/core';

const UUID = /^([0-9a-f]{8})-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** First 8 hex digits of a UUID (enough to follow a flow by eye); other ids as they are. */
const short = (id: string | undefined) => (id ? (UUID.exec(id)?.[1] ?? id) : '-');

/** One readable line per notification: correlation, event, handler, outcome. */
export function formatNotification(notification: EventNotification): string {
  if (
    notification.kind === 'poison' ||
    notification.kind === 'delete-failed' ||
    notification.kind === 'receive-failed' ||
    (notification.kind === 'dead-letter-failed' && !notification.event)
  ) {
    const where = `${notification.transport}/${notification.queue}`;
    return `[${notification.kind}] ${where}: ${String(notification.error)}`;
  }
  const event = notification.event!;
  const head = `[corr ${short(event.metadata.correlationId)}] ${`${event.type} v${event.version}`.padEnd(22)} ${short(event.id)}`;
  switch (notification.kind) {
    case 'published':
      return `${head}  published  by ${event.source} (caused by ${short(event.metadata.causationId)})`;
    case 'handled':
      return `${head}  handled    ${notification.handler} (attempt ${notification.attempt}, ${notification.durationMs.toFixed(1)} ms)`;
    case 'skipped':
      return `${head}  skipped    ${notification.handler} (${notification.reason})`;
    case 'retrying':
      return `${head}  retrying   ${notification.handler} in ${notification.delayMs} ms: ${String(notification.error)}`;
    case 'timed-out':
      return `${head}  TIMED OUT  ${notification.handler} after ${notification.timeoutMs} ms (attempt ${notification.attempt})`;
    case 'dead-lettered':
      return `${head}  DEAD       ${notification.handler} after ${notification.attempts} attempt(s): ${String(notification.error)}`;
    case 'dead-letter-failed':
      return `${head}  DLQ FAILED ${notification.handler} (${notification.reason}): ${String(notification.error)}`;
    case 'outbox-relayed':
      return `${head}  relayed    from the outbox by ${notification.transport} (${notification.lagMs} ms after it occurred)`;
    case 'outbox-retrying':
      return `${head}  RELAY RETRY in ${notification.delayMs} ms (attempt ${notification.attempt})`;
    case 'outbox-parked':
      return `${head}  PARKED     in the outbox after ${notification.attempts} attempt(s)`;
  }
}
