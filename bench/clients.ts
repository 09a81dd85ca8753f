import WebSocket from 'ws';

import { createNubraStream } from '../client/connect';
import type { NubraCredentials } from '../client/credentials';
import { compileEventFilter, type EventPredicate } from '../client/filter';
import { shapeEventItem, type ItemShapeOptions } from '../client/shape';
import type { DeliveredEvent, NubraStream, StreamStats } from '../client/stream';
import type { OrderStateTracker } from '../client/tracker';
import { NUBRA_STATUSES } from '../client/types';
import type { RunningSimulator } from '../simulator';
import type { FeedProcess } from './feed-client';

/** What the trigger node does per event, with its default options plus metadata. */
export const BENCH_SHAPE: ItemShapeOptions = {
	output: 'simplified',
	addRupeeAmounts: true,
	includeMetadata: true,
};

/** How often a bench polls for the end of a burst: rarely enough to stay off the measured path. */
export const BURST_POLL_MS = 20;

/** Frames a subscription has dealt with, whatever became of them (delivered, dropped, refused). */
export function framesTaken(stats: Readonly<StreamStats>): number {
	return (
		stats.eventsDelivered +
		stats.duplicatesSuppressed +
		stats.eventsFiltered +
		stats.malformedFrames +
		stats.unknownFrames
	);
}

/** A filter that every scenario event passes, but only after every check has run. */
export function benchFilter(): EventPredicate {
	return compileEventFilter({
		events: ['order', 'trade', 'basket'],
		statuses: [...NUBRA_STATUSES],
		// No side filter: V1 basket frames carry no side, so it would drop them.
	});
}

/**
 * Counts calls until `target`, then resolves; rejects if that does not happen by the deadline.
 * The bench waits on this, never on a fixed sleep.
 */
export class Countdown {
	count = 0;
	readonly done: Promise<void>;
	#resolve!: () => void;
	readonly #timer: NodeJS.Timeout;

	constructor(
		readonly target: number,
		timeoutMs: number,
		what: string,
	) {
		let reject!: (error: Error) => void;
		this.done = new Promise<void>((resolve, fail) => {
			this.#resolve = resolve;
			reject = fail;
		});
		this.#timer = setTimeout(
			() =>
				reject(
					new Error(
						`Timed out after ${timeoutMs} ms: ${what} reached ${this.count} of ${this.target}`,
					),
				),
			timeoutMs,
		);
	}

	tick(): void {
		this.count++;
		if (this.count === this.target) {
			clearTimeout(this.#timer);
			this.#resolve();
		}
	}

	cancel(): void {
		clearTimeout(this.#timer);
	}
}

/** The ceiling: a `ws` client that subscribes and only counts binary frames. */
export class BareClient {
	readonly #ws: WebSocket;

	private constructor(ws: WebSocket) {
		this.#ws = ws;
	}

	static async open(url: string, onFrame: (data: Buffer) => void): Promise<BareClient> {
		const ws = new WebSocket(url, { perMessageDeflate: false });
		ws.on('message', (data: Buffer, isBinary: boolean) => {
			if (isBinary) onFrame(data);
		});
		await new Promise<void>((resolve, reject) => {
			ws.once('open', () => resolve());
			ws.once('error', reject);
		});
		ws.on('error', () => undefined);
		ws.send('subscribe bench notifications notification');
		return new BareClient(ws);
	}

	close(): Promise<void> {
		return new Promise((resolve) => {
			if (this.#ws.readyState === WebSocket.CLOSED) return resolve();
			this.#ws.once('close', () => resolve());
			this.#ws.terminate();
		});
	}
}

/** The simulator's login, with the bench feed as the socket (a Custom credential's Socket URL). */
export function benchCredentials(sim: RunningSimulator, feed: FeedProcess): NubraCredentials {
	return {
		environment: 'custom',
		restBaseUrl: sim.restUrl,
		socketUrl: feed.url,
		authentication: 'totp',
		phone: sim.credentials.phone,
		mpin: sim.credentials.mpin,
		totpSecret: sim.credentials.totpSecret,
	};
}

export interface PipelineOptions {
	tracker?: OrderStateTracker;
	/** Called first thing in the handler, before the item is shaped (latency probes). */
	onEntry?: (delivered: DeliveredEvent) => void;
	/** Receives each delivered event after the item was shaped. */
	onItem: (delivered: DeliveredEvent, item: Record<string, unknown>) => void;
}

/**
 * The whole pipeline as the trigger node runs it: login against the simulator's REST API,
 * the socket from the credential's Socket URL (the bench feed), decode, normalise, dedup,
 * filter, then `shapeEventItem` in the handler.
 */
export async function openPipeline(
	sim: RunningSimulator,
	feed: FeedProcess,
	options: PipelineOptions,
): Promise<NubraStream> {
	const stream = await createNubraStream({
		credentials: () => benchCredentials(sim, feed),
		filter: benchFilter(),
		tracker: options.tracker,
		maxReconnectAttempts: 1,
	});
	const onEntry = options.onEntry;
	stream.onEvent((delivered) => {
		onEntry?.(delivered);
		options.onItem(delivered, shapeEventItem(delivered, BENCH_SHAPE));
	});
	await stream.start();
	return stream;
}
