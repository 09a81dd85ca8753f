import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** The repository root (the package itself). */
export const PACKAGE_ROOT = resolve(__dirname, '..', '..', '..');
/** Where scripts/ensure-n8n.js installs the pinned n8n. */
export const N8N_HOST_DIR = join(PACKAGE_ROOT, 'test', 'e2e', 'n8n-host');
/** The pinned n8n's CLI. */
export const N8N_BIN = join(N8N_HOST_DIR, 'node_modules', '.bin', 'n8n');
/** The package's build output, to pass as `customExtensionsDir`. */
export const PACKAGE_DIST = join(PACKAGE_ROOT, 'dist');
/** Git-ignored scratch space for run logs. */
export const RUN_DIR = join(PACKAGE_ROOT, '.n8n-run');
/** The n8n version test/e2e/n8n-host/package.json pins (exact). */
export function pinnedN8nVersion(): string {
	const manifest = JSON.parse(readFileSync(join(N8N_HOST_DIR, 'package.json'), 'utf8')) as {
		dependencies?: Record<string, string>;
	};
	const version = manifest.dependencies?.n8n;
	if (version === undefined) throw new Error(`${N8N_HOST_DIR}/package.json does not pin n8n`);
	return version;
}
