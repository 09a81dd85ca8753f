import { DEFAULT_ORDER_SPEC, REJECTION_REASONS, TICK_PAISE } from './instruments';
import type { LedgerKind, NubraStatus, OrderSpec, OrderStep, SimLeg, SimOrder } from './types';

/** One state change of one order, before it is encoded for any generation. */
export interface OrderChange {
	/** The order after the change (a copy: later changes do not alter it). */
	order: SimOrder;
	kind: LedgerKind;
	tradeQty?: number;
	tradePrice?: number;
	/** The leg that traded, for a strategy-order fill. */
	leg?: SimLeg;
	/** Free text the legacy frames carry in `update_msg` (reasons, expiry, exchange cancel). */
	updateMsg?: string;
	/** Epoch nanoseconds as decimal text (beyond 2^53), strictly increasing. */
	timestampNs: string;
	at: number;
}

const LIVE: ReadonlySet<NubraStatus> = new Set([
	'PENDING',
	'OPEN',
	'PARTIALLY_FILLED',
	'TRIGGERED',
]);
const WORKING: ReadonlySet<NubraStatus> = new Set(['OPEN', 'PARTIALLY_FILLED', 'TRIGGERED']);

/** Ordinary ids look like Nubra's; `bigIds` ones sit just above 2^53 so a lossy parse shows. */
const FIRST_ID = 1_000_000n;
const FIRST_BIG_ID = 9_007_199_254_741_000n;
// NSE-style 16-digit exchange order ids, kept below 2^53 so only `bigIds` tests precision.
const FIRST_EXCHANGE_ORDER_ID = 1_300_000_012_340_000n;

/**
 * The order book and its state machine. Each accepted step mutates one order and returns the
 * change; a step that makes no sense for the order's state throws a RangeError, so a scenario
 * can never emit two identical consecutive states for one order.
 */
export class OrderBook {
	readonly #orders = new Map<string, SimOrder>();
	#lastId: bigint;
	#lastExchangeOrderId = FIRST_EXCHANGE_ORDER_ID;
	#lastNs = 0n;

	constructor(bigIds: boolean) {
		this.#lastId = bigIds ? FIRST_BIG_ID : FIRST_ID;
	}

	/** Books the order as PENDING. It sends nothing: the first frame comes with `accept` or `reject`. */
	place(partial: Partial<OrderSpec> = {}): SimOrder {
		const spec: OrderSpec = { ...DEFAULT_ORDER_SPEC, ...partial };
		validateSpec(spec);
		const legs: SimLeg[] = (spec.legs ?? []).map((leg) => ({
			...leg,
			legOrderId: this.#newId(),
			exchangeOrderId: this.#newExchangeOrderId(),
			filledQty: 0,
			avgPrice: 0,
		}));
		const isBasket = legs.length > 0;
		const now = Date.now();
		const order: SimOrder = {
			id: this.#newId(),
			exchangeOrderId: this.#newExchangeOrderId(),
			spec: structuredClone(spec),
			isBasket,
			legs,
			status: 'PENDING',
			request: 'NEW',
			responseType: undefined,
			orderQty: isBasket ? sum(legs.map((leg) => leg.qty)) : spec.qty,
			orderPrice: isBasket ? sum(legs.map((leg) => leg.price)) : spec.price,
			filledQty: 0,
			avgPrice: 0,
			rejectionMsg: undefined,
			triggered: false,
			createdAt: now,
			updatedAt: now,
		};
		this.#orders.set(order.id, order);
		return structuredClone(order);
	}

	has(orderId: string): boolean {
		return this.#orders.has(orderId);
	}

	all(): SimOrder[] {
		return [...this.#orders.values()].map((order) => structuredClone(order));
	}

	apply(orderId: string, step: OrderStep): OrderChange {
		const order = this.#orders.get(orderId);
		if (!order) throw new RangeError(`No order ${orderId} in the simulator's book`);
		if (!LIVE.has(order.status)) {
			throw new RangeError(`Order ${orderId} is ${order.status}; "${step.type}" cannot follow`);
		}
		const draft: Omit<OrderChange, 'order' | 'timestampNs' | 'at'> = { kind: 'order' };
		switch (step.type) {
			case 'accept':
				requireState(order, step, ['PENDING']);
				Object.assign(order, { status: 'OPEN', request: 'NEW', responseType: 'ACCEPT' });
				break;
			case 'partialFill':
			case 'fill':
				requireState(order, step, WORKING);
				Object.assign(draft, fillOrder(order, step.type === 'fill' ? undefined : (step.qty ?? 0)));
				break;
			case 'reject':
				order.rejectionMsg = step.reason ?? REJECTION_REASONS[0];
				draft.updateMsg = order.rejectionMsg;
				Object.assign(order, { status: 'REJECTED', responseType: 'REJECT' });
				break;
			case 'cancel':
				Object.assign(order, { status: 'CANCELLED', request: 'CANCEL', responseType: 'ACCEPT' });
				break;
			case 'modify':
				requireState(order, step, WORKING);
				modifyOrder(order, step.price, step.qty);
				break;
			case 'trigger':
				requireState(order, step, ['OPEN', 'PARTIALLY_FILLED']);
				Object.assign(order, { status: 'TRIGGERED', responseType: 'TRIGGERED', triggered: true });
				break;
			case 'expire':
				draft.updateMsg = 'Order expired at end of validity';
				Object.assign(order, { status: 'EXPIRED', responseType: 'EXPIRED' });
				break;
			case 'unsolicitedCancel':
				draft.updateMsg = 'Order cancelled by exchange';
				Object.assign(order, { status: 'CANCELLED', responseType: 'UNSOLICITED_CANCEL' });
				break;
		}
		if (draft.kind === 'order' && order.isBasket) draft.kind = 'basket';
		const at = Date.now();
		order.updatedAt = at;
		return { ...draft, order: structuredClone(order), timestampNs: this.#nextNs(at), at };
	}

	#newId(): string {
		this.#lastId += 1n;
		return String(this.#lastId);
	}

	#newExchangeOrderId(): string {
		this.#lastExchangeOrderId += 1n;
		return String(this.#lastExchangeOrderId);
	}

	/** Wall-clock nanoseconds, nudged forward so two changes in one millisecond still order. */
	#nextNs(atMs: number): string {
		const wall = BigInt(atMs) * 1_000_000n;
		this.#lastNs = wall > this.#lastNs ? wall : this.#lastNs + 1n;
		return String(this.#lastNs);
	}
}

/** Fills `qty` (default: half of what is left, whole lots) or, with `undefined`, everything left. */
function fillOrder(order: SimOrder, qty: number | undefined): Partial<OrderChange> {
	if (order.isBasket) return fillBasket(order, qty);
	const remaining = order.orderQty - order.filledQty;
	const lot = order.spec.lotSize;
	let tradeQty = remaining;
	if (qty !== undefined) {
		tradeQty = qty > 0 ? qty : Math.max(lot, Math.floor(remaining / 2 / lot) * lot);
		if (tradeQty % lot !== 0)
			throw new RangeError(`Fill of ${tradeQty} is not whole lots of ${lot}`);
		tradeQty = Math.min(tradeQty, remaining);
	}
	const tradePrice = order.orderPrice;
	order.avgPrice = weightedAverage(order.avgPrice, order.filledQty, tradePrice, tradeQty);
	order.filledQty += tradeQty;
	markFilled(order);
	return { kind: 'trade', tradeQty, tradePrice };
}

/**
 * A strategy order fills leg by leg, so each fill names one leg. A `fill` with several legs
 * still open completes them together: one basket-level update without a trade.
 */
function fillBasket(order: SimOrder, qty: number | undefined): Partial<OrderChange> {
	const open = order.legs.filter((leg) => leg.filledQty < leg.qty);
	if (qty === undefined && open.length > 1) {
		for (const leg of open) fillLeg(leg, leg.qty - leg.filledQty);
		order.filledQty = order.orderQty;
		order.avgPrice = order.orderPrice;
		markFilled(order);
		return { kind: 'basket' };
	}
	const leg = open[0];
	const remaining = leg.qty - leg.filledQty;
	const tradeQty = qty === undefined || qty <= 0 ? remaining : Math.min(qty, remaining);
	fillLeg(leg, tradeQty);
	order.filledQty += tradeQty;
	order.avgPrice = Math.round(
		sum(order.legs.map((l) => l.avgPrice * l.filledQty)) / order.filledQty,
	);
	markFilled(order);
	return { kind: 'trade', tradeQty, tradePrice: leg.price, leg: structuredClone(leg) };
}

function fillLeg(leg: SimLeg, qty: number): void {
	leg.avgPrice = weightedAverage(leg.avgPrice, leg.filledQty, leg.price, qty);
	leg.filledQty += qty;
}

function markFilled(order: SimOrder): void {
	order.status = order.filledQty >= order.orderQty ? 'FILLED' : 'PARTIALLY_FILLED';
	order.responseType = 'FILLED';
}

function modifyOrder(order: SimOrder, price: number | undefined, qty: number | undefined): void {
	const before = { price: order.orderPrice, qty: order.orderQty };
	if (qty !== undefined) {
		if (order.isBasket) throw new RangeError('A strategy order is modified by price only');
		if (qty <= order.filledQty || qty % order.spec.lotSize !== 0) {
			throw new RangeError(
				`Modified quantity ${qty} must exceed the filled ${order.filledQty} in whole lots`,
			);
		}
		order.orderQty = qty;
	}
	if (price !== undefined) {
		if (!Number.isInteger(price) || price <= 0)
			throw new RangeError(`Price ${price} is not positive paise`);
		order.orderPrice = price;
	}
	// A modify that changes nothing could repeat the previous state; move the price a tick.
	if (order.orderPrice === before.price && order.orderQty === before.qty)
		order.orderPrice += TICK_PAISE;
	order.request = 'MODIFY';
	order.responseType = 'ACCEPT';
}

function requireState(order: SimOrder, step: OrderStep, allowed: Iterable<NubraStatus>): void {
	const states = [...allowed];
	if (!states.includes(order.status)) {
		throw new RangeError(
			`Order ${order.id} is ${order.status}; "${step.type}" needs ${states.join(' or ')}`,
		);
	}
}

function validateSpec(spec: OrderSpec): void {
	const positive = (n: number) => Number.isInteger(n) && n > 0;
	if (spec.legs !== undefined) {
		if (spec.legs.length < 2 || spec.legs.length > 4) {
			throw new RangeError(`A strategy order has 2 to 4 legs, not ${spec.legs.length}`);
		}
		for (const leg of spec.legs) {
			if (!positive(leg.qty) || leg.qty % leg.lotSize !== 0 || !positive(leg.price)) {
				throw new RangeError(
					`Leg ${leg.displayName}: quantity must be whole lots and price positive paise`,
				);
			}
		}
		return;
	}
	if (!positive(spec.qty) || spec.qty % spec.lotSize !== 0) {
		throw new RangeError(`Quantity ${spec.qty} is not whole lots of ${spec.lotSize}`);
	}
	if (!positive(spec.price)) throw new RangeError(`Price ${spec.price} is not positive paise`);
}

function weightedAverage(avg: number, qty: number, price: number, addQty: number): number {
	return Math.round((avg * qty + price * addQty) / (qty + addQty));
}

function sum(values: number[]): number {
	return values.reduce((a, b) => a + b, 0);
}
