import type { RunningSimulator } from '../simulator';
import type { NubraApiVersion } from '../simulator/types';
import { BareClient, BURST_POLL_MS, Countdown, framesTaken, openPipeline } from './clients';
import type { FeedProcess } from './feed-client';
import { median, round } from './stats';
import { waitFor } from '../tools/n8n-host/wait';

export interface ThroughputRow {
	version: NubraApiVersion;
	frames: number;
	orders: number;
	/** Mean payload size, bytes. */
	frameBytes: number;
	bareEventsPerSecond: number;
	pipelineEventsPerSecond: number;
	/** pipeline ÷ bare: the share of the ceiling the whole pipeline keeps. */
	ratio: number;
	/**
	 * The lowest and highest ratio of one repeat (its pipeline burst ÷ the bare burst just
	 * before it): how far this host moves the figure between bursts.
	 */
	ratioPerRepeat: { min: number; max: number };
	/**
	 * CPU time this process spent per frame during a burst (median), bare and pipeline: what
	 * each side costs, whatever share of the cores the other processes on the machine left it.
	 */
	bareCpuUsPerFrame: number;
	pipelineCpuUsPerFrame: number;
	/** Distinct ledger changes the tracker took for repeats (should be 0). */
	duplicatesSuppressed: number;
	/** CPU the feed process spent writing a burst, as a share of the bare client's wall time. */
	feedCpuShare: number;
	repeats: number;
}

export interface ThroughputOptions {
	frames: number;
	repeats: number;
	versions: NubraApiVersion[];
	log: (line: string) => void;
}

const BURST_TIMEOUT_MS = 120_000;

function cpuMicros(): number {
	const usage = process.cpuUsage();
	return usage.user + usage.system;
}

/** Events per second between the first frame read and the last event handled. */
function rate(count: number, firstMs: number, lastMs: number): number {
	return lastMs > firstMs ? ((count - 1) * 1000) / (lastMs - firstMs) : 0;
}

async function bareBurst(
	feed: FeedProcess,
	name: string,
	frames: number,
): Promise<{ eventsPerSecond: number; feedCpuMs: number; wallMs: number; cpuUsPerFrame: number }> {
	const countdown = new Countdown(frames, BURST_TIMEOUT_MS, `bare client (${name})`);
	let first = 0;
	let last = 0;
	const subscriptions = feed.subscriptions;
	const client = await BareClient.open(feed.url, () => {
		if (countdown.count === 0) first = performance.now();
		countdown.tick();
		last = performance.now();
	});
	try {
		await feed.waitForSubscriptions(subscriptions + 1);
		const cpuBefore = cpuMicros();
		const sent = feed.request({ type: 'blast', name }, 'blasted');
		await countdown.done;
		const cpuUsPerFrame = (cpuMicros() - cpuBefore) / frames;
		const reply = await sent;
		return {
			eventsPerSecond: rate(frames, first, last),
			feedCpuMs: reply.cpuMs,
			wallMs: last - first,
			cpuUsPerFrame,
		};
	} finally {
		countdown.cancel();
		await client.close();
	}
}

/**
 * Every frame of the burst goes through decode and dedup; the rate counts frames, and the
 * burst ends when each one was delivered, filtered or suppressed as a duplicate.
 */
async function pipelineBurst(
	sim: RunningSimulator,
	feed: FeedProcess,
	name: string,
	frames: number,
): Promise<{ eventsPerSecond: number; duplicates: number; cpuUsPerFrame: number }> {
	let first = 0;
	let last = 0;
	let shaped = 0;
	const subscriptions = feed.subscriptions;
	const stream = await openPipeline(sim, feed, {
		onItem: (delivered, item) => {
			if (shaped === 0) first = delivered.receivedAtMono;
			if (item.order_id !== undefined) shaped++;
			last = performance.now();
		},
	});
	try {
		await feed.waitForSubscriptions(subscriptions + 1);
		const cpuBefore = cpuMicros();
		await feed.request({ type: 'blast', name }, 'blasted');
		await waitFor(() => framesTaken(stream.stats) >= frames, {
			timeoutMs: BURST_TIMEOUT_MS,
			intervalMs: BURST_POLL_MS,
			description: `the pipeline to take ${frames} frames (${name})`,
		});
		const cpuUsPerFrame = (cpuMicros() - cpuBefore) / frames;
		const s = stream.stats;
		if (shaped !== s.eventsDelivered)
			throw new Error(`shaped ${shaped} items for ${s.eventsDelivered} events`);
		return {
			eventsPerSecond: rate(frames, first, last),
			duplicates: s.duplicatesSuppressed,
			cpuUsPerFrame,
		};
	} finally {
		await stream.close();
	}
}

/**
 * For each generation: the same burst of frames to a bare `ws` client and through the whole
 * pipeline, alternately, `repeats` times after one warm-up of each; the median of each side.
 */
export async function measureThroughput(
	sim: RunningSimulator,
	feed: FeedProcess,
	options: ThroughputOptions,
): Promise<ThroughputRow[]> {
	const rows: ThroughputRow[] = [];
	for (const version of options.versions) {
		const name = `throughput-${version}`;
		const prepared = await feed.request(
			{ type: 'prepare', name, seed: 7, count: options.frames, version },
			'prepared',
		);
		options.log(
			`throughput ${version}: ${prepared.frames} frames of ${prepared.orders} orders encoded in ${Math.round(prepared.encodeMs)} ms`,
		);
		await bareBurst(feed, name, prepared.frames);
		await pipelineBurst(sim, feed, name, prepared.frames);
		const bare: number[] = [];
		const pipeline: number[] = [];
		const feedShare: number[] = [];
		const bareCpu: number[] = [];
		const pipelineCpu: number[] = [];
		let duplicates = 0;
		for (let repeat = 0; repeat < options.repeats; repeat++) {
			const burst = await bareBurst(feed, name, prepared.frames);
			bare.push(burst.eventsPerSecond);
			feedShare.push(burst.feedCpuMs / burst.wallMs);
			bareCpu.push(burst.cpuUsPerFrame);
			const burst2 = await pipelineBurst(sim, feed, name, prepared.frames);
			pipeline.push(burst2.eventsPerSecond);
			pipelineCpu.push(burst2.cpuUsPerFrame);
			duplicates = burst2.duplicates;
		}
		const bareRate = median(bare);
		const pipelineRate = median(pipeline);
		const paired = pipeline.map((rate, repeat) => rate / bare[repeat]);
		options.log(
			`throughput ${version}: bare ${bare.map((v) => Math.round(v)).join(', ')} ev/s; pipeline ${pipeline.map((v) => Math.round(v)).join(', ')} ev/s`,
		);
		rows.push({
			version,
			frames: prepared.frames,
			orders: prepared.orders,
			frameBytes: round(prepared.payloadBytes / prepared.frames, 0),
			bareEventsPerSecond: Math.round(bareRate),
			pipelineEventsPerSecond: Math.round(pipelineRate),
			ratio: round(pipelineRate / bareRate, 3),
			ratioPerRepeat: { min: round(Math.min(...paired), 3), max: round(Math.max(...paired), 3) },
			bareCpuUsPerFrame: round(median(bareCpu), 2),
			pipelineCpuUsPerFrame: round(median(pipelineCpu), 2),
			feedCpuShare: round(median(feedShare), 3),
			duplicatesSuppressed: duplicates,
			repeats: options.repeats,
		});
	}
	return rows;
}
