// Lint: the type-aware checks the compiler does not make. A promise nobody awaits (its rejection
// would be lost, or would end the process) and a promise where a boolean or a void callback is
// expected. Import cycles and layers are checked by test/unit/layers.test.ts; style is prettier's.
import tseslint from 'typescript-eslint'

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'apps/**', 'roles/**', 'playbooks/**', 'inventory/**', 'bin/**', 'docs/**'] },
  {
    files: ['src/**/*.ts', 'test/**/*.ts', 'bench/**/*.ts', 'build/**/*.ts'],
    languageOptions: {
      parser: tseslint.parser,
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    plugins: { '@typescript-eslint': tseslint.plugin },
    // filters.ts names no-explicit-any, a rule this config does not run: not an error.
    linterOptions: { reportUnusedDisableDirectives: 'off' },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
    },
  },
)
