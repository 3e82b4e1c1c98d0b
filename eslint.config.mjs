import nx from '@nx/eslint-plugin';
import tseslint from 'typescript-eslint';

// Module boundaries are the architecture: a service is wiring over libs, and it
// reaches another service only through that service's contracts lib.
const depConstraints = [
  { sourceTag: 'type:service', onlyDependOnLibsWithTags: ['type:util', 'type:infra', 'type:contracts', 'type:domain', 'type:queries'] },
  // The gateway may hold a capability's read model in memory, through that capability's queries lib only.
  { sourceTag: 'scope:gateway', onlyDependOnLibsWithTags: ['scope:shared', 'type:contracts', 'type:queries'] },
  { sourceTag: 'scope:projects', onlyDependOnLibsWithTags: ['scope:projects', 'scope:shared', 'type:contracts'] },
  { sourceTag: 'scope:identity', onlyDependOnLibsWithTags: ['scope:identity', 'scope:shared', 'type:contracts'] },
  { sourceTag: 'scope:deployments', onlyDependOnLibsWithTags: ['scope:deployments', 'scope:shared', 'type:contracts'] },
  { sourceTag: 'scope:webhooks', onlyDependOnLibsWithTags: ['scope:webhooks', 'scope:shared', 'type:contracts'] },
  { sourceTag: 'scope:databases', onlyDependOnLibsWithTags: ['scope:databases', 'scope:shared', 'type:contracts'] },
  { sourceTag: 'type:domain', onlyDependOnLibsWithTags: ['type:util', 'type:infra', 'type:contracts', 'type:domain', 'type:queries'] },
  // A queries lib is pure: a read model folded from public events, and the queries over it.
  { sourceTag: 'type:queries', onlyDependOnLibsWithTags: ['type:util', 'type:contracts'] },
  { sourceTag: 'type:contracts', onlyDependOnLibsWithTags: ['type:util', 'type:infra'] },
  { sourceTag: 'type:infra', onlyDependOnLibsWithTags: ['type:util', 'type:infra'] },
  { sourceTag: 'type:util', onlyDependOnLibsWithTags: ['type:util'] },
  { sourceTag: 'type:tool', onlyDependOnLibsWithTags: ['type:util', 'type:infra', 'type:contracts', 'type:domain', 'type:queries', 'type:tool', 'type:sdk'] },
  // The clients know the platform only through its HTTP API (the generated types).
  { sourceTag: 'type:sdk', onlyDependOnLibsWithTags: ['type:sdk'] },
];

export default [
  { ignores: ['**/dist/**', '**/node_modules/**', '**/*.js', '**/*.mjs', '**/*.cjs', '.nx/**'] },
  ...nx.configs['flat/base'],
  ...nx.configs['flat/typescript'],
  {
    files: ['**/*.ts'],
    languageOptions: { parser: tseslint.parser },
    rules: {
      '@nx/enforce-module-boundaries': [
        'error',
        { enforceBuildableLibDependency: false, allowCircularSelfDependency: false, banTransitiveDependencies: false, depConstraints },
      ],
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' }],
      '@typescript-eslint/no-require-imports': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
];
