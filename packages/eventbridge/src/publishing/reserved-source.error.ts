/**
 * An event's `source` starts with `aws.`, which EventBridge keeps for AWS services: PutEvents would
 * refuse it on every attempt, so it is refused before anything is sent.
 */
export class ReservedEventSourceError extends Error {
  override name = 'ReservedEventSourceError';

  constructor(
    readonly eventId: string,
    readonly eventType: string,
    readonly source: string,
  ) {
    super(
      `Event ${eventId} (${eventType}) has source "${source}", but EventBridge reserves sources ` +
        'starting with "aws." for AWS services. Give the EventsModule (or the event) another ' +
        '"source", e.g. the name of your service.',
    );
  }
}
