/**
 * `npm run bench` (table) or `npm run bench -- --json` (one JSON object): throughput, latency
 * and memory of the whole pipeline against a bare `ws` client, all in one run on 127.0.0.1.
 *
 *   --n8n              also a burst through an active workflow in the pinned n8n, in regular
 *                      mode and in queue mode (main + 2 workers, Redis, PostgreSQL), each beside
 *                      n8n's Webhook trigger as the baseline (minutes; N8N_E2E_HOST picks the host)
 *   --only=a,b         run only these sections: stages, throughput, latency, memory, accounts, n8n
 *   --frames=N         frames per generation for throughput (default 50 000)
 *   --repeats=N        measured bursts per side and generation (default 3)
 *   --n8n-events=N     events in the n8n burst (default 2 000)
 *
 * Profiling: `node --cpu-prof --cpu-prof-dir=.n8n-run/prof dist-tools/bench/run.js --only=throughput`,
 * then `node dist-tools/bench/profile-top.js .n8n-run/prof`.
 */
import { cpus, totalmem } from 'node:os';

import { startSimulator } from '../simulator';
import { measureSharedAccount, type SharedAccountRow } from './accounts';
import { FeedProcess } from './feed-client';
import { measureLatency, type LatencyResult } from './latency';
import { measureMemory, type MemoryPass } from './memory';
import { measureN8n, type N8nResult } from './n8n';
import { printTable } from './report';
import { measureSnapshot, measureStages, type SnapshotRow, type StageRow } from './stages';
import { round } from './stats';
import { measureThroughput, type ThroughputRow } from './throughput';

type Section = 'stages' | 'throughput' | 'latency' | 'memory' | 'accounts' | 'n8n';

export interface MachineInfo {
	cpu: string;
	cores: number;
	memoryGiB: number;
	node: string;
	platform: string;
}

export interface BenchResult {
	machine: MachineInfo;
	startedAt: string;
	durationMs: number;
	stages?: StageRow[];
	snapshot?: SnapshotRow;
	throughput?: ThroughputRow[];
	latency?: LatencyResult;
	memory?: MemoryPass[];
	accounts?: SharedAccountRow[];
	n8n?: N8nResult | { skipped: string };
}

interface Args {
	json: boolean;
	sections: Set<Section>;
	frames: number;
	repeats: number;
	n8nEvents: number;
}

function parseArgs(argv: readonly string[]): Args {
	const value = (name: string): string | undefined =>
		argv.find((arg) => arg.startsWith(`--${name}=`))?.slice(name.length + 3);
	const count = (name: string, fallback: number): number => {
		const raw = value(name);
		const parsed = raw === undefined ? fallback : Number(raw);
		if (!Number.isInteger(parsed) || parsed < 1)
			throw new RangeError(`--${name} needs a positive whole number`);
		return parsed;
	};
	const all: Section[] = ['stages', 'throughput', 'latency', 'memory', 'accounts', 'n8n'];
	const only = value('only');
	const sections = new Set<Section>(
		only === undefined
			? all.filter((section) => section !== 'n8n' || argv.includes('--n8n'))
			: only.split(',').map((name) => {
					if (!all.includes(name as Section)) throw new RangeError(`Unknown section ${name}`);
					return name as Section;
				}),
	);
	return {
		json: argv.includes('--json'),
		sections,
		frames: count('frames', 50_000),
		repeats: count('repeats', 3),
		n8nEvents: count('n8n-events', 2_000),
	};
}

export function machineInfo(): MachineInfo {
	const list = cpus();
	return {
		cpu: list[0]?.model.trim() ?? 'unknown',
		cores: list.length,
		memoryGiB: round(totalmem() / 1024 ** 3, 1),
		node: process.version,
		platform: `${process.platform} ${process.arch}`,
	};
}

async function main(): Promise<void> {
	const args = parseArgs(process.argv.slice(2));
	const log = (line: string) => {
		if (!args.json) process.stderr.write(`· ${line}\n`);
	};
	const started = Date.now();
	const result: BenchResult = {
		machine: machineInfo(),
		startedAt: new Date(started).toISOString(),
		durationMs: 0,
	};
	if (args.sections.has('stages')) {
		log('stages: each step of the per-frame path alone, 20 000 frames per generation');
		result.stages = measureStages({ frames: 20_000, versions: ['v1', 'v2', 'v3'] });
		log('stages: the tracker snapshot the node takes at every emit, with a busy day remembered');
		result.snapshot = measureSnapshot({ changes: 125_000 });
	}
	const sim = await startSimulator({});
	const feed = await FeedProcess.start();
	try {
		if (args.sections.has('throughput')) {
			result.throughput = await measureThroughput(sim, feed, {
				frames: args.frames,
				repeats: args.repeats,
				versions: ['v1', 'v2', 'v3'],
				log,
			});
		}
		if (args.sections.has('latency')) {
			result.latency = await measureLatency(sim, feed, {
				version: 'v3',
				ratePerSecond: 1_000,
				frames: 5_000,
				log,
			});
		}
		if (args.sections.has('memory')) {
			result.memory = await measureMemory(sim, feed, {
				events: 100_000,
				smallMaxOrders: 2_000,
				log,
			});
		}
		if (args.sections.has('accounts')) {
			log('shared account: 1, 10 and 50 triggers on one credential, 5 000 v3 frames each');
			result.accounts = await measureSharedAccount(sim, feed, {
				triggers: [1, 10, 50],
				frames: 5_000,
				version: 'v3',
				log,
			});
		}
	} finally {
		await feed.stop();
		await sim.close();
	}
	if (args.sections.has('n8n')) result.n8n = await measureN8n({ events: args.n8nEvents, log });
	result.durationMs = Date.now() - started;
	if (args.json) process.stdout.write(`${JSON.stringify(result)}\n`);
	else printTable(result, (line) => process.stdout.write(`${line}\n`));
}

if (require.main === module) {
	main().catch((error: unknown) => {
		process.stderr.write(
			`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
		);
		process.exitCode = 1;
	});
}
