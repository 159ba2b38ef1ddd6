import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', '.plantwire/**', 'packages/telemetry/src/generated/**'] },
  js.configs.recommended,
  ...tseslint.configs.strict,
  {
    languageOptions: {
      globals: globals.node,
    },
    rules: {
      // noUncheckedIndexedAccess types every indexed read as possibly undefined; in bounded loops over
      // lookup tables `!` states what the loop bound already proves.
      '@typescript-eslint/no-non-null-assertion': 'off',
      // Node-RED's own convention in node constructors: `const node = this`.
      '@typescript-eslint/no-this-alias': ['error', { allowedNames: ['node'] }],
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' },
      ],
    },
  },
  {
    // CommonJS scripts (child processes in tests) load with require, as CommonJS does.
    files: ['**/*.cjs'],
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    // Tests talk to untyped runtimes (Node-RED's RED object, messages); `any` is the honest type there.
    files: ['**/test/**/*.ts', 'packages/testkit/src/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off', '@typescript-eslint/no-dynamic-delete': 'off' },
  },
);
