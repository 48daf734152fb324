// NestJS 12 ships ESM only and Jest on Node 20 cannot load ES modules, so swc compiles both our
// TypeScript and those ESM packages to CommonJS on the fly. Type checking is `npm run typecheck`.
const swcTs = [
  '@swc/jest',
  {
    jsc: {
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true },
      target: 'es2022',
      keepClassNames: true,
    },
    module: { type: 'commonjs' },
  },
];
const swcJs = [
  '@swc/jest',
  {
    jsc: { parser: { syntax: 'ecmascript' }, target: 'es2022', keepClassNames: true },
    module: { type: 'commonjs', ignoreDynamic: false },
  },
];
const esmPackages = [
  '@nestjs',
  'file-type',
  'strtok3',
  'token-types',
  '@tokenizer',
  'uint8array-extras',
  '@borewit',
];

const shared = {
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': swcTs, '^.+\\.m?js$': swcJs },
  transformIgnorePatterns: [`/node_modules/(?!(${esmPackages.join('|')})/)`],
  moduleNameMapper: {
    '^@nestjs-events/event-patterns$': '<rootDir>/packages/event-patterns/src/index.ts',
    '^@nestjs-events/core$': '<rootDir>/packages/core/src/index.ts',
    '^@nestjs-events/core/testing$': '<rootDir>/packages/core/src/testing/index.ts',
    '^@nestjs-events/core/transport$': '<rootDir>/packages/core/src/transport/index.ts',
    '^@nestjs-events/sqs$': '<rootDir>/packages/sqs/src/index.ts',
    '^@nestjs-events/sqs/transport$': '<rootDir>/packages/sqs/src/transport.ts',
    '^@nestjs-events/sns$': '<rootDir>/packages/sns/src/index.ts',
    '^@nestjs-events/eventbridge$': '<rootDir>/packages/eventbridge/src/index.ts',
    '^@nestjs-events/idempotency-dynamodb$': '<rootDir>/packages/idempotency-dynamodb/src/index.ts',
    '^@nestjs-events/idempotency-redis$': '<rootDir>/packages/idempotency-redis/src/index.ts',
    '^@nestjs-events/terminus$': '<rootDir>/packages/terminus/src/index.ts',
    '^@nestjs-events/outbox$': '<rootDir>/packages/outbox/src/index.ts',
    '^@nestjs-events/cli$': '<rootDir>/packages/cli/src/index.ts',
    '^@nestjs-events/outbox/(postgres|typeorm|dynamodb)$':
      '<rootDir>/packages/outbox/src/$1/index.ts',
    '^@sample/contracts$': '<rootDir>/libs/contracts/src/index.ts',
    '^@sample/emulators$': '<rootDir>/libs/emulators/src/index.ts',
    '^@sample/events-config$': '<rootDir>/libs/events-config/src/index.ts',
    '^@sample/orders-service$': '<rootDir>/apps/orders-service/src/index.ts',
    '^@sample/notifications-service$': '<rootDir>/apps/notifications-service/src/index.ts',
  },
  moduleFileExtensions: ['ts', 'js', 'mjs', 'json'],
  // The virtualenvs (thousands of botocore JSON files) and the Node binaries of CI's legs.
  modulePathIgnorePatterns: ['<rootDir>/\\.venv', '<rootDir>/\\.node/'],
};

/** @type {import('jest').Config} */
module.exports = {
  projects: [
    {
      ...shared,
      displayName: 'unit',
      testMatch: ['<rootDir>/{packages,libs,apps}/*/src/**/*.spec.ts'],
    },
    {
      ...shared,
      displayName: 'e2e',
      testMatch: ['<rootDir>/test/**/*.e2e-spec.ts'],
      // fauxqs, moto and redis-server on loopback, once for the whole e2e run.
      globalSetup: '<rootDir>/test/global-setup.ts',
      globalTeardown: '<rootDir>/test/global-teardown.ts',
    },
  ],
};
