/**
 * `includeMessage`: the whole decoded message as plain JSON (enums as names, int64 as numbers or
 * exact decimal strings, proto3 defaults left out), and 64-bit precision end to end.
 */
import { decodeFrame, decodeFrameDetailed } from '../../client/codec';
import { shapeEventItem } from '../../client/shape';
import { encodeFrame, type Generation } from '../helpers/frames';
import { v1Order, v2Flexi, v2Single, v3Multi, v3Single } from '../helpers/decoder-fixtures';
import { encodeBody, messageType } from '../helpers/decoder-schema';

const MAX_SAFE = '9007199254740991';
const MAX_SAFE_PLUS_2 = '9007199254740993';
const INT64_MAX = '9223372036854775807';
const INT64_MIN = '-9223372036854775808';
const UINT64_MAX = '18446744073709551615';

function detailed(generation: Generation, payload: Record<string, unknown>) {
	return decodeFrameDetailed(encodeFrame(generation, payload), { includeMessage: true });
}

/** Every leaf of plain data: only JSON types, no Long objects, no undefined, no NaN. */
function expectPlainJson(value: unknown, path = '$'): void {
	if (value === null || typeof value === 'string' || typeof value === 'boolean') return;
	if (typeof value === 'number') {
		expect([path, Number.isFinite(value)]).toEqual([path, true]);
		return;
	}
	if (Array.isArray(value)) {
		value.forEach((item, i) => expectPlainJson(item, `${path}[${i}]`));
		return;
	}
	expect([path, typeof value]).toEqual([path, 'object']);
	expect([path, Object.getPrototypeOf(value)]).toEqual([path, Object.prototype]);
	for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
		expect([`${path}.${key}`, item]).not.toEqual([`${path}.${key}`, undefined]);
		expectPlainJson(item, `${path}.${key}`);
	}
}

describe('includeMessage', () => {
	const samples: [string, Generation, Record<string, unknown>][] = [
		[
			'v1 order',
			'v1',
			v1Order({ meta_info: { trailing_sl_limit_price: UINT64_MAX, response_id: -7 } }),
		],
		['v2 single', 'v2', v2Single()],
		['v2 flexi', 'v2', v2Flexi([10, 25])],
		['v3 single', 'v3', v3Single({ trade_fill: { trade_qty: 1, trade_price: 2, ref_id: 3 } })],
		[
			'v3 multi with entry config',
			'v3',
			v3Multi({
				entry_config: {
					conditions: [
						{
							kind: { ltp_condition_kind: 'LTP_CONDITION_KIND_AT_OR_BELOW' },
							threshold: 19000,
							status: 'INTENT_ENTRY_TRIGGER_STATUS_TRIGGERED',
						},
					],
					condition_operator: 'CONDITION_OPERATOR_OR',
					entry_time: INT64_MAX,
				},
				iceberg_info: { number_of_legs: 3, max_qty_per_leg: 50 },
				is_admin: true,
				echo_fields: '{"k":1}',
			}),
		],
	];

	it.each(samples)('%s: is plain JSON, unchanged by JSON.stringify', (_l, generation, payload) => {
		const { message, events } = detailed(generation, payload);
		expect(message).toBeDefined();
		expectPlainJson(message);
		expect(JSON.parse(JSON.stringify(message))).toEqual(message);
		// The event's item is JSON-safe as well: n8n serialises it. (The event itself names the
		// fields its generation sets on some frames only, as undefined on the others.)
		const items = events.map((event) =>
			shapeEventItem(
				{ event, recovered: false, receivedAt: new Date(0), dedupKey: '', receivedAtMono: 0 },
				{ output: 'simplified', addRupeeAmounts: false, includeMetadata: false },
			),
		);
		expectPlainJson(items);
		expect(JSON.parse(JSON.stringify(items))).toEqual(items);
		expect(JSON.parse(JSON.stringify(events))).toEqual(items);
	});

	it.each(samples)(
		'%s: is lossless, re-encoding it through the schema gives the same message',
		(_l, generation, payload) => {
			const { message } = detailed(generation, payload);
			const type = messageType(generation);
			const reEncoded = type.encode(type.fromObject(JSON.parse(JSON.stringify(message)))).finish();
			// Compared field by field with defaults filled in: proto3 cannot tell an explicit zero
			// (which the fixture encoder writes) from an absent field, so bytes may differ there.
			const canonical = (bytes: Uint8Array) =>
				type.toObject(type.decode(bytes), { longs: String, enums: String, defaults: true });
			expect(canonical(reEncoded)).toEqual(canonical(encodeBody(generation, payload)));
		},
	);

	it('shows enums by name, int64 as numbers or exact strings, and omits proto3 defaults', () => {
		const { message } = detailed('v1', {
			order_id: INT64_MAX,
			ref_id: 12,
			side: 'ORDER_SIDE_SELL',
			order_status: 0,
			filled_qty: 0,
			display_name: '',
			is_sor: false,
			algo_params: {},
		});
		expect(message).toEqual({
			order_id: INT64_MAX,
			ref_id: 12,
			side: 'ORDER_SIDE_SELL',
			// A present sub-message is kept even when all its fields are defaults.
			algo_params: {},
		});
	});

	it('keeps repeated fields, including repeated strings and empty repeated messages', () => {
		const { message } = detailed('v3', {
			intent_order_response: { strat_tags: ['a', 'b'], exit_triggers: [{}, { trail_jump: 5 }] },
		});
		expect(message).toEqual({
			intent_order_response: { strat_tags: ['a', 'b'], exit_triggers: [{}, { trail_jump: 5 }] },
		});
	});

	it('non-finite doubles and floats stay visible as text instead of breaking JSON', () => {
		const { message, events } = detailed('v1', {
			order_id: 1,
			algo_params: {
				cleanup_max_prate: Number.NaN,
				min_prate_float: Infinity,
				max_prate_float: -Infinity,
			},
		});
		const expected = {
			cleanup_max_prate: 'NaN',
			min_prate_float: 'Infinity',
			max_prate_float: '-Infinity',
		};
		expect(message?.algo_params).toEqual(expected);
		expect(events[0].algo_params).toEqual(expected);
	});

	it('a float field comes back as the float32 value, not the double that was sent', () => {
		const { message } = detailed('v1', { order_id: 1, algo_params: { min_prate_float: 0.1 } });
		expect(message?.algo_params).toEqual({ min_prate_float: Math.fround(0.1) });
	});

	it('is left out unless asked for', () => {
		const frame = encodeFrame('v1', v1Order());
		expect(decodeFrameDetailed(frame).message).toBeUndefined();
		expect(decodeFrameDetailed(frame, { includeMessage: false }).message).toBeUndefined();
	});
});

describe('64-bit precision through the full message', () => {
	const cases: [string, string, number | string][] = [
		['2^53 - 1', MAX_SAFE, Number(MAX_SAFE)],
		['2^53', '9007199254740992', '9007199254740992'],
		['2^53 + 1', '9007199254740993', '9007199254740993'],
		['int64 max', INT64_MAX, INT64_MAX],
		['-1', '-1', -1],
		['-(2^53 - 1)', `-${MAX_SAFE}`, -Number(MAX_SAFE)],
		['-(2^53 + 1)', `-${MAX_SAFE_PLUS_2}`, `-${MAX_SAFE_PLUS_2}`],
		['int64 min', INT64_MIN, INT64_MIN],
	];

	it.each(cases)('V1 order_id / order_price / trade_price at %s', (_l, wire, shown) => {
		const { events, message } = detailed('v1', {
			order_id: wire,
			order_price: wire,
			trade_qty: 1,
			trade_price: wire,
			exchange_order_id: wire,
		});
		expect(events[0]).toMatchObject({
			event: 'trade',
			order_id: shown,
			order_price: shown,
			trade_price: shown,
			exchange_order_id: shown,
		});
		expect(message).toMatchObject({ order_id: shown, order_price: shown, trade_price: shown });
	});

	it.each(cases)('V2 id, order_params prices and basket leg ids at %s', (_l, wire, shown) => {
		const [event] = decodeFrame(
			encodeFrame('v2', {
				id: wire,
				ltp: wire,
				order_params: { order_price: wire, ref_id: wire, trade_qty: 1, trade_price: wire },
				basket_params: { order_params: [{ ref_id: wire, exchange_order_id: wire }] },
			}),
		);
		expect(event).toMatchObject({
			order_id: shown,
			ltp: shown,
			order_price: shown,
			ref_id: shown,
			trade_price: shown,
		});
		expect(event.legs?.[0]).toMatchObject({ ref_id: shown, exchange_order_id: shown });
	});

	it.each(cases)('V3 intent_order_id, prices, fill and leg ids at %s', (_l, wire, shown) => {
		const [event] = decodeFrame(
			encodeFrame('v3', {
				intent_order_response: {
					intent_order_id: wire,
					order_price: wire,
					ltp: wire,
					trade_fill: { trade_qty: 1, trade_price: wire, ref_id: wire },
					legs: [{ ref_id: wire, filled_price: wire }],
				},
			}),
		);
		expect(event).toMatchObject({
			order_id: shown,
			order_price: shown,
			ltp: shown,
			trade_price: shown,
			trade_ref_id: shown,
		});
		expect(event.legs?.[0]).toMatchObject({ ref_id: shown, avg_price: shown });
	});

	it('uint64 MetaInfo fields up to 2^64 - 1 stay exact and unsigned', () => {
		const { message } = detailed('v1', {
			order_id: 1,
			meta_info: {
				trailing_sl_limit_price: UINT64_MAX,
				trailing_sl_trigger_price: MAX_SAFE,
				parent_order_id: INT64_MIN,
				response_id: MAX_SAFE_PLUS_2,
			},
		});
		expect(message?.meta_info).toEqual({
			trailing_sl_limit_price: UINT64_MAX,
			trailing_sl_trigger_price: Number(MAX_SAFE),
			parent_order_id: INT64_MIN,
			response_id: MAX_SAFE_PLUS_2,
		});
	});

	it('uint64 AlgoParams.trailing_sl_delta above 2^63 is not shown negative', () => {
		const [event] = decodeFrame(
			encodeFrame('v1', { order_id: 1, algo_params: { trailing_sl_delta: '9223372036854775808' } }),
		);
		expect(event.algo_params).toEqual({ trailing_sl_delta: '9223372036854775808' });
	});

	it('a string id is exactly the wire digits (no rounding through a double)', () => {
		const [event] = decodeFrame(encodeFrame('v1', { order_id: MAX_SAFE_PLUS_2 }));
		expect(event.order_id).toBe(MAX_SAFE_PLUS_2);
		// As a double it would have been 9007199254740992.
		expect(String(Number(MAX_SAFE_PLUS_2))).not.toBe(MAX_SAFE_PLUS_2);
	});

	it('timestamps of each generation become ISO text, whatever the epoch unit', () => {
		const iso = '2024-03-15T09:15:00.250Z';
		const ms = Date.parse(iso);
		const units: [string, string][] = [
			['ns', `${ms}000000`],
			['µs', `${ms}000`],
			['ms', `${ms}`],
		];
		const isoOf = (generation: Generation, payload: Record<string, unknown>) =>
			decodeFrame(encodeFrame(generation, payload))[0].last_modified_at;
		for (const [unit, value] of units) {
			expect([unit, isoOf('v1', { order_id: 1, last_modified: value })]).toEqual([unit, iso]);
			expect([unit, isoOf('v2', { id: 1, last_mdified_time: value })]).toEqual([unit, iso]);
			const v3 = { intent_order_response: { nubra_timestamps: { last_modified_at: value } } };
			expect([unit, isoOf('v3', v3)]).toEqual([unit, iso]);
		}
		const seconds = isoOf('v1', { order_id: 1, last_modified: Math.floor(ms / 1000) });
		expect(seconds).toBe('2024-03-15T09:15:00.000Z');
	});

	it('a nanosecond timestamp just before a millisecond boundary stays in its millisecond', () => {
		const payload = { order_id: 1, last_modified: '1710494100250999999' };
		const [event] = decodeFrame(encodeFrame('v1', payload));
		expect(event.last_modified).toBe('1710494100250999999');
		expect(event.last_modified_at).toBe('2024-03-15T09:15:00.250Z');
	});

	it('a negative timestamp has no ISO form but keeps its raw value', () => {
		const [event] = decodeFrame(encodeFrame('v1', { order_id: 1, last_modified: -5 }));
		expect(event.last_modified).toBe(-5);
		expect(event.last_modified_at).toBeNull();
	});
});
