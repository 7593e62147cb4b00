/** Jest runs the TypeScript sources through swc (TypeScript 7 has no JS compiler API for ts-jest). */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test', '<rootDir>/examples'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.(t|j)sx?$': [
      '@swc/jest',
      {
        jsc: { parser: { syntax: 'typescript' }, target: 'es2022' },
        module: { type: 'commonjs' },
      },
    ],
  },
  // @middy/* ships ESM only: let swc turn it into CommonJS for jest.
  transformIgnorePatterns: ['/node_modules/(?!@middy/)'],
  // The example consumer imports the consumer package by name, as a team would; in this repository, its sources.
  moduleNameMapper: { '^@amani-webhooks/events$': '<rootDir>/packages/consumer/src/index.ts' },
  setupFiles: ['<rootDir>/test/setup-env.ts'],
  // Every event a test makes the product publish must validate against the published schema.
  setupFilesAfterEnv: ['<rootDir>/test/contract/published-events.ts'],
  testTimeout: 30000,
};
