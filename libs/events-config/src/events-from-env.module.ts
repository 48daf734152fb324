import type { DynamicModule } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { EventsModule } from '@nestjs-events/core';
import { transportsFromConfig, type ConsumerSettings } from './transports.factory';

/** EventsModule for a sample service, with its transport read from the environment. */
export function eventsFromEnv(source: string, consumer: ConsumerSettings = {}): DynamicModule {
  return EventsModule.forRootAsync({
    imports: [ConfigModule.forRoot({ ignoreEnvFile: true })],
    inject: [ConfigService],
    useFactory: (config: ConfigService) => ({
      source,
      transports: transportsFromConfig(config, consumer),
    }),
  });
}
