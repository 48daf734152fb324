import type { StandardSchemaV1 } from '@standard-schema/spec';
import { EVENT_DEFINITION_REF } from '../events.constants';
import { inheritMetadata } from '../context/event-context';
import { EventsConfigurationError } from '../errors/events-configuration.error';
import { MissingUpcasterError, UnsupportedEventVersionError } from '../errors/event-version.error';
import type { EventEnvelope, EventMetadata } from '../interfaces/event-envelope.interface';
import type {
  CreateEventOptions,
  EventDefinition,
  EventDefinitionConfig,
  Upcaster,
} from './event-definition.interface';
import { newEventId } from './event-id';
import { validateWithSchema } from './schema-validation';

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

const EVENT_TYPE = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/;

// Formatting a date costs more than the rest of an envelope; events created in the same
// millisecond share the string.
let lastMs = -1;
let lastIso = '';
function isoNow(): string {
  const ms = Date.now();
  if (ms !== lastMs) {
    lastMs = ms;
    lastIso = new Date(ms).toISOString();
  }
  return lastIso;
}

/** What `create(data)` is called with most of the time: one object, not one per event. */
const NO_OPTIONS: CreateEventOptions = Object.freeze({});

class Definition<TType extends string, TData> implements EventDefinition<TType, TData> {
  constructor(
    readonly type: TType,
    readonly version: number,
    readonly schema: StandardSchemaV1<unknown, TData> | undefined,
    private readonly upcasters: Readonly<Record<number, Upcaster>>,
  ) {}

  /**
   * Envelopes made here inherit from this object, which links them to their definition without a
   * property of their own: JSON and spreads ignore it, and objects keep V8's fast layout (a
   * non-enumerable own property would not).
   */
  private readonly envelopePrototype: object = Object.freeze({ [EVENT_DEFINITION_REF]: this });

  create(data: TData, options: CreateEventOptions = NO_OPTIONS): EventEnvelope<TData, TType> {
    const id = options.id ?? newEventId();
    const occurredAt = options.occurredAt;
    return this.build(
      id,
      options.source ?? '',
      options.aggregateId,
      occurredAt === undefined
        ? isoNow()
        : typeof occurredAt === 'string'
          ? occurredAt
          : occurredAt.toISOString(),
      data,
      inheritMetadata(id, options.metadata),
    );
  }

  /**
   * @internal A copy of `envelope` (one of this definition's) with its source, data and metadata
   * replaced, still linked to this definition.
   */
  relink<T extends EventEnvelope>(
    envelope: T,
    source: string,
    data: unknown,
    metadata: EventMetadata,
  ): T {
    const { id, aggregateId, occurredAt } = envelope;
    return this.build(id, source, aggregateId, occurredAt, data as TData, metadata) as unknown as T;
  }

  /**
   * Fields assigned one by one, in one order, onto the prototype-linked object: the cheapest way
   * V8 offers to build it (all envelopes share one layout), and the hot path of every publish.
   */
  private build(
    id: string,
    source: string,
    aggregateId: string | undefined,
    occurredAt: string,
    data: TData,
    metadata: EventMetadata,
  ): EventEnvelope<TData, TType> {
    const envelope = Object.create(this.envelopePrototype) as Mutable<EventEnvelope<TData, TType>>;
    envelope.id = id;
    envelope.type = this.type;
    envelope.version = this.version;
    envelope.source = source;
    if (aggregateId !== undefined) envelope.aggregateId = aggregateId;
    envelope.occurredAt = occurredAt;
    envelope.data = data;
    envelope.metadata = metadata;
    return envelope;
  }

  is(event: EventEnvelope): event is EventEnvelope<TData, TType> {
    return event.type === this.type && event.version === this.version;
  }

  upcast(event: EventEnvelope): EventEnvelope<unknown, TType> {
    if (event.version === this.version) return event as EventEnvelope<unknown, TType>;
    if (event.version > this.version) {
      throw new UnsupportedEventVersionError(this.type, event.version, this.version);
    }
    let data = event.data;
    for (let version = event.version; version < this.version; version++) {
      const upcaster = this.upcasters[version];
      if (!upcaster) throw new MissingUpcasterError(this.type, version, this.version);
      data = upcaster(data, event);
    }
    return { ...event, version: this.version, data } as EventEnvelope<unknown, TType>;
  }

  validate(data: unknown): TData | Promise<TData> {
    if (!this.schema) return data as TData;
    return validateWithSchema(this.schema, data, this.type, this.version);
  }
}

/** The definition that created `envelope`, if it was made with `create()`. */
export function definitionOf(envelope: EventEnvelope): Definition<string, unknown> | undefined {
  return (envelope as { [EVENT_DEFINITION_REF]?: Definition<string, unknown> })[
    EVENT_DEFINITION_REF
  ];
}

export function isEventDefinition(value: unknown): value is EventDefinition {
  return value instanceof Definition;
}

export function assertEventType(type: unknown, where: string): asserts type is string {
  if (typeof type !== 'string' || !EVENT_TYPE.test(type)) {
    throw new EventsConfigurationError(
      `${where}: event type ${JSON.stringify(type)} is invalid. Use dot-separated words of ` +
        'letters, digits, "-" and "_", e.g. "order.created".',
    );
  }
}

/**
 * Declares a versioned event once, for producers and consumers alike.
 *
 * ```ts
 * export const OrderCreated = defineEvent({
 *   type: 'order.created',
 *   version: 2,
 *   schema: z.object({ orderId: z.string(), amount: z.number(), currency: z.string() }),
 *   upcasters: { 1: (v1) => ({ ...v1, currency: 'KRW' }) },
 * });
 * ```
 */
export function defineEvent<TType extends string, TSchema extends StandardSchemaV1>(
  config: EventDefinitionConfig<TType, TSchema> & { schema: TSchema },
): EventDefinition<TType, StandardSchemaV1.InferOutput<TSchema>>;
export function defineEvent<TData = unknown, TType extends string = string>(
  config: EventDefinitionConfig<TType, never> & { schema?: undefined },
): EventDefinition<TType, TData>;
export function defineEvent(
  config: EventDefinitionConfig<string, StandardSchemaV1>,
): EventDefinition<string, unknown> {
  const where = `defineEvent(${JSON.stringify(config?.type)})`;
  assertEventType(config?.type, where);
  const version = config.version ?? 1;
  if (!Number.isSafeInteger(version) || version < 1) {
    throw new EventsConfigurationError(
      `${where}: version must be a positive integer, got ${version}.`,
    );
  }
  if (config.schema !== undefined && typeof config.schema?.['~standard']?.validate !== 'function') {
    throw new EventsConfigurationError(
      `${where}: schema is not a Standard Schema validator. Pass a zod, valibot or arktype ` +
        'schema (or any object with a "~standard" property).',
    );
  }
  const upcasters = { ...config.upcasters };
  for (const key of Object.keys(upcasters)) {
    const from = Number(key);
    if (!Number.isSafeInteger(from) || String(from) !== key || from < 1 || from >= version) {
      throw new EventsConfigurationError(
        `${where}: upcasters[${key}] is out of range; upcasters are keyed by the version they ` +
          `lift from, 1 to ${version - 1}.`,
      );
    }
    if (typeof upcasters[from] !== 'function') {
      throw new EventsConfigurationError(`${where}: upcasters[${key}] must be a function.`);
    }
  }
  return new Definition(config.type, version, config.schema, upcasters);
}
