/**
 * The module, a handler or a definition is set up in a way that cannot work. Thrown at bootstrap
 * (or when a definition is declared), never while events flow.
 */
export class EventsConfigurationError extends Error {
  override name = 'EventsConfigurationError';

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}
