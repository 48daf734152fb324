import { ConfigurableModuleBuilder } from '@nestjs/common';
import type { EventsModuleOptions } from './interfaces/events-module-options.interface';

export const EVENTS_MODULE_OPTIONS = Symbol('nestjs-events:module-options');

export const {
  ConfigurableModuleClass: ConfigurableEventsModule,
  OPTIONS_TYPE: EVENTS_OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE: EVENTS_ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<EventsModuleOptions>({
  moduleName: 'Events',
  optionsInjectionToken: EVENTS_MODULE_OPTIONS,
})
  .setClassMethodName('forRoot')
  .setExtras({ isGlobal: true }, (definition, extras) => ({
    ...definition,
    global: extras.isGlobal,
  }))
  .build();
