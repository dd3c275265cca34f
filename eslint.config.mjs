import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { boundariesRule } from './eslint/boundaries.rule.cjs';

export default tseslint.config(
  { ignores: ['**/dist/**', '**/.next/**', '**/generated/**', '**/node_modules/**', '**/*.js', '**/*.mjs', '**/*.cjs', '**/next-env.d.ts'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      // Each file is checked with its workspace's tsconfig.json; other workspaces' types come from
      // their built declarations, so `turbo run lint` builds what a workspace depends on first.
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    plugins: { kineo: { rules: { boundaries: boundariesRule } } },
    rules: {
      'kineo/boundaries': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'off',
      // An async method of a Promise-returning interface (SecretStore, Warehouse) turns a throw into
      // a rejection; dropping `async`, as this rule asks when there is no await, would make it throw
      // synchronously at callers that only expect rejections.
      '@typescript-eslint/require-await': 'off',
    },
  },
  {
    // Tests and the faults suites read response bodies and parsed JSON as `any` on purpose (the
    // expectations are the type check), and spell out the shapes they expect with assertions even
    // where TypeScript infers them.
    files: ['**/test/**', '**/faults/**'],
    rules: {
      '@typescript-eslint/no-unnecessary-type-assertion': 'off',
      '@typescript-eslint/restrict-template-expressions': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
    },
  },
);
