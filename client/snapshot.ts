import { epochToIso, optionalInt64, positiveAmount, toApproxNumber } from './int64';
import type { SentinelOrderRow } from './sentinel';
import { unifyStatus } from './status';
import type { KnownFill } from './tracker';
import type { Int64, NubraApiVersion, NubraEvent, NubraLeg } from './types';

function record(value: unknown): Record<string, unknown> {
	return typeof value === 'object' && value !== null && !Array.isArray(value)
		? (value as Record<string, unknown>)
		: {};
}

function str(value: unknown): string | null {
	return typeof value === 'string' && value !== '' ? value : null;
}

/** REST may say `BUY` where the socket says `ORDER_SIDE_BUY`: items use the socket's names. */
function withPrefix(prefix: string, value: unknown): string | null {
	const text = str(value);
	if (text === null) return null;
	const upper = text.toUpperCase();
	return upper.startsWith(prefix) ? upper : `${prefix}${upper}`;
}

function isoOrNull(value: unknown): string | null {
	if (typeof value === 'string' && value !== '') {
		const parsed = Date.parse(value);
		return Number.isNaN(parsed) ? null : new Date(parsed).toISOString();
	}
	return typeof value === 'number' ? epochToIso(value) : null;
}

/**
 * The event a catch-up emits for an order whose state moved while the socket was down: an
 * `order` event without response or request type ({@link asRecoveredFill} makes the fills a trade).
 */
export function normaliseSnapshotRow(
	row: SentinelOrderRow,
	apiVersion: NubraApiVersion,
): NubraEvent {
	const refData = record(row.refData);
	const stamps = record(row.timestamps);
	const filledQty = toApproxNumber(row.filledQty);
	const orderQty = toApproxNumber(row.orderQty);
	const wireStatus = str(row.status)?.toUpperCase() ?? null;
	const tags = Array.isArray(row.stratTags)
		? row.stratTags.filter((tag): tag is string => typeof tag === 'string')
		: [];
	const exchangeOrderIds = Array.isArray(row.exchangeOrderIds) ? row.exchangeOrderIds : [];
	const lastModified = stamps.lastModifiedAt ?? stamps.lastUpdatedAt;
	const legs: NubraLeg[] = Array.isArray(row.legs)
		? row.legs.map((value) => {
				const leg = record(value);
				const legRef = record(leg.refData);
				const unitQty = toApproxNumber(leg.unitQty);
				return {
					ref_id: optionalInt64(leg.refId),
					display_name: str(legRef.displayName),
					exchange: str(legRef.exchange),
					side: unitQty > 0 ? 'ORDER_SIDE_BUY' : unitQty < 0 ? 'ORDER_SIDE_SELL' : null,
					order_qty: optionalInt64(leg.orderQty),
					filled_qty: toApproxNumber(leg.filledQty),
					unit_qty: unitQty,
					avg_price: optionalInt64(leg.filledPrice),
				};
			})
		: [];
	const event: NubraEvent = {
		event: 'order',
		api_version: apiVersion,
		status: unifyStatus(wireStatus, null, filledQty, orderQty),
		request: null,
		order_id: optionalInt64(row.intentOrderId),
		ref_id: optionalInt64(row.refId),
		exchange: str(row.exchange) ?? str(refData.exchange),
		exchange_order_id: (optionalInt64(exchangeOrderIds[0]) as Int64 | null) ?? null,
		display_name: str(refData.displayName),
		side: withPrefix('ORDER_SIDE_', row.side),
		order_qty: orderQty === 0 ? null : orderQty,
		order_price: optionalInt64(row.orderPrice),
		filled_qty: filledQty,
		avg_price: optionalInt64(row.filledPrice),
		trade_qty: null,
		trade_price: null,
		trigger_price: null,
		order_status: wireStatus,
		response_type: null,
		request_type: null,
		order_type: withPrefix('INTENT_ORDER_TYPE_', row.intentOrderType),
		order_type_v2: null,
		strategy_type: null,
		price_type: withPrefix('PRICE_TYPE_', row.priceType),
		validity_type: withPrefix('VALIDITY_TYPE_', row.validityType),
		delivery_type: withPrefix('ORDER_DELIVERY_TYPE_', row.deliveryType),
		tag: tags[0] ?? null,
		tags,
		update_msg: str(row.rejectionMsg),
		asset: str(refData.asset),
		asset_type: null,
		derivative_type: str(refData.derivativeType),
		is_sor: null,
		last_modified: null,
		last_modified_at: isoOrNull(lastModified),
		leg_size: null,
		algo_duration: null,
		max_prate: null,
		algo_params: null,
		is_multi: row.isMulti === true,
		ltp: optionalInt64(row.ltp),
		position_id: str(row.positionId),
	};
	if (legs.length > 0) event.legs = legs;
	return event;
}

/**
 * A recovered order whose filled quantity grew while the socket was down becomes one `trade`
 * event for everything filled meanwhile, so fill workflows miss nothing: `trade_qty` is the
 * quantity filled since the tracker last heard of the order, `trade_price` the average price of
 * those fills, from the average prices before and after (null when the earlier one is unknown).
 * The snapshot has no trade book, so several missed fills arrive as one. Strategy orders with
 * legs stay order events.
 */
export function asRecoveredFill(event: NubraEvent, known: KnownFill | undefined): NubraEvent {
	if (hasLegs(event)) return event;
	const filledQty = toApproxNumber(event.filled_qty);
	const avg = positiveAmount(event.avg_price);
	const missed = missedFill(filledQty, avg === null ? null : filledQty * avg, known);
	if (missed === null) return event;
	return { ...event, event: 'trade', trade_qty: missed.qty, trade_price: missed.price };
}

/**
 * The fills a live update shows were missed, as one recovered `trade` event, or null. Used for
 * the first update of an order that arrives while a catch-up is in flight: the catch-up then
 * skips the order (the socket is newer), so the fills made while the socket was down, which the
 * update's `filled_qty` counts beyond its own `trade_qty`, would go unreported. The event
 * describes the order as it stood before this update: filled up to it, at the average price
 * worked out from the update's. Strategy orders with legs are skipped.
 */
export function missedFillsBeforeLive(
	event: NubraEvent,
	known: KnownFill | undefined,
): NubraEvent | null {
	if (event.event === 'basket' || hasLegs(event)) return null;
	const filledQty = toApproxNumber(event.filled_qty);
	const ownQty = event.event === 'trade' ? toApproxNumber(event.trade_qty) : 0;
	const filledBefore = filledQty - ownQty;
	const avg = positiveAmount(event.avg_price);
	const ownPrice = positiveAmount(event.trade_price);
	const valueBefore =
		avg === null || (ownQty > 0 && ownPrice === null)
			? null
			: filledQty * avg - ownQty * (ownPrice ?? 0);
	const missed = missedFill(filledBefore, valueBefore, known);
	if (missed === null) return null;
	const orderQty = toApproxNumber(event.order_qty);
	return {
		...event,
		event: 'trade',
		status: orderQty > 0 && filledBefore >= orderQty ? 'FILLED' : 'PARTIALLY_FILLED',
		request: null,
		filled_qty: filledBefore,
		avg_price: valueBefore === null ? null : roundPaise(valueBefore / filledBefore),
		trade_qty: missed.qty,
		trade_price: missed.price,
		trade_ref_id: null,
		order_status: null,
		response_type: null,
		request_type: null,
		update_msg: null,
	};
}

/**
 * What was filled between the known state and `filledQty` (whose fills are worth
 * `filledValue` paise in all, when known): its quantity and average price.
 */
function missedFill(
	filledQty: number,
	filledValue: number | null,
	known: KnownFill | undefined,
): { qty: number; price: number | null } | null {
	const before = known?.filledQty ?? 0;
	const missedQty = filledQty - before;
	if (missedQty <= 0) return null;
	const knownAvg = known?.avgPrice ?? null;
	const valueBefore = before === 0 ? 0 : knownAvg === null ? null : before * knownAvg;
	if (filledValue === null || valueBefore === null) return { qty: missedQty, price: null };
	const price = roundPaise((filledValue - valueBefore) / missedQty);
	return { qty: missedQty, price: price > 0 ? price : null };
}

/** Strategy orders: their legs' fills are counted in other units than the order's. */
function hasLegs(event: NubraEvent): boolean {
	return event.legs !== undefined || event.is_multi === true;
}

/** Prices worked out from averages keep two decimals of paise. */
function roundPaise(value: number): number {
	return Math.round(value * 100) / 100;
}
