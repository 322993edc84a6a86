// typescript-eslint's recommended rules over the TypeScript sources (npm run lint; CI runs it).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      'node_modules/',
      'web/dist/',
      'scratch/',
      'html/',
      '.venv/',
      'lib/engine/simd/*.as.ts',
      'lib/engine/simd/normals-wasm.ts',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts', '**/*.mts'],
    rules: {
      // `_name` marks an argument or binding kept for its position or destructured away on purpose.
      // require() is deliberate where it stands: optional or slow-to-load packages (tfjs-node, danfojs,
      // vega) are loaded on first use, so processes that never use them never pay for them.
      '@typescript-eslint/no-require-imports': 'off',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' },
      ],
    },
  },
);
