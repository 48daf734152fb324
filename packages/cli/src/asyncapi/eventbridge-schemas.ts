import type { ApplicationTopology } from '../topology/application-topology';
import { eventVersionsOf } from './event-messages';
import { dataSchemaOf, envelopeSchema } from './json-schema.converter';

/** One schema for EventBridge's schema registry (`CreateSchema`, `AWS::EventSchemas::Schema`). */
export interface RegistrySchema {
  /** `<type>@v<version>`; the registry allows letters, digits, `-`, `_`, `.` and `@`. */
  readonly schemaName: string;
  readonly type: 'JSONSchemaDraft4';
  /** The schema document, as the registry's `Content` takes it (a JSON string). */
  readonly content: string;
  readonly description: string;
}

/**
 * Each event version as a JSON Schema Draft 4 document of the EventBridge event that carries it:
 * `detail-type` is the event type, `source` the publishing service, and `detail` the rest of the
 * envelope, as `@nestjs-events/eventbridge` puts it.
 */
export function buildRegistrySchemas(app: ApplicationTopology): {
  schemas: RegistrySchema[];
  notes: string[];
} {
  const notes: string[] = [];
  const schemas = eventVersionsOf(app).map((definition) => {
    const { schema, problem } = dataSchemaOf(definition, 'draft-04');
    if (problem) notes.push(`${definition.type} v${definition.version}: ${problem}`);
    const envelope = envelopeSchema(definition, schema, 'draft-04') as {
      properties: Record<string, unknown>;
      required: string[];
    };
    // `type` and `source` travel as `detail-type` and `source`; the rest is the detail.
    const detail = Object.fromEntries(
      Object.entries(envelope.properties).filter(([key]) => key !== 'type' && key !== 'source'),
    );
    const document = {
      $schema: 'http://json-schema.org/draft-04/schema#',
      title: `${definition.type} v${definition.version}`,
      type: 'object',
      required: ['detail-type', 'source', 'detail'],
      properties: {
        version: { type: 'string' },
        id: { type: 'string' },
        'detail-type': { type: 'string', enum: [definition.type] },
        source: { type: 'string' },
        account: { type: 'string' },
        time: { type: 'string', format: 'date-time' },
        region: { type: 'string' },
        resources: { type: 'array', items: { type: 'string' } },
        detail: {
          type: 'object',
          required: envelope.required.filter((key) => key !== 'type' && key !== 'source'),
          properties: detail,
        },
      },
    };
    return {
      schemaName: `${definition.type}@v${definition.version}`,
      type: 'JSONSchemaDraft4' as const,
      content: JSON.stringify(document),
      description: `${definition.type} version ${definition.version} (@nestjs-events/cli)`,
    };
  });
  return { schemas, notes };
}
