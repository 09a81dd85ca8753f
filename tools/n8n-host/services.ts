/**
 * Throwaway Redis and PostgreSQL for queue mode: each on a free loopback port with a fresh data
 * folder, in its own process, stopped by PID and its folder removed. PostgreSQL refuses to run
 * as root, so as root both `initdb` and `postgres` run as the `postgres` system user (the
 * Debian package creates it) and the data folder is handed to that user.
 */
import { spawn, spawnSync } from 'node:child_process';
import {
	chownSync,
	closeSync,
	existsSync,
	mkdtempSync,
	openSync,
	readdirSync,
	rmSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

import { getFreePort } from './ports';
import { waitFor } from './wait';
import { watchChild } from './child';

export interface RunningService {
	/** 127.0.0.1 */
	host: string;
	port: number;
	pid: number;
	/** The data folder (removed by stop()). */
	dir: string;
	logFile: string;
	logs(): string;
	/** Ends the process by PID (a fast shutdown, SIGKILL after a bound) and removes its folder. */
	stop(): Promise<void>;
}

export interface RunningPostgres extends RunningService {
	user: string;
	database: string;
}

const INSTALL_HINT =
	'install it with `apt-get install -y redis-server postgresql` (.ci/run does when missing)';

/** An executable on PATH, else in one of `extraDirs`; undefined when nowhere. */
function findExecutable(name: string, extraDirs: string[] = []): string | undefined {
	const dirs = [...(process.env.PATH ?? '').split(delimiter), ...extraDirs].filter(Boolean);
	return dirs.map((dir) => join(dir, name)).find((file) => existsSync(file));
}

/** Debian keeps PostgreSQL's server binaries in /usr/lib/postgresql/<major>/bin, off PATH. */
function postgresBinDirs(): string[] {
	const root = '/usr/lib/postgresql';
	if (!existsSync(root)) return [];
	return readdirSync(root)
		.filter((version) => /^\d+$/.test(version))
		.sort((a, b) => Number(b) - Number(a))
		.map((version) => join(root, version, 'bin'));
}

function requireExecutable(name: string, extraDirs: string[] = []): string {
	const found = findExecutable(name, extraDirs);
	if (found === undefined) throw new Error(`${name} not found: ${INSTALL_HINT}`);
	return found;
}

/** The uid/gid to run PostgreSQL as: the `postgres` user when we are root, else ourselves. */
function postgresIdentity(): { uid: number; gid: number } | undefined {
	if (process.getuid?.() !== 0) return undefined;
	const uid = Number(spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).stdout.trim());
	const gid = Number(spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).stdout.trim());
	if (!Number.isInteger(uid) || uid <= 0 || !Number.isInteger(gid)) {
		throw new Error(`PostgreSQL cannot run as root and there is no postgres user: ${INSTALL_HINT}`);
	}
	return { uid, gid };
}

function processAlive(pid: number): boolean {
	try {
		process.kill(pid, 0);
		return true;
	} catch (error) {
		return (error as NodeJS.ErrnoException).code === 'EPERM';
	}
}

const runningServices = new Set<number>();
let exitHookInstalled = false;

function killAllServices(): void {
	for (const running of runningServices) {
		try {
			process.kill(running, 'SIGKILL');
		} catch {
			// Already gone.
		}
	}
	runningServices.clear();
}

/**
 * Last resort: services still running when the test process exits, or is ended by
 * SIGINT/SIGTERM/SIGHUP, are killed; the signal is then re-raised with its default action.
 */
function trackForExit(pid: number): void {
	runningServices.add(pid);
	if (exitHookInstalled) return;
	exitHookInstalled = true;
	process.once('exit', killAllServices);
	for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
		const onSignal = (): void => {
			killAllServices();
			process.removeListener(signal, onSignal);
			process.kill(process.pid, signal);
		};
		process.on(signal, onSignal);
	}
}

/**
 * Spawns `command` with its output in `logFile`, waits until `ready(log)` holds, and returns
 * the service; `shutdownSignal` asks it to stop quickly (SIGKILL after 10 s).
 */
async function runService(options: {
	name: string;
	command: string;
	args: string[];
	dir: string;
	port: number;
	logFile: string;
	shutdownSignal: NodeJS.Signals;
	ready: (log: string) => boolean;
	identity?: { uid: number; gid: number };
}): Promise<RunningService> {
	const { name, dir, port, logFile } = options;
	const fd = openSync(logFile, 'w');
	if (options.identity) chownSync(logFile, options.identity.uid, options.identity.gid);
	const child = spawn(options.command, options.args, {
		cwd: dir,
		stdio: ['ignore', fd, fd],
		detached: true,
		...options.identity,
	});
	closeSync(fd);
	child.unref();
	const pid = child.pid;
	if (pid === undefined) throw new Error(`could not start ${name}`);
	trackForExit(pid);
	const { exited, exitInfo, logs } = watchChild(child, logFile);
	let stopping: Promise<void> | undefined;
	const stop = (): Promise<void> => {
		stopping ??= (async () => {
			if (exitInfo() === undefined && processAlive(pid)) {
				process.kill(pid, options.shutdownSignal);
				const stoppedInTime = await waitFor(() => exitInfo() !== undefined || !processAlive(pid), {
					timeoutMs: 10_000,
					intervalMs: 50,
					description: `${name} (pid ${pid}) to stop`,
				}).catch(() => false);
				if (!stoppedInTime) process.kill(pid, 'SIGKILL');
				await exited;
			}
			runningServices.delete(pid);
			rmSync(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 });
		})();
		return stopping;
	};
	try {
		await waitFor(
			() => {
				if (exitInfo() !== undefined)
					throw new Error(`${name} exited during start-up (${exitInfo()})`);
				return options.ready(logs());
			},
			{
				timeoutMs: 60_000,
				intervalMs: 100,
				description: `${name} to accept connections on port ${port}`,
			},
		);
	} catch (error) {
		const log = logs().split('\n').slice(-30).join('\n');
		await stop();
		throw new Error(`${(error as Error).message}\n--- ${name} log ---\n${log}`);
	}
	return { host: '127.0.0.1', port, pid, dir, logFile, logs, stop };
}

/** A Redis with no persistence, on a free port of 127.0.0.1. */
export async function startRedis(): Promise<RunningService> {
	const command = requireExecutable('redis-server');
	const dir = mkdtempSync(join(tmpdir(), 'n8n-redis-'));
	const port = await getFreePort();
	return await runService({
		name: 'redis-server',
		command,
		args: [
			'--bind',
			'127.0.0.1',
			'--port',
			String(port),
			'--dir',
			dir,
			'--save',
			'',
			'--appendonly',
			'no',
			'--daemonize',
			'no',
		],
		dir,
		port,
		logFile: join(dir, 'redis.log'),
		// SIGTERM: Redis shuts down at once (nothing to save).
		shutdownSignal: 'SIGTERM',
		ready: (log) => log.includes('Ready to accept connections'),
	});
}

/**
 * A PostgreSQL cluster made by `initdb` in a fresh folder, trust authentication for `user`
 * on 127.0.0.1 only, tuned for throwaway data (no fsync).
 */
export async function startPostgres(
	options: { user?: string; database?: string } = {},
): Promise<RunningPostgres> {
	const binDirs = postgresBinDirs();
	const initdb = requireExecutable('initdb', binDirs);
	const postgres = requireExecutable('postgres', binDirs);
	const identity = postgresIdentity();
	const user = options.user ?? 'n8n';
	const database = options.database ?? 'postgres';
	const dir = mkdtempSync(join(tmpdir(), 'n8n-postgres-'));
	if (identity) chownSync(dir, identity.uid, identity.gid);
	const dataDir = join(dir, 'data');
	const init = spawnSync(
		initdb,
		['-D', dataDir, '-U', user, '--auth=trust', '--encoding=UTF8', '--locale=C', '--no-sync'],
		{ encoding: 'utf8', timeout: 120_000, ...identity },
	);
	if (init.status !== 0) {
		rmSync(dir, { recursive: true, force: true });
		const output = `${init.stdout ?? ''}${init.stderr ?? ''}${init.error?.message ?? ''}`.trim();
		throw new Error(
			`initdb failed (${init.signal ?? `exit ${init.status}`}): ${output.split('\n').slice(-10).join('\n')}`,
		);
	}
	const port = await getFreePort();
	const service = await runService({
		name: 'postgres',
		command: postgres,
		args: [
			'-D',
			dataDir,
			'-p',
			String(port),
			'-c',
			'listen_addresses=127.0.0.1',
			'-c',
			`unix_socket_directories=${dir}`,
			'-c',
			'fsync=off',
			'-c',
			'synchronous_commit=off',
			'-c',
			'full_page_writes=off',
		],
		dir,
		port,
		logFile: join(dir, 'postgres.log'),
		// SIGINT: PostgreSQL's fast shutdown (SIGTERM would wait for n8n's pooled connections).
		shutdownSignal: 'SIGINT',
		ready: (log) => log.includes('database system is ready to accept connections'),
		identity,
	});
	return { ...service, user, database };
}
