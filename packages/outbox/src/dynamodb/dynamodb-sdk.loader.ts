/* eslint-disable @typescript-eslint/no-require-imports -- optional peers are required lazily, on purpose */
import type * as DynamoDbSdk from '@aws-sdk/client-dynamodb';
import { loadOptionalDependency } from '@nestjs-events/core/transport';

export type DynamoDbSdkModule = typeof DynamoDbSdk;

/** The AWS SDK, loaded on first use so that importing this entry point never needs it. */
export function loadDynamoDbSdk(user: string): DynamoDbSdkModule {
  return loadOptionalDependency<DynamoDbSdkModule>('@aws-sdk/client-dynamodb', user, () =>
    require('@aws-sdk/client-dynamodb'),
  );
}
