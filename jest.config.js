// Tiers are separate jest projects so `npm test` can run them in order and
// a developer can run one: `npx jest --selectProjects unit`.
const path = require('node:path');
const fs = require('node:fs');
const swc = JSON.parse(fs.readFileSync(path.join(__dirname, '.swcrc'), 'utf8'));

const moduleNameMapper = {
  '^@slipway/cli$': '<rootDir>/tools/cli/src/platform.ts',
  '^@slipway/e2e$': '<rootDir>/tools/e2e/src/harness.ts',
  '^@slipway/sdk$': '<rootDir>/sdks/typescript/src/index.ts',
  '^@slipway/([a-z0-9-]+)$': '<rootDir>/libs/$1/src/index.ts',
};
const base = {
  rootDir: __dirname,
  roots: ['<rootDir>/libs', '<rootDir>/services', '<rootDir>/tools', '<rootDir>/sdks'],
  transform: { '^.+\\.ts$': ['@swc/jest', { ...swc, swcrc: false }] },
  moduleNameMapper,
  testEnvironment: 'node',
  modulePathIgnorePatterns: ['<rootDir>/.*/dist/'],
};
module.exports = {
  projects: [
    { ...base, displayName: 'unit', testMatch: ['**/src/**/*.spec.ts'], testPathIgnorePatterns: ['\\.int\\.spec\\.ts$', '\\.e2e\\.spec\\.ts$', '/dist/', '/node_modules/'] },
    { ...base, displayName: 'int', testMatch: ['**/*.int.spec.ts'], testPathIgnorePatterns: ['/dist/', '/node_modules/'], setupFilesAfterEnv: ['<rootDir>/tools/e2e/jest.int.setup.js'] },
    { ...base, displayName: 'e2e', testMatch: ['**/*.e2e.spec.ts'], testPathIgnorePatterns: ['/dist/', '/node_modules/'], setupFilesAfterEnv: ['<rootDir>/tools/e2e/jest.setup.js'] },
  ],
};
