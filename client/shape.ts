import { toApproxNumber } from './int64';
import type { DeliveredEvent, StreamStatus } from './stream';
import type { NubraEvent, NubraLeg } from './types';

export interface ItemShapeOptions {
	/** 'simplified': the flat event; 'full': the whole decoded message (or snapshot row). */
	output: 'simplified' | 'full';
	/** Add `<field>_rupees` beside each paise field (paise ÷ 100). */
	addRupeeAmounts: boolean;
	/** Add `received_at`, `recovered` and `dedup_key`. */
	includeMetadata: boolean;
}

/** Leg paise fields and their rupee fields; the flat item's are converted in `addRupees`. */
const LEG_PAISE_FIELDS = ['order_price', 'avg_price', 'trade_price'] as const;
const LEG_RUPEE_FIELDS = LEG_PAISE_FIELDS.map((field) => `${field}_rupees`);

function rupees(value: unknown): number | null {
	return value === null || value === undefined ? null : toApproxNumber(value) / 100;
}

/** The fields every event has (`NubraEvent` without its optional and extra ones). */
type CoreFields = {
	[
		K in keyof NubraEvent as string extends K ? never : undefined extends NubraEvent[K] ? never : K
	]: NubraEvent[K];
};

/**
 * The item's copy of an event's fields, as one object literal: V8 gives it a fixed layout with
 * room for every field, so the fields added after (rupees, metadata) stay cheap. A spread or
 * `Object.assign` copy that fields are then added to falls back to a slow dictionary object
 * (see bench/README.md for the figures).
 */
function copyCoreFields(e: NubraEvent): CoreFields {
	return {
		event: e.event,
		api_version: e.api_version,
		status: e.status,
		request: e.request,
		order_id: e.order_id,
		ref_id: e.ref_id,
		exchange: e.exchange,
		exchange_order_id: e.exchange_order_id,
		display_name: e.display_name,
		side: e.side,
		order_qty: e.order_qty,
		order_price: e.order_price,
		filled_qty: e.filled_qty,
		avg_price: e.avg_price,
		trade_qty: e.trade_qty,
		trade_price: e.trade_price,
		trigger_price: e.trigger_price,
		order_status: e.order_status,
		response_type: e.response_type,
		request_type: e.request_type,
		order_type: e.order_type,
		order_type_v2: e.order_type_v2,
		strategy_type: e.strategy_type,
		price_type: e.price_type,
		validity_type: e.validity_type,
		delivery_type: e.delivery_type,
		tag: e.tag,
		tags: e.tags,
		update_msg: e.update_msg,
		asset: e.asset,
		asset_type: e.asset_type,
		derivative_type: e.derivative_type,
		is_sor: e.is_sor,
		last_modified: e.last_modified,
		last_modified_at: e.last_modified_at,
		leg_size: e.leg_size,
		algo_duration: e.algo_duration,
		max_prate: e.max_prate,
		algo_params: e.algo_params,
	};
}

const CORE_ORDER: readonly string[] = Object.keys(copyCoreFields({} as NubraEvent));
const CORE_FIELDS: ReadonlySet<string> = new Set(CORE_ORDER);

/**
 * A copy of the event that fields can be added to: the core fields, then its extra ones, but
 * not those left undefined (fields a generation names on every event and sets on some).
 */
function extensibleCopy(event: NubraEvent): ShapedItem {
	const item: ShapedItem = copyCoreFields(event);
	// The normaliser writes the core fields first, in this order: those are matched by position
	// (no lookup); any other key is checked, so an event in another order is copied whole too.
	let position = 0;
	for (const key in event) {
		if (position < CORE_ORDER.length && key === CORE_ORDER[position]) {
			position++;
			continue;
		}
		position = CORE_ORDER.length;
		const value = event[key];
		if (value !== undefined && !CORE_FIELDS.has(key)) item[key] = value;
	}
	return item;
}

/** Adds `<field>_rupees` after the fields, for each paise field the event has. */
function addRupees(item: ShapedItem, event: NubraEvent): void {
	item.order_price_rupees = rupees(event.order_price);
	item.avg_price_rupees = rupees(event.avg_price);
	item.trade_price_rupees = rupees(event.trade_price);
	item.trigger_price_rupees = rupees(event.trigger_price);
	if ('ltp' in event) item.ltp_rupees = rupees(event.ltp);
	if (event.legs) item.legs = event.legs.map(legWithRupees);
}

function legWithRupees(leg: NubraLeg): ShapedItem {
	const out: ShapedItem = {};
	for (const key in leg) out[key] = leg[key as keyof NubraLeg];
	for (let i = 0; i < LEG_PAISE_FIELDS.length; i++) {
		const field = LEG_PAISE_FIELDS[i];
		if (field in leg) out[LEG_RUPEE_FIELDS[i]] = rupees(leg[field]);
	}
	return out;
}

/** The ISO text of the last receive time: the events of a burst mostly share a millisecond. */
let lastReceivedMs = Number.NaN;
let lastReceivedIso = '';

function receivedIso(at: Date): string {
	const ms = at.getTime();
	if (ms !== lastReceivedMs) {
		lastReceivedIso = at.toISOString();
		lastReceivedMs = ms;
	}
	return lastReceivedIso;
}

export type ShapedItem = Record<string, unknown>;

/** The JSON of the workflow item for one delivered event. */
export function shapeEventItem(delivered: DeliveredEvent, options: ItemShapeOptions): ShapedItem {
	const event: NubraEvent = delivered.event;
	let item: ShapedItem;
	if (options.output === 'full') {
		item = {
			event: event.event,
			api_version: event.api_version,
			status: event.status,
			order_id: event.order_id,
			message: delivered.message ?? null,
		};
	} else {
		item = extensibleCopy(event);
		if (options.addRupeeAmounts) addRupees(item, event);
	}
	if (options.includeMetadata) {
		item.received_at = receivedIso(delivered.receivedAt);
		item.recovered = delivered.recovered;
		item.dedup_key = delivered.dedupKey;
	}
	return item;
}

/**
 * The item for a connection event (when the user asked for them), or null for statuses
 * that are not worth a workflow run (connecting, reconnecting, warnings).
 */
export function shapeConnectionItem(
	status: StreamStatus,
	at: Date = new Date(),
): ShapedItem | null {
	const base = { event: 'connection', state: status.state, at: at.toISOString() };
	switch (status.state) {
		case 'connected':
			return { ...base, url: status.url, attempt: status.attempt };
		case 'disconnected':
			return { ...base, reason: status.reason, code: status.code ?? null };
		case 'recovered':
			return { ...base, recovered_count: status.count };
		case 'gave-up':
		case 'session-contested':
			return {
				...base,
				reason: status.error.message,
				code: status.error.code,
				hint: status.error.hint ?? null,
			};
		case 'session-replaced':
			return { ...base, replaced_count: status.count, login_again_in_ms: status.inMs };
		default:
			return null;
	}
}
