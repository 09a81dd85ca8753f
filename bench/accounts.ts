import { NubraAccounts } from '../client/accounts';
import { createNubraStream } from '../client/connect';
import { shapeEventItem } from '../client/shape';
import type { OrderSubscription } from '../client/stream';
import type { RunningSimulator } from '../simulator';
import type { NubraApiVersion } from '../simulator/types';
import { BENCH_SHAPE, benchCredentials, benchFilter, BURST_POLL_MS, framesTaken } from './clients';
import type { FeedProcess } from './feed-client';
import { round } from './stats';
import { waitFor } from '../tools/n8n-host/wait';

export interface SharedAccountRow {
	/** Triggers (subscriptions) on one account. */
	triggers: number;
	frames: number;
	/** Sockets the feed saw for them: 1 whatever the number of triggers. */
	sockets: number;
	/** Logins the simulator counted for them: 1 whatever the number of triggers. */
	logins: number;
	/** Frames decoded by the shared connection, per frame sent: 1. */
	decodesPerFrame: number;
	/** Process CPU per frame of the burst (every trigger's work included), µs. */
	cpuPerFrameUs: number;
	/** Process CPU per event handed to a trigger, µs. */
	cpuPerDeliveredEventUs: number;
	/** cpuPerFrameUs against the one-trigger row: below `triggers` because decoding is shared. */
	cpuRatioToOneTrigger: number;
	/** Heap in use at the end of the burst, MiB. */
	heapMiB: number;
}

export interface SharedAccountOptions {
	triggers: number[];
	frames: number;
	version: NubraApiVersion;
	log: (line: string) => void;
}

const BURST_TIMEOUT_MS = 180_000;

/**
 * N triggers on one account, as N workflows on one credential: one login, one socket, each
 * frame decoded once and handed to every trigger, which filters, deduplicates and shapes it.
 * The same burst for each N; CPU per frame and per delivered event, and the heap.
 */
export async function measureSharedAccount(
	sim: RunningSimulator,
	feed: FeedProcess,
	options: SharedAccountOptions,
): Promise<SharedAccountRow[]> {
	const name = `accounts-${options.version}`;
	const prepared = await feed.request(
		{ type: 'prepare', name, seed: 11, count: options.frames, version: options.version },
		'prepared',
	);
	const rows: SharedAccountRow[] = [];
	// The first pass warms the JIT up and is not reported.
	for (const [pass, triggers] of [options.triggers[0], ...options.triggers].entries()) {
		const accounts = new NubraAccounts();
		const loginsBefore = sim.control.sessionCounts.logins;
		const socketsBefore = feed.subscriptions;
		const subscriptions: OrderSubscription[] = [];
		try {
			for (let i = 0; i < triggers; i++) {
				const subscription = await createNubraStream({
					credentials: () => benchCredentials(sim, feed),
					accounts,
					filter: benchFilter(),
					maxReconnectAttempts: 1,
				});
				subscription.onEvent((delivered) => {
					shapeEventItem(delivered, BENCH_SHAPE);
				});
				await subscription.start();
				subscriptions.push(subscription);
			}
			await feed.waitForSubscriptions(socketsBefore + 1);
			const cpu = process.cpuUsage();
			await feed.request({ type: 'blast', name }, 'blasted');
			await waitFor(
				() =>
					subscriptions.every((subscription) => framesTaken(subscription.stats) >= prepared.frames),
				{
					timeoutMs: BURST_TIMEOUT_MS,
					intervalMs: BURST_POLL_MS,
					description: `${triggers} triggers to take ${prepared.frames} frames`,
				},
			);
			const used = process.cpuUsage(cpu);
			const cpuUs = used.user + used.system;
			const delivered = subscriptions.reduce(
				(sum, subscription) => sum + subscription.stats.eventsDelivered,
				0,
			);
			const cpuPerFrameUs = cpuUs / prepared.frames;
			if (pass === 0) continue;
			rows.push({
				triggers,
				frames: prepared.frames,
				sockets: feed.subscriptions - socketsBefore,
				logins: sim.control.sessionCounts.logins - loginsBefore,
				decodesPerFrame: round(subscriptions[0].stats.framesReceived / prepared.frames, 2),
				cpuPerFrameUs: round(cpuPerFrameUs, 1),
				cpuPerDeliveredEventUs: round(cpuUs / Math.max(1, delivered), 1),
				cpuRatioToOneTrigger:
					rows.length === 0 ? 1 : round(cpuPerFrameUs / rows[0].cpuPerFrameUs, 2),
				heapMiB: round(process.memoryUsage().heapUsed / 1024 ** 2, 1),
			});
			options.log(
				`shared account: ${triggers} trigger(s), ${round(cpuPerFrameUs, 1)} µs CPU per frame`,
			);
		} finally {
			await Promise.all(subscriptions.map((subscription) => subscription.close()));
		}
	}
	return rows;
}
