/**
 * Read-only views of decoded protobufjs messages: only the fields the normaliser reads.
 * The schema itself lives in proto/; int64 fields arrive as protobufjs Longs (or numbers),
 * enums as numbers, absent scalars as their proto3 defaults and absent messages as null.
 */
type I64 = unknown;

export interface WireAlgoParams {
	trigger_price: I64;
	leg_size: number;
	algo_duration: number;
	max_prate: number;
}

export interface WireOrderV1 {
	exch: number;
	order_id: I64;
	basket_id: I64;
	ref_id: I64;
	side: number;
	order_type: number;
	order_status: number;
	order_qty: number;
	order_price: I64;
	filled_qty: number;
	avg_price: I64;
	last_modified: I64;
	leg_size: number;
	order_delivery_type: number;
	update_msg: string;
	exchange_order_id: I64;
	display_name: string;
	lot_size: number;
	stock_name: string;
	asset: string;
	derivative_type: string;
	trigger_price: number;
	algo_duration: number;
	strategy_type: number;
	max_prate: number;
	response_type: number;
	order_type_v2: number;
	price_type: number;
	validity_type: number;
	algo_params: WireAlgoParams | null;
	asset_type: string;
	trade_qty: I64;
	trade_price: I64;
	is_sor: boolean;
	tag: string;
	request_type: number;
	order_expiry_date: I64;
	client_code: string;
}

export interface WireOrderParamsV2 {
	order_price: I64;
	avg_fill_price: I64;
	filled_qty: number;
	ref_id: I64;
	stock_name: string;
	asset_type: string;
	derivative_type: string;
	algo_params: WireAlgoParams | null;
	exchange_order_id: I64;
	trade_qty: I64;
	trade_price: I64;
	validity_type: number;
	asset: string;
	lot_size: I64;
	side: number;
	display_name: string;
	qty: number;
}

export interface WireBasketParamsV2 {
	basket_strategy: I64;
	order_params: WireOrderParamsV2[];
	basket_type_name: string;
}

export interface WireExecutionsV2 {
	id: I64;
	response_type: number;
	delivery_type: number;
	execution_type: number;
	side: number;
	price_type: number;
	qty: I64;
	execution_status: number;
	last_mdified_time: I64;
	creation_time: I64;
	display_name: string;
	order_params: WireOrderParamsV2 | null;
	basket_params: WireBasketParamsV2 | null;
	ltp: I64;
	update_msg: string;
	exch: number;
	is_sor: boolean;
	tag: string;
	request_type: number;
}

export interface WireRefDataV3 {
	ref_id: I64;
	exchange: string;
	display_name: string;
	asset: string;
	derivative_type: string;
	lot_size: I64;
	stock_name: string;
}

export interface WireLegV3 {
	ref_id: I64;
	unit_qty: number;
	filled_qty: number;
	filled_price: I64;
	refdata: WireRefDataV3 | null;
	order_qty: number;
}

export interface WireExitTriggerV3 {
	kind: number;
	trigger_price: I64;
}

export interface WireIntentResponseV3 {
	intent_order_id: I64;
	order_status: number;
	exit_triggers: WireExitTriggerV3[];
	legs: WireLegV3[];
	delivery_type: number;
	price_type: number;
	validity_type: number;
	strat_tags: string[];
	order_qty: I64;
	filled_qty: I64;
	ltp: I64;
	order_price: I64;
	filled_price: I64;
	trade_fill: { trade_qty: I64; trade_price: I64; ref_id: I64 } | null;
	execution_mode: number;
	nubra_timestamps: { last_modified_at: I64; last_updated_at: I64; intent_created_at: I64 } | null;
	position_id: string;
	refdata: WireRefDataV3 | null;
	ref_id: I64;
	is_multi: boolean;
	order_side: number;
	intent_order_type: number;
	rejection_msg: string;
}

export interface WireIntentUpdateV3 {
	intent_order_response: WireIntentResponseV3 | null;
	intent_order_response_type: number;
	intent_order_requst_type: number;
}
