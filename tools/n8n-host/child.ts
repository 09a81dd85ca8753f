/** What the tooling watches of a process it started detached, with its output in a log file. */
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';

export interface WatchedChild {
	/** Resolves when the process has exited or could not be spawned. */
	exited: Promise<void>;
	/** How it ended (`SIGTERM`, `exit 1`, `spawn error: …`); undefined while it runs. */
	exitInfo(): string | undefined;
	/** The log file's text so far ('' before it exists). */
	logs(): string;
}

export function watchChild(child: ChildProcess, logFile: string): WatchedChild {
	let exitInfo: string | undefined;
	const exited = new Promise<void>((resolve) => {
		child.once('exit', (code, signal) => {
			exitInfo = signal ?? `exit ${code}`;
			resolve();
		});
		child.once('error', (error) => {
			exitInfo = `spawn error: ${error.message}`;
			resolve();
		});
	});
	return {
		exited,
		exitInfo: () => exitInfo,
		logs: () => {
			try {
				return readFileSync(logFile, 'utf8');
			} catch {
				return '';
			}
		},
	};
}
