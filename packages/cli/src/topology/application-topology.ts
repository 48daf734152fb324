import type { EventDefinition, Transport } from '@nestjs-events/core';
import {
  compileTypeMatcher,
  describesTopology,
  type HandlerDescription,
  type TransportTopology,
} from '@nestjs-events/core/transport';
import { CliUsageError } from '../cli/cli.error';
import type { LoadedApplication } from '../loading/application.loader';

/** The DynamoDB table of a `DynamoDbIdempotencyStore`. */
export interface IdempotencyTable {
  readonly tableName: string;
  readonly keyAttribute: string;
  readonly ttlAttribute: string;
}

/** One transport of an application, with what runs on it. */
export interface TransportView {
  readonly name: string;
  /** Undefined for a transport with no broker to describe (in-memory, or a third-party one). */
  readonly topology?: TransportTopology;
  readonly handlers: readonly HandlerDescription[];
  readonly publishes: readonly EventDefinition[];
}

/** What an application needs from its brokers, per transport. */
export interface ApplicationTopology {
  readonly name: string;
  readonly transports: readonly TransportView[];
  /** Older versions the handlers take, upcast on arrival. */
  readonly accepts: readonly EventDefinition[];
  readonly idempotencyTable?: IdempotencyTable;
  readonly title?: string;
  readonly version?: string;
}

/**
 * Asks each transport what its broker must hold for the handlers that consume from it and the
 * events routed to it: the same description that its provisioning creates from.
 */
export function describeApplication(app: LoadedApplication): ApplicationTopology {
  const byName = new Map(app.transports.map((transport) => [transport.name, transport]));
  const fallback = app.transports[0];
  const handlersOf = new Map<string, HandlerDescription[]>();
  for (const handler of app.handlers) {
    const name = handler.transport ?? fallback.name;
    if (!byName.has(name)) {
      throw new CliUsageError(
        `${handler.handler} consumes from transport "${name}", which the options do not have ` +
          `(transports: ${[...byName.keys()].map((n) => `"${n}"`).join(', ')}). Check --config's events.`,
      );
    }
    handlersOf.set(name, [...(handlersOf.get(name) ?? []), handler]);
  }
  const route = router(app.routes, byName, fallback);
  const publishesOf = new Map<string, EventDefinition[]>();
  for (const definition of app.publishes) {
    const name = route(definition.type).name;
    publishesOf.set(name, [...(publishesOf.get(name) ?? []), definition]);
  }
  return {
    name: app.name,
    accepts: app.accepts ?? [],
    title: app.title,
    version: app.version,
    idempotencyTable: tableOf(app.idempotencyStore),
    transports: app.transports.map((transport) => {
      const handlers = handlersOf.get(transport.name) ?? [];
      const publishes = publishesOf.get(transport.name) ?? [];
      return {
        name: transport.name,
        handlers,
        publishes,
        topology: describesTopology(transport)
          ? transport.describeTopology({
              subscriptions: handlers,
              publishes: [...new Set(publishes.map((definition) => definition.type))],
            })
          : undefined,
      };
    }),
  };
}

/** The transport that publishes each type, as the EventsModule's `routes` choose it. */
function router(
  routes: Readonly<Record<string, string>>,
  byName: ReadonlyMap<string, Transport>,
  fallback: Transport,
): (type: string) => Transport {
  const entries = Object.entries(routes).map(([selector, name]) => {
    const transport = byName.get(name);
    if (!transport) {
      throw new CliUsageError(`routes[${JSON.stringify(selector)}] names no transport "${name}".`);
    }
    return {
      exact: !selector.includes('*'),
      selector,
      matches: compileTypeMatcher(selector),
      transport,
    };
  });
  return (type) =>
    entries.find((entry) => entry.exact && entry.selector === type)?.transport ??
    entries.find((entry) => !entry.exact && entry.matches(type))?.transport ??
    fallback;
}

function tableOf(store: unknown): IdempotencyTable | undefined {
  const describe = (store as { describeTable?: () => IdempotencyTable } | undefined)?.describeTable;
  return typeof describe === 'function' ? describe.call(store) : undefined;
}
