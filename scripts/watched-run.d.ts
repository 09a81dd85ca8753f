// Types for scripts/watched-run.js, which stays plain Node so that it runs before any build.

export interface WatchedProcess {
	pid: number;
	/** The state letter from /proc/<pid>/stat: R running, S sleeping, D disk wait, Z zombie. */
	state: string;
	cpuMs: number;
	command: string;
}

export interface WatchOptions {
	cwd?: string;
	env?: NodeJS.ProcessEnv;
	label?: string;
	log?: (line: string) => void;
	limitMs?: number;
	stallMs?: number;
	stallCpuMs?: number;
	sampleMs?: number;
	heartbeatMs?: number;
}

export type WatchedResult =
	| { ended: 'exit'; code: number | null; signal: NodeJS.Signals | null; ms: number }
	| {
			ended: 'stalled' | 'time-limit';
			ms: number;
			cpuMs: number;
			processes: WatchedProcess[];
	  }
	| { ended: 'spawn-error'; error: Error; ms: number };

export function runWatched(
	command: string,
	args: string[],
	options: WatchOptions,
): Promise<WatchedResult>;

export function describeEnding(
	label: string,
	result: Extract<WatchedResult, { ended: 'stalled' | 'time-limit' }>,
	options: Pick<WatchOptions, 'limitMs' | 'stallMs' | 'stallCpuMs'>,
): string;
