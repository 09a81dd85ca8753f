/*
 * Runs a command the way a CI step should: its output passes through, a line every so often
 * says it is still going, and a run that hangs is ended instead of eating the job's time.
 *
 * Made for `npm ci` of the n8n hosts. npm is known to hang now and then, during reify or after
 * its last line, and a CI run of this repository was once killed at its 90-minute limit inside
 * that install. With `--loglevel=warn` npm prints nothing while it works, so silence does not
 * mean hung. CPU does: a process group that used next to no CPU over a whole stall window is
 * waiting for something that will not come (a working npm extracts, hashes or compiles).
 *
 * The command runs in its own process group, so ending it also ends what it started
 * (install scripts, node-gyp, make). CPU is read from /proc; where there is none, only the
 * time limit applies.
 *
 * Plain Node, no dependencies.
 */
'use strict';

const { spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');

const KILL_GRACE_MS = 10_000;

function clockTicksPerSecond() {
	const printed = spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout;
	const ticks = Number.parseInt(printed ?? '', 10);
	return Number.isInteger(ticks) && ticks > 0 ? ticks : 100;
}

let ticksPerSecond;

/**
 * The processes of one process group, from /proc: pid, state, CPU used (its own and that of
 * its reaped children, so a child that exits does not take its CPU time with it) and command
 * line. Null where /proc cannot be read.
 */
function processGroup(groupId) {
	let entries;
	try {
		entries = fs.readdirSync('/proc');
	} catch {
		return null;
	}
	ticksPerSecond ??= clockTicksPerSecond();
	const members = [];
	for (const entry of entries) {
		if (!/^\d+$/.test(entry)) continue;
		let stat;
		try {
			stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
		} catch {
			continue; // Gone between the listing and the read.
		}
		// The command name sits in parentheses and may itself hold spaces or parentheses.
		const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
		if (Number(fields[2]) !== groupId) continue;
		const ticks = [11, 12, 13, 14].reduce((sum, index) => sum + Number(fields[index]), 0);
		let commandLine = '';
		try {
			commandLine = fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').join(' ');
		} catch {
			// Exited meanwhile.
		}
		members.push({
			pid: Number(entry),
			state: fields[0],
			cpuMs: (ticks * 1000) / ticksPerSecond,
			command: commandLine.trim().slice(0, 160),
		});
	}
	return members;
}

function signalGroup(groupId, signal) {
	try {
		process.kill(-groupId, signal);
	} catch {
		// Already gone.
	}
}

function minutes(ms) {
	return `${(ms / 60_000).toFixed(1)} min`;
}

/**
 * Runs `command args` in `cwd` and resolves, never rejects, with how it ended:
 * - `{ ended: 'exit', code, signal, ms }` when it exited by itself;
 * - `{ ended: 'stalled' | 'time-limit', ms, cpuMs, processes }` when it was ended here, with
 *   the processes its group had at that moment (for the log: what was it waiting on?);
 * - `{ ended: 'spawn-error', error, ms }` when it could not start.
 *
 * Options: `limitMs` (end it after this long whatever it does), `stallMs` and `stallCpuMs`
 * (end it when its group used less CPU than that over a window that long), `sampleMs` (how
 * often CPU is read), `heartbeatMs` (how often `log` hears that it is still running),
 * `label` (how `log` names it), `env`.
 */
function runWatched(command, args, options) {
	const {
		cwd,
		env = process.env,
		label = command,
		log = () => {},
		limitMs = Infinity,
		stallMs = Infinity,
		stallCpuMs = 500,
		sampleMs = 15_000,
		heartbeatMs = 60_000,
	} = options;
	const started = Date.now();
	return new Promise((resolve) => {
		const child = spawn(command, args, {
			cwd,
			env,
			detached: true,
			stdio: ['ignore', 'inherit', 'inherit'],
		});
		const timers = [];
		let endedHere = null;
		let latestCpuMs = 0;
		let killTimer;

		// Ctrl-C or a CI cancel reaches this process's group, not the child's own: pass it on.
		const onSignal = (signal) => {
			signalGroup(child.pid, 'SIGKILL');
			process.exit(signal === 'SIGINT' ? 130 : 143);
		};
		const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'];
		for (const signal of signals) process.on(signal, onSignal);

		const finish = (result) => {
			for (const timer of timers) clearTimeout(timer); // Node clears intervals with it too.
			clearTimeout(killTimer);
			for (const signal of signals) process.off(signal, onSignal);
			resolve({ ...result, ms: Date.now() - started });
		};

		const end = (reason) => {
			if (endedHere) return;
			const processes = processGroup(child.pid) ?? [];
			endedHere = { ended: reason, cpuMs: latestCpuMs, processes };
			signalGroup(child.pid, 'SIGTERM');
			killTimer = setTimeout(() => signalGroup(child.pid, 'SIGKILL'), KILL_GRACE_MS);
		};

		child.on('error', (error) => finish({ ended: 'spawn-error', error }));
		child.on('exit', (code, signal) => {
			// What it left behind in its group goes with it.
			signalGroup(child.pid, 'SIGKILL');
			finish(endedHere ?? { ended: 'exit', code, signal });
		});
		if (child.pid === undefined) return;

		const samples = [];
		timers.push(
			setInterval(() => {
				const group = processGroup(child.pid);
				if (group === null) return;
				const at = Date.now();
				latestCpuMs = group.reduce((sum, member) => sum + member.cpuMs, 0);
				if (!Number.isFinite(stallMs)) return;
				samples.push({ at, cpuMs: latestCpuMs });
				// Keep the newest sample that is a whole window old, and everything after it.
				while (samples.length > 1 && at - samples[1].at >= stallMs) samples.shift();
				const base = samples[0];
				if (at - base.at >= stallMs && latestCpuMs - base.cpuMs < stallCpuMs) end('stalled');
			}, sampleMs),
		);
		if (Number.isFinite(limitMs)) timers.push(setTimeout(() => end('time-limit'), limitMs));
		if (Number.isFinite(heartbeatMs)) {
			timers.push(
				setInterval(() => {
					const cpu = `${(latestCpuMs / 1000).toFixed(1)} s of CPU`;
					log(`${label}: still running after ${minutes(Date.now() - started)} (${cpu})`);
				}, heartbeatMs),
			);
		}
	});
}

/** One line on how a watched run that was ended here ended, and what it was doing. */
function describeEnding(label, result, options) {
	const why =
		result.ended === 'stalled'
			? `used under ${options.stallCpuMs ?? 500} ms of CPU in ${minutes(options.stallMs)}`
			: `ran into its ${minutes(options.limitMs)} limit`;
	const doing = result.processes
		.map((member) => `${member.pid} [${member.state}] ${member.command}`)
		.join('; ');
	return `${label} ${why} after ${minutes(result.ms)} and was ended; its processes then: ${doing || 'none'}`;
}

module.exports = { runWatched, describeEnding };
