import type { NubraLogger } from '../../client/logger';

export interface LogLine {
	level: 'debug' | 'info' | 'warn' | 'error';
	message: string;
	meta?: Record<string, unknown>;
}

/** A logger that keeps every line, with its metadata, for assertions and secret scans. */
export class RecordingLogger implements NubraLogger {
	readonly lines: LogLine[] = [];

	debug(message: string, meta?: Record<string, unknown>): void {
		this.lines.push({ level: 'debug', message, meta });
	}

	info(message: string, meta?: Record<string, unknown>): void {
		this.lines.push({ level: 'info', message, meta });
	}

	warn(message: string, meta?: Record<string, unknown>): void {
		this.lines.push({ level: 'warn', message, meta });
	}

	error(message: string, meta?: Record<string, unknown>): void {
		this.lines.push({ level: 'error', message, meta });
	}

	/** Every line as text, metadata included. */
	text(): string {
		return this.lines
			.map((line) => `${line.level} ${line.message} ${JSON.stringify(line.meta ?? {})}`)
			.join('\n');
	}
}
