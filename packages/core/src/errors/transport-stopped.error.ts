/** An event was published through a transport that has been stopped (the app is shutting down). */
export class TransportStoppedError extends Error {
  override name = 'TransportStoppedError';

  constructor(transport: string, eventIds: readonly string[]) {
    super(
      `Transport "${transport}" is stopped; events ${eventIds.join(', ')} were not published. ` +
        'Publish before the application closes, or from a handler while it drains.',
    );
  }
}
