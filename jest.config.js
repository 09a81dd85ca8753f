/**
 * Three layers, one runner: `npm test` runs them all. The end-to-end suites run twice: on the
 * oldest supported n8n (`e2e`: 2.8.4 on Node 20) and on the newest (`e2e-latest`: 2.41.1 on
 * Node 24); see tools/n8n-host/hosts.ts.
 */
const tsJest = ['ts-jest', { tsconfig: 'tsconfig.test.json' }];

module.exports = {
	reporters: ['default', '<rootDir>/test/reporters/summary-line.js'],
	projects: [
		{
			displayName: 'unit',
			testMatch: ['<rootDir>/test/unit/**/*.test.ts'],
			transform: { '^.+\\.ts$': tsJest },
			testEnvironment: 'node',
		},
		{
			displayName: 'integration',
			testMatch: ['<rootDir>/test/integration/**/*.test.ts'],
			transform: { '^.+\\.ts$': tsJest },
			testEnvironment: 'node',
		},
		{
			displayName: 'e2e',
			testMatch: ['<rootDir>/test/e2e/**/*.test.ts'],
			transform: { '^.+\\.ts$': tsJest },
			testEnvironment: 'node',
		},
		{
			displayName: 'e2e-latest',
			testMatch: ['<rootDir>/test/e2e/**/*.test.ts'],
			setupFiles: ['<rootDir>/test/e2e/on-latest-host.js'],
			transform: { '^.+\\.ts$': tsJest },
			testEnvironment: 'node',
		},
	],
};
