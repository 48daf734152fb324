/* eslint-disable @typescript-eslint/no-require-imports -- optional peers are required lazily, on purpose */
import type * as SqsSdk from '@aws-sdk/client-sqs';
import type * as SqsTransportEntry from '@nestjs-events/sqs/transport';
import type { MessageUnwrapper } from '@nestjs-events/sqs/transport';
import { loadOptionalDependency, tryLoadOptionalDependency } from '@nestjs-events/core/transport';
import { CliUsageError } from '../cli/cli.error';

export type SqsSdkModule = typeof SqsSdk;
export type SqsTransportModule = typeof SqsTransportEntry;

/**
 * `@nestjs-events/sqs/transport`, loaded when a command needs it (queue policies, dead letters):
 * applications on the in-memory transport need neither it nor the AWS SDK it loads.
 */
export function loadSqsTransportPackage(why: string): SqsTransportModule {
  try {
    return require('@nestjs-events/sqs/transport') as SqsTransportModule;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'MODULE_NOT_FOUND') throw error;
    throw new CliUsageError(
      `${why} needs @nestjs-events/sqs and @aws-sdk/client-sqs: npm install @nestjs-events/sqs @aws-sdk/client-sqs`,
    );
  }
}

export function loadSqsSdk(): SqsSdkModule {
  return loadOptionalDependency<SqsSdkModule>('@aws-sdk/client-sqs', 'the dlq command', () =>
    require('@aws-sdk/client-sqs'),
  );
}

/** EventBridge's wire format, when `@nestjs-events/eventbridge` is installed. */
export function tryLoadEventBridgeUnwrapper(): MessageUnwrapper | undefined {
  return tryLoadOptionalDependency<{ eventBridgeUnwrapper?: MessageUnwrapper }>(
    '@nestjs-events/eventbridge',
    () => require('@nestjs-events/eventbridge'),
  )?.eventBridgeUnwrapper;
}

type JsonSchema = Record<string, unknown>;

export function loadValibotConverter(): {
  toJsonSchema(schema: unknown, config?: { errorMode?: string }): JsonSchema;
} {
  return loadOptionalDependency('@valibot/to-json-schema', 'valibot schemas in documents', () =>
    require('@valibot/to-json-schema'),
  );
}

export function loadZod(): { toJSONSchema(schema: unknown, options: object): JsonSchema } {
  return loadOptionalDependency('zod', 'zod schemas in documents', () => require('zod'));
}
