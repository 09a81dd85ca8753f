#!/usr/bin/env node
// `npm test` on a fresh clone: install the package's own dependencies from the lockfile first
// (npm runs this as `pretest`). A no-op when node_modules matches the lockfile's install.
const { existsSync } = require('node:fs');
const { join } = require('node:path');
const { spawnSync } = require('node:child_process');

const root = join(__dirname, '..');
if (
	existsSync(join(root, 'node_modules', '.package-lock.json')) &&
	existsSync(join(root, 'node_modules', 'typescript'))
) {
	process.exit(0);
}
console.log('[test] node_modules is missing: npm ci');
const result = spawnSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: root, stdio: 'inherit' });
process.exit(result.status ?? 1);
