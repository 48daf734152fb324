import type { StandardSchemaV1 } from '@standard-schema/spec';
import type { EventEnvelope, EventMetadata } from '../interfaces/event-envelope.interface';

/** Lifts the data of version N to version N + 1. */
export type Upcaster = (data: any, event: EventEnvelope) => unknown;

export interface EventDefinitionConfig<TType extends string, TSchema> {
  /** Dotted event type, e.g. `order.created`. Letters, digits, `-` and `_` between dots. */
  type: TType;
  /** Current version of the event's data. @default 1 */
  version?: number;
  /** Any Standard Schema validator (zod, valibot, arktype, …); data is checked on publish and on receipt. */
  schema?: TSchema;
  /** `upcasters[n]` turns the data of version n into version n + 1, for every n below `version`. */
  upcasters?: Readonly<Record<number, Upcaster>>;
}

/** Per-event options of `create()`. */
export interface CreateEventOptions {
  /** Id of the entity the event is about. */
  aggregateId?: string;
  /** Overrides the generated UUID (e.g. to derive it from a command id). */
  id?: string;
  /** Overrides the current time. */
  occurredAt?: Date | string;
  /** Overrides the `source` that the bus stamps from the module options. */
  source?: string;
  /** Extra metadata; correlation and causation are inherited from the handled event when absent. */
  metadata?: Partial<EventMetadata>;
}

/** A versioned event type, declared once with `defineEvent()` and shared by producers and consumers. */
export interface EventDefinition<TType extends string = string, TData = unknown> {
  readonly type: TType;
  readonly version: number;
  readonly schema?: StandardSchemaV1<unknown, TData>;
  /** Builds an envelope of this type and version. The bus validates it on publish. */
  create(data: TData, options?: CreateEventOptions): EventEnvelope<TData, TType>;
  /** True when `event` has this definition's type and version. */
  is(event: EventEnvelope): event is EventEnvelope<TData, TType>;
  /**
   * Returns `event` lifted to this definition's version. Throws `UnsupportedEventVersionError`
   * for a newer version and `MissingUpcasterError` when the chain has a gap.
   */
  upcast(event: EventEnvelope): EventEnvelope<unknown, TType>;
  /** Checks data against the schema and returns its output; throws `EventValidationError`. */
  validate(data: unknown): TData | Promise<TData>;
}

/** The envelope type that handlers of a definition receive. */
export type EventOf<TDefinition> =
  TDefinition extends EventDefinition<infer TType, infer TData>
    ? EventEnvelope<TData, TType>
    : never;

/** The data type of a definition. */
export type EventDataOf<TDefinition> =
  TDefinition extends EventDefinition<string, infer TData> ? TData : never;
