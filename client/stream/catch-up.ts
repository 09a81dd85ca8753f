import type { SentinelOrderRow } from '../sentinel';
import { asRecoveredFill, missedFillsBeforeLive, normaliseSnapshotRow } from '../snapshot';
import { orderKey, type OrderKey, type OrderStateTracker } from '../tracker';
import type { NubraApiVersion, NubraEvent } from '../types';
import type { DeliveredEvent } from './types';

/** What one snapshot changed for one subscription. */
export interface CatchUpResult {
	/** Events to deliver, in order. */
	events: DeliveredEvent[];
	/** Updates the snapshot (and the live frames that overtook it) showed were missed. */
	recovered: number;
	/** The snapshot only set the baseline: nothing in it was news. */
	baseline: boolean;
}

function recoveredEvent(event: NubraEvent, dedupKey: string): DeliveredEvent {
	return {
		event,
		recovered: true,
		receivedAt: new Date(),
		dedupKey,
		receivedAtMono: performance.now(),
	};
}

/**
 * One subscription's view of the order book: its dedup memory (the tracker), whether it has a
 * baseline yet, and the orders the socket spoke of while a catch-up was reading. Every change
 * after a subscription comes on the socket, so for those orders a snapshot can only repeat or
 * contradict what the socket said: the catch-up leaves them alone, and the fills their first
 * frame shows were missed are reported from the frame instead.
 */
export class CatchUpState {
	readonly tracker: OrderStateTracker;
	#hasBaseline: boolean;
	/** Orders heard live since the current catch-up began; undefined when none is running. */
	#liveOrders: Set<OrderKey> | undefined;
	#recoveredFromLive = 0;
	/** Which read the window belongs to: a snapshot begun before a newer one is stale. */
	#window = 0;

	constructor(tracker: OrderStateTracker) {
		this.tracker = tracker;
		// A tracker restored from a previous run already knows the orders: catch up at once.
		this.#hasBaseline = tracker.restored || tracker.size > 0;
	}

	get hasBaseline(): boolean {
		return this.#hasBaseline;
	}

	get reading(): boolean {
		return this.#liveOrders !== undefined;
	}

	/**
	 * A snapshot read starts now: remember the orders the socket speaks of until it is applied.
	 * Returns the window's id for `apply`; a newer `begin` makes older ids stale.
	 */
	begin(): number {
		this.#liveOrders = new Set();
		this.#recoveredFromLive = 0;
		return ++this.#window;
	}

	/** Drops the window without applying anything (its read failed). */
	abandon(window: number): void {
		if (window === this.#window) this.#liveOrders = undefined;
	}

	/**
	 * During a catch-up, the fills a live event's first frame shows were missed while the socket
	 * was down (reported just before it); null otherwise. Call before `observe`.
	 */
	missedBefore(event: NubraEvent): NubraEvent | null {
		const live = this.#liveOrders;
		if (live === undefined) return null;
		const id = orderKey(event);
		if (live.has(id)) return null;
		live.add(id);
		const missed = this.#hasBaseline
			? missedFillsBeforeLive(event, this.tracker.knownFill(id))
			: null;
		if (missed !== null) this.#recoveredFromLive++;
		return missed;
	}

	/** Records a live event; false for a state already seen. */
	observe(event: NubraEvent): boolean {
		return this.tracker.isNewLive(event);
	}

	/** Today's orders before the socket opened: history, not news. */
	baseline(rows: readonly SentinelOrderRow[], apiVersion: NubraApiVersion): void {
		if (this.#hasBaseline) return;
		for (const row of rows) {
			const event = normaliseSnapshotRow(row, apiVersion);
			if (event.order_id !== null) this.tracker.baseline(event);
		}
		this.#hasBaseline = true;
	}

	/**
	 * Applies a snapshot read after `begin()`: the first one is the baseline; later ones report
	 * what changed for orders the socket did not speak of meanwhile. Null when the window is
	 * stale: a newer read covers it.
	 */
	apply(
		rows: readonly SentinelOrderRow[],
		apiVersion: NubraApiVersion,
		window: number,
	): CatchUpResult | null {
		if (window !== this.#window || this.#liveOrders === undefined) return null;
		const live = this.#liveOrders;
		this.#liveOrders = undefined;
		if (!this.#hasBaseline) {
			this.baseline(rows, apiVersion);
			return { events: [], recovered: 0, baseline: true };
		}
		const events: DeliveredEvent[] = [];
		for (const row of rows) {
			const snapshotEvent = normaliseSnapshotRow(row, apiVersion);
			if (snapshotEvent.order_id === null) continue;
			const id = orderKey(snapshotEvent);
			if (live.has(id)) continue;
			const event = asRecoveredFill(snapshotEvent, this.tracker.knownFill(id));
			const dedupKey = this.tracker.observeRecovered(event);
			if (dedupKey !== null) events.push(recoveredEvent(event, dedupKey));
		}
		return { events, recovered: events.length + this.#recoveredFromLive, baseline: false };
	}
}
