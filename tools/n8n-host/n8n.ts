/**
 * Starts a pinned n8n host (installed by scripts/ensure-n8n.js; see hosts.ts) as a child
 * process on loopback, with a fresh user folder and free ports, and runs its CLI. The host's
 * own Node runs it.
 *
 * Every process started here runs in its own process group (it is the group leader), so
 * stopping it by PID also stops n8n's task-runner child. Instances still running when the
 * test process exits are killed (SIGKILL) from an exit hook as a last resort.
 */
import { spawn } from 'node:child_process';
import {
	closeSync,
	existsSync,
	mkdirSync,
	mkdtempSync,
	openSync,
	readFileSync,
	realpathSync,
	rmSync,
	statSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { n8nHost, RUN_DIR, type N8nHost, type N8nHostId } from './hosts';
import { getFreePorts } from './ports';
import { waitFor } from './wait';
import { watchChild } from './child';

/** Printed by `n8n start` once the server listens and active workflows are initialised. */
export const READY_LOG_LINE = 'Editor is now accessible via';
/** Printed by `n8n worker` once it takes jobs from the queue. */
export const WORKER_READY_LOG_LINE = 'n8n worker is now ready';

/** Environment variables n8n gets from the parent process; everything else is set explicitly. */
const INHERITED_ENV = [
	'PATH',
	'HOME',
	'TMPDIR',
	'TMP',
	'TEMP',
	'LANG',
	'LC_ALL',
	'TZ',
	'USER',
	'LOGNAME',
];

/**
 * The settings every n8n process of the harness shares (CLI and server): SQLite in the user
 * folder, no telemetry, no calls home, nothing that nags, production mode (jest sets
 * NODE_ENV=test, which switches n8n into its own unit-test behaviour).
 */
export function baseN8nEnv(userFolder: string): Record<string, string> {
	const env: Record<string, string> = {};
	for (const name of INHERITED_ENV) {
		const value = process.env[name];
		if (value !== undefined) env[name] = value;
	}
	return {
		...env,
		NODE_ENV: 'production',
		N8N_USER_FOLDER: userFolder,
		DB_TYPE: 'sqlite',
		GENERIC_TIMEZONE: 'UTC',
		N8N_LOG_LEVEL: process.env.N8N_E2E_LOG_LEVEL ?? 'info',
		N8N_LOG_OUTPUT: 'console',
		N8N_DIAGNOSTICS_ENABLED: 'false',
		N8N_VERSION_NOTIFICATIONS_ENABLED: 'false',
		N8N_VERSION_NOTIFICATIONS_WHATS_NEW_ENABLED: 'false',
		N8N_TEMPLATES_ENABLED: 'false',
		N8N_PERSONALIZATION_ENABLED: 'false',
		N8N_DYNAMIC_BANNERS_ENABLED: 'false',
		N8N_HIRING_BANNER_ENABLED: 'false',
		N8N_AI_ENABLED: 'false',
		N8N_LICENSE_AUTO_RENEW_ENABLED: 'false',
		N8N_COMMUNITY_PACKAGES_ENABLED: 'false',
		N8N_PYTHON_ENABLED: 'false',
		N8N_PUBLIC_API_SWAGGERUI_DISABLED: 'true',
		N8N_ENFORCE_SETTINGS_FILE_PERMISSIONS: 'true',
		N8N_SECURE_COOKIE: 'false',
	};
}

/** A fresh, empty N8N_USER_FOLDER (n8n keeps its SQLite database and settings in `.n8n/`). */
export function createUserFolder(): string {
	return mkdtempSync(join(tmpdir(), 'n8n-e2e-'));
}

/** The host to run: given, by id, or the selected one (N8N_E2E_HOST). */
export function resolveHost(host: N8nHost | N8nHostId | undefined): N8nHost {
	return typeof host === 'object' ? host : n8nHost(host);
}

function assertInstalled(host: N8nHost): void {
	for (const file of [host.n8nBin, host.nodeBin]) {
		if (!existsSync(file)) {
			throw new Error(
				`${file} is missing: run \`node scripts/ensure-n8n.js\` (npm test does) ` +
					`to install ${host.label}`,
			);
		}
	}
}

function n8nEntry(host: N8nHost): string {
	return realpathSync(host.n8nBin);
}

function killGroup(pid: number, signal: NodeJS.Signals): void {
	try {
		process.kill(-pid, signal);
	} catch {
		// Already gone.
	}
}

function groupAlive(pid: number): boolean {
	try {
		process.kill(-pid, 0);
		return true;
	} catch (error) {
		return (error as NodeJS.ErrnoException).code === 'EPERM';
	}
}

/** Whether `promise` settles within `ms` (the timer is cleared either way). */
async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
	let timer: NodeJS.Timeout | undefined;
	const timeout = new Promise<boolean>((resolve) => {
		timer = setTimeout(() => resolve(false), ms);
	});
	try {
		return await Promise.race([promise.then(() => true), timeout]);
	} finally {
		clearTimeout(timer);
	}
}

function tail(text: string, lines = 60): string {
	return text.split('\n').slice(-lines).join('\n');
}

export interface CliResult {
	code: number | null;
	signal: NodeJS.Signals | null;
	/** stdout and stderr, interleaved. */
	output: string;
}

export interface CliOptions {
	/** Which n8n runs the command. Default: the selected host (N8N_E2E_HOST). */
	host?: N8nHost | N8nHostId;
	timeoutMs?: number;
	/** Resolve with a failed result instead of throwing. */
	allowFailure?: boolean;
}

/** Lines n8n's CLI prints when a command fails but still exits 0. */
const CLI_FAILURE = /GOT ERROR|Error updating database|An error occurred|Error importing|^Error:/m;

let cliRuns = 0;

/**
 * Runs `n8n <args>` against `userFolder` (before `n8n start`, or after it stopped: the CLI and
 * the server must not share the SQLite database at the same time). Output goes to a file, not
 * a pipe. Throws when the command fails, unless `allowFailure`.
 */
export async function n8nCli(
	userFolder: string,
	args: string[],
	env: Record<string, string> = {},
	options: CliOptions = {},
): Promise<CliResult> {
	const host = resolveHost(options.host);
	assertInstalled(host);
	const { timeoutMs = 180_000, allowFailure = false } = options;
	const outputFile = join(userFolder, `cli-${process.pid}-${++cliRuns}.log`);
	const fd = openSync(outputFile, 'w');
	let result: CliResult;
	try {
		const child = spawn(host.nodeBin, [n8nEntry(host), ...args], {
			cwd: host.dir,
			env: { ...baseN8nEnv(userFolder), ...env },
			stdio: ['ignore', fd, fd],
			detached: true,
		});
		const pid = child.pid;
		if (pid === undefined) throw new Error(`could not start n8n ${args.join(' ')}`);
		const exit = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>(
			(resolve, reject) => {
				const timer = setTimeout(() => {
					killGroup(pid, 'SIGKILL');
					reject(new Error(`n8n ${args.join(' ')} did not finish within ${timeoutMs} ms`));
				}, timeoutMs);
				child.once('error', (error) => {
					clearTimeout(timer);
					reject(error);
				});
				child.once('exit', (code, signal) => {
					clearTimeout(timer);
					resolve({ code, signal });
				});
			},
		);
		killGroup(pid, 'SIGKILL');
		result = { ...exit, output: readFileSync(outputFile, 'utf8') };
	} finally {
		closeSync(fd);
		rmSync(outputFile, { force: true });
	}
	if (!allowFailure && (result.code !== 0 || CLI_FAILURE.test(result.output))) {
		const how = result.signal ?? `exit ${result.code}`;
		throw new Error(`n8n ${args.join(' ')} failed (${how}):\n${tail(result.output)}`);
	}
	return result;
}

export interface StartN8nOptions {
	/** Which n8n to run. Default: the selected host (N8N_E2E_HOST). */
	host?: N8nHost | N8nHostId;
	/**
	 * `start` (default): the main instance with the editor, REST and triggers. `worker`: a
	 * queue-mode worker (needs EXECUTIONS_MODE=queue, Redis and a shared database in `env`);
	 * it serves no HTTP, so `baseUrl` is unused and readiness is its ready log line.
	 */
	command?: 'start' | 'worker';
	/**
	 * Absolute path(s) to load custom nodes from (N8N_CUSTOM_EXTENSIONS), e.g. the package's
	 * dist/. Node types load as `CUSTOM.<name>`. Leave out when the package is installed in the
	 * user folder instead (installPackedPackage).
	 */
	customExtensionsDir?: string | string[];
	/** Extra environment for n8n; wins over the harness defaults. */
	env?: Record<string, string>;
	/** Where to write n8n's log (kept after stop). Default: .n8n-run/logs/ in the repository. */
	logDir?: string;
	/**
	 * A user folder prepared with createUserFolder() and n8nCli() (imports, publish). It then
	 * belongs to the instance: stop() removes it (unless `keepUserFolder`). Default: a fresh one.
	 */
	userFolder?: string;
	/**
	 * stop() leaves the user folder in place, so n8n can be started again on the same database,
	 * encryption key and active workflows (a restart); the caller removes it when done.
	 */
	keepUserFolder?: boolean;
	/** Bound for start-up, until the ready line is logged. Default 180 s. */
	startTimeoutMs?: number;
	/** Bound for SIGTERM before SIGKILL in stop(). Default 20 s. */
	stopTimeoutMs?: number;
	/**
	 * Keep the Node process alive while n8n runs (for scripts that just wait, like the demo).
	 * Default false: in tests a forgotten instance must not hang jest.
	 */
	holdEventLoop?: boolean;
}

export interface N8nInstance {
	host: N8nHost;
	command: 'start' | 'worker';
	/** http://127.0.0.1:<port> */
	baseUrl: string;
	port: number;
	/** The task broker's port (N8N_RUNNERS_BROKER_PORT). */
	brokerPort: number;
	userFolder: string;
	pid: number;
	logFile: string;
	/** Milliseconds from spawn to ready. */
	startupMs: number;
	/** n8n's output so far. */
	logs(): string;
	/** Waits until n8n's output matches `pattern` (searching only after `fromOffset`). */
	waitForLog(pattern: RegExp | string, timeoutMs?: number, fromOffset?: number): Promise<string>;
	/** Whether the n8n process has exited. */
	hasExited(): boolean;
	/** SIGKILL to the whole process group at once (a crash); the user folder stays. */
	kill(): Promise<void>;
	/**
	 * SIGTERM, then SIGKILL after a bound, to the whole process group; removes the user folder
	 * unless started with `keepUserFolder`.
	 */
	stop(): Promise<void>;
}

const running = new Set<{ pid: number; userFolder: string }>();
let exitHookInstalled = false;

function killAllNow(): void {
	for (const instance of running) {
		killGroup(instance.pid, 'SIGKILL');
		rmSync(instance.userFolder, { recursive: true, force: true });
	}
	running.clear();
}

/**
 * Last resort against orphans (n8n runs in its own process group, so a terminal's Ctrl-C does
 * not reach it): on exit, and on SIGINT/SIGTERM/SIGHUP, SIGKILL every instance still running;
 * the signal is then re-raised with its default action.
 */
function installExitHook(): void {
	if (exitHookInstalled) return;
	exitHookInstalled = true;
	process.once('exit', killAllNow);
	for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
		const onSignal = (): void => {
			killAllNow();
			process.removeListener(signal, onSignal);
			process.kill(process.pid, signal);
		};
		process.on(signal, onSignal);
	}
}

/**
 * Starts `n8n start` (or `n8n worker`) and resolves once it is ready: the server up and active
 * workflows initialised, or the worker taking jobs.
 */
export async function startN8n(options: StartN8nOptions): Promise<N8nInstance> {
	const host = resolveHost(options.host);
	const command = options.command ?? 'start';
	assertInstalled(host);
	const extensionDirs =
		options.customExtensionsDir === undefined
			? []
			: Array.isArray(options.customExtensionsDir)
				? options.customExtensionsDir
				: [options.customExtensionsDir];
	for (const dir of extensionDirs) {
		if (!dir.startsWith('/') || !existsSync(dir) || !statSync(dir).isDirectory()) {
			throw new Error(`customExtensionsDir must be an absolute path to a directory: ${dir}`);
		}
	}
	const { startTimeoutMs = 180_000, stopTimeoutMs = 20_000 } = options;
	const userFolder = options.userFolder ?? createUserFolder();
	const [port, brokerPort] = await getFreePorts(2);
	const baseUrl = `http://127.0.0.1:${port}`;

	const logDir = options.logDir ?? join(RUN_DIR, 'logs');
	mkdirSync(logDir, { recursive: true });
	const stamp = new Date().toISOString().replace(/[:.]/g, '-');
	const logFile = join(logDir, `n8n-${host.id}-${command}-${stamp}-${port}.log`);
	const logFd = openSync(logFile, 'w');

	const env: Record<string, string> = {
		...baseN8nEnv(userFolder),
		// Never an empty string: n8n would read it as a folder.
		...(extensionDirs.length > 0 ? { N8N_CUSTOM_EXTENSIONS: extensionDirs.join(';') } : {}),
		N8N_LISTEN_ADDRESS: '127.0.0.1',
		N8N_HOST: '127.0.0.1',
		N8N_PORT: String(port),
		N8N_PROTOCOL: 'http',
		// n8n 2.41 reads N8N_WEBHOOK_URL; 2.8 only WEBHOOK_URL.
		WEBHOOK_URL: `${baseUrl}/`,
		N8N_WEBHOOK_URL: `${baseUrl}/`,
		N8N_RUNNERS_BROKER_PORT: String(brokerPort),
		N8N_RUNNERS_BROKER_LISTEN_ADDRESS: '127.0.0.1',
		N8N_GRACEFUL_SHUTDOWN_TIMEOUT: String(Math.max(1, Math.floor(stopTimeoutMs / 2000))),
		...options.env,
	};

	const started = Date.now();
	const child = spawn(host.nodeBin, [n8nEntry(host), command], {
		cwd: host.dir,
		env,
		stdio: ['ignore', logFd, logFd],
		detached: true,
	});
	closeSync(logFd);
	const pid = child.pid;
	if (pid === undefined) throw new Error('could not start n8n');
	// A forgotten instance must not keep jest alive (the exit hook kills it); a script that
	// only waits for n8n, like the demo, asks to hold the event loop.
	if (!options.holdEventLoop) child.unref();

	const { exited, exitInfo, logs } = watchChild(child, logFile);
	const entry = { pid, userFolder };
	running.add(entry);
	installExitHook();

	let stopping: Promise<void> | undefined;
	const stop = (): Promise<void> => {
		stopping ??= (async () => {
			if (exitInfo() === undefined) {
				killGroup(pid, 'SIGTERM');
				if (!(await settlesWithin(exited, stopTimeoutMs))) {
					killGroup(pid, 'SIGKILL');
					await settlesWithin(exited, 10_000);
				}
			}
			// n8n is gone; make sure its task runner is too.
			if (groupAlive(pid)) {
				killGroup(pid, 'SIGKILL');
				await waitFor(() => !groupAlive(pid), {
					timeoutMs: 10_000,
					intervalMs: 50,
					description: `process group ${pid} to end`,
				}).catch(() => undefined);
			}
			running.delete(entry);
			if (!options.keepUserFolder) {
				rmSync(userFolder, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
			}
		})();
		return stopping;
	};

	const waitForLog = async (
		pattern: RegExp | string,
		timeoutMs = 30_000,
		fromOffset = 0,
	): Promise<string> =>
		await waitFor(
			() => {
				const text = logs().slice(fromOffset);
				const match = typeof pattern === 'string' ? text.includes(pattern) : pattern.test(text);
				if (match) return text;
				if (exitInfo() !== undefined) throw new Error(`n8n exited (${exitInfo()})`);
				return undefined;
			},
			{ timeoutMs, intervalMs: 100, description: `n8n log to match ${String(pattern)}` },
		);

	try {
		const outcome = await waitFor(
			async () => {
				if (exitInfo() !== undefined) return 'exited';
				if (command === 'worker')
					return logs().includes(WORKER_READY_LOG_LINE) ? 'ready' : undefined;
				if (!logs().includes(READY_LOG_LINE)) return undefined;
				const response = await fetch(`${baseUrl}/healthz/readiness`);
				await response.arrayBuffer();
				return response.status === 200 ? 'ready' : undefined;
			},
			{
				timeoutMs: startTimeoutMs,
				intervalMs: 200,
				description: `${host.label} (${command}) to be ready at ${baseUrl}`,
			},
		);
		if (outcome === 'exited') throw new Error(`n8n exited during start-up (${exitInfo()})`);
	} catch (error) {
		await stop();
		const message = error instanceof Error ? error.message : String(error);
		throw new Error(`${message}\n--- n8n log (${logFile}) ---\n${tail(logs())}`);
	}

	const kill = async (): Promise<void> => {
		killGroup(pid, 'SIGKILL');
		await settlesWithin(exited, 10_000);
		await waitFor(() => !groupAlive(pid), {
			timeoutMs: 10_000,
			intervalMs: 50,
			description: `process group ${pid} to end`,
		});
		running.delete(entry);
	};

	return {
		host,
		command,
		baseUrl,
		port,
		brokerPort,
		userFolder,
		pid,
		logFile,
		startupMs: Date.now() - started,
		logs,
		waitForLog,
		hasExited: () => exitInfo() !== undefined,
		kill,
		stop,
	};
}
