import { toApproxNumber } from './int64';
import type { DeliveredEvent, StreamStatus } from './stream';
import type { Int64, NubraEvent } from './types';

export interface ItemShapeOptions {
	/** 'simplified': the flat event; 'full': the whole decoded message (or snapshot row). */
	output: 'simplified' | 'full';
	/** Add `<field>_rupees` beside each paise field (paise ÷ 100). */
	addRupeeAmounts: boolean;
	/** Add `received_at`, `recovered` and `dedup_key`. */
	includeMetadata: boolean;
}

/** Paise fields of the flat item; legs carry their own. */
const PAISE_FIELDS = ['order_price', 'avg_price', 'trade_price', 'trigger_price', 'ltp'] as const;
const LEG_PAISE_FIELDS = ['order_price', 'avg_price', 'trade_price'] as const;

function rupees(value: unknown): number | null {
	return value === null || value === undefined ? null : toApproxNumber(value) / 100;
}

/**
 * A copy of an event or leg that fields will be added to. `Object.assign` onto a fresh object,
 * not a spread: V8 slows down every field added to a spread copy of an event (the figures are
 * in bench/README.md, from `npm run bench`).
 */
function extensibleCopy(source: object): Record<string, unknown> {
	return Object.assign({}, source) as Record<string, unknown>;
}

function withRupees(source: object, fields: readonly string[]): Record<string, unknown> {
	const record = source as Record<string, unknown>;
	const out = extensibleCopy(record);
	for (const field of fields) {
		if (field in record) out[`${field}_rupees`] = rupees(record[field] as Int64 | null);
	}
	return out;
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
	} else if (options.addRupeeAmounts) {
		item = withRupees(event, PAISE_FIELDS);
		if (event.legs) item.legs = event.legs.map((leg) => withRupees(leg, LEG_PAISE_FIELDS));
	} else {
		// A spread is the fastest copy as long as nothing is added to it (see extensibleCopy).
		item = options.includeMetadata ? extensibleCopy(event) : { ...event };
	}
	if (options.includeMetadata) {
		item.received_at = delivered.receivedAt.toISOString();
		item.recovered = delivered.recovered;
		item.dedup_key = delivered.dedupKey;
	}
	return item;
}

/**
 * The item for a connection event (when the user asked for them), or null for statuses
 * that are not worth a workflow run (connecting, reconnecting, warnings).
 */
export function shapeConnectionItem(status: StreamStatus, at: Date = new Date()): ShapedItem | null {
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
			return { ...base, reason: status.error.message, code: status.error.code, hint: status.error.hint ?? null };
		case 'session-replaced':
			return { ...base, replaced_count: status.count, login_again_in_ms: status.inMs };
		default:
			return null;
	}
}
