import { positiveAmount, toApproxNumber } from './int64';
import { FINAL_STATUSES, type NubraEvent, type NubraStatus } from './types';

/** What the tracker remembers of one order: enough to tell a new state from a repeat. */
interface OrderMemory {
	status: NubraStatus;
	filledQty: number;
	orderQty: number;
	orderPrice: number;
	/** Average fill price (paise) at `filledQty`, when known: prices the fills a catch-up finds. */
	avgPrice: number | null;
	/** Recent state keys, so a frame replayed out of order is still recognised. */
	keys: string[];
	/**
	 * States a catch-up (or the first snapshot, or a restored tracker) already accounted for:
	 * the same state arriving live later is a repeat, even when older live frames came between
	 * (the snapshot travels on another connection and can overtake the socket).
	 */
	recovered: ComparableState[];
}

/** The parts of an order's state that a REST snapshot and a frame can both tell. */
export interface ComparableState {
	status: NubraStatus;
	filledQty: number;
	orderQty: number;
	orderPrice: number;
}

/** A compact, JSON-safe copy of the tracker for n8n's workflow static data. */
export interface TrackerSnapshot {
	v: 1;
	/** order key → [status, filled quantity, order quantity, order price, average fill price?] */
	orders: Record<string, [NubraStatus, number, number, number, (number | null)?]>;
}

export interface TrackerOptions {
	/** Orders remembered at most; the least recently changed are forgotten first. */
	maxOrders?: number;
	/** Orders written into a snapshot at most (static data is saved with the workflow). */
	maxSnapshotOrders?: number;
}

const RECENT_KEYS_PER_ORDER = 16;

/**
 * The `recovered` list of an order only heard of live: shared (most orders never have one), so it
 * is replaced by an array of its own before the first push, never written to.
 */
const NONE_RECOVERED: ComparableState[] = Object.freeze([]) as unknown as ComparableState[];

/**
 * Progress of a status, so a snapshot older than what the socket already said is not re-emitted.
 * TRIGGERED comes after OPEN: the snapshot lists a triggered order as OPEN (its bucket), which
 * is not news to a trigger that heard TRIGGERED.
 */
const STATUS_RANK: Readonly<Record<NubraStatus, number>> = {
	UNKNOWN: 0,
	PENDING: 1,
	SENT: 2,
	OPEN: 3,
	TRIGGERED: 4,
	PARTIALLY_FILLED: 5,
	FILLED: 6,
	REJECTED: 6,
	CANCELLED: 6,
	EXPIRED: 6,
};

/** What an order had filled, and at what average price, when the tracker last heard of it. */
export interface KnownFill {
	filledQty: number;
	avgPrice: number | null;
}

/**
 * The identity of an order. V1 basket frames name the basket by `basket_id`, which the
 * decoder puts in `order_id`: the REST snapshot knows the same strategy by that id too.
 */
export function orderKey(event: NubraEvent): string {
	return String(event.order_id);
}

/**
 * The deduplication key of an event: stable for the same order state, whichever frame,
 * replay or catch-up carried it (order, event kind, status, quantities, price, response).
 */
export function stateKey(event: NubraEvent): string {
	return stateKeyOf(event, orderKey(event));
}

/** `stateKey` for an order key already made (ids of 20 000 orders miss V8's number-text cache). */
function stateKeyOf(event: NubraEvent, id: string): string {
	// join writes null and undefined as '' and makes one flat string: keys are kept per order,
	// and a key built by concatenation is a tree of string pieces, several times its size.
	return [
		id,
		event.event,
		event.status,
		event.filled_qty,
		event.order_qty,
		event.order_price,
		event.response_type,
		event.request,
		event.trade_ref_id,
	].join('|');
}

/** The parts of an event's state a REST snapshot can tell too. */
export function comparableState(event: NubraEvent): ComparableState {
	return {
		status: event.status,
		filledQty: toApproxNumber(event.filled_qty),
		orderQty: toApproxNumber(event.order_qty),
		orderPrice: toApproxNumber(event.order_price),
	};
}

function sameState(a: ComparableState, b: ComparableState): boolean {
	return (
		a.status === b.status &&
		a.filledQty === b.filledQty &&
		a.orderQty === b.orderQty &&
		a.orderPrice === b.orderPrice
	);
}

function includesState(states: readonly ComparableState[], state: ComparableState): boolean {
	for (const known of states) if (sameState(known, state)) return true;
	return false;
}

/** A live frame older than what is already known (it was overtaken by a snapshot). */
function isOlder(memory: OrderMemory, state: ComparableState): boolean {
	if (state.filledQty < memory.filledQty) return true;
	return FINAL_STATUSES.has(memory.status) && !FINAL_STATUSES.has(state.status);
}

function newMemory(
	state: ComparableState,
	avgPrice: number | null,
	keys: string[],
	recovered: ComparableState[],
): OrderMemory {
	return {
		status: state.status,
		filledQty: state.filledQty,
		orderQty: state.orderQty,
		orderPrice: state.orderPrice,
		avgPrice,
		keys,
		recovered,
	};
}

/**
 * Remembers the last state of each order so nothing is emitted twice: across duplicate
 * frames, reconnects, catch-ups and (through snapshots) restarts. Bounded in memory: the
 * least recently changed orders are forgotten first, and orders in a final state stop
 * changing, so they are the ones that go.
 */
export class OrderStateTracker {
	readonly #orders = new Map<string, OrderMemory>();
	readonly #maxOrders: number;
	readonly #maxSnapshotOrders: number;
	/** The comparable state of the live event being observed: read, never kept (copied). */
	readonly #live: ComparableState = { status: 'UNKNOWN', filledQty: 0, orderQty: 0, orderPrice: 0 };
	#restored = false;

	constructor(options: TrackerOptions = {}) {
		this.#maxOrders = options.maxOrders ?? 50_000;
		this.#maxSnapshotOrders = options.maxSnapshotOrders ?? 500;
	}

	get size(): number {
		return this.#orders.size;
	}

	/**
	 * Records a live event. Returns its state key, or null when the same state was already
	 * seen (a duplicate to drop).
	 */
	observeLive(event: NubraEvent): string | null {
		const id = orderKey(event);
		const key = stateKeyOf(event, id);
		const state = this.#live;
		state.status = event.status;
		state.filledQty = toApproxNumber(event.filled_qty);
		state.orderQty = toApproxNumber(event.order_qty);
		state.orderPrice = toApproxNumber(event.order_price);
		const memory = this.#orders.get(id);
		if (memory === undefined) {
			this.#remember(id, newMemory(state, positiveAmount(event.avg_price), [key], NONE_RECOVERED));
			return key;
		}
		if (memory.keys.includes(key)) return null;
		const repeatOfRecovered = memory.recovered.length > 0 && includesState(memory.recovered, state);
		this.#update(id, memory, state, positiveAmount(event.avg_price), key, false);
		return repeatOfRecovered ? null : key;
	}

	/**
	 * Whether a snapshot state (from the REST catch-up) is news: an order never seen, or one
	 * that has moved on (more filled, a later status, a new quantity or price) since the
	 * socket last spoke of it. A snapshot older than the socket's last word is not news.
	 */
	isNewer(id: string, state: ComparableState): boolean {
		const memory = this.#orders.get(id);
		if (memory === undefined) return true;
		if (FINAL_STATUSES.has(memory.status)) return false;
		if (state.filledQty !== memory.filledQty) return state.filledQty > memory.filledQty;
		if (state.status !== memory.status) {
			return STATUS_RANK[state.status] >= STATUS_RANK[memory.status];
		}
		return state.orderQty !== memory.orderQty || state.orderPrice !== memory.orderPrice;
	}

	/** Records a recovered (catch-up) state. Returns its key, or null if it was not news. */
	observeRecovered(event: NubraEvent): string | null {
		const id = orderKey(event);
		const state = comparableState(event);
		if (!this.isNewer(id, state)) return null;
		const key = stateKeyOf(event, id);
		const memory = this.#orders.get(id);
		const avgPrice = positiveAmount(event.avg_price);
		if (memory === undefined) this.#remember(id, newMemory(state, avgPrice, [key], [state]));
		else this.#update(id, memory, state, avgPrice, key, true);
		return key;
	}

	/** Takes a state as known without emitting it (the first snapshot after activation). */
	baseline(event: NubraEvent): void {
		const id = orderKey(event);
		if (this.#orders.has(id)) return;
		const state = comparableState(event);
		this.#remember(
			id,
			newMemory(state, positiveAmount(event.avg_price), [stateKey(event)], [state]),
		);
	}

	/** The fill last known for an order, or undefined for an order never seen. */
	knownFill(id: string): KnownFill | undefined {
		const memory = this.#orders.get(id);
		return memory === undefined
			? undefined
			: { filledQty: memory.filledQty, avgPrice: memory.avgPrice };
	}

	snapshot(): TrackerSnapshot {
		const orders: TrackerSnapshot['orders'] = {};
		// The most recently changed orders are last: skip the rest without copying the map.
		let skip = this.#orders.size - this.#maxSnapshotOrders;
		for (const [id, m] of this.#orders) {
			if (skip-- > 0) continue;
			orders[id] =
				m.avgPrice === null
					? [m.status, m.filledQty, m.orderQty, m.orderPrice]
					: [m.status, m.filledQty, m.orderQty, m.orderPrice, m.avgPrice];
		}
		return { v: 1, orders };
	}

	/** Whether a saved snapshot was restored (even an empty one: "nothing had happened yet"). */
	get restored(): boolean {
		return this.#restored;
	}

	restore(snapshot: TrackerSnapshot | undefined): void {
		if (snapshot?.v !== 1 || typeof snapshot.orders !== 'object' || snapshot.orders === null)
			return;
		this.#restored = true;
		for (const [id, entry] of Object.entries(snapshot.orders)) {
			if (!Array.isArray(entry) || this.#orders.has(id)) continue;
			// Snapshots saved before the average price was kept have four entries.
			const [status, filledQty, orderQty, orderPrice, avgPrice] = entry;
			const state = { status, filledQty, orderQty, orderPrice };
			this.#remember(id, newMemory(state, positiveAmount(avgPrice), [], [state]));
		}
	}

	#update(
		id: string,
		memory: OrderMemory,
		state: ComparableState,
		avgPrice: number | null,
		key: string,
		recovered: boolean,
	) {
		memory.keys.push(key);
		if (memory.keys.length > RECENT_KEYS_PER_ORDER) memory.keys.shift();
		if (recovered) {
			if (memory.recovered === NONE_RECOVERED) memory.recovered = [];
			memory.recovered.push(state);
			if (memory.recovered.length > RECENT_KEYS_PER_ORDER) memory.recovered.shift();
		}
		// A late live frame must not roll the order back: the next catch-up would re-emit the
		// newer state it already delivered.
		if (!isOlder(memory, state)) {
			memory.status = state.status;
			memory.orderQty = state.orderQty;
			memory.orderPrice = state.orderPrice;
		}
		// The average belongs to a filled quantity: a frame with more filled replaces it (even
		// when it does not say the average), one at the same quantity may fill it in.
		if (state.filledQty > memory.filledQty) memory.avgPrice = avgPrice;
		else if (state.filledQty === memory.filledQty && avgPrice !== null) memory.avgPrice = avgPrice;
		memory.filledQty = Math.max(memory.filledQty, state.filledQty);
		// Map keeps insertion order: re-inserting moves the order to the most recent end.
		this.#orders.delete(id);
		this.#orders.set(id, memory);
	}

	#remember(id: string, memory: OrderMemory): void {
		this.#orders.set(id, memory);
		while (this.#orders.size > this.#maxOrders) {
			const oldest = this.#orders.keys().next().value;
			if (oldest === undefined) break;
			this.#orders.delete(oldest);
		}
	}
}
