import { EventsConfigurationError } from '../errors/events-configuration.error';
import { compileTypeMatcher, isWildcardSelector } from '../selectors/event-type-matcher';
import type { Transport } from './transport.interface';
import { MAX_CACHED_TYPES } from '../utils/cache-limits';

/** The transports of one EventsModule, and which one publishes each event type. */
export class TransportRegistry {
  private readonly byName = new Map<string, Transport>();
  private readonly exact = new Map<string, Transport>();
  private readonly wildcards: Array<[(type: string) => boolean, Transport]> = [];
  private readonly resolved = new Map<string, Transport>();

  constructor(
    readonly transports: readonly Transport[],
    routes: Record<string, string> = {},
  ) {
    if (transports.length === 0) {
      throw new EventsConfigurationError(
        'EventsModule: "transports" is empty. Leave it out for the in-memory transport, or list ' +
          'at least one transport.',
      );
    }
    for (const transport of transports) {
      if (this.byName.has(transport.name)) {
        throw new EventsConfigurationError(
          `EventsModule: two transports are named "${transport.name}". Give each a distinct name.`,
        );
      }
      this.byName.set(transport.name, transport);
    }
    for (const [selector, name] of Object.entries(routes)) {
      const transport = this.get(name, `routes[${JSON.stringify(selector)}]`);
      if (isWildcardSelector(selector))
        this.wildcards.push([compileTypeMatcher(selector), transport]);
      else this.exact.set(compileTypeMatcher(selector) && selector, transport);
    }
  }

  get default(): Transport {
    return this.transports[0];
  }

  /** The transport called `name`; `where` says who asked, for the error message. */
  get(name: string, where: string): Transport {
    const transport = this.byName.get(name);
    if (!transport) {
      throw new EventsConfigurationError(
        `${where}: no transport is named "${name}". Known transports: ` +
          `${[...this.byName.keys()].map((n) => `"${n}"`).join(', ')}.`,
      );
    }
    return transport;
  }

  /** The transport that publishes events of `type`. */
  forType(type: string): Transport {
    let transport = this.resolved.get(type);
    if (!transport) {
      transport =
        this.exact.get(type) ??
        this.wildcards.find(([matches]) => matches(type))?.[1] ??
        this.default;
      if (this.resolved.size < MAX_CACHED_TYPES) this.resolved.set(type, transport);
    }
    return transport;
  }
}
