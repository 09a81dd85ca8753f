/**
 * scripts/watched-run.js, which keeps a hung `npm ci` of an n8n host from eating the CI job:
 * real processes, real process groups, CPU read from /proc.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { describeEnding, runWatched } from '../../scripts/watched-run';
import { waitFor } from '../helpers/wait';

const node = process.execPath;

function alive(pid: number): boolean {
	try {
		process.kill(pid, 0);
		return true;
	} catch {
		return false;
	}
}

describe('runWatched', () => {
	let dir: string;
	beforeEach(() => {
		dir = mkdtempSync(join(tmpdir(), 'watched-run-'));
	});
	afterEach(() => rmSync(dir, { recursive: true, force: true }));

	it('passes through how a command that finishes by itself exited', async () => {
		const failed = await runWatched(node, ['-e', 'process.exit(3)'], { stallMs: 60_000 });
		expect(failed).toMatchObject({ ended: 'exit', code: 3, signal: null });

		const passed = await runWatched(node, ['-e', ''], { stallMs: 60_000 });
		expect(passed).toMatchObject({ ended: 'exit', code: 0 });
	});

	it('ends a run that waits on nothing, with everything it started, and says what was running', async () => {
		const pidFile = join(dir, 'sleeper.pid');
		const lines: string[] = [];
		const options = { stallMs: 1_200, stallCpuMs: 200, sampleMs: 100, heartbeatMs: 300 };
		const result = await runWatched('sh', ['-c', `sleep 600 & echo $! > ${pidFile}; wait`], {
			...options,
			label: 'idle shell',
			log: (line) => lines.push(line),
		});

		expect(result.ended).toBe('stalled');
		if (result.ended !== 'stalled') return;
		expect(result.ms).toBeGreaterThanOrEqual(1_200);
		expect(result.processes.map((member) => member.command)).toContain('sleep 600');
		expect(lines.some((line) => line.startsWith('idle shell: still running after'))).toBe(true);

		const sleeper = Number(readFileSync(pidFile, 'utf8'));
		await waitFor(() => !alive(sleeper), 15_000, `the grandchild sleep (pid ${sleeper}) to end`);

		const told = describeEnding('idle shell', result, options);
		expect(told).toMatch(/^idle shell used under 200 ms of CPU in 0\.0 min after \d+\.\d min/);
		expect(told).toContain('sleep 600');
	});

	it('leaves a busy run alone until its time limit', async () => {
		const result = await runWatched(node, ['-e', 'for (;;) {}'], {
			limitMs: 3_000,
			stallMs: 800,
			stallCpuMs: 100,
			sampleMs: 100,
		});

		expect(result.ended).toBe('time-limit');
		if (result.ended !== 'time-limit') return;
		expect(result.ms).toBeGreaterThanOrEqual(3_000);
		expect(result.cpuMs).toBeGreaterThan(100);
		expect(describeEnding('spinner', result, { limitMs: 3_000 })).toMatch(
			/^spinner ran into its 0\.1 min limit after/,
		);
	});

	it('reports a command that cannot start instead of throwing', async () => {
		const result = await runWatched(join(dir, 'no-such-command'), [], {});
		expect(result.ended).toBe('spawn-error');
	});
});
