import type { EventDefinition } from '@nestjs-events/core';
import { loadValibotConverter, loadZod } from '../loading/optional-packages';

/** The JSON Schema dialects the CLI writes. */
export type JsonSchemaTarget = 'draft-07' | 'draft-04';

type JsonSchema = Record<string, unknown>;

interface StandardJsonSchemaProps {
  readonly vendor: string;
  readonly jsonSchema?: { input(options: { target: string }): JsonSchema };
}

/**
 * The JSON Schema of a definition's data, from its Standard Schema validator: through the
 * Standard JSON Schema interface when the library implements it (zod 4.2 and later, arktype),
 * else with the library's own converter (`@valibot/to-json-schema` for valibot, `z.toJSONSchema`
 * for earlier zod 4). Undefined, with the reason in `problem`, when none applies.
 */
export function dataSchemaOf(
  definition: EventDefinition,
  target: JsonSchemaTarget,
): { schema?: JsonSchema; problem?: string } {
  const schema = definition.schema;
  if (!schema) return { problem: 'it has no schema' };
  const standard = (schema as { '~standard'?: StandardJsonSchemaProps })['~standard'];
  try {
    let converted: JsonSchema | undefined;
    if (standard?.jsonSchema) {
      converted = standard.jsonSchema.input({ target });
    } else if (standard?.vendor === 'valibot') {
      converted = loadValibotConverter().toJsonSchema(schema, { errorMode: 'ignore' });
    } else if (standard?.vendor === 'zod') {
      converted = loadZod().toJSONSchema(schema, { target, io: 'input' });
    } else {
      return {
        problem: `its ${standard?.vendor ?? 'unknown'} schema has no JSON Schema converter the CLI knows`,
      };
    }
    return { schema: dialect(stripSchemaKeyword(converted), target) };
  } catch (error) {
    return { problem: `its schema could not be converted: ${(error as Error).message}` };
  }
}

/** Nested schemas carry no `$schema`: the document they are part of says the dialect. */
function stripSchemaKeyword(schema: JsonSchema): JsonSchema {
  return Object.fromEntries(Object.entries(schema).filter(([key]) => key !== '$schema'));
}

/** Draft 4 has no `const`: a one-value `enum` says the same. Applied to every nested schema. */
function dialect(schema: JsonSchema, target: JsonSchemaTarget): JsonSchema {
  if (target !== 'draft-04') return schema;
  const walk = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(walk);
    if (!value || typeof value !== 'object') return value;
    const out: JsonSchema = {};
    for (const [key, inner] of Object.entries(value)) {
      if (key === 'const') out.enum = [inner];
      else out[key] = walk(inner);
    }
    return out;
  };
  return walk(schema) as JsonSchema;
}

/** The schema of the whole envelope of one event version, with `data` as given. */
export function envelopeSchema(
  definition: EventDefinition,
  data: JsonSchema | undefined,
  target: JsonSchemaTarget,
): JsonSchema {
  const exactly = (value: unknown) =>
    target === 'draft-04' ? { enum: [value] } : { const: value };
  return {
    type: 'object',
    required: ['id', 'type', 'version', 'source', 'occurredAt', 'data', 'metadata'],
    properties: {
      id: { type: 'string', description: 'Unique id of the event (a UUID unless given)' },
      type: { type: 'string', ...exactly(definition.type) },
      version: { type: 'integer', ...exactly(definition.version) },
      source: { type: 'string', description: 'The service that published it' },
      aggregateId: { type: 'string', description: 'Id of the entity the event is about' },
      occurredAt: { type: 'string', format: 'date-time' },
      data: data ?? { description: 'No JSON Schema could be generated for this version' },
      metadata: {
        type: 'object',
        required: ['correlationId'],
        properties: {
          correlationId: { type: 'string' },
          causationId: { type: 'string' },
          traceparent: { type: 'string' },
          tracestate: { type: 'string' },
        },
        additionalProperties: true,
      },
    },
  };
}
