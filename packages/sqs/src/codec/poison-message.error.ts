import { InvalidEventError } from '@nestjs-events/core';

/** Why a message cannot be handled by anyone: it goes to the dead-letter queue at once. */
export type PoisonReason = 'malformed-json' | 'not-an-event' | 'unknown-event-type' | 'oversize';

/** A message no handler can take; its reason goes with it to the dead-letter queue. */
export class PoisonMessageError extends InvalidEventError {
  override name = 'PoisonMessageError';

  constructor(
    readonly reason: PoisonReason,
    message: string,
  ) {
    super(message);
  }
}
