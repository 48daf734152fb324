import type { Type } from '@nestjs/common';
import type { EventDefinition, EventsModuleOptions } from '@nestjs-events/core';

/** The part of the EventsModule options that the CLI reads. */
export type CliEventsOptions = Pick<
  EventsModuleOptions,
  'source' | 'transports' | 'routes' | 'idempotency'
>;

/**
 * What a `--config` file exports (as `default`, `module.exports`, or the export named after `#`).
 * Only `module` is required; `events` is needed when the application builds its EventsModule
 * options in a `forRootAsync` factory, which the CLI does not run.
 */
export interface NestjsEventsConfig {
  /** The application's root module, or a function that returns (or resolves to) it. */
  module: Type<unknown> | (() => Type<unknown> | Promise<Type<unknown>>);
  /**
   * The EventsModule options, or a function that builds them. Build the same transports as the
   * application (a shared factory keeps the two in step); they are described, never started.
   * @default the options given to `EventsModule.forRoot()`, read from the module graph
   */
  events?: CliEventsOptions | (() => CliEventsOptions | Promise<CliEventsOptions>);
  /**
   * The events the application publishes, every version it may publish: the topics they go to
   * are part of the topology, and they are the `send` operations of the AsyncAPI document.
   * @default none
   */
  publishes?: readonly EventDefinition[];
  /**
   * Older versions of the events the handlers take, which arrive and are upcast before the
   * handlers see them: each is a message of the AsyncAPI document and a schema of its own.
   * @default none
   */
  accepts?: readonly EventDefinition[];
  /** Title of the AsyncAPI document. @default the `source` of the EventsModule options */
  title?: string;
  /** Version of the application in the AsyncAPI document. @default '1.0.0' */
  version?: string;
}
