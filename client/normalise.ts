import type * as protobuf from 'protobufjs';

import { epochToIso, isNonZero, optionalInt64, toApproxNumber, toInt64 } from './int64';
import type { NubraSchema } from './schema';
import { unifyRequest, unifyStatus } from './status';
import type { NubraApiVersion, NubraEvent, NubraLeg } from './types';
import type {
	FieldSelection,
	WireAlgoParams,
	WireExecutionsV2,
	WireExitTriggerV3,
	WireIntentUpdateV3,
	WireLegV3,
	WireOrderParamsV2,
	WireOrderV1,
	WireRefDataV3,
} from './wire';

type EnumTable = Readonly<Record<number, string>>;

/**
 * A field only some frames of a generation have (a trade's `trade_ref_id`, a basket's `legs`).
 * The event still names it, as undefined, so every event of a generation has one object layout
 * and the code that reads events stays monomorphic; items leave undefined fields out
 * (`shapeEventItem`), as JSON does.
 */
const ABSENT = undefined;

/**
 * The fields each generation's events name after the core ones, in order: the literals below
 * write them so (a unit test holds them to it), and items of decoded events are made from this.
 */
export const GENERATION_EXTRAS = {
	v1: ['basket_id'],
	v2: ['ltp', 'trade_ref_id', 'is_multi', 'legs', 'basket_type_name'],
	v3: ['is_multi', 'ltp', 'position_id', 'execution_mode', 'trade_ref_id', 'legs', 'exit_triggers'],
} as const satisfies Record<NubraApiVersion, readonly string[]>;

/** The fields every leg starts with. */
const LEG_FIELDS = [
	'ref_id',
	'display_name',
	'exchange',
	'side',
	'order_qty',
	'filled_qty',
] as const;

/** The fields of each generation's legs, in order, as `legV2` and `legV3` write them. */
export const GENERATION_LEG_FIELDS = {
	v1: [],
	v2: [...LEG_FIELDS, 'order_price', 'avg_price', 'trade_qty', 'trade_price', 'exchange_order_id'],
	v3: [...LEG_FIELDS, 'unit_qty', 'avg_price'],
} as const satisfies Record<NubraApiVersion, readonly (keyof NubraLeg)[]>;

/** Enum number → wire name; an unknown number (a newer server) stays visible as its digits. */
function enumName(table: EnumTable, value: number): string | null {
	if (value === 0) return null;
	return table[value] ?? String(value);
}

function text(value: string): string | null {
	return value === '' ? null : value;
}

/** `EXCH_NSE` → `NSE`: V3 sends the exchange as plain text, so every generation does here. */
function exchangeNames(table: EnumTable): EnumTable {
	return byValue(
		Object.fromEntries(
			Object.entries(table).map(([value, name]) => [
				value,
				name.startsWith('EXCH_') ? name.slice(5) : name,
			]),
		),
	);
}

/**
 * Turns any decoded message into plain JSON-safe data for the "full message" output and for
 * nested structures (algo params, exit triggers): enums as names, int64 as {@link Int64},
 * proto3 defaults left out.
 */
export function messageToPlain(type: protobuf.Type, message: object): Record<string, unknown> {
	const source = message as Record<string, unknown>;
	const out: Record<string, unknown> = {};
	for (const field of type.fieldsArray) {
		const value = source[field.name];
		if (value === undefined || value === null) continue;
		if (field.repeated) {
			const list = value as unknown[];
			if (list.length === 0) continue;
			out[field.name] = list.map((item) => convertField(field, item));
			continue;
		}
		if (!isSet(field, value)) continue;
		out[field.name] = convertField(field, value);
	}
	return out;
}

function isSet(field: protobuf.Field, value: unknown): boolean {
	if (field.resolvedType && 'fieldsArray' in field.resolvedType) return true;
	if (typeof value === 'string') return value !== '';
	if (typeof value === 'boolean') return value;
	if (typeof value === 'number') return value !== 0;
	return isNonZero(value);
}

function convertField(field: protobuf.Field, value: unknown): unknown {
	const resolved = field.resolvedType;
	if (resolved && 'fieldsArray' in resolved) return messageToPlain(resolved, value as object);
	if (resolved && 'valuesById' in resolved) {
		return resolved.valuesById[value as number] ?? String(value);
	}
	if (typeof value === 'object' && value !== null) return toInt64(value);
	// NaN and ±Infinity (double/float fields) are not JSON: keep them visible as text.
	if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
	return value;
}

interface EnumTables {
	exchange: EnumTable;
	side: EnumTable;
	orderType: EnumTable;
	orderStatus: EnumTable;
	deliveryType: EnumTable;
	priceType: EnumTable;
	validityType: EnumTable;
	strategyType: EnumTable;
	requestType: EnumTable;
	responseType: EnumTable;
	executionType: EnumTable;
	executionStatus: EnumTable;
	v3ResponseType: EnumTable;
	v3RequestType: EnumTable;
	v3Status: EnumTable;
	v3OrderType: EnumTable;
	v3Side: EnumTable;
	v3DeliveryType: EnumTable;
	v3PriceType: EnumTable;
	v3ValidityType: EnumTable;
	v3ExecutionMode: EnumTable;
	v3ExitTriggerKind: EnumTable;
}

/**
 * An enum's names as an array indexed by value: reading an element costs less than looking up
 * a numeric key in protobufjs' `valuesById` object. Values too large for an array stay there.
 */
function byValue(table: EnumTable): EnumTable {
	const values = Object.keys(table).map(Number);
	if (!values.every((value) => Number.isInteger(value) && value >= 0 && value < 4096)) return table;
	const names: string[] = [];
	for (const value of values) names[value] = table[value];
	return names;
}

function loadEnumTables(root: protobuf.Root): EnumTables {
	const load = (name: string) => byValue(root.lookupEnum(name).valuesById);
	const oms = (name: string) => load(`protos.zanskarsecurities.oms.${name}`);
	const front = (name: string) => load(`protos.zanskarsecurities.nubrafrontend.${name}`);
	const v3 = (name: string) => load(`nubra.trading.v3.${name}`);
	return {
		exchange: oms('ExchangeType'),
		side: oms('OrderSide'),
		orderType: oms('OrderType'),
		orderStatus: oms('OrderStatus'),
		deliveryType: oms('OrderDeliveryType'),
		priceType: oms('PriceType'),
		validityType: oms('ValidityType'),
		strategyType: oms('StrategyType'),
		requestType: oms('OrderRequestType'),
		responseType: front('OrderResponseType'),
		executionType: front('ExecutionType'),
		executionStatus: front('ExecutionStatus'),
		v3ResponseType: v3('IntentOrderResponseType'),
		v3RequestType: v3('IntentOrderRequestType'),
		v3Status: v3('NubraIntentOrderStatus'),
		v3OrderType: v3('IntentOrderType'),
		v3Side: v3('OrderSide'),
		v3DeliveryType: v3('OrderDeliveryType'),
		v3PriceType: v3('PriceType'),
		v3ValidityType: v3('ValidityType'),
		v3ExecutionMode: v3('ExecutionMode'),
		v3ExitTriggerKind: v3('IntentExitTriggerKind'),
	};
}

/**
 * The fields each normaliser reads, so the reader decodes only those (the rest of a frame is
 * skipped unread); `true` marks a nested message kept whole (it is output as plain data).
 */
const ORDER_PARAMS_V2_FIELDS: FieldSelection<WireOrderParamsV2> = {
	order_price: true,
	avg_fill_price: true,
	filled_qty: true,
	ref_id: true,
	asset_type: true,
	derivative_type: true,
	algo_params: true,
	exchange_order_id: true,
	trade_qty: true,
	trade_price: true,
	validity_type: true,
	asset: true,
	side: true,
	display_name: true,
	qty: true,
};
const REFDATA_V3_FIELDS: FieldSelection<WireRefDataV3> = {
	exchange: true,
	display_name: true,
	asset: true,
	derivative_type: true,
};

export const NORMALISED_FIELDS: {
	v1: FieldSelection<WireOrderV1>;
	v2: FieldSelection<WireExecutionsV2>;
	v3: FieldSelection<WireIntentUpdateV3>;
} = {
	v1: {
		exch: true,
		order_id: true,
		basket_id: true,
		ref_id: true,
		side: true,
		order_type: true,
		order_status: true,
		order_qty: true,
		order_price: true,
		filled_qty: true,
		avg_price: true,
		last_modified: true,
		leg_size: true,
		order_delivery_type: true,
		update_msg: true,
		exchange_order_id: true,
		display_name: true,
		asset: true,
		derivative_type: true,
		trigger_price: true,
		algo_duration: true,
		strategy_type: true,
		max_prate: true,
		response_type: true,
		order_type_v2: true,
		price_type: true,
		validity_type: true,
		algo_params: true,
		asset_type: true,
		trade_qty: true,
		trade_price: true,
		is_sor: true,
		tag: true,
		request_type: true,
	},
	v2: {
		id: true,
		response_type: true,
		delivery_type: true,
		execution_type: true,
		side: true,
		price_type: true,
		qty: true,
		execution_status: true,
		last_mdified_time: true,
		display_name: true,
		order_params: ORDER_PARAMS_V2_FIELDS,
		basket_params: { order_params: ORDER_PARAMS_V2_FIELDS, basket_type_name: true },
		ltp: true,
		update_msg: true,
		exch: true,
		is_sor: true,
		tag: true,
		request_type: true,
	},
	v3: {
		intent_order_response: {
			intent_order_id: true,
			order_status: true,
			exit_triggers: true,
			legs: {
				ref_id: true,
				unit_qty: true,
				filled_qty: true,
				filled_price: true,
				refdata: REFDATA_V3_FIELDS,
				order_qty: true,
			},
			delivery_type: true,
			price_type: true,
			validity_type: true,
			strat_tags: true,
			order_qty: true,
			filled_qty: true,
			ltp: true,
			order_price: true,
			filled_price: true,
			trade_fill: true,
			execution_mode: true,
			nubra_timestamps: { last_modified_at: true, last_updated_at: true },
			position_id: true,
			refdata: REFDATA_V3_FIELDS,
			ref_id: true,
			is_multi: true,
			order_side: true,
			intent_order_type: true,
			rejection_msg: true,
		},
		intent_order_response_type: true,
		intent_order_requst_type: true,
	},
};

export interface Normaliser {
	v1(message: WireOrderV1): NubraEvent;
	v2(message: WireExecutionsV2): NubraEvent;
	v3(message: WireIntentUpdateV3): NubraEvent | null;
}

/** Builds the three per-generation normalisers with their enum tables resolved once. */
export function createNormaliser(schema: NubraSchema): Normaliser {
	const e = loadEnumTables(schema.root);
	const exchanges = exchangeNames(e.exchange);
	const algoParamsType = schema.root.lookupType('protos.zanskarsecurities.oms.AlgoParams');
	const exitTriggerType = schema.root.lookupType('nubra.trading.v3.IntentExitTrigger');
	const algoPlain = (params: WireAlgoParams | null) =>
		params === null ? null : messageToPlain(algoParamsType, params);

	function v1(o: WireOrderV1): NubraEvent {
		const responseType = enumName(e.responseType, o.response_type);
		const orderIdSet = isNonZero(o.order_id);
		// V1 basket frames carry only basket_id, last_modified and response_type.
		const isBasket = !orderIdSet && isNonZero(o.basket_id);
		const isTrade = !isBasket && isNonZero(o.trade_qty);
		const orderStatus = enumName(e.orderStatus, o.order_status);
		const requestType = enumName(e.requestType, o.request_type);
		return {
			event: isBasket ? 'basket' : isTrade ? 'trade' : 'order',
			api_version: 'v1',
			status: unifyStatus(orderStatus, responseType, o.filled_qty, o.order_qty),
			request: unifyRequest(requestType),
			order_id: isBasket ? optionalInt64(o.basket_id) : optionalInt64(o.order_id),
			ref_id: optionalInt64(o.ref_id),
			exchange: enumName(exchanges, o.exch),
			exchange_order_id: optionalInt64(o.exchange_order_id),
			display_name: text(o.display_name),
			side: enumName(e.side, o.side),
			order_qty: o.order_qty === 0 ? null : o.order_qty,
			order_price: optionalInt64(o.order_price),
			filled_qty: isBasket ? null : o.filled_qty,
			avg_price: optionalInt64(o.avg_price),
			trade_qty: optionalInt64(o.trade_qty),
			trade_price: optionalInt64(o.trade_price),
			trigger_price: o.trigger_price === 0 ? null : o.trigger_price,
			order_status: orderStatus,
			response_type: responseType,
			request_type: requestType,
			order_type: enumName(e.orderType, o.order_type),
			order_type_v2: enumName(e.orderType, o.order_type_v2),
			strategy_type: enumName(e.strategyType, o.strategy_type),
			price_type: enumName(e.priceType, o.price_type),
			validity_type: enumName(e.validityType, o.validity_type),
			delivery_type: enumName(e.deliveryType, o.order_delivery_type),
			tag: text(o.tag),
			tags: o.tag === '' ? [] : [o.tag],
			update_msg: text(o.update_msg),
			asset: text(o.asset),
			asset_type: text(o.asset_type),
			derivative_type: text(o.derivative_type),
			is_sor: o.is_sor,
			last_modified: optionalInt64(o.last_modified),
			last_modified_at: epochToIso(o.last_modified),
			leg_size: o.leg_size === 0 ? null : o.leg_size,
			algo_duration: o.algo_duration === 0 ? null : o.algo_duration,
			max_prate: o.max_prate === 0 ? null : o.max_prate,
			algo_params: algoPlain(o.algo_params),
			basket_id: optionalInt64(o.basket_id),
		};
	}

	function legV2(p: WireOrderParamsV2): NubraLeg {
		return {
			ref_id: optionalInt64(p.ref_id),
			display_name: text(p.display_name),
			exchange: null,
			side: enumName(e.side, p.side),
			order_qty: p.qty === 0 ? null : p.qty,
			filled_qty: p.filled_qty,
			order_price: optionalInt64(p.order_price),
			avg_price: optionalInt64(p.avg_fill_price),
			trade_qty: optionalInt64(p.trade_qty),
			trade_price: optionalInt64(p.trade_price),
			exchange_order_id: optionalInt64(p.exchange_order_id),
		};
	}

	function v2(x: WireExecutionsV2): NubraEvent {
		const params = x.order_params;
		const basket = x.basket_params;
		const basketLegs = basket?.order_params ?? [];
		const executionType = enumName(e.executionType, x.execution_type);
		const isFlexi = executionType === 'EXECUTION_TYPE_FLEXI';
		// The fill this frame reports: the single order's, or for FLEXI baskets the leg's that traded.
		const filledLeg =
			params !== null && isNonZero(params.trade_qty)
				? params
				: isFlexi
					? basketLegs.find((leg) => isNonZero(leg.trade_qty))
					: undefined;
		const responseType = enumName(e.responseType, x.response_type);
		const orderStatus = enumName(e.executionStatus, x.execution_status);
		const requestType = enumName(e.requestType, x.request_type);
		const orderQty = isNonZero(x.qty) ? toApproxNumber(x.qty) : (params?.qty ?? 0);
		// A FLEXI basket frame has no order_params: its fill is the sum of its legs' fills, so
		// two leg fills of one basket are two states, not one state seen twice.
		const filledQty =
			params !== null
				? params.filled_qty
				: basketLegs.reduce((sum, leg) => sum + leg.filled_qty, 0);
		const event: NubraEvent = {
			event: filledLeg ? 'trade' : 'order',
			api_version: 'v2',
			status: unifyStatus(orderStatus, responseType, filledQty, orderQty),
			request: unifyRequest(requestType),
			order_id: optionalInt64(x.id),
			ref_id: params ? optionalInt64(params.ref_id) : null,
			exchange: enumName(exchanges, x.exch),
			exchange_order_id: params ? optionalInt64(params.exchange_order_id) : null,
			display_name: text(x.display_name) ?? (params ? text(params.display_name) : null),
			side: enumName(e.side, x.side) ?? (params ? enumName(e.side, params.side) : null),
			order_qty: orderQty === 0 ? null : isNonZero(x.qty) ? toInt64(x.qty) : orderQty,
			order_price: params ? optionalInt64(params.order_price) : null,
			// An order with no fills reports 0, also when the frame leaves the zero off the wire.
			filled_qty: filledQty,
			avg_price: params ? optionalInt64(params.avg_fill_price) : null,
			trade_qty: filledLeg ? toInt64(filledLeg.trade_qty) : null,
			trade_price: filledLeg ? optionalInt64(filledLeg.trade_price) : null,
			trigger_price: params?.algo_params ? optionalInt64(params.algo_params.trigger_price) : null,
			order_status: orderStatus,
			response_type: responseType,
			request_type: requestType,
			order_type: executionType,
			order_type_v2: null,
			strategy_type: null,
			price_type: enumName(e.priceType, x.price_type),
			validity_type: params ? enumName(e.validityType, params.validity_type) : null,
			delivery_type: enumName(e.deliveryType, x.delivery_type),
			tag: text(x.tag),
			tags: x.tag === '' ? [] : [x.tag],
			update_msg: text(x.update_msg),
			asset: params ? text(params.asset) : null,
			asset_type: params ? text(params.asset_type) : null,
			derivative_type: params ? text(params.derivative_type) : null,
			is_sor: x.is_sor,
			last_modified: optionalInt64(x.last_mdified_time),
			last_modified_at: epochToIso(x.last_mdified_time),
			leg_size: params?.algo_params ? params.algo_params.leg_size || null : null,
			algo_duration: params?.algo_params ? params.algo_params.algo_duration || null : null,
			max_prate: params?.algo_params ? params.algo_params.max_prate || null : null,
			algo_params: algoPlain(params?.algo_params ?? null),
			ltp: optionalInt64(x.ltp),
			// Only some frames have these: see ABSENT.
			trade_ref_id: filledLeg && params === null ? optionalInt64(filledLeg.ref_id) : ABSENT,
			is_multi: basket !== null ? true : ABSENT,
			legs: basket !== null ? basketLegs.map(legV2) : ABSENT,
			basket_type_name: basket !== null ? text(basket.basket_type_name) : ABSENT,
		};
		return event;
	}

	function legV3(leg: WireLegV3): NubraLeg {
		return {
			ref_id: optionalInt64(leg.ref_id),
			display_name: leg.refdata ? text(leg.refdata.display_name) : null,
			exchange: leg.refdata ? text(leg.refdata.exchange) : null,
			side: leg.unit_qty > 0 ? 'ORDER_SIDE_BUY' : leg.unit_qty < 0 ? 'ORDER_SIDE_SELL' : null,
			order_qty: leg.order_qty === 0 ? null : leg.order_qty,
			filled_qty: leg.filled_qty,
			unit_qty: leg.unit_qty,
			avg_price: optionalInt64(leg.filled_price),
		};
	}

	function v3(u: WireIntentUpdateV3): NubraEvent | null {
		const r = u.intent_order_response;
		if (r === null) return null;
		const fill = r.trade_fill;
		// Documented rule: a trade iff trade_qty > 0 (a negative quantity is not a fill).
		const isTrade = fill !== null && toApproxNumber(fill.trade_qty) > 0;
		const responseType = enumName(e.v3ResponseType, u.intent_order_response_type);
		const orderStatus = enumName(e.v3Status, r.order_status);
		const requestType = enumName(e.v3RequestType, u.intent_order_requst_type);
		const refdata = r.refdata;
		const stamps = r.nubra_timestamps;
		const lastModified = stamps
			? isNonZero(stamps.last_modified_at)
				? stamps.last_modified_at
				: stamps.last_updated_at
			: 0;
		let stopLoss: WireExitTriggerV3 | undefined;
		for (const trigger of r.exit_triggers) {
			if (e.v3ExitTriggerKind[trigger.kind] === 'INTENT_EXIT_TRIGGER_KIND_STOPLOSS') {
				stopLoss = trigger;
				break;
			}
		}
		const event: NubraEvent = {
			event: isTrade ? 'trade' : 'order',
			api_version: 'v3',
			status: unifyStatus(
				orderStatus,
				responseType,
				toApproxNumber(r.filled_qty),
				toApproxNumber(r.order_qty),
			),
			request: unifyRequest(requestType),
			order_id: optionalInt64(r.intent_order_id),
			ref_id: optionalInt64(r.ref_id),
			exchange: refdata ? text(refdata.exchange) : null,
			exchange_order_id: null,
			display_name: refdata ? text(refdata.display_name) : null,
			side: enumName(e.v3Side, r.order_side),
			order_qty: optionalInt64(r.order_qty),
			order_price: optionalInt64(r.order_price),
			filled_qty: toInt64(r.filled_qty),
			avg_price: optionalInt64(r.filled_price),
			trade_qty: isTrade ? toInt64(fill.trade_qty) : null,
			trade_price: isTrade ? optionalInt64(fill.trade_price) : null,
			trigger_price: stopLoss ? optionalInt64(stopLoss.trigger_price) : null,
			order_status: orderStatus,
			response_type: responseType,
			request_type: requestType,
			order_type: enumName(e.v3OrderType, r.intent_order_type),
			order_type_v2: null,
			strategy_type: null,
			price_type: enumName(e.v3PriceType, r.price_type),
			validity_type: enumName(e.v3ValidityType, r.validity_type),
			delivery_type: enumName(e.v3DeliveryType, r.delivery_type),
			tag: r.strat_tags.length > 0 ? r.strat_tags[0] : null,
			// A non-empty list is this frame's own array; an empty one is the reader's shared one.
			tags: r.strat_tags.length > 0 ? r.strat_tags : [],
			update_msg: text(r.rejection_msg),
			asset: refdata ? text(refdata.asset) : null,
			asset_type: null,
			derivative_type: refdata ? text(refdata.derivative_type) : null,
			is_sor: null,
			last_modified: optionalInt64(lastModified),
			last_modified_at: epochToIso(lastModified),
			leg_size: null,
			algo_duration: null,
			max_prate: null,
			algo_params: null,
			is_multi: r.is_multi,
			ltp: optionalInt64(r.ltp),
			position_id: text(r.position_id),
			execution_mode: enumName(e.v3ExecutionMode, r.execution_mode),
			// Only some frames have these: see ABSENT.
			trade_ref_id: isTrade ? optionalInt64(fill.ref_id) : ABSENT,
			legs: r.legs.length > 0 ? r.legs.map(legV3) : ABSENT,
			exit_triggers:
				r.exit_triggers.length > 0
					? r.exit_triggers.map((trigger) => messageToPlain(exitTriggerType, trigger))
					: ABSENT,
		};
		return event;
	}

	return { v1, v2, v3 };
}
