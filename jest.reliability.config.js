// `npm run test:reliability`: the reliability scenarios (test/reliability), real worker processes
// against the emulators with faults injected. A config of its own so that `npm test` never runs
// them: they take minutes. Same transforms and module mapping as the e2e project.
const { projects } = require('./jest.config.js');

const e2e = projects.find((project) => project.displayName === 'e2e');

/** @type {import('jest').Config} */
module.exports = {
  ...e2e,
  displayName: 'reliability',
  testMatch: ['<rootDir>/test/reliability/**/*.reliability-spec.ts'],
  // Builds the workspace, starts fauxqs, moto and Redis; the teardown prints the results table.
  globalSetup: '<rootDir>/test/reliability/global-setup.ts',
  globalTeardown: '<rootDir>/test/reliability/global-teardown.ts',
  // One scenario at a time: each measures its own time, and the emulators share the machine.
  maxWorkers: 1,
};
