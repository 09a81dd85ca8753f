/**
 * The package as users get it: `npm pack` of this repository, installed into an n8n user folder
 * the way n8n's Community Nodes UI installs a package (community-packages.service, the same in
 * n8n 2.8.4 and 2.41.1):
 * unpacked into `.n8n/nodes/node_modules/<name>`, devDependencies, peerDependencies and
 * optionalDependencies removed from its package.json, then `npm install` with n8n's flags in
 * that folder. n8n then loads it as `n8n-nodes-nubra.<node>`, with no N8N_CUSTOM_EXTENSIONS.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

import { PACKAGE_ROOT } from './hosts';

const run = promisify(execFile);

/** The flags n8n (2.8.4 and 2.41.1) passes to `npm install` for a community package. */
const N8N_NPM_INSTALL_ARGS = [
	'--audit=false',
	'--fund=false',
	'--bin-links=false',
	'--install-strategy=shallow',
	'--ignore-scripts=true',
	'--package-lock=false',
];

export interface PackedPackage {
	name: string;
	version: string;
	tarball: string;
	/** The paths inside the tarball, as `npm pack` lists them. */
	files: string[];
	remove(): void;
}

/** `npm pack` of the repository (dist/ must be built) into a temporary folder. */
export async function packPackage(): Promise<PackedPackage> {
	const destination = mkdtempSync(join(tmpdir(), 'nubra-pack-'));
	const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', destination], {
		cwd: PACKAGE_ROOT,
		maxBuffer: 16 * 1024 * 1024,
	});
	const [report] = JSON.parse(stdout) as Array<{
		name: string;
		version: string;
		filename: string;
		files: Array<{ path: string }>;
	}>;
	return {
		name: report.name,
		version: report.version,
		tarball: join(destination, report.filename),
		files: report.files.map((file) => file.path),
		remove: () => rmSync(destination, { recursive: true, force: true }),
	};
}

/**
 * Installs a packed package into `<userFolder>/.n8n/nodes` as n8n's installer does. Runtime
 * dependencies come from the npm cache when it has them (it does after `npm ci` here).
 * Returns the package's folder.
 */
export async function installPackedPackage(
	userFolder: string,
	packed: PackedPackage,
): Promise<string> {
	const nodesDir = join(userFolder, '.n8n', 'nodes');
	const packageDir = join(nodesDir, 'node_modules', packed.name);
	mkdirSync(packageDir, { recursive: true });
	writeFileSync(
		join(nodesDir, 'package.json'),
		JSON.stringify(
			{ name: 'installed-nodes', private: true, dependencies: { [packed.name]: packed.version } },
			null,
			2,
		),
	);
	await run('tar', ['-xzf', packed.tarball, '-C', packageDir, '--strip-components=1']);
	const manifestPath = join(packageDir, 'package.json');
	const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as Record<string, unknown>;
	for (const key of ['devDependencies', 'peerDependencies', 'optionalDependencies'])
		delete manifest[key];
	writeFileSync(manifestPath, JSON.stringify(manifest, null, 2));
	await run('npm', ['install', ...N8N_NPM_INSTALL_ARGS, '--prefer-offline'], {
		cwd: packageDir,
		maxBuffer: 16 * 1024 * 1024,
	});
	return packageDir;
}
