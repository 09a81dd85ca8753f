/**
 * What `npm publish` would ship, from `npm pack --dry-run` (nothing is packed or published):
 * everything n8n and the package entry points load, and none of the sources, tests or tooling;
 * and the `exports` map resolving by package name. Needs a build first (`npm test` and
 * `npm run test:unit` build).
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');

interface PackageJson {
	main: string;
	types: string;
	exports: Record<string, string | { types: string; default: string }>;
	n8n: { nodes: string[]; credentials: string[] };
}

// eslint-disable-next-line @typescript-eslint/no-require-imports
const packageJson = require(join(ROOT, 'package.json')) as PackageJson;

function packedFiles(): string[] {
	if (!existsSync(join(ROOT, 'dist', 'nodes')))
		throw new Error('dist/ is missing: run `npm run build` first');
	const output = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
		cwd: ROOT,
		encoding: 'utf8',
		stdio: ['ignore', 'pipe', 'ignore'],
	});
	const [pack] = JSON.parse(output) as Array<{ files: Array<{ path: string }> }>;
	return pack.files.map((file) => file.path).sort();
}

describe('the published file list (npm pack --dry-run)', () => {
	let files: string[];

	beforeAll(() => {
		files = packedFiles();
	}, 30_000);

	it('has the entry points, the node, the credential, the schema, the simulator and the examples', () => {
		const required = [
			'package.json',
			'README.md',
			'CHANGELOG.md',
			'LICENSE',
			packageJson.main,
			packageJson.types,
			...packageJson.n8n.nodes,
			...packageJson.n8n.credentials,
			'dist/nodes/NubraTrigger/NubraTrigger.node.json',
			'dist/nodes/NubraTrigger/nubra.svg',
			'dist/nodes/NubraTrigger/nubra.dark.svg',
			'dist/proto/nubra/intent.proto',
			'dist/proto/nubra/nubrafrontend.proto',
			'dist/proto/nubra/oms.proto',
			'dist/client/index.js',
			'dist/client/index.d.ts',
			'examples/webhook-on-partial-fills.json',
		];
		expect(required.filter((path) => !files.includes(path))).toEqual([]);
	});

	it('has every file the exports map points to', () => {
		const targets = Object.values(packageJson.exports).flatMap((target) =>
			typeof target === 'string' ? [target] : [target.types, target.default],
		);
		expect(targets).toContain('./dist/simulator/index.js');
		expect(
			targets.map((target) => target.replace(/^\.\//, '')).filter((path) => !files.includes(path)),
		).toEqual([]);
	});

	it('resolves the main entry and the simulator subpath by package name, as a user requires them', () => {
		const script = [
			"const main = require('n8n-nodes-nubra');",
			"const simulator = require('n8n-nodes-nubra/simulator');",
			"console.log(JSON.stringify([require.resolve('n8n-nodes-nubra/simulator'), typeof main.createNubraStream, typeof main.startSimulator, typeof simulator.startSimulator, typeof simulator.createNubraStream]));",
		].join('');
		const output = execFileSync(process.execPath, ['-e', script], { cwd: ROOT, encoding: 'utf8' });
		expect(JSON.parse(output)).toEqual([
			join(ROOT, 'dist', 'simulator', 'index.js'),
			'function',
			'function',
			'function',
			'undefined',
		]);
	});

	it('leaves out sources, tests, bench, demo, scripts and tooling', () => {
		const unwanted = files.filter(
			(path) =>
				/^(test|bench|demo|scripts|tools|dist-tools|client|simulator|nodes|credentials|proto|docs|\.github|\.ci)\//.test(
					path,
				) ||
				path.startsWith('dist/bench/') ||
				path.startsWith('dist/test/') ||
				(path.endsWith('.ts') && !path.endsWith('.d.ts')) ||
				/(^|\/)(tsconfig[^/]*\.json|jest\.config\.js|gulpfile\.js|eslint\.config\.mjs|\.prettierrc\.js|package-lock\.json)$/.test(
					path,
				),
		);
		expect(unwanted).toEqual([]);
	});
});
