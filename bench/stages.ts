import { FrameDecoder } from '../client/codec';
import { shapeEventItem, type ItemShapeOptions } from '../client/shape';
import type { DeliveredEvent } from '../client/stream';
import { OrderStateTracker } from '../client/tracker';
import type { NubraEvent } from '../client/types';
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
		let events: NubraEvent[] = [];
		const decodeMs = best(5, () => {
			const started = performance.now();
			const out: NubraEvent[] = [];
			for (const payload of payloads)
				for (const event of decoder.decode(payload).events) out.push(event);
			events = out;
			return performance.now() - started;
		});
		const trackMs = best(5, () => {
			const tracker = new OrderStateTracker();
			const started = performance.now();
			for (const event of events) tracker.observeLive(event);
			return performance.now() - started;
		});
		const filter = benchFilter();
		let passed = 0;
		const filterMs = best(5, () => {
			const started = performance.now();
			for (const event of events) if (filter(event)) passed++;
			return performance.now() - started;
		});
		const delivered: DeliveredEvent[] = events.map((event) => ({
			event,
			recovered: false,
			receivedAt: new Date(),
			dedupKey: 'x',
			receivedAtMono: 0,
		}));
		let keys = 0;
		const shape = (shapeOptions: ItemShapeOptions) =>
			best(5, () => {
				const started = performance.now();
				for (const item of delivered)
					keys += Object.keys(shapeEventItem(item, shapeOptions)).length > 0 ? 1 : 0;
				return performance.now() - started;
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
