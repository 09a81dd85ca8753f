// TypeScript-aware ESLint plus n8n's community-node rules (the self-hosted profile).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { configs as n8nConfigs } from '@n8n/eslint-plugin-community-nodes';
import jsoncParser from 'jsonc-eslint-parser';
import globals from 'globals';

const n8n = n8nConfigs.recommendedWithoutN8nCloudSupport;

export default tseslint.config(
	{
		ignores: [
			'dist/**',
			'node_modules/**',
			'test/e2e/n8n-host/**',
			'test/e2e/n8n-host-latest/**',
			'dist-tools/**',
			'coverage/**',
			'**/*.mjs',
			// Plain JavaScript is linted where it is ours to run: the scripts and the root files.
			'**/*.js',
			'!scripts/*.js',
			'!*.js',
			'!test/reporters/*.js',
		],
	},
	{ files: ['**/*.ts'], ...js.configs.recommended },
	{
		files: ['**/*.js'],
		...js.configs.recommended,
		languageOptions: { sourceType: 'commonjs', ecmaVersion: 2023, globals: globals.node },
	},
	...tseslint.configs.recommended.map((config) => ({ ...config, files: ['**/*.ts'] })),
	{ files: ['package.json'], languageOptions: { parser: jsoncParser } },
	{
		files: ['**/*.ts'],
		rules: {
			'@typescript-eslint/no-explicit-any': 'error',
			'@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
		},
	},
	{
		files: ['nodes/**/*.ts', 'credentials/**/*.ts', 'package.json'],
		plugins: n8n.plugins,
		rules: {
			...n8n.rules,
			// This package needs `ws` and `protobufjs` at run time and keeps a reconnecting socket
			// with timers: it targets self-hosted n8n, not n8n Cloud (see README, "Self-hosted only").
			'@n8n/community-nodes/no-runtime-dependencies': 'off',
		},
	},
	{
		// The client is framework-free: it must stay usable and testable without n8n.
		files: ['client/**/*.ts', 'simulator/**/*.ts'],
		rules: {
			'no-restricted-imports': [
				'error',
				{
					patterns: [
						{
							group: ['n8n-workflow', 'n8n-core', 'n8n-*'],
							message: 'client/ and simulator/ must not depend on n8n',
						},
					],
				},
			],
		},
	},
);
