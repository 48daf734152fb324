export * from './event-validation.error';
export * from './event-version.error';
export * from './events-configuration.error';
export * from './invalid-event.error';
export * from './non-retryable.error';
export * from './transport-stopped.error';
export * from './publish.error';
export * from './idempotency.errors';
