import type { EventDefinition } from '@nestjs-events/core';
import type { ApplicationTopology } from '../topology/application-topology';

/** Every event version an application handles or publishes, once each, by type then version. */
export function eventVersionsOf(app: ApplicationTopology): EventDefinition[] {
  const byKey = new Map<string, EventDefinition>();
  for (const transport of app.transports) {
    const definitions = [
      ...transport.publishes,
      ...transport.handlers.flatMap((handler) => handler.definitions),
      ...app.accepts.filter((old) =>
        transport.handlers.some((handler) => handler.eventTypes.includes(old.type)),
      ),
    ];
    for (const definition of definitions) {
      byKey.set(messageId(definition), byKey.get(messageId(definition)) ?? definition);
    }
  }
  return [...byKey.values()].sort((a, b) => a.type.localeCompare(b.type) || a.version - b.version);
}

/** `order.created.v2`: an id AsyncAPI accepts (letters, digits, `.`, `-`, `_`). */
export function messageId(definition: Pick<EventDefinition, 'type' | 'version'>): string {
  return `${definition.type}.v${definition.version}`.replace(/[^\w.-]/g, '_');
}
