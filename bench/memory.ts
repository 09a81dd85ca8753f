import { runInNewContext } from 'node:vm';
import { setFlagsFromString } from 'node:v8';

import { OrderStateTracker } from '../client/tracker';
import type { RunningSimulator } from '../simulator';
import { Countdown, openPipeline } from './clients';
import type { FeedProcess } from './feed-client';
import { MIB, round } from './stats';

export interface MemoryPass {
	maxOrders: number;
	events: number;
	orders: number;
	trackerSize: number;
	/** MiB, after a full GC before the pass / sampled every 20 ms during it / after a full GC. */
	heapBefore: number;
	heapPeak: number;
	heapAfter: number;
	rssBefore: number;
	rssPeak: number;
	rssAfter: number;
	eventsPerSecond: number;
}

/** A full GC, exposed at run time so `npm run bench` needs no node flags. */
function collector(): () => void {
	setFlagsFromString('--expose-gc');
	const gc = runInNewContext('gc') as (() => void) | undefined;
	return () => {
		gc?.();
		gc?.();
	};
}

const SAMPLE_MS = 20;

/**
 * One burst of `events` frames over many orders through the pipeline, with the tracker bounded
 * at `maxOrders`; heap and RSS before, at the peak and after.
 */
async function pass(
	sim: RunningSimulator,
	feed: FeedProcess,
	name: string,
	events: number,
	orders: number,
	maxOrders: number,
): Promise<MemoryPass> {
	const gc = collector();
	const tracker = new OrderStateTracker({ maxOrders });
	let first = 0;
	let last = 0;
	const done = new Countdown(events, 180_000, `memory pass (maxOrders ${maxOrders})`);
	const subscriptions = feed.subscriptions;
	gc();
	const before = process.memoryUsage();
	const peak = { heap: before.heapUsed, rss: before.rss };
	const sampler = setInterval(() => {
		const now = process.memoryUsage();
		peak.heap = Math.max(peak.heap, now.heapUsed);
		peak.rss = Math.max(peak.rss, now.rss);
	}, SAMPLE_MS);
	const stream = await openPipeline(sim, feed, {
		tracker,
		onItem: (delivered) => {
			if (done.count === 0) first = delivered.receivedAtMono;
			done.tick();
			last = performance.now();
		},
	});
	try {
		await feed.waitForSubscriptions(subscriptions + 1);
		await feed.request({ type: 'blast', name }, 'blasted');
		await done.done;
	} finally {
		done.cancel();
		await stream.close();
		clearInterval(sampler);
	}
	gc();
	const after = process.memoryUsage();
	// Read after the GC, so the tracker is still alive when "after" is measured.
	const trackerSize = tracker.size;
	peak.heap = Math.max(peak.heap, after.heapUsed);
	peak.rss = Math.max(peak.rss, after.rss);
	return {
		maxOrders,
		events,
		orders,
		trackerSize,
		heapBefore: round(before.heapUsed / MIB, 1),
		heapPeak: round(peak.heap / MIB, 1),
		heapAfter: round(after.heapUsed / MIB, 1),
		rssBefore: round(before.rss / MIB, 1),
		rssPeak: round(peak.rss / MIB, 1),
		rssAfter: round(after.rss / MIB, 1),
		eventsPerSecond: Math.round(((events - 1) * 1000) / (last - first)),
	};
}

/**
 * 100 000 events of some 28 000 orders, once with the default tracker bound (50 000, so every
 * order is remembered) and once with a small one, to show eviction keeps the tracker at its cap.
 * "After" is measured while the tracker is still referenced: it is what an idle active trigger
 * holds.
 */
export async function measureMemory(
	sim: RunningSimulator,
	feed: FeedProcess,
	options: { events: number; smallMaxOrders: number; log: (line: string) => void },
): Promise<MemoryPass[]> {
	const name = 'memory-v3';
	const prepared = await feed.request(
		{ type: 'prepare', name, seed: 23, count: options.events, version: 'v3' },
		'prepared',
	);
	options.log(
		`memory: ${prepared.frames} frames of ${prepared.orders} orders encoded in ${Math.round(prepared.encodeMs)} ms`,
	);
	const passes: MemoryPass[] = [];
	for (const maxOrders of [50_000, options.smallMaxOrders]) {
		passes.push(await pass(sim, feed, name, prepared.frames, prepared.orders, maxOrders));
	}
	return passes;
}
