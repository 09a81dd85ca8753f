import { epochToIso } from './int64';
import { int64FromJson } from './normalise';
import { unifyStatus } from './status';
import type { Int64, NubraApiVersion, NubraEvent, NubraLeg } from './types';

/**
 * One row of `GET /sentinel/orders` (camelCase, section 8 of the protocol reference). Only
 * what the catch-up reads is typed; REST may send numbers as strings, so each is parsed.
 */
export type SnapshotRow = Record<string, unknown>;

/** The buckets of `/sentinel/orders`; every row of every bucket is an order's current state. */
export const SNAPSHOT_BUCKETS = ['open', 'executed', 'cancelled', 'expired', 'rejected', 'gtt'] as const;

function record(value: unknown): Record<string, unknown> {
	return typeof value === 'object' && value !== null && !Array.isArray(value)
		? (value as Record<string, unknown>)
		: {};
}

function str(value: unknown): string | null {
	return typeof value === 'string' && value !== '' ? value : null;
}

function qty(value: unknown): number {
	const parsed = typeof value === 'string' ? Number(value) : value;
	return typeof parsed === 'number' && Number.isFinite(parsed) ? parsed : 0;
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
 * Flattens `/sentinel/orders` into its rows, whatever bucket they are in. Takes the whole
 * response body or just its `orders` object.
 */
export function snapshotRows(body: unknown): SnapshotRow[] {
	const outer = record(body);
	const orders = 'orders' in outer ? record(outer.orders) : outer;
	const rows: SnapshotRow[] = [];
	for (const bucket of SNAPSHOT_BUCKETS) {
		const list = orders[bucket];
		if (Array.isArray(list)) for (const row of list) rows.push(record(row));
	}
	return rows;
}

/**
 * The event a catch-up emits for an order whose state moved while the socket was down.
 * It is an `order` event (the snapshot has no trade book) without response or request type.
 */
export function normaliseSnapshotRow(row: SnapshotRow, apiVersion: NubraApiVersion): NubraEvent {
	const refData = record(row.refData);
	const stamps = record(row.timestamps);
	const filledQty = qty(row.filledQty);
	const orderQty = qty(row.orderQty);
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
				const unitQty = qty(leg.unitQty);
				return {
					ref_id: int64FromJson(leg.refId),
					display_name: str(legRef.displayName),
					exchange: str(legRef.exchange),
					side: unitQty > 0 ? 'ORDER_SIDE_BUY' : unitQty < 0 ? 'ORDER_SIDE_SELL' : null,
					order_qty: int64FromJson(leg.orderQty),
					filled_qty: qty(leg.filledQty),
					unit_qty: unitQty,
					avg_price: int64FromJson(leg.filledPrice),
				};
			})
		: [];
	const event: NubraEvent = {
		event: 'order',
		api_version: apiVersion,
		status: unifyStatus(wireStatus, null, filledQty, orderQty),
		request: null,
		order_id: int64FromJson(row.intentOrderId),
		ref_id: int64FromJson(row.refId),
		exchange: str(row.exchange) ?? str(refData.exchange),
		exchange_order_id: (int64FromJson(exchangeOrderIds[0]) as Int64 | null) ?? null,
		display_name: str(refData.displayName),
		side: withPrefix('ORDER_SIDE_', row.side),
		order_qty: orderQty === 0 ? null : orderQty,
		order_price: int64FromJson(row.orderPrice),
		filled_qty: filledQty,
		avg_price: int64FromJson(row.filledPrice),
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
		ltp: int64FromJson(row.ltp),
		position_id: str(row.positionId),
	};
	if (legs.length > 0) event.legs = legs;
	return event;
}
