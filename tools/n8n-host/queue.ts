/**
 * n8n in queue mode, as users scale it: Redis (Bull) queues the executions, PostgreSQL holds
 * everything, one main instance runs the triggers and the editor, workers run the executions.
 * Every process shares one encryption key and loads the package. The settings are the ones
 * examples/queue-mode/docker-compose.yml uses.
 */
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';

import {
	createUserFolder,
	resolveHost,
	startN8n,
	type N8nInstance,
	type StartN8nOptions,
} from './n8n';
import { startPostgres, startRedis, type RunningPostgres, type RunningService } from './services';
import { startN8nWith, type StartedN8n, type StartN8nWithOptions } from './start';

/** How fast a dead worker's jobs count as stalled (n8n's defaults: 30 s lock, 30 s check). */
const WORKER_LOCK_MS = 5_000;
/**
 * Minutes between n8n's checks for executions whose job is gone (a dead worker's), which it
 * then marks crashed (n8n's default: 180).
 */
const QUEUE_RECOVERY_MINUTES = 1;
/** Connections per n8n process (n8n's default, 2, starves its health ping under a burst). */
const POSTGRES_POOL_SIZE = 10;

/** The environment every process of one queue-mode setup shares (main, workers and CLI). */
export function queueModeEnv(
	redis: RunningService,
	postgres: RunningPostgres,
	encryptionKey: string,
): Record<string, string> {
	return {
		EXECUTIONS_MODE: 'queue',
		QUEUE_BULL_REDIS_HOST: redis.host,
		QUEUE_BULL_REDIS_PORT: String(redis.port),
		DB_TYPE: 'postgresdb',
		DB_POSTGRESDB_HOST: postgres.host,
		DB_POSTGRESDB_PORT: String(postgres.port),
		DB_POSTGRESDB_DATABASE: postgres.database,
		DB_POSTGRESDB_USER: postgres.user,
		DB_POSTGRESDB_PASSWORD: '',
		DB_POSTGRESDB_POOL_SIZE: String(POSTGRES_POOL_SIZE),
		N8N_ENCRYPTION_KEY: encryptionKey,
		OFFLOAD_MANUAL_EXECUTIONS_TO_WORKERS: 'true',
		QUEUE_WORKER_LOCK_DURATION: String(WORKER_LOCK_MS),
		QUEUE_WORKER_LOCK_RENEW_TIME: String(WORKER_LOCK_MS / 2),
		QUEUE_WORKER_STALLED_INTERVAL: String(WORKER_LOCK_MS),
		N8N_EXECUTIONS_QUEUE_RECOVERY_INTERVAL: String(QUEUE_RECOVERY_MINUTES),
	};
}

export interface QueueModeOptions extends Omit<
	StartN8nWithOptions,
	'userFolder' | 'keepUserFolder'
> {
	/** How many workers. Default 2. */
	workers?: number;
	/** Extra environment per process: `main`, `worker-1`, `worker-2`, … */
	processEnv?: (name: string) => Record<string, string>;
}

export interface QueueMode {
	redis: RunningService;
	postgres: RunningPostgres;
	/** The shared environment (queueModeEnv plus the caller's `env`). */
	env: Record<string, string>;
	/** The main instance (the current one after restartMain()). */
	readonly main: StartedN8n;
	workers: N8nInstance[];
	/**
	 * Starts the main again on the same user folder and database (after a stop or kill):
	 * the workflows it had active are activated again.
	 */
	restartMain(): Promise<StartedN8n>;
	/** Stops the main, the workers, PostgreSQL and Redis, and removes their folders. */
	stop(): Promise<void>;
}

export async function startQueueMode(options: QueueModeOptions): Promise<QueueMode> {
	const host = resolveHost(options.host);
	const { workers: workerCount = 2, processEnv = () => ({}) } = options;
	const cleanups: Array<() => Promise<void>> = [];
	const stop = async (): Promise<void> => {
		while (cleanups.length > 0) await (cleanups.pop() as () => Promise<void>)();
	};
	try {
		const [redis, postgres] = await Promise.all([startRedis(), startPostgres()]);
		cleanups.push(
			() => redis.stop(),
			() => postgres.stop(),
		);
		const env = {
			...queueModeEnv(redis, postgres, randomBytes(24).toString('hex')),
			...options.env,
		};
		const mainFolder = createUserFolder();
		let mainStopped: Promise<void> = Promise.resolve();
		const shared: StartN8nOptions = {
			host,
			customExtensionsDir: options.customExtensionsDir,
			startTimeoutMs: options.startTimeoutMs,
			stopTimeoutMs: options.stopTimeoutMs,
		};
		// The CLI imports into PostgreSQL (and runs its migrations) before any process starts.
		const startWorker = (index: number): Promise<N8nInstance> =>
			startN8n({ ...shared, command: 'worker', env: { ...env, ...processEnv(`worker-${index}`) } });

		let main: StartedN8n | undefined;
		const startMain = async (first: boolean): Promise<StartedN8n> => {
			await mainStopped;
			main = undefined;
			main = await startN8nWith({
				...options,
				...shared,
				env: { ...env, ...processEnv('main') },
				userFolder: mainFolder,
				keepUserFolder: true,
				...(first
					? {}
					: { credentials: [], workflows: [], owner: { ...options.owner, existing: true } }),
			});
			return main;
		};
		cleanups.push(async () => {
			await main?.n8n.stop();
			rmSync(mainFolder, { recursive: true, force: true });
		});
		let current = await startMain(true);
		const workers = await Promise.all(
			Array.from({ length: workerCount }, (_, i) => startWorker(i + 1)),
		);
		for (const worker of workers) cleanups.push(() => worker.stop());
		return {
			redis,
			postgres,
			env,
			get main() {
				return current;
			},
			workers,
			restartMain: async () => {
				mainStopped = current.n8n.stop();
				current = await startMain(false);
				return current;
			},
			stop,
		};
	} catch (error) {
		await stop();
		throw error;
	}
}
