import type * as Package from './index';

/** Loads the package as if `@aws-sdk/client-dynamodb` were not installed. */
function loadWithoutSdk(): typeof Package {
  let loaded: typeof Package | undefined;
  jest.isolateModules(() => {
    jest.doMock(
      '@aws-sdk/client-dynamodb',
      () => {
        throw Object.assign(
          new Error("Cannot find module '@aws-sdk/client-dynamodb' from 'dynamodb-sdk.loader.ts'"),
          { code: 'MODULE_NOT_FOUND' },
        );
      },
      { virtual: true },
    );
    loaded = jest.requireActual<typeof Package>('./index');
  });
  return loaded!;
}

describe('DynamoDbIdempotencyStore without the AWS SDK', () => {
  afterEach(() => jest.dontMock('@aws-sdk/client-dynamodb'));

  it('can be imported, and says what to install when constructed', () => {
    const { DynamoDbIdempotencyStore } = loadWithoutSdk();
    expect(() => new DynamoDbIdempotencyStore({ tableName: 't' })).toThrow(
      'Install @aws-sdk/client-dynamodb to use DynamoDbIdempotencyStore',
    );
  });

  it('says the same from createIdempotencyTable', async () => {
    const { createIdempotencyTable } = loadWithoutSdk();
    await expect(createIdempotencyTable({} as never, 't')).rejects.toThrow(
      'Install @aws-sdk/client-dynamodb to use createIdempotencyTable',
    );
  });

  it('passes on other errors of loading the SDK unchanged', () => {
    let loaded: typeof Package | undefined;
    jest.isolateModules(() => {
      jest.doMock('@aws-sdk/client-dynamodb', () => {
        throw new SyntaxError('broken SDK build');
      });
      loaded = jest.requireActual<typeof Package>('./index');
    });
    expect(() => new loaded!.DynamoDbIdempotencyStore({ tableName: 't' })).toThrow(
      'broken SDK build',
    );
  });
});

describe('DynamoDbIdempotencyStore options', () => {
  const { DynamoDbIdempotencyStore } = jest.requireActual<typeof Package>('./index');

  it('requires a table name', () => {
    expect(() => new DynamoDbIdempotencyStore({ tableName: '' })).toThrow('tableName is required');
  });

  it.each([
    [{ keyAttribute: 'status' }],
    [{ ttlAttribute: 'expiresAt' }],
    [{ keyAttribute: 'id', ttlAttribute: 'id' }],
  ])('rejects attribute names that collide: %p', (names) => {
    expect(() => new DynamoDbIdempotencyStore({ tableName: 't', ...names })).toThrow(
      /must differ from each other/,
    );
  });
});
