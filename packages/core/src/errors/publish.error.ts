/** Some events could not be published after every retry; none of them was dropped silently. */
export class PublishError extends Error {
  override name = 'PublishError';

  constructor(
    /** Ids of the events that were not published. */
    readonly failedEventIds: readonly string[],
    reason: string,
    options?: { cause?: unknown },
  ) {
    super(
      `Could not publish ${failedEventIds.length} event(s) (${failedEventIds.join(', ')}): ${reason}`,
      options,
    );
  }
}

/** An event is larger than the broker accepts; it is refused before anything is sent. */
export class OversizeEventError extends Error {
  override name = 'OversizeEventError';

  constructor(
    readonly eventId: string,
    readonly eventType: string,
    readonly bytes: number,
    readonly limit: number,
  ) {
    super(
      `Event ${eventId} (${eventType}) is ${bytes} bytes, over the ${limit}-byte limit of one ` +
        'message. Put large payloads in object storage and publish a reference to them.',
    );
  }
}
