export { eventsFromEnv } from './events-from-env.module';
export { transportsFromConfig, type ConsumerSettings } from './transports.factory';
export { eventsOptionsFromEnv } from './events-options-from-env';
