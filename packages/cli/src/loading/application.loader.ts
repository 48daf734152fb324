import type { Type } from '@nestjs/common';
import { ModulesContainer, NestFactory } from '@nestjs/core';
import {
  EVENTS_MODULE_OPTIONS,
  InMemoryTransport,
  type EventDefinition,
  type Transport,
} from '@nestjs-events/core';
import { describeEventHandlers, type HandlerDescription } from '@nestjs-events/core/transport';
import { CliUsageError } from '../cli/cli.error';
import type { CliEventsOptions, NestjsEventsConfig } from './cli-config.interface';
import { loadExport, parseExportReference } from './export.resolver';

/** An application as the CLI sees it: its handlers and its transports, nothing running. */
export interface LoadedApplication {
  /** The `source` of its EventsModule options, else the root module's class name. */
  readonly name: string;
  readonly handlers: readonly HandlerDescription[];
  readonly transports: readonly Transport[];
  readonly routes: Readonly<Record<string, string>>;
  readonly publishes: readonly EventDefinition[];
  /** Older versions the handlers take (upcast on arrival), from the config. */
  readonly accepts?: readonly EventDefinition[];
  /** The `idempotency.store` of the options, when one is given. */
  readonly idempotencyStore?: unknown;
  readonly title?: string;
  readonly version?: string;
}

/** Where the application is: a `--config` file, or a `--module` reference, or both. */
export interface ApplicationReference {
  readonly config?: string;
  readonly module?: string;
}

/**
 * Loads an application's module graph in Nest's preview mode: modules are scanned and providers
 * registered, but none is instantiated and no factory (`forRootAsync`'s `useFactory`, a
 * `useFactory` provider) runs, so nothing connects, listens or starts. Handlers are read from
 * their metadata; the transports come from the config's `events`, or from the options given to
 * `EventsModule.forRoot()`, which are a plain value in the graph.
 */
export async function loadApplication(
  reference: ApplicationReference,
  cwd: string = process.cwd(),
): Promise<LoadedApplication> {
  let config: Partial<NestjsEventsConfig> = {};
  if (reference.config) {
    const ref = parseExportReference(reference.config, cwd);
    const loaded = loadExport(ref, 'Config');
    if (!loaded || typeof loaded !== 'object') {
      throw new CliUsageError(
        `${ref.file} must export an object { module, events?, publishes? } (as default, or the ` +
          'export named after #).',
      );
    }
    config = loaded;
  }
  let rootModule: unknown;
  if (reference.module) {
    rootModule = loadExport(parseExportReference(reference.module, cwd), 'Module');
  } else if (config.module) {
    const { module } = config;
    rootModule = isClass(module) ? module : await module();
  } else {
    throw new CliUsageError(
      'Which application? Give --module <file.js>#<RootModule>, or --config <file.js> exporting ' +
        '{ module: RootModule }.',
    );
  }
  if (!isClass(rootModule)) {
    throw new CliUsageError(
      'The root module is not a class: name its export after # (e.g. dist/app.module.js#AppModule).',
    );
  }
  // @nestjs/core is a peer dependency: the same copy the application's modules use.
  const app = await NestFactory.createApplicationContext(rootModule, {
    preview: true,
    abortOnError: false,
    logger: false,
  });
  try {
    const modules = app.get(ModulesContainer);
    const handlers = describeEventHandlers(modules);
    const options = config.events
      ? await resolveEvents(config.events)
      : optionsInGraph(modules, rootModule.name);
    const transports = options.transports ?? [new InMemoryTransport()];
    return {
      name: options.source || rootModule.name,
      handlers,
      transports,
      routes: options.routes ?? {},
      publishes: config.publishes ?? [],
      accepts: config.accepts ?? [],
      idempotencyStore: options.idempotency?.store,
      title: config.title,
      version: config.version,
    };
  } finally {
    await app.close();
  }
}

async function resolveEvents(
  events: NonNullable<NestjsEventsConfig['events']>,
): Promise<CliEventsOptions> {
  return typeof events === 'function' ? await events() : events;
}

/** The options of `EventsModule.forRoot()`: a value provider, present in preview mode too. */
function optionsInGraph(modules: ModulesContainer, rootName: string): CliEventsOptions {
  let found = false;
  for (const module of modules.values()) {
    const wrapper = module.providers.get(EVENTS_MODULE_OPTIONS);
    if (!wrapper) continue;
    found = true;
    if (wrapper.instance) return wrapper.instance as CliEventsOptions;
  }
  throw new CliUsageError(
    found
      ? `${rootName} builds its EventsModule options in a factory (forRootAsync), which the CLI ` +
          'does not run. Give --config <file.js> exporting { module, events: () => ({ source, ' +
          'transports, routes }) }, built the way the application builds them.'
      : `${rootName} does not import EventsModule: nothing to describe.`,
  );
}

/** A class (or constructor function); an arrow function, which has no prototype, is not. */
function isClass(value: unknown): value is Type<unknown> {
  return typeof value === 'function' && value.prototype !== undefined;
}
