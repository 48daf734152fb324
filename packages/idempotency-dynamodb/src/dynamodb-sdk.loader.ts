import type * as DynamoDbSdk from '@aws-sdk/client-dynamodb';

export type DynamoDbSdkModule = typeof DynamoDbSdk;

const SDK = '@aws-sdk/client-dynamodb';
let loaded: DynamoDbSdkModule | undefined;

/**
 * The AWS SDK, required on first use rather than imported, so that importing this package never
 * fails where the SDK is missing; only using the store does, with an error that says what to do.
 */
export function loadDynamoDbSdk(user: string): DynamoDbSdkModule {
  if (loaded) return loaded;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- lazy on purpose, see above
    loaded = require(SDK) as DynamoDbSdkModule;
  } catch (error) {
    // Only a missing SDK means "install it"; an SDK that fails to load must show its own error.
    const { code, message } = error as { code?: unknown; message?: unknown };
    if (code === 'MODULE_NOT_FOUND' && String(message).includes(`'${SDK}'`)) {
      throw new Error(`Install ${SDK} to use ${user}: npm install ${SDK}`, { cause: error });
    }
    throw error;
  }
  return loaded;
}
