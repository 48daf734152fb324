/**
 * A handler did not settle within its timeout. The attempt counts as failed and is retried per
 * the handler's retry policy; the handler itself keeps running (JavaScript cannot stop it) and is
 * reported as stuck until it settles.
 */
export class HandlerTimeoutError extends Error {
  override name = 'HandlerTimeoutError';

  constructor(
    readonly handler: string,
    readonly eventId: string,
    readonly timeoutMs: number,
  ) {
    super(
      `${handler} did not settle within ${timeoutMs} ms on event ${eventId}. Make it return, ` +
        'bound its own waits, or raise its timeout (@EventHandler option timeoutMs, module ' +
        'option handlerTimeoutMs).',
    );
  }
}
