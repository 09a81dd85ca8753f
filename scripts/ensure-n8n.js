#!/usr/bin/env node
/*
 * Installs the pinned n8n that the end-to-end tests, the demo and the benchmark run the
 * package inside (test/e2e/n8n-host), from its committed lockfile, and checks it works.
 *
 * - `npm ci` in test/e2e/n8n-host. npm 11.19 skips dependency install scripts unless the
 *   project approves them: test/e2e/n8n-host/package.json has an `allowScripts` field that
 *   approves sqlite3 (native binding, built with node-gyp from source when no prebuilt binary
 *   can be downloaded) and explicitly denies the other install scripts n8n pulls in (all
 *   optional: prebuilt binaries or pure-JS fallbacks, or telemetry).
 * - A no-op when already installed for the same lockfile, package.json and Node ABI: the stamp
 *   test/e2e/n8n-host/.installed-lock-hash (git-ignored) holds their hash. Even then the
 *   install is verified: the sqlite3 binding must load and `n8n --version` must print the
 *   pinned version.
 * - Concurrent runs (several engineers or jest workers in one checkout) are serialized by a
 *   lock directory in the OS temp dir.
 *
 * Environment: N8N_E2E_SKIP_INSTALL=1 skips everything (unit-only runs);
 * N8N_E2E_FORCE_INSTALL=1 reinstalls even when the stamp matches.
 *
 * Plain Node, no dependencies.
 */
'use strict';

const { spawn, spawnSync } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const HOST_DIR = path.resolve(__dirname, '..', 'test', 'e2e', 'n8n-host');
const LOCKFILE = path.join(HOST_DIR, 'package-lock.json');
const MANIFEST = path.join(HOST_DIR, 'package.json');
const STAMP = path.join(HOST_DIR, '.installed-lock-hash');
const N8N_BIN = path.join(HOST_DIR, 'node_modules', '.bin', 'n8n');
const HOST_DIR_ID = crypto.createHash('sha1').update(HOST_DIR).digest('hex').slice(0, 12);
const LOCK_DIR = path.join(os.tmpdir(), `n8n-nodes-nubra-ensure-n8n-${HOST_DIR_ID}.lock`);
const LOCK_WAIT_MS = 15 * 60 * 1000;

const started = Date.now();

function log(message) {
	process.stdout.write(`[ensure-n8n] ${message}\n`);
}

function elapsed(since = started) {
	return `${((Date.now() - since) / 1000).toFixed(1)} s`;
}

function pinnedVersion() {
	const manifest = JSON.parse(fs.readFileSync(MANIFEST, 'utf8'));
	const version = manifest.dependencies && manifest.dependencies.n8n;
	if (!/^\d+\.\d+\.\d+$/.test(version || '')) {
		throw new Error(`${MANIFEST}: dependencies.n8n must be an exact version, got ${version}`);
	}
	return version;
}

/** Hash of everything that decides what `npm ci` produces here. */
function installKey() {
	const hash = crypto.createHash('sha256');
	hash.update(fs.readFileSync(LOCKFILE));
	hash.update('\0');
	hash.update(fs.readFileSync(MANIFEST));
	hash.update('\0');
	hash.update(`${process.platform}-${process.arch}-abi${process.versions.modules}`);
	return hash.digest('hex');
}

function readStamp() {
	try {
		return fs.readFileSync(STAMP, 'utf8').trim();
	} catch {
		return '';
	}
}

/** Returns a list of problems; empty when the installed n8n is usable. */
function verify(version) {
	const problems = [];
	const sqlite = spawnSync(
		process.execPath,
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
		{ cwd: HOST_DIR, encoding: 'utf8', timeout: 30_000 },
	);
	if (sqlite.status !== 0) {
		const output = sqlite.stderr || sqlite.error?.message || '';
		const reason = output.trim().split('\n').slice(0, 3).join(' | ');
		problems.push(`sqlite3 binding does not load: ${reason}`);
	}
	if (!fs.existsSync(N8N_BIN)) {
		problems.push(`${path.relative(process.cwd(), N8N_BIN)} is missing`);
	} else {
		const n8n = spawnSync(process.execPath, [fs.realpathSync(N8N_BIN), '--version'], {
			cwd: HOST_DIR,
			encoding: 'utf8',
			timeout: 60_000,
		});
		const printed = (n8n.stdout || '').trim();
		if (n8n.status !== 0 || printed !== version) {
			const got = `${JSON.stringify(printed)} (exit ${n8n.status})`;
			problems.push(`n8n --version printed ${got}, expected ${version}`);
		}
	}
	return problems;
}

function run(command, args, env) {
	return new Promise((resolve, reject) => {
		const where = path.relative(process.cwd(), HOST_DIR) || '.';
		log(`$ (cd ${where} && ${command} ${args.join(' ')})`);
		const child = spawn(command, args, {
			cwd: HOST_DIR,
			env,
			stdio: ['ignore', 'inherit', 'inherit'],
		});
		child.on('error', reject);
		child.on('exit', (code, signal) => {
			if (code === 0) resolve();
			else reject(new Error(`${command} ${args.join(' ')} failed (${signal ?? `exit ${code}`})`));
		});
	});
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

async function acquireLock() {
	const deadline = Date.now() + LOCK_WAIT_MS;
	let announced = false;
	for (;;) {
		try {
			fs.mkdirSync(LOCK_DIR);
			fs.writeFileSync(path.join(LOCK_DIR, 'pid'), String(process.pid));
			return;
		} catch (error) {
			if (error.code !== 'EEXIST') throw error;
		}
		let owner = NaN;
		try {
			owner = Number(fs.readFileSync(path.join(LOCK_DIR, 'pid'), 'utf8'));
		} catch {
			// Being created or removed right now.
		}
		if (Number.isInteger(owner) && owner > 0 && !processAlive(owner)) {
			log(`removing stale lock ${LOCK_DIR} (pid ${owner} is gone)`);
			fs.rmSync(LOCK_DIR, { recursive: true, force: true });
			continue;
		}
		if (Date.now() > deadline) throw new Error(`timed out waiting for lock ${LOCK_DIR}`);
		if (!announced) {
			log(`another install is running (lock ${LOCK_DIR}, pid ${owner}); waiting`);
			announced = true;
		}
		await delay(1000);
	}
}

function releaseLock() {
	fs.rmSync(LOCK_DIR, { recursive: true, force: true });
}

/**
 * node-gyp downloads Node's headers unless told where they are, and there may be no internet
 * besides the registry: point it at the running Node's own headers when npm has no nodedir.
 */
function installEnv() {
	const env = { ...process.env, CI: process.env.CI || 'true' };
	const prefix = path.resolve(path.dirname(process.execPath), '..');
	if (!env.npm_config_nodedir && fs.existsSync(path.join(prefix, 'include', 'node', 'node.h'))) {
		const configured = spawnSync('npm', ['config', 'get', 'nodedir'], {
			cwd: HOST_DIR,
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

async function main() {
	if (process.env.N8N_E2E_SKIP_INSTALL === '1') {
		log('N8N_E2E_SKIP_INSTALL=1: skipping');
		return;
	}
	const version = pinnedVersion();
	const key = installKey();
	const force = process.env.N8N_E2E_FORCE_INSTALL === '1';

	if (!force && readStamp() === key) {
		const problems = verify(version);
		if (problems.length === 0) {
			log(
				`n8n ${version} already installed in ${HOST_DIR} ` +
					`(lockfile unchanged); verified in ${elapsed()}`,
			);
			return;
		}
		log(`stamp matches but the install is broken: ${problems.join('; ')}; reinstalling`);
	}

	await acquireLock();
	try {
		// Another process may have finished the install while we waited for the lock.
		if (!force && readStamp() === key && verify(version).length === 0) {
			log(`n8n ${version} was installed by another process; verified in ${elapsed()}`);
			return;
		}
		fs.rmSync(STAMP, { force: true });
		log(
			`installing n8n ${version} into ${HOST_DIR} with npm ci (lockfile ${key.slice(0, 12)}); ` +
				'this takes a few minutes',
		);
		const env = installEnv();
		const installStarted = Date.now();
		// --prefer-offline: the lockfile has no `resolved` URLs (omit-lockfile-registry-resolved),
		// so npm needs every package's metadata; take it from the cache when it is there.
		const npmCi = ['ci', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=warn'];
		await run('npm', npmCi, env);
		log(`npm ci finished in ${elapsed(installStarted)}`);

		let problems = verify(version);
		if (problems.some((problem) => problem.startsWith('sqlite3'))) {
			log(`${problems.join('; ')}; trying npm rebuild sqlite3`);
			const rebuildStarted = Date.now();
			await run('npm', ['rebuild', 'sqlite3', '--foreground-scripts'], env);
			log(`npm rebuild sqlite3 finished in ${elapsed(rebuildStarted)}`);
			problems = verify(version);
		}
		if (problems.length > 0) throw new Error(`installed n8n does not work: ${problems.join('; ')}`);

		fs.writeFileSync(STAMP, `${key}\n`);
		log(`n8n ${version} installed and verified in ${elapsed()}`);
	} finally {
		releaseLock();
	}
}

main().catch((error) => {
	log(`FAILED after ${elapsed()}: ${error.message}`);
	process.exitCode = 1;
});
