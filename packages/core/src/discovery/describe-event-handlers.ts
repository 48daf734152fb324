import { DiscoveryService, MetadataScanner, type ModulesContainer } from '@nestjs/core';
import type { EventDefinition } from '../definition/event-definition.interface';
import { brokerPattern } from '../subscription/broker-pattern';
import { configured, resolveSelectors } from '../subscription/event-selectors';
import { compilePattern, type EventPattern } from '@nestjs-events/event-patterns';
import type { SubscriptionOutline } from '../transport/transport-topology.interface';
import { EventHandlerExplorer } from './event-handler.explorer';

/** One `@EventHandler` entry, from its metadata alone. */
export interface HandlerDescription extends SubscriptionOutline {
  /** Name of the transport it consumes from, when set on the handler; else the module's first. */
  readonly transport?: string;
  /** The pattern as written on the handler (`pattern` is what brokers may apply). */
  readonly filterPattern?: EventPattern;
  /** The definitions it selects, with their schemas. */
  readonly definitions: readonly EventDefinition[];
}

/**
 * Describes the handlers of an application from their metadata, with the names, selectors and
 * broker patterns the running application would give their subscriptions. It reads the module
 * graph only, so it also works on a context created with `preview: true`, where no provider has
 * been instantiated: what tools (the CLI) use to print topology without running user code.
 */
export function describeEventHandlers(modules: ModulesContainer): HandlerDescription[] {
  const explorer = new EventHandlerExplorer(new DiscoveryService(modules), new MetadataScanner());
  return explorer.explore().flatMap(({ name, entries }) =>
    entries.map(({ events, options }, index) => {
      const handler = entries.length > 1 ? `${name}#${index + 1}` : name;
      const where = `@EventHandler on ${handler}`;
      const { eventTypes, definitions } = resolveSelectors(where, events);
      const { pattern } = options;
      if (pattern) configured(where, () => compilePattern(pattern));
      return {
        handler,
        eventTypes,
        queue: options.queue,
        transport: options.transport,
        filterPattern: pattern,
        pattern: pattern && brokerPattern(pattern, definitions),
        definitions: [...definitions.values()],
      };
    }),
  );
}
