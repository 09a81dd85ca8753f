import type { RunningSimulator } from '../simulator';
import type { NubraApiVersion } from '../simulator/types';
import { BareClient, Countdown, openPipeline } from './clients';
import type { FeedProcess } from './feed-client';
import { distribution, round, type Distribution } from './stats';

export interface LatencyResult {
	version: NubraApiVersion;
	ratePerSecond: number;
	frames: number;
	/** Pipeline: `DeliveredEvent.receivedAtMono` → handler entry (decode, normalise, dedup, filter, queue). ms. */
	pipelineInProcess: Distribution;
	/** Feed write → handler entry, across processes (epoch clocks of one host). ms. */
	pipelineEndToEnd: Distribution;
	/** Bare client: feed write → `message` callback. ms. */
	bareEndToEnd: Distribution;
}

function epochNow(): number {
	return performance.timeOrigin + performance.now();
}

function roundDistribution(d: Distribution): Distribution {
	return { samples: d.samples, p50: round(d.p50, 3), p99: round(d.p99, 3), max: round(d.max, 3) };
}

/**
 * A steady `ratePerSecond` for `frames / ratePerSecond` seconds, paced by the feed process one
 * frame per write, first to a bare client and then through the pipeline.
 */
export async function measureLatency(
	sim: RunningSimulator,
	feed: FeedProcess,
	options: {
		version: NubraApiVersion;
		ratePerSecond: number;
		frames: number;
		log: (line: string) => void;
	},
): Promise<LatencyResult> {
	const name = `latency-${options.version}`;
	const prepared = await feed.request(
		{ type: 'prepare', name, seed: 11, count: options.frames, version: options.version },
		'prepared',
	);
	const timeoutMs = (prepared.frames / options.ratePerSecond) * 1000 + 30_000;

	const bareAt: number[] = [];
	const bareDone = new Countdown(prepared.frames, timeoutMs, 'bare latency run');
	let subscriptions = feed.subscriptions;
	const bare = await BareClient.open(feed.url, () => {
		bareAt.push(epochNow());
		bareDone.tick();
	});
	let bareSent: number[];
	try {
		await feed.waitForSubscriptions(subscriptions + 1);
		bareSent = (
			await feed.request({ type: 'pace', name, ratePerSecond: options.ratePerSecond }, 'paced')
		).sentAtEpochMs;
		await bareDone.done;
	} finally {
		bareDone.cancel();
		await bare.close();
	}

	const inProcess: number[] = [];
	const pipelineAt: number[] = [];
	const pipelineDone = new Countdown(prepared.frames, timeoutMs, 'pipeline latency run');
	subscriptions = feed.subscriptions;
	const stream = await openPipeline(sim, feed, {
		// Measured at handler entry, before the item is shaped: "handed to the handler".
		onEntry: (delivered) => {
			inProcess.push(performance.now() - delivered.receivedAtMono);
			pipelineAt.push(epochNow());
		},
		onItem: () => pipelineDone.tick(),
	});
	let pipelineSent: number[];
	try {
		await feed.waitForSubscriptions(subscriptions + 1);
		pipelineSent = (
			await feed.request({ type: 'pace', name, ratePerSecond: options.ratePerSecond }, 'paced')
		).sentAtEpochMs;
		await pipelineDone.done;
	} finally {
		pipelineDone.cancel();
		await stream.close();
	}
	options.log(
		`latency ${options.version}: ${prepared.frames} frames at ${options.ratePerSecond}/s, twice`,
	);
	return {
		version: options.version,
		ratePerSecond: options.ratePerSecond,
		frames: prepared.frames,
		pipelineInProcess: roundDistribution(distribution(inProcess)),
		pipelineEndToEnd: roundDistribution(
			distribution(pipelineAt.map((at, i) => at - pipelineSent[i])),
		),
		bareEndToEnd: roundDistribution(distribution(bareAt.map((at, i) => at - bareSent[i]))),
	};
}
