/**
 * The event shape users see in n8n: one per order, trade or basket update, whatever API
 * generation (V1 `Order`, V2 `Executions`, V3 `NubraToClientIntentUpdate`) carried it.
 * Field names follow the Nubra seed document (snake_case); enum values are the wire's enum
 * names. Every field is documented in the README ("The event item").
 */

/** A 64-bit integer: a number while it is exact, a decimal string above 2^53 - 1. */
export type Int64 = number | string;

export type NubraEventKind = 'order' | 'trade' | 'basket';

export type NubraApiVersion = 'v1' | 'v2' | 'v3';

/**
 * One status vocabulary across the three generations, so one filter works on any account.
 * PARTIALLY_FILLED is derived (an open order with 0 < filled_qty < order_qty); UNKNOWN marks a
 * wire value this package does not know yet (kept verbatim in `order_status`).
 */
export const NUBRA_STATUSES = [
	'PENDING',
	'SENT',
	'OPEN',
	'PARTIALLY_FILLED',
	'FILLED',
	'TRIGGERED',
	'REJECTED',
	'CANCELLED',
	'EXPIRED',
	'UNKNOWN',
] as const;
export type NubraStatus = (typeof NUBRA_STATUSES)[number];

/** Statuses after which an order can no longer change. */
export const FINAL_STATUSES: ReadonlySet<NubraStatus> = new Set<NubraStatus>([
	'FILLED',
	'REJECTED',
	'CANCELLED',
	'EXPIRED',
]);

/** The request that caused the update, unified from `ORDER_REQUEST_*` and `INTENT_ORDER_REQUEST_TYPE_*`. */
export type NubraRequest = 'NEW' | 'MODIFY' | 'CANCEL';

export interface NubraLeg {
	ref_id: Int64 | null;
	display_name: string | null;
	exchange: string | null;
	side: string | null;
	order_qty: Int64 | null;
	filled_qty: Int64 | null;
	/** V3 `unit_qty`: signed, positive buys and negative sells. */
	unit_qty?: number | null;
	order_price?: Int64 | null;
	avg_price?: Int64 | null;
	trade_qty?: Int64 | null;
	trade_price?: Int64 | null;
	exchange_order_id?: Int64 | null;
}

/** The simplified flat item. Prices are integers in paise, as on the wire. */
export interface NubraEvent {
	event: NubraEventKind;
	api_version: NubraApiVersion;
	status: NubraStatus;
	request: NubraRequest | null;

	order_id: Int64 | null;
	ref_id: Int64 | null;
	exchange: string | null;
	exchange_order_id: Int64 | null;
	display_name: string | null;
	side: string | null;
	order_qty: Int64 | null;
	order_price: Int64 | null;
	filled_qty: Int64 | null;
	avg_price: Int64 | null;
	trade_qty: Int64 | null;
	trade_price: Int64 | null;
	trigger_price: Int64 | null;

	order_status: string | null;
	response_type: string | null;
	request_type: string | null;
	order_type: string | null;
	order_type_v2: string | null;
	strategy_type: string | null;
	price_type: string | null;
	validity_type: string | null;
	delivery_type: string | null;

	tag: string | null;
	tags: string[];
	update_msg: string | null;
	asset: string | null;
	asset_type: string | null;
	derivative_type: string | null;
	is_sor: boolean | null;

	/** Epoch value as sent (nanoseconds on the legacy APIs). */
	last_modified: Int64 | null;
	/** `last_modified` as ISO-8601 text. */
	last_modified_at: string | null;

	leg_size: Int64 | null;
	algo_duration: Int64 | null;
	max_prate: Int64 | null;
	algo_params: Record<string, unknown> | null;

	/** Basket/strategy fields: V1 `basket_id`, V3 `is_multi` + `legs`, V2 FLEXI `basket_params`. */
	basket_id?: Int64 | null;
	is_multi?: boolean;
	legs?: NubraLeg[];
	/** Only on V3: exit triggers (stop-loss, target, trailing) as decoded. */
	exit_triggers?: Record<string, unknown>[];
	/** Generation-specific extras kept under their wire names (ltp, position_id, …). */
	[extra: string]: unknown;
}

/** What `decodeFrame` knows about a frame beyond its events. */
export type FrameKind = 'v1' | 'v2' | 'v3' | 'portfolio' | 'unknown';
