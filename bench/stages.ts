import { FrameDecoder } from '../client/codec';
import { shapeEventItem, type ItemShapeOptions } from '../client/shape';
import { LiveDelivery } from '../client/stream/delivered';
import { OrderStateTracker } from '../client/tracker';
import type { NubraApiVersion } from '../simulator/types';
import { benchFilter, BENCH_SHAPE } from './clients';
import { encodeFrames, scenarioChanges } from './frames';
import { round } from './stats';

export interface StageRow {
	version: NubraApiVersion;
	frames: number;
	/** Microseconds per frame/event, best of the rounds. */
	decodeUs: number;
	trackUs: number;
	filterUs: number;
	shapeDefaultUs: number;
	shapeFullOptionsUs: number;
}

const DEFAULT_SHAPE: ItemShapeOptions = {
	output: 'simplified',
	addRupeeAmounts: false,
	includeMetadata: false,
};

/** Where the shape stage leaves its last item: the engine cannot skip making one nobody reads. */
const escaped: { item: unknown } = { item: null };

function best(rounds: number, run: () => number): number {
	let fastest = Infinity;
	for (let i = 0; i < rounds; i++) fastest = Math.min(fastest, run());
	return fastest;
}

/** Each stage of the per-frame path alone, in one process, without a socket: where the time goes. */
export function measureStages(options: {
	frames: number;
	versions: NubraApiVersion[];
}): StageRow[] {
	const { changes, orders } = scenarioChanges({ seed: 5, count: options.frames });
	const rows: StageRow[] = [];
	for (const version of options.versions) {
		const { payloads } = encodeFrames(changes, orders, version);
		const decoder = new FrameDecoder();
		// The later stages take every event; timed, each one escapes and dies young instead (a
		// list of them all would have the collector copy them, which the stream never does).
		const events = payloads.flatMap((payload) => decoder.decode(payload).events);
		const decodeMs = best(10, () => {
			const started = performance.now();
			for (const payload of payloads) escaped.item = decoder.decode(payload).events;
			return performance.now() - started;
		});
		const trackMs = best(10, () => {
			const tracker = new OrderStateTracker();
			const started = performance.now();
			for (const event of events) tracker.isNewLive(event);
			return performance.now() - started;
		});
		const filter = benchFilter();
		let passed = 0;
		const filterMs = best(10, () => {
			const started = performance.now();
			for (const event of events) if (filter(event)) passed++;
			return performance.now() - started;
		});
		const receivedAt = new Date();
		let keys = 0;
		// Each event as the stream hands it out (a new delivery, whose dedup key is written when
		// metadata shows it); each item escapes to the heap, so it is made, and dies young.
		const shape = (shapeOptions: ItemShapeOptions) =>
			best(10, () => {
				const started = performance.now();
				for (const event of events) {
					const delivered = new LiveDelivery(event, receivedAt, 0, undefined);
					escaped.item = shapeEventItem(delivered, shapeOptions);
				}
				const ms = performance.now() - started;
				keys += events.length;
				return ms;
			});
		const shapeDefaultMs = shape(DEFAULT_SHAPE);
		const shapeFullMs = shape(BENCH_SHAPE);
		if (passed === 0 || keys === 0) throw new Error('stage bench optimised away');
		const perFrame = (ms: number) => round((ms * 1000) / payloads.length, 2);
		rows.push({
			version,
			frames: payloads.length,
			decodeUs: perFrame(decodeMs),
			trackUs: perFrame(trackMs),
			filterUs: perFrame(filterMs),
			shapeDefaultUs: perFrame(shapeDefaultMs),
			shapeFullOptionsUs: perFrame(shapeFullMs),
		});
	}
	return rows;
}

export interface SnapshotRow {
	/** Orders the tracker remembers (its default bound is 50,000). */
	ordersRemembered: number;
	/** Orders written into each snapshot (the default bound). */
	ordersWritten: number;
	/** Milliseconds per snapshot, best of the rounds: the node takes one at every emit. */
	snapshotMs: number;
	/** The same with only `ordersWritten` orders remembered: the cost of writing them alone. */
	baselineMs: number;
}

/**
 * What the trigger pays at every emit to keep the tracker's copy in static data current: a
 * snapshot of a tracker that remembers a busy day's orders, against one that remembers only
 * as many as a snapshot writes (the difference is stepping over the older orders).
 */
export function measureSnapshot(options: { changes: number }): SnapshotRow {
	const decoder = new FrameDecoder();
	const { changes, orders } = scenarioChanges({ seed: 9, count: options.changes });
	const events = encodeFrames(changes, orders, 'v3').payloads.flatMap(
		(payload) => decoder.decode(payload).events,
	);
	const filled = (tracker: OrderStateTracker) => {
		for (const event of events) tracker.isNewLive(event);
		return tracker;
	};
	const busy = filled(new OrderStateTracker());
	const written = Object.keys(busy.snapshot().orders).length;
	const small = filled(new OrderStateTracker({ maxOrders: written }));
	const time = (tracker: OrderStateTracker) =>
		best(30, () => {
			const started = performance.now();
			escaped.item = tracker.snapshot();
			return performance.now() - started;
		});
	return {
		ordersRemembered: busy.size,
		ordersWritten: written,
		snapshotMs: round(time(busy), 3),
		baselineMs: round(time(small), 3),
	};
}
