/**
 * Realistic, densely populated order-update payloads (plain objects for `Type.fromObject`) for
 * the decoder suites. Numbers are chosen so each normalised field can be traced back to exactly
 * one wire field: no two fields share a value.
 */

/** 2023-11-14T22:13:20.123Z in epoch nanoseconds (legacy REST unit). */
export const T_NS = '1700000000123000000';
export const T_ISO = '2023-11-14T22:13:20.123Z';

/** V1 `Order`: a partly filled NSE limit buy with algo params and meta info. */
export function v1Order(overrides: Record<string, unknown> = {}): Record<string, unknown> {
	return {
		exch: 'EXCH_NSE',
		order_id: 1001,
		user_id: 7,
		zanskar_id: 8,
		ref_id: 2002,
		side: 'ORDER_SIDE_BUY',
		order_type: 'ORDER_TYPE_LIMIT',
		order_status: 'ORDER_STATUS_OPEN',
		order_qty: 100,
		order_price: 250050,
		order_time: '1700000000000000000',
		filled_qty: 40,
		avg_price: 250025,
		last_modified: T_NS,
		leg_size: 11,
		order_delivery_type: 'ORDER_DELIVERY_TYPE_IDAY',
		update_msg: 'partially filled',
		client_code: 'CL01',
		exchange_order_id: 3003,
		display_name: 'RELIANCE',
		lot_size: 1,
		stock_name: 'RELIANCE',
		asset: 'RELIANCE',
		derivative_type: 'STOCK',
		trigger_price: -12,
		algo_duration: 13,
		strategy_type: 'STRATEGY_TYPE_LIMIT',
		max_prate: 14,
		response_type: 'ORDER_ACCEPTED',
		order_type_v2: 'ORDER_TYPE_REGULAR',
		price_type: 'PRICE_TYPE_LIMIT',
		validity_type: 'VALIDITY_TYPE_DAY',
		algo_params: { trigger_price: 4004, leg_size: 15, algo_id: 'algo-1', cleanup_max_prate: 0.5 },
		asset_type: 'STOCKS',
		is_sor: true,
		tag: 'my-tag',
		request_type: 'ORDER_REQUEST_NEW',
		order_expiry_date: '1700086400000000000',
		meta_info: { parent_order_id: 5005, response_id: 6006 },
		...overrides,
	};
}

/** V2 `Executions`: a single (non-basket) regular execution with order params. */
export function v2Single(overrides: Record<string, unknown> = {}): Record<string, unknown> {
	return {
		id: 7007,
		response_type: 'ORDER_FILLED',
		delivery_type: 'ORDER_DELIVERY_TYPE_CNC',
		execution_type: 'EXECUTION_TYPE_REGULAR',
		side: 'ORDER_SIDE_SELL',
		price_type: 'PRICE_TYPE_MARKET',
		qty: 50,
		execution_status: 'EXECUTION_STATUS_OPEN',
		last_mdified_time: T_NS,
		creation_time: '1699999999000000000',
		display_name: 'INFY',
		order_params: {
			order_price: 150000,
			avg_fill_price: 149975,
			filled_qty: 20,
			zanskar_id: 9,
			ref_id: 8008,
			stock_name: 'INFY',
			asset_type: 'STOCKS',
			derivative_type: 'STOCK',
			algo_params: { trigger_price: 9009, leg_size: 16, algo_duration: 17, max_prate: 18 },
			exchange_order_id: 10010,
			trade_qty: 20,
			trade_price: 149975,
			validity_type: 'VALIDITY_TYPE_IOC',
			asset: 'INFY',
			lot_size: 1,
			side: 'ORDER_SIDE_SELL',
			display_name: 'INFY-param',
			qty: 50,
		},
		ltp: 149900,
		update_msg: 'fill',
		exch: 'EXCH_BSE',
		is_sor: false,
		tag: 'v2-tag',
		request_type: 'ORDER_REQUEST_MOD',
		...overrides,
	};
}

/** V2 FLEXI basket: two legs under basket_params.order_params, no top-level order_params. */
export function v2Flexi(
	legTradeQty: [number, number] = [0, 0],
	overrides: Record<string, unknown> = {},
): Record<string, unknown> {
	return {
		id: 11011,
		response_type: 'ORDER_ACCEPTED',
		execution_type: 'EXECUTION_TYPE_FLEXI',
		execution_status: 'EXECUTION_STATUS_LIVE',
		qty: 2,
		exch: 'EXCH_NSE',
		last_mdified_time: T_NS,
		basket_params: {
			basket_strategy: 3,
			basket_type_name: 'STRADDLE',
			order_params: [
				{
					ref_id: 12012,
					display_name: 'NIFTY 24000 CE',
					side: 'ORDER_SIDE_BUY',
					qty: 75,
					filled_qty: 0,
					order_price: 10000,
					trade_qty: legTradeQty[0],
					trade_price: legTradeQty[0] ? 10100 : 0,
					exchange_order_id: 13013,
				},
				{
					ref_id: 14014,
					display_name: 'NIFTY 24000 PE',
					side: 'ORDER_SIDE_SELL',
					qty: 75,
					filled_qty: 25,
					order_price: 9000,
					avg_fill_price: 8990,
					trade_qty: legTradeQty[1],
					trade_price: legTradeQty[1] ? 8990 : 0,
					exchange_order_id: 15015,
				},
			],
		},
		...overrides,
	};
}

const refdata = (name: string, exchange = 'NSE') => ({
	ref_id: 16016,
	display_name: name,
	exchange,
	asset: 'NIFTY',
	derivative_type: 'OPT',
	lot_size: 75,
	stock_name: name,
});

/** V3 `NubraToClientIntentUpdate` for a single order; pass `trade_fill` etc. via overrides. */
export function v3Single(
	responseOverrides: Record<string, unknown> = {},
	top: Record<string, unknown> = {},
): Record<string, unknown> {
	return {
		intent_order_response_type: 'INTENT_ORDER_RESPONSE_TYPE_ACCEPT',
		intent_order_requst_type: 'INTENT_ORDER_REQUEST_TYPE_NEW',
		intent_order_response: {
			intent_order_id: 17017,
			order_status: 'INTENT_ORDER_STATUS_OPEN',
			delivery_type: 'ORDER_DELIVERY_TYPE_IDAY',
			price_type: 'PRICE_TYPE_LIMIT',
			validity_type: 'VALIDITY_TYPE_DAY',
			strat_tags: ['alpha', 'beta'],
			order_qty: 150,
			filled_qty: 0,
			ltp: 20050,
			order_price: 20000,
			execution_mode: 'EXECUTION_MODE_ENTRY',
			nubra_timestamps: { intent_created_at: '1699999990000000000', last_modified_at: T_NS },
			position_id: 'pos-1',
			refdata: refdata('NIFTY 24000 CE'),
			ref_id: 16016,
			order_side: 'ORDER_SIDE_BUY',
			intent_order_type: 'INTENT_ORDER_TYPE_REGULAR',
			...responseOverrides,
		},
		...top,
	};
}

/** V3 strategy (basket) order: is_multi with two signed legs. */
export function v3Multi(
	responseOverrides: Record<string, unknown> = {},
	top: Record<string, unknown> = {},
): Record<string, unknown> {
	return v3Single(
		{
			intent_order_type: 'INTENT_ORDER_TYPE_FLEXI',
			is_multi: true,
			refdata: null,
			ref_id: 0,
			legs: [
				{
					ref_id: 18018,
					unit_qty: 1,
					filled_qty: 0,
					order_qty: 75,
					refdata: refdata('NIFTY 24000 CE'),
				},
				{
					ref_id: 19019,
					unit_qty: -1,
					filled_qty: 75,
					filled_price: 8990,
					order_qty: 75,
					refdata: refdata('SENSEX 80000 PE', 'BSE'),
				},
			],
			...responseOverrides,
		},
		top,
	);
}
