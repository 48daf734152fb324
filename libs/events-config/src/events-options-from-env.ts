import { ConfigService } from '@nestjs/config';
import type { EventsModuleOptions } from '@nestjs-events/core';
import { transportsFromConfig, type ConsumerSettings } from './transports.factory';

/**
 * The EventsModule options `eventsFromEnv` gives a service, built straight from the environment:
 * for tools that read them without starting Nest (the `nestjs-events` CLI's config files).
 */
export function eventsOptionsFromEnv(
  source: string,
  consumer: ConsumerSettings = {},
): Pick<EventsModuleOptions, 'source' | 'transports'> {
  return { source, transports: transportsFromConfig(new ConfigService(), consumer) };
}
