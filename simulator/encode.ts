import { Enum, Type } from 'protobufjs';
import { loadNubraSchema, MESSAGE_NAMES } from '../client/schema';
import { NUBRA_STATUSES } from '../client/types';
import type { OrderChange } from './book';
import type {
	LedgerEntry,
	LedgerKind,
	NubraApiVersion,
	NubraStatus,
	SimLeg,
	SimOrder,
	SimResponseType,
} from './types';

/**
 * Builds the frames the real server pushes: an outer `google.protobuf.Any` whose value is an
 * inner `Any` naming the order-update message. Every message goes through the protobufjs types
 * of `loadNubraSchema()`, so the `.proto` files stay the only description of the wire.
 */

const TYPE_URL_PREFIX = 'type.googleapis.com/';
type Fields = Record<string, unknown>;

/** Wire status name per generation. EXPIRED has no V1/V2 number, so those send CANCELLED. */
const WIRE_STATUS: Record<NubraApiVersion, Record<NubraStatus, string>> = {
	v1: statusTable('ORDER_STATUS_', { EXPIRED: 'CANCELLED', PARTIALLY_FILLED: 'OPEN' }),
	v2: {
		...statusTable('EXECUTION_STATUS_', { EXPIRED: 'CANCELLED', PARTIALLY_FILLED: 'OPEN' }),
		// Nubra's descriptor spells this one value without the T.
		REJECTED: 'EXECUTION_SATUS_REJECTED',
	},
	v3: statusTable('INTENT_ORDER_STATUS_', {
		FILLED: 'EXECUTED',
		PARTIALLY_FILLED: 'OPEN',
		TRIGGERED: 'OPEN',
		PENDING: 'OPEN',
		SENT: 'OPEN',
	}),
};

const V3_RESPONSE: Record<SimResponseType, string> = {
	ACCEPT: 'ACCEPT',
	REJECT: 'REJECT',
	FILLED: 'FILLED',
	TRIGGERED: 'EXIT_SL_TRIGGERED',
	UNSOLICITED_CANCEL: 'UNSOLICITED_CANCEL',
	EXPIRED: 'UNSOLICITED_CANCEL',
};

const LEGACY_RESPONSE: Record<SimResponseType, string> = {
	ACCEPT: 'ORDER_ACCEPTED',
	REJECT: 'ORDER_REJECTED',
	FILLED: 'ORDER_FILLED',
	TRIGGERED: 'ORDER_TRIGGERED',
	UNSOLICITED_CANCEL: 'ORDER_CANCELLED',
	EXPIRED: 'ORDER_CANCELLED',
};

const LEGACY_REQUEST = {
	NEW: 'ORDER_REQUEST_NEW',
	MODIFY: 'ORDER_REQUEST_MOD',
	CANCEL: 'ORDER_REQUEST_CANCEL',
};
const V3_REQUEST = {
	NEW: 'INTENT_ORDER_REQUEST_TYPE_NEW',
	MODIFY: 'INTENT_ORDER_REQUEST_TYPE_MOD',
	CANCEL: 'INTENT_ORDER_REQUEST_TYPE_CANCEL',
};

/** The status enum name a frame of `version` carries for a unified status. */
export function wireStatus(status: NubraStatus, version: NubraApiVersion): string {
	return WIRE_STATUS[version][status];
}

/**
 * What a decoder that follows the protocol reference derives from this entry's frame in
 * `version`: V1 alone has sparse basket frames (V2/V3 basket updates route as orders), V1 and V2
 * have no EXPIRED, and a V1 leg fill names the leg's own order id.
 */
export function expectedEvent(
	entry: LedgerEntry,
	version: NubraApiVersion,
): { event: LedgerKind; status: NubraStatus; orderId: string } {
	return {
		event: entry.kind === 'basket' && version !== 'v1' ? 'order' : entry.kind,
		status: entry.status === 'EXPIRED' && version !== 'v3' ? 'CANCELLED' : entry.status,
		orderId: version === 'v1' && entry.legOrderId ? entry.legOrderId : entry.orderId,
	};
}

/** The response-type enum name a frame of `version` carries for one change. */
export function wireResponseType(change: OrderChange, version: NubraApiVersion): string {
	const { order } = change;
	const responseType = order.responseType ?? 'ACCEPT';
	if (version === 'v3') {
		// A strategy order completed in one go has no single trade to report.
		if (change.kind === 'basket' && order.status === 'FILLED')
			return 'INTENT_ORDER_RESPONSE_TYPE_EXECUTED';
		return `INTENT_ORDER_RESPONSE_TYPE_${V3_RESPONSE[responseType]}`;
	}
	if (change.kind === 'basket' && order.status === 'FILLED') return 'BASKET_FILLED';
	if (order.request === 'CANCEL' && responseType === 'ACCEPT') return 'ORDER_CANCELLED';
	return LEGACY_RESPONSE[responseType];
}

export function encodeChange(change: OrderChange, version: NubraApiVersion): Uint8Array {
	const schema = loadNubraSchema();
	switch (version) {
		case 'v1':
			return wrapInEnvelope(MESSAGE_NAMES.v1, encodeWith(schema.order, v1Fields(change)));
		case 'v2':
			return wrapInEnvelope(MESSAGE_NAMES.v2, encodeWith(schema.executions, v2Fields(change)));
		case 'v3':
			return wrapInEnvelope(MESSAGE_NAMES.v3, encodeWith(schema.intentUpdate, v3Fields(change)));
	}
}

/** Outer Any → inner Any(`type.googleapis.com/<fullName>`) → message bytes. */
export function wrapInEnvelope(innerFullName: string, value: Uint8Array): Uint8Array {
	const { any } = loadNubraSchema();
	const inner = encodeWith(any, { type_url: TYPE_URL_PREFIX + innerFullName, value });
	return encodeWith(any, { type_url: `${TYPE_URL_PREFIX}google.protobuf.Any`, value: inner });
}

export function encodeWith(type: Type, fields: Fields): Uint8Array {
	assertKnownNames(type, fields);
	return type.encode(type.fromObject(fields)).finish();
}

/**
 * protobufjs's `fromObject` silently drops a field name or an enum name the schema does not
 * know, so a misspelt name would leave the field off the wire. Every name must be the .proto's.
 */
function assertKnownNames(type: Type, fields: Fields): void {
	for (const [key, value] of Object.entries(fields)) {
		if (value === undefined) continue;
		const field = type.fields[key];
		if (field === undefined) throw new RangeError(`${type.fullName} has no field ${key}`);
		const resolved = field.resolve().resolvedType;
		for (const item of Array.isArray(value) ? value : [value]) {
			if (resolved instanceof Enum && typeof item === 'string' && !(item in resolved.values)) {
				throw new RangeError(
					`${resolved.fullName} has no value ${item} (field ${type.fullName}.${key})`,
				);
			}
			if (
				resolved instanceof Type &&
				typeof item === 'object' &&
				item !== null &&
				!(item instanceof Uint8Array)
			) {
				assertKnownNames(resolved, item as Fields);
			}
		}
	}
}

function v1Fields(change: OrderChange): Fields {
	const { order, timestampNs } = change;
	const common = {
		last_modified: timestampNs,
		response_type: wireResponseType(change, 'v1'),
	};
	// The SDK knows a basket update by its sparse frame: basket id, time and response only.
	if (change.kind === 'basket') return { basket_id: order.id, ...common };
	const request_type = LEGACY_REQUEST[order.request];
	if (change.leg)
		return { ...v1LegFields(order, change.leg), ...common, ...tradeFields(change), request_type };
	const spec = order.spec;
	return {
		...common,
		exch: exchangeEnum(spec.exchange),
		order_id: order.id,
		user_id: SIM_USER_ID,
		zanskar_id: spec.refId,
		ref_id: spec.refId,
		side: sideEnum(spec.side),
		order_type: spec.triggerPrice ? 'ORDER_TYPE_STOPLOSS' : `ORDER_TYPE_${spec.priceType}`,
		order_type_v2: 'ORDER_TYPE_REGULAR',
		order_status: wireStatus(order.status, 'v1'),
		order_qty: order.orderQty,
		order_price: order.orderPrice,
		order_time: msToNs(order.createdAt),
		ack_time: order.status === 'REJECTED' ? undefined : msToNs(order.createdAt),
		filled_qty: order.filledQty,
		avg_price: order.avgPrice,
		filled_time: order.status === 'FILLED' ? timestampNs : undefined,
		cancel_time: ['CANCELLED', 'EXPIRED'].includes(order.status) ? timestampNs : undefined,
		reject_time: order.status === 'REJECTED' ? timestampNs : undefined,
		order_delivery_type: `ORDER_DELIVERY_TYPE_${spec.deliveryType}`,
		update_msg: change.updateMsg,
		client_code: SIM_CLIENT_CODE,
		exchange_order_id: order.status === 'REJECTED' ? undefined : order.exchangeOrderId,
		display_name: spec.displayName,
		lot_size: spec.lotSize,
		stock_name: spec.asset,
		asset: spec.asset,
		derivative_type: spec.derivativeType,
		asset_type: spec.derivativeType,
		trigger_price: spec.triggerPrice,
		strategy_type: spec.triggerPrice ? 'STRATEGY_TYPE_STOPLOSS' : `STRATEGY_TYPE_${spec.priceType}`,
		price_type: `PRICE_TYPE_${spec.priceType}`,
		validity_type: `VALIDITY_TYPE_${spec.validity}`,
		tag: spec.tag,
		request_type,
		...tradeFields(change),
	};
}

function v1LegFields(order: SimOrder, leg: SimLeg): Fields {
	return {
		exch: exchangeEnum(leg.exchange),
		order_id: leg.legOrderId,
		basket_id: order.id,
		user_id: SIM_USER_ID,
		zanskar_id: leg.refId,
		ref_id: leg.refId,
		side: sideEnum(leg.side),
		order_type: 'ORDER_TYPE_LIMIT',
		// Nubra's SDK drops a non-basket Order frame without a strategy type, leg fills included.
		strategy_type: 'STRATEGY_TYPE_LIMIT',
		order_status: leg.filledQty >= leg.qty ? 'ORDER_STATUS_FILLED' : 'ORDER_STATUS_OPEN',
		order_qty: leg.qty,
		order_price: leg.price,
		order_time: msToNs(order.createdAt),
		filled_qty: leg.filledQty,
		avg_price: leg.avgPrice,
		exchange_order_id: leg.exchangeOrderId,
		display_name: leg.displayName,
		lot_size: leg.lotSize,
		stock_name: leg.asset,
		asset: leg.asset,
		derivative_type: leg.derivativeType,
		asset_type: leg.derivativeType,
		client_code: SIM_CLIENT_CODE,
		tag: order.spec.tag,
	};
}

function v2Fields(change: OrderChange): Fields {
	const { order, timestampNs } = change;
	const spec = order.spec;
	const fields: Fields = {
		id: order.id,
		response_type: wireResponseType(change, 'v2'),
		delivery_type: `ORDER_DELIVERY_TYPE_${spec.deliveryType}`,
		side: order.isBasket ? undefined : sideEnum(spec.side),
		price_type: `PRICE_TYPE_${spec.priceType}`,
		qty: order.orderQty,
		execution_status: wireStatus(order.status, 'v2'),
		last_mdified_time: timestampNs,
		creation_time: msToNs(order.createdAt),
		display_name: spec.displayName,
		ltp: spec.price,
		update_msg: change.updateMsg,
		exch: exchangeEnum(spec.exchange),
		tag: spec.tag,
		request_type: LEGACY_REQUEST[order.request],
	};
	if (order.isBasket) {
		fields.execution_type = 'EXECUTION_TYPE_FLEXI';
		fields.basket_params = {
			basket_strategy: 1,
			entry_price: order.orderPrice,
			filled_entry_price: order.avgPrice,
			start_tie: msToNs(order.createdAt),
			basket_type_name: spec.displayName,
			order_params: order.legs.map((leg) => ({
				...orderParams(leg.price, leg.avgPrice, leg.filledQty, leg.qty, leg, leg.side),
				exchange_order_id: leg.exchangeOrderId,
				...(change.leg?.legOrderId === leg.legOrderId ? tradeFields(change) : {}),
			})),
		};
		return fields;
	}
	fields.execution_type = spec.triggerPrice ? 'EXECUTION_TYPE_STOPLOSS' : 'EXECUTION_TYPE_REGULAR';
	fields.order_params = {
		...orderParams(
			order.orderPrice,
			order.avgPrice,
			order.filledQty,
			order.orderQty,
			spec,
			spec.side,
		),
		exchange_order_id: order.status === 'REJECTED' ? undefined : order.exchangeOrderId,
		validity_type: `VALIDITY_TYPE_${spec.validity}`,
		algo_params: spec.triggerPrice ? { trigger_price: spec.triggerPrice } : undefined,
		...tradeFields(change),
	};
	return fields;
}

function orderParams(
	price: number,
	avgPrice: number,
	filledQty: number,
	qty: number,
	instrument: SimOrder['spec'] | SimLeg,
	side: 'BUY' | 'SELL',
): Fields {
	return {
		order_price: price,
		avg_fill_price: avgPrice,
		filled_qty: filledQty,
		zanskar_id: instrument.refId,
		ref_id: instrument.refId,
		stock_name: instrument.asset,
		asset_type: instrument.derivativeType,
		derivative_type: instrument.derivativeType,
		asset: instrument.asset,
		lot_size: instrument.lotSize,
		option_type: instrument.optionType
			? instrument.optionType === 'CE'
				? 'CALL'
				: 'PUT'
			: undefined,
		strike_price: strikePaise(instrument.displayName),
		side: sideEnum(side),
		display_name: instrument.displayName,
		qty,
	};
}

function v3Fields(change: OrderChange): Fields {
	const { order, timestampNs } = change;
	const spec = order.spec;
	const ended = ['CANCELLED', 'EXPIRED'].includes(order.status);
	const response: Fields = {
		intent_order_id: order.id,
		order_status: wireStatus(order.status, 'v3'),
		filled_at: order.status === 'FILLED' ? timestampNs : undefined,
		delivery_type: `ORDER_DELIVERY_TYPE_${spec.deliveryType}`,
		price_type: `PRICE_TYPE_${spec.priceType}`,
		validity_type: `VALIDITY_TYPE_${spec.validity}`,
		strat_tags: spec.tag ? [spec.tag] : [],
		order_qty: order.orderQty,
		filled_qty: order.filledQty,
		ltp: spec.price,
		order_price: order.orderPrice,
		filled_price: order.avgPrice,
		execution_mode: 'EXECUTION_MODE_ENTRY',
		nubra_timestamps: {
			intent_created_at: msToNs(order.createdAt),
			sent_to_colo_at: order.status === 'REJECTED' ? undefined : msToNs(order.createdAt),
			filled_at: order.status === 'FILLED' ? timestampNs : undefined,
			cancelled_at: ended ? timestampNs : undefined,
			last_modified_at: timestampNs,
			last_updated_at: timestampNs,
		},
		position_id: `POS-${order.id}`,
		refdata: refData(spec),
		ref_id: spec.refId,
		is_multi: order.isBasket,
		order_side: order.isBasket ? undefined : `ORDER_SIDE_${spec.side}`,
		intent_order_type: order.isBasket
			? 'INTENT_ORDER_TYPE_FLEXI'
			: spec.triggerPrice
				? 'INTENT_ORDER_TYPE_TRIGGER'
				: 'INTENT_ORDER_TYPE_REGULAR',
		rejection_msg: order.rejectionMsg,
		legs: order.legs.map((leg) => ({
			ref_id: leg.refId,
			unit_qty: leg.side === 'BUY' ? leg.qty : -leg.qty,
			filled_qty: leg.filledQty,
			filled_price: leg.avgPrice,
			refdata: refData(leg),
			order_qty: leg.qty,
		})),
		exit_triggers: spec.triggerPrice ? [stopLossTrigger(order, spec.triggerPrice)] : [],
	};
	if (change.tradeQty) {
		response.trade_fill = {
			trade_qty: change.tradeQty,
			trade_price: change.tradePrice,
			ref_id: change.leg?.refId ?? spec.refId,
		};
	}
	return {
		intent_order_response: response,
		intent_order_response_type: wireResponseType(change, 'v3'),
		intent_order_requst_type: V3_REQUEST[order.request],
	};
}

function stopLossTrigger(order: SimOrder, triggerPrice: number): Fields {
	let status = 'INTENT_EXIT_TRIGGER_STATUS_OPEN';
	if (order.triggered)
		status =
			order.status === 'FILLED'
				? 'INTENT_EXIT_TRIGGER_STATUS_FILLED'
				: 'INTENT_EXIT_TRIGGER_STATUS_TRIGGERED';
	else if (['CANCELLED', 'EXPIRED', 'REJECTED'].includes(order.status))
		status = 'INTENT_EXIT_TRIGGER_STATUS_CANCELLED';
	return {
		kind: 'INTENT_EXIT_TRIGGER_KIND_STOPLOSS',
		condition_kind:
			order.spec.side === 'BUY'
				? 'LTP_CONDITION_KIND_AT_OR_ABOVE'
				: 'LTP_CONDITION_KIND_AT_OR_BELOW',
		trigger_price: triggerPrice,
		limit_price: order.orderPrice,
		status,
	};
}

function refData(instrument: SimOrder['spec'] | SimLeg): Fields {
	return {
		ref_id: instrument.refId,
		zanskar_id: instrument.refId,
		option_type: instrument.optionType,
		token: instrument.refId,
		stock_name: instrument.asset,
		series: instrument.derivativeType === 'STOCK' ? 'EQ' : undefined,
		zanskar_name: instrument.displayName,
		lot_size: instrument.lotSize,
		asset: instrument.asset,
		exchange: instrument.exchange,
		derivative_type: instrument.derivativeType,
		display_name: instrument.displayName,
	};
}

function tradeFields(change: OrderChange): Fields {
	return change.tradeQty ? { trade_qty: change.tradeQty, trade_price: change.tradePrice } : {};
}

const SIM_USER_ID = 700_001;
const SIM_CLIENT_CODE = 'SIM0001';

function exchangeEnum(exchange: 'NSE' | 'BSE'): string {
	return `EXCH_${exchange}`;
}

function sideEnum(side: 'BUY' | 'SELL'): string {
	return `ORDER_SIDE_${side}`;
}

function msToNs(ms: number): string {
	return String(BigInt(ms) * 1_000_000n);
}

/** "NIFTY 25DEC 24000 CE" → 2 400 000 paise; undefined for anything but an option. */
function strikePaise(displayName: string): number | undefined {
	const match = /\s(\d+(?:\.\d+)?)\s(?:CE|PE)$/.exec(displayName);
	return match ? Math.round(Number(match[1]) * 100) : undefined;
}

function statusTable(
	prefix: string,
	overrides: Partial<Record<NubraStatus, string>>,
): Record<NubraStatus, string> {
	return Object.fromEntries(
		NUBRA_STATUSES.map((name) => [name, prefix + (overrides[name] ?? name)]),
	) as Record<NubraStatus, string>;
}
