/**
 * Each message type decodes to the expected normalised fields, and each generation routes to
 * order / trade / basket by the documented rule (protocol reference sections 5–7).
 */
import { decodeFrame, decodeFrameDetailed } from '../../client/codec';
import type { NubraEvent } from '../../client/types';
import { encodeFrame, type Generation } from '../helpers/frames';
import {
	T_ISO,
	T_NS,
	v1Order,
	v2Flexi,
	v2Single,
	v3Multi,
	v3Single,
} from '../helpers/decoder-fixtures';

function only(generation: Generation, payload: Record<string, unknown>): NubraEvent {
	const events = decodeFrame(encodeFrame(generation, payload));
	expect(events).toHaveLength(1);
	return events[0];
}

describe('V1 Order', () => {
	it('normalises every mapped field of an order update', () => {
		const event = only('v1', v1Order());
		expect(event).toMatchObject({
			event: 'order',
			api_version: 'v1',
			// OPEN with 40 of 100 filled: the derived status.
			status: 'PARTIALLY_FILLED',
			request: 'NEW',
			order_id: 1001,
			ref_id: 2002,
			exchange: 'NSE',
			exchange_order_id: 3003,
			display_name: 'RELIANCE',
			side: 'ORDER_SIDE_BUY',
			order_qty: 100,
			order_price: 250050,
			filled_qty: 40,
			avg_price: 250025,
			trade_qty: null,
			trade_price: null,
			// sint32 (zig-zag) on the wire: a negative value must survive.
			trigger_price: -12,
			order_status: 'ORDER_STATUS_OPEN',
			response_type: 'ORDER_ACCEPTED',
			request_type: 'ORDER_REQUEST_NEW',
			order_type: 'ORDER_TYPE_LIMIT',
			order_type_v2: 'ORDER_TYPE_REGULAR',
			strategy_type: 'STRATEGY_TYPE_LIMIT',
			price_type: 'PRICE_TYPE_LIMIT',
			validity_type: 'VALIDITY_TYPE_DAY',
			delivery_type: 'ORDER_DELIVERY_TYPE_IDAY',
			tag: 'my-tag',
			tags: ['my-tag'],
			update_msg: 'partially filled',
			asset: 'RELIANCE',
			asset_type: 'STOCKS',
			derivative_type: 'STOCK',
			is_sor: true,
			last_modified: T_NS,
			last_modified_at: T_ISO,
			leg_size: 11,
			algo_duration: 13,
			max_prate: 14,
			basket_id: null,
		});
		// last_modified is above 2^53: it must be the exact decimal string, not a rounded number.
		expect(typeof event.last_modified).toBe('string');
		expect(event.algo_params).toEqual({
			trigger_price: 4004,
			leg_size: 15,
			algo_id: 'algo-1',
			cleanup_max_prate: 0.5,
		});
	});

	it('leaves absent optional fields null (proto3 zero means absent) but keeps filled_qty 0', () => {
		const event = only('v1', { order_id: 1, order_status: 'ORDER_STATUS_PENDING' });
		expect(event).toMatchObject({
			event: 'order',
			status: 'PENDING',
			request: null,
			ref_id: null,
			exchange: null,
			side: null,
			order_qty: null,
			order_price: null,
			filled_qty: 0,
			trigger_price: null,
			tag: null,
			tags: [],
			is_sor: false,
			last_modified: null,
			last_modified_at: null,
			algo_params: null,
		});
	});

	it.each([
		['positive', 'trade', 5],
		['negative (truthy, as in the SDK)', 'trade', -5],
		['zero/absent', 'order', 0],
	])('trade_qty %s routes to %s', (_label, expected, tradeQty) => {
		const event = only('v1', v1Order({ trade_qty: tradeQty, trade_price: tradeQty ? 250100 : 0 }));
		expect(event.event).toBe(expected);
		expect(event.trade_qty).toBe(tradeQty === 0 ? null : tradeQty);
		expect(event.trade_price).toBe(tradeQty === 0 ? null : 250100);
	});

	it('routes a trade update even when trade_qty is above 2^53 (a Long, not a JS number)', () => {
		const event = only('v1', v1Order({ trade_qty: '9007199254740993' }));
		expect(event.event).toBe('trade');
		expect(event.trade_qty).toBe('9007199254740993');
	});

	it('a basket frame (only basket_id, last_modified, response_type) is a basket event', () => {
		const event = only('v1', {
			basket_id: 20020,
			last_modified: T_NS,
			response_type: 'BASKET_FILLED',
		});
		expect(event).toMatchObject({
			event: 'basket',
			api_version: 'v1',
			order_id: 20020,
			basket_id: 20020,
			response_type: 'BASKET_FILLED',
			// No order_status on a basket frame: the response type says what happened.
			status: 'FILLED',
			filled_qty: null,
			last_modified_at: T_ISO,
		});
	});

	it('a basket frame never becomes a trade, whatever else it carries', () => {
		const event = only('v1', { basket_id: 20020, trade_qty: 5, response_type: 'ORDER_FILLED' });
		expect(event.event).toBe('basket');
	});

	it('an order that belongs to a basket stays an order with its own order_id', () => {
		const event = only('v1', v1Order({ basket_id: 20020 }));
		expect(event.event).toBe('order');
		expect(event.order_id).toBe(1001);
		expect(event.basket_id).toBe(20020);
	});

	it('an AckInfo-style trade of a basket leg is a trade, not a basket', () => {
		const event = only('v1', v1Order({ basket_id: 20020, trade_qty: 10, trade_price: 1 }));
		expect(event.event).toBe('trade');
		expect(event.order_id).toBe(1001);
	});
});

describe('V2 Executions', () => {
	it('normalises a single execution with order_params', () => {
		const event = only('v2', v2Single());
		expect(event).toMatchObject({
			event: 'trade',
			api_version: 'v2',
			// EXECUTION_STATUS_OPEN with 20 of 50 filled.
			status: 'PARTIALLY_FILLED',
			request: 'MODIFY',
			order_id: 7007,
			ref_id: 8008,
			exchange: 'BSE',
			exchange_order_id: 10010,
			// The execution's own name wins over the order params' one.
			display_name: 'INFY',
			side: 'ORDER_SIDE_SELL',
			order_qty: 50,
			order_price: 150000,
			filled_qty: 20,
			avg_price: 149975,
			trade_qty: 20,
			trade_price: 149975,
			trigger_price: 9009,
			order_status: 'EXECUTION_STATUS_OPEN',
			response_type: 'ORDER_FILLED',
			request_type: 'ORDER_REQUEST_MOD',
			order_type: 'EXECUTION_TYPE_REGULAR',
			order_type_v2: null,
			strategy_type: null,
			price_type: 'PRICE_TYPE_MARKET',
			validity_type: 'VALIDITY_TYPE_IOC',
			delivery_type: 'ORDER_DELIVERY_TYPE_CNC',
			tag: 'v2-tag',
			tags: ['v2-tag'],
			update_msg: 'fill',
			asset: 'INFY',
			asset_type: 'STOCKS',
			derivative_type: 'STOCK',
			is_sor: false,
			last_modified: T_NS,
			last_modified_at: T_ISO,
			leg_size: 16,
			algo_duration: 17,
			max_prate: 18,
			ltp: 149900,
		});
		expect(event.is_multi).toBeUndefined();
		expect(event.legs).toBeUndefined();
	});

	it('falls back to order_params for display name, side and quantity', () => {
		const payload = v2Single({ display_name: '', side: 0, qty: 0 });
		const event = only('v2', payload);
		expect(event.display_name).toBe('INFY-param');
		expect(event.side).toBe('ORDER_SIDE_SELL');
		expect(event.order_qty).toBe(50);
	});

	it('is an order update when order_params.trade_qty is absent', () => {
		const payload = v2Single();
		const params = payload.order_params as Record<string, unknown>;
		params.trade_qty = 0;
		params.trade_price = 0;
		const event = only('v2', payload);
		expect(event.event).toBe('order');
		expect(event.trade_qty).toBeNull();
		expect(event.trade_price).toBeNull();
	});

	it('a FLEXI basket without fills is an order update with its legs', () => {
		const event = only('v2', v2Flexi());
		expect(event).toMatchObject({
			event: 'order',
			order_id: 11011,
			order_type: 'EXECUTION_TYPE_FLEXI',
			// LIVE = working at the exchange.
			status: 'OPEN',
			exchange: 'NSE',
			is_multi: true,
			basket_type_name: 'STRADDLE',
			trade_qty: null,
			ref_id: null,
			// No order_params: the basket's fill is the sum of its legs' (0 + 25).
			filled_qty: 25,
		});
		expect(event.legs).toEqual([
			{
				ref_id: 12012,
				display_name: 'NIFTY 24000 CE',
				exchange: null,
				side: 'ORDER_SIDE_BUY',
				order_qty: 75,
				filled_qty: 0,
				order_price: 10000,
				avg_price: null,
				trade_qty: null,
				trade_price: null,
				exchange_order_id: 13013,
			},
			{
				ref_id: 14014,
				display_name: 'NIFTY 24000 PE',
				exchange: null,
				side: 'ORDER_SIDE_SELL',
				order_qty: 75,
				filled_qty: 25,
				order_price: 9000,
				avg_price: 8990,
				trade_qty: null,
				trade_price: null,
				exchange_order_id: 15015,
			},
		]);
	});

	it.each([
		['first', [10, 0] as [number, number], 10, 10100],
		['second', [0, 25] as [number, number], 25, 8990],
	])('a FLEXI basket whose %s leg traded is a trade with that leg fill', (_l, qty, tq, tp) => {
		const event = only('v2', v2Flexi(qty));
		expect(event.event).toBe('trade');
		expect(event.trade_qty).toBe(tq);
		expect(event.trade_price).toBe(tp);
	});

	it('a non-FLEXI execution with a traded basket leg is not a trade (SDK rule)', () => {
		const event = only('v2', v2Flexi([10, 0], { execution_type: 'EXECUTION_TYPE_VWAP' }));
		expect(event.event).toBe('order');
		expect(event.trade_qty).toBeNull();
		// The basket legs are still reported.
		expect(event.legs).toHaveLength(2);
	});

	it('order_params.trade_qty wins over basket legs for the reported fill', () => {
		const event = only(
			'v2',
			v2Flexi([10, 0], { order_params: { trade_qty: 3, trade_price: 777, qty: 3 } }),
		);
		expect(event.event).toBe('trade');
		expect(event.trade_qty).toBe(3);
		expect(event.trade_price).toBe(777);
	});

	it('an empty basket_params still marks the event as multi with no legs', () => {
		const event = only('v2', { id: 1, basket_params: { basket_type_name: 'X' } });
		expect(event.is_multi).toBe(true);
		expect(event.legs).toEqual([]);
		expect(event.basket_type_name).toBe('X');
	});

	it('an order with no fills reports filled_qty 0, even with nothing to sum it from', () => {
		expect(only('v2', { id: 1, qty: 10 }).filled_qty).toBe(0);
		expect(only('v2', { id: 1, basket_params: { basket_type_name: 'X' } }).filled_qty).toBe(0);
	});
});

describe('V3 NubraToClientIntentUpdate', () => {
	it('normalises a single intent order update', () => {
		const event = only('v3', v3Single());
		expect(event).toMatchObject({
			event: 'order',
			api_version: 'v3',
			status: 'OPEN',
			request: 'NEW',
			order_id: 17017,
			ref_id: 16016,
			exchange: 'NSE',
			exchange_order_id: null,
			display_name: 'NIFTY 24000 CE',
			side: 'ORDER_SIDE_BUY',
			order_qty: 150,
			order_price: 20000,
			filled_qty: 0,
			avg_price: null,
			trade_qty: null,
			trade_price: null,
			trigger_price: null,
			order_status: 'INTENT_ORDER_STATUS_OPEN',
			response_type: 'INTENT_ORDER_RESPONSE_TYPE_ACCEPT',
			request_type: 'INTENT_ORDER_REQUEST_TYPE_NEW',
			order_type: 'INTENT_ORDER_TYPE_REGULAR',
			price_type: 'PRICE_TYPE_LIMIT',
			validity_type: 'VALIDITY_TYPE_DAY',
			delivery_type: 'ORDER_DELIVERY_TYPE_IDAY',
			tag: 'alpha',
			tags: ['alpha', 'beta'],
			update_msg: null,
			asset: 'NIFTY',
			derivative_type: 'OPT',
			is_sor: null,
			last_modified: T_NS,
			last_modified_at: T_ISO,
			is_multi: false,
			ltp: 20050,
			position_id: 'pos-1',
			execution_mode: 'EXECUTION_MODE_ENTRY',
		});
		expect(event.legs).toBeUndefined();
		expect(event.exit_triggers).toBeUndefined();
		expect(event.trade_ref_id).toBeUndefined();
	});

	it('a trade_fill with trade_qty > 0 is a trade naming the filled ref_id', () => {
		const event = only(
			'v3',
			v3Single(
				{
					order_status: 'INTENT_ORDER_STATUS_OPEN',
					filled_qty: 75,
					filled_price: 20010,
					trade_fill: { trade_qty: 75, trade_price: 20010, ref_id: 16016 },
				},
				{ intent_order_response_type: 'INTENT_ORDER_RESPONSE_TYPE_FILLED' },
			),
		);
		expect(event).toMatchObject({
			event: 'trade',
			status: 'PARTIALLY_FILLED',
			trade_qty: 75,
			trade_price: 20010,
			trade_ref_id: 16016,
			filled_qty: 75,
			avg_price: 20010,
		});
	});

	it.each([
		['absent', null],
		['present with trade_qty 0', { trade_price: 20010, ref_id: 1 }],
		['present with negative trade_qty', { trade_qty: -75, trade_price: 20010 }],
	])('a trade_fill %s is an order update (trade iff trade_qty > 0)', (_label, fill) => {
		const event = only('v3', v3Single({ trade_fill: fill }));
		expect(event.event).toBe('order');
		expect(event.trade_qty).toBeNull();
		expect(event.trade_price).toBeNull();
		expect(event.trade_ref_id).toBeUndefined();
	});

	it('the last fill of an executed order is FILLED', () => {
		const event = only(
			'v3',
			v3Single(
				{
					order_status: 'INTENT_ORDER_STATUS_EXECUTED',
					filled_qty: 150,
					trade_fill: { trade_qty: 75, trade_price: 1, ref_id: 16016 },
				},
				{ intent_order_response_type: 'INTENT_ORDER_RESPONSE_TYPE_FILLED' },
			),
		);
		expect(event.event).toBe('trade');
		expect(event.status).toBe('FILLED');
	});

	it('a strategy order (is_multi) carries its legs with side from the signed unit_qty', () => {
		const event = only('v3', v3Multi());
		expect(event).toMatchObject({
			event: 'order',
			is_multi: true,
			order_type: 'INTENT_ORDER_TYPE_FLEXI',
			exchange: null,
			display_name: null,
			ref_id: null,
		});
		expect(event.legs).toEqual([
			{
				ref_id: 18018,
				display_name: 'NIFTY 24000 CE',
				exchange: 'NSE',
				side: 'ORDER_SIDE_BUY',
				order_qty: 75,
				filled_qty: 0,
				unit_qty: 1,
				avg_price: null,
			},
			{
				ref_id: 19019,
				display_name: 'SENSEX 80000 PE',
				exchange: 'BSE',
				side: 'ORDER_SIDE_SELL',
				order_qty: 75,
				filled_qty: 75,
				unit_qty: -1,
				avg_price: 8990,
			},
		]);
	});

	it('a leg fill of a strategy order names the leg in trade_ref_id', () => {
		const event = only(
			'v3',
			v3Multi(
				{ trade_fill: { trade_qty: 75, trade_price: 8990, ref_id: 19019 } },
				{ intent_order_response_type: 'INTENT_ORDER_RESPONSE_TYPE_FILLED' },
			),
		);
		expect(event.event).toBe('trade');
		expect(event.trade_ref_id).toBe(19019);
		expect(event.order_id).toBe(17017);
	});

	it('a leg with unit_qty 0 has no side', () => {
		const event = only('v3', v3Single({ legs: [{ ref_id: 1, order_qty: 5 }] }));
		expect(event.legs?.[0].side).toBeNull();
		expect(event.legs?.[0].display_name).toBeNull();
	});

	it('exit triggers are reported as plain data; the stop-loss sets trigger_price', () => {
		const event = only(
			'v3',
			v3Single({
				execution_mode: 'EXECUTION_MODE_ENTRY_AND_EXIT',
				exit_triggers: [
					{
						kind: 'INTENT_EXIT_TRIGGER_KIND_TARGET_PROFIT',
						condition_kind: 'LTP_CONDITION_KIND_AT_OR_ABOVE',
						trigger_price: 30000,
						limit_price: 30100,
						status: 'INTENT_EXIT_TRIGGER_STATUS_OPEN',
					},
					{
						kind: 'INTENT_EXIT_TRIGGER_KIND_STOPLOSS',
						condition_kind: 'LTP_CONDITION_KIND_BELOW',
						trigger_price: 18000,
						limit_price: 17900,
						trail_jump: 50,
						status: 'INTENT_EXIT_TRIGGER_STATUS_TRIGGERED',
						exit_time: T_NS,
					},
				],
			}),
		);
		// The stop-loss is the second trigger: the first (target) must not be picked.
		expect(event.trigger_price).toBe(18000);
		expect(event.execution_mode).toBe('EXECUTION_MODE_ENTRY_AND_EXIT');
		expect(event.exit_triggers).toEqual([
			// status OPEN is the enum's zero value: proto3 leaves it off the wire, so it is absent.
			{
				kind: 'INTENT_EXIT_TRIGGER_KIND_TARGET_PROFIT',
				condition_kind: 'LTP_CONDITION_KIND_AT_OR_ABOVE',
				trigger_price: 30000,
				limit_price: 30100,
			},
			{
				kind: 'INTENT_EXIT_TRIGGER_KIND_STOPLOSS',
				condition_kind: 'LTP_CONDITION_KIND_BELOW',
				trigger_price: 18000,
				limit_price: 17900,
				trail_jump: 50,
				status: 'INTENT_EXIT_TRIGGER_STATUS_TRIGGERED',
				exit_time: T_NS,
			},
		]);
	});

	it('a rejection carries its message in update_msg', () => {
		const event = only(
			'v3',
			v3Single(
				{ order_status: 'INTENT_ORDER_STATUS_REJECTED', rejection_msg: 'insufficient margin' },
				{ intent_order_response_type: 'INTENT_ORDER_RESPONSE_TYPE_REJECT' },
			),
		);
		expect(event.status).toBe('REJECTED');
		expect(event.update_msg).toBe('insufficient margin');
	});

	it('a trigger response on an open order is TRIGGERED', () => {
		const event = only(
			'v3',
			v3Single({}, { intent_order_response_type: 'INTENT_ORDER_RESPONSE_TYPE_EXIT_SL_TRIGGERED' }),
		);
		expect(event.status).toBe('TRIGGERED');
		expect(event.order_status).toBe('INTENT_ORDER_STATUS_OPEN');
	});

	it('without a status, the response type decides (UNSOLICITED_CANCEL → CANCELLED)', () => {
		const event = only(
			'v3',
			v3Single(
				{ order_status: 0 },
				{ intent_order_response_type: 'INTENT_ORDER_RESPONSE_TYPE_UNSOLICITED_CANCEL' },
			),
		);
		expect(event.order_status).toBeNull();
		expect(event.status).toBe('CANCELLED');
	});

	it('last_modified falls back to last_updated_at when last_modified_at is absent', () => {
		const event = only(
			'v3',
			v3Single({ nubra_timestamps: { last_updated_at: '1700000000123456' } }),
		);
		expect(event.last_modified).toBe(1700000000123456);
		expect(event.last_modified_at).toBe(T_ISO);
	});

	it('an update without intent_order_response yields no event', () => {
		const frame = encodeFrame('v3', {
			intent_order_response_type: 'INTENT_ORDER_RESPONSE_TYPE_ACCEPT',
		});
		const decoded = decodeFrameDetailed(frame);
		expect(decoded.kind).toBe('v3');
		expect(decoded.events).toEqual([]);
	});
});

describe('every event has the full flat shape', () => {
	const common = [
		'event',
		'api_version',
		'status',
		'request',
		'order_id',
		'ref_id',
		'exchange',
		'exchange_order_id',
		'display_name',
		'side',
		'order_qty',
		'order_price',
		'filled_qty',
		'avg_price',
		'trade_qty',
		'trade_price',
		'trigger_price',
		'order_status',
		'response_type',
		'request_type',
		'order_type',
		'order_type_v2',
		'strategy_type',
		'price_type',
		'validity_type',
		'delivery_type',
		'tag',
		'tags',
		'update_msg',
		'asset',
		'asset_type',
		'derivative_type',
		'is_sor',
		'last_modified',
		'last_modified_at',
		'leg_size',
		'algo_duration',
		'max_prate',
		'algo_params',
	];
	it.each([
		['v1 empty', 'v1', {}],
		['v1 full', 'v1', v1Order()],
		['v2 empty', 'v2', {}],
		['v2 flexi', 'v2', v2Flexi()],
		['v3 empty response', 'v3', { intent_order_response: {} }],
		['v3 multi', 'v3', v3Multi()],
	] as [string, Generation, Record<string, unknown>][])(
		'%s: no common key is undefined, so users can filter on any of them',
		(_label, generation, payload) => {
			const event = only(generation, payload);
			for (const key of common) expect([key, event[key]]).not.toEqual([key, undefined]);
		},
	);
});
