/**
 * The unified status vocabulary (client/status.ts): every wire status name of every generation,
 * the derived PARTIALLY_FILLED and TRIGGERED, the response-type fallback and UNKNOWN. The
 * expected tables are written out here on purpose, independently of the implementation's, and
 * checked against the schema so a new wire value cannot go unnoticed.
 */
import { decodeFrame } from '../../client/codec';
import { loadNubraSchema } from '../../client/schema';
import { unifyRequest, unifyStatus } from '../../client/status';
import { NUBRA_STATUSES, type NubraStatus } from '../../client/types';
import { encodeFrame } from '../helpers/frames';

const STATUS_ENUMS = [
	'protos.zanskarsecurities.oms.OrderStatus',
	'protos.zanskarsecurities.nubrafrontend.ExecutionStatus',
	'nubra.trading.v3.NubraIntentOrderStatus',
];
const RESPONSE_ENUMS = [
	'protos.zanskarsecurities.nubrafrontend.OrderResponseType',
	'nubra.trading.v3.IntentOrderResponseType',
];
const REQUEST_ENUMS = [
	'protos.zanskarsecurities.oms.OrderRequestType',
	'nubra.trading.v3.IntentOrderRequestType',
];

/** Non-zero wire names of the given enums, read from the loaded schema. */
function wireNames(enums: string[]): string[] {
	const root = loadNubraSchema().root;
	return enums.flatMap((name) =>
		Object.entries(root.lookupEnum(name).values)
			.filter(([, number]) => number !== 0)
			.map(([wire]) => wire),
	);
}

const EXPECTED_STATUS: Record<string, NubraStatus> = {
	ORDER_STATUS_PENDING: 'PENDING',
	ORDER_STATUS_SENT: 'SENT',
	ORDER_STATUS_OPEN: 'OPEN',
	ORDER_STATUS_REJECTED: 'REJECTED',
	ORDER_STATUS_CANCELLED: 'CANCELLED',
	ORDER_STATUS_FILLED: 'FILLED',
	ORDER_STATUS_TRIGGERED: 'TRIGGERED',
	EXECUTION_STATUS_PENDING: 'PENDING',
	EXECUTION_STATUS_SENT: 'SENT',
	EXECUTION_STATUS_OPEN: 'OPEN',
	// Nubra's descriptor spells this one without the T.
	EXECUTION_SATUS_REJECTED: 'REJECTED',
	EXECUTION_STATUS_CANCELLED: 'CANCELLED',
	EXECUTION_STATUS_FILLED: 'FILLED',
	EXECUTION_STATUS_TRIGGERED: 'TRIGGERED',
	// A basket whose entry and exit are both done.
	EXECUTION_STATUS_CLOSED: 'FILLED',
	// A working algo/basket execution.
	EXECUTION_STATUS_LIVE: 'OPEN',
	INTENT_ORDER_STATUS_OPEN: 'OPEN',
	INTENT_ORDER_STATUS_EXECUTED: 'FILLED',
	INTENT_ORDER_STATUS_REJECTED: 'REJECTED',
	// Good-till-entry: waiting for its entry condition, not at the exchange yet.
	INTENT_ORDER_STATUS_GTE: 'PENDING',
	INTENT_ORDER_STATUS_CANCELLED: 'CANCELLED',
	INTENT_ORDER_STATUS_EXPIRED: 'EXPIRED',
};

/** Names without a wire number: the SDK's Python enum and the REST snapshot's bare names. */
const EXPECTED_NAME_ONLY: Record<string, NubraStatus> = {
	ORDER_STATUS_EXPIRED: 'EXPIRED',
	ORDER_STATUS_PARTIAL_FILLED: 'PARTIALLY_FILLED',
	// The regular spelling of EXECUTION_SATUS_REJECTED, for callers that write it.
	EXECUTION_STATUS_REJECTED: 'REJECTED',
	OPEN: 'OPEN',
	EXECUTED: 'FILLED',
	REJECTED: 'REJECTED',
	CANCELLED: 'CANCELLED',
	EXPIRED: 'EXPIRED',
	GTE: 'PENDING',
	GTT: 'PENDING',
	PENDING: 'PENDING',
	TRIGGERED: 'TRIGGERED',
	FILLED: 'FILLED',
};

/** What an update means when its status field is absent and only the response type speaks. */
const EXPECTED_BY_RESPONSE: Record<string, NubraStatus> = {
	ORDER_ACCEPTED: 'OPEN',
	ORDER_REJECTED: 'REJECTED',
	ORDER_FILLED: 'FILLED',
	ORDER_TRIGGERED: 'TRIGGERED',
	ORDER_CANCELLED: 'CANCELLED',
	BASKET_FILLED: 'FILLED',
	INTENT_ORDER_RESPONSE_TYPE_ACCEPT: 'OPEN',
	INTENT_ORDER_RESPONSE_TYPE_REJECT: 'REJECTED',
	INTENT_ORDER_RESPONSE_TYPE_FILLED: 'FILLED',
	INTENT_ORDER_RESPONSE_TYPE_ENTRY_TRIGGERED: 'TRIGGERED',
	INTENT_ORDER_RESPONSE_TYPE_EXIT_SL_TRIGGERED: 'TRIGGERED',
	INTENT_ORDER_RESPONSE_TYPE_EXIT_TP_TRIGGERED: 'TRIGGERED',
	INTENT_ORDER_RESPONSE_TYPE_EXECUTED: 'FILLED',
	INTENT_ORDER_RESPONSE_TYPE_UNSOLICITED_CANCEL: 'CANCELLED',
	// A moved trailing stop says nothing about the order's state by itself.
	INTENT_ORDER_RESPONSE_TYPE_TRAIL_UPDATED: 'UNKNOWN',
};

const TRIGGER_RESPONSES = [
	'INTENT_ORDER_RESPONSE_TYPE_ENTRY_TRIGGERED',
	'INTENT_ORDER_RESPONSE_TYPE_EXIT_SL_TRIGGERED',
	'INTENT_ORDER_RESPONSE_TYPE_EXIT_TP_TRIGGERED',
];

describe('the expected tables cover the schema', () => {
	it('every wire status name of every generation has an expectation', () => {
		const names = wireNames(STATUS_ENUMS);
		expect(names.length).toBe(22);
		expect(names.filter((name) => !(name in EXPECTED_STATUS))).toEqual([]);
		expect(Object.keys(EXPECTED_STATUS).filter((name) => !names.includes(name))).toEqual([]);
	});

	it('every response type name has an expectation', () => {
		const names = wireNames(RESPONSE_ENUMS);
		expect(names.filter((name) => !(name in EXPECTED_BY_RESPONSE))).toEqual([]);
	});

	it('every expected status is in the public vocabulary', () => {
		const tables = [EXPECTED_STATUS, EXPECTED_NAME_ONLY, EXPECTED_BY_RESPONSE];
		const all = tables.flatMap((table) => Object.values(table));
		expect(all.filter((status) => !NUBRA_STATUSES.includes(status))).toEqual([]);
	});
});

describe('unifyStatus', () => {
	it.each(Object.entries({ ...EXPECTED_STATUS, ...EXPECTED_NAME_ONLY }))(
		'%s → %s',
		(wire, expected) => {
			// No response type, nothing filled: the plain mapping.
			expect(unifyStatus(wire, null, 0, 0)).toBe(expected);
			// A response type never overrides a known status (except the V3 trigger rule below).
			expect(unifyStatus(wire, 'ORDER_CANCELLED', 0, 10)).toBe(expected);
		},
	);

	it.each(Object.entries(EXPECTED_BY_RESPONSE))(
		'status absent, response %s → %s',
		(response, expected) => {
			expect(unifyStatus(null, response, 0, 0)).toBe(expected);
		},
	);

	it.each([
		['no status and no response type', null, null],
		['an unknown status number', '42', null],
		['an unknown status number, even with a known response type', '42', 'ORDER_ACCEPTED'],
		['an unknown status name', 'ORDER_STATUS_SOMETHING_NEW', 'ORDER_FILLED'],
		['an unknown response type alone', null, '9'],
		['an INVALID name', 'ORDER_STATUS_INVALID', null],
		['lower-case names (no fuzzy matching)', 'open', null],
	])('UNKNOWN for %s', (_label, wire, response) => {
		expect(unifyStatus(wire, response, 0, 0)).toBe('UNKNOWN');
	});

	describe('PARTIALLY_FILLED is derived from 0 < filled < ordered', () => {
		it.each([
			['ORDER_STATUS_OPEN', 1, 100, 'PARTIALLY_FILLED'],
			['ORDER_STATUS_OPEN', 99, 100, 'PARTIALLY_FILLED'],
			['ORDER_STATUS_OPEN', 0, 100, 'OPEN'],
			['ORDER_STATUS_OPEN', 100, 100, 'OPEN'],
			// A filled quantity without an order quantity cannot be called partial.
			['ORDER_STATUS_OPEN', 5, 0, 'OPEN'],
			['EXECUTION_STATUS_LIVE', 5, 10, 'PARTIALLY_FILLED'],
			['INTENT_ORDER_STATUS_OPEN', 75, 150, 'PARTIALLY_FILLED'],
			// FILLED while quantity remains is a fill of part of the order.
			['ORDER_STATUS_FILLED', 40, 100, 'PARTIALLY_FILLED'],
			['INTENT_ORDER_STATUS_EXECUTED', 150, 150, 'FILLED'],
			['OPEN', 1, 2, 'PARTIALLY_FILLED'],
			// Final states stay final even after a partial fill.
			['ORDER_STATUS_CANCELLED', 40, 100, 'CANCELLED'],
			['INTENT_ORDER_STATUS_REJECTED', 40, 100, 'REJECTED'],
			['INTENT_ORDER_STATUS_EXPIRED', 40, 100, 'EXPIRED'],
			['ORDER_STATUS_PENDING', 40, 100, 'PENDING'],
			['ORDER_STATUS_TRIGGERED', 40, 100, 'TRIGGERED'],
		] as [string, number, number, NubraStatus][])(
			'%s with %i of %i → %s',
			(wire, filled, ordered, expected) => {
				expect(unifyStatus(wire, null, filled, ordered)).toBe(expected);
			},
		);

		it('applies to a status that came from the response-type fallback', () => {
			expect(unifyStatus(null, 'ORDER_ACCEPTED', 3, 10)).toBe('PARTIALLY_FILLED');
		});
	});

	describe('TRIGGERED for V3 trigger responses', () => {
		it.each(TRIGGER_RESPONSES)('an OPEN order answered with %s is TRIGGERED', (response) => {
			expect(unifyStatus('INTENT_ORDER_STATUS_OPEN', response, 0, 10)).toBe('TRIGGERED');
			// The latest response is the trigger: that wins over a partial fill.
			expect(unifyStatus('INTENT_ORDER_STATUS_OPEN', response, 5, 10)).toBe('TRIGGERED');
		});

		it.each(TRIGGER_RESPONSES)(
			'a final order answered with %s keeps its final status',
			(response) => {
				expect(unifyStatus('INTENT_ORDER_STATUS_EXECUTED', response, 10, 10)).toBe('FILLED');
				expect(unifyStatus('INTENT_ORDER_STATUS_CANCELLED', response, 0, 10)).toBe('CANCELLED');
			},
		);

		it.each(['INTENT_ORDER_RESPONSE_TYPE_TRAIL_UPDATED', 'INTENT_ORDER_RESPONSE_TYPE_ACCEPT'])(
			'an OPEN order answered with %s stays OPEN',
			(response) => {
				expect(unifyStatus('INTENT_ORDER_STATUS_OPEN', response, 0, 10)).toBe('OPEN');
			},
		);
	});
});

describe('unifyRequest', () => {
	const expected: Record<string, string> = {
		ORDER_REQUEST_NEW: 'NEW',
		ORDER_REQUEST_MOD: 'MODIFY',
		ORDER_REQUEST_CANCEL: 'CANCEL',
		INTENT_ORDER_REQUEST_TYPE_NEW: 'NEW',
		INTENT_ORDER_REQUEST_TYPE_MOD: 'MODIFY',
		INTENT_ORDER_REQUEST_TYPE_CANCEL: 'CANCEL',
	};

	it('covers every request type name of the schema', () => {
		expect(wireNames(REQUEST_ENUMS).sort()).toEqual(Object.keys(expected).sort());
	});

	it.each(Object.entries(expected))('%s → %s', (wire, unified) => {
		expect(unifyRequest(wire)).toBe(unified);
	});

	it.each([null, '4', 'ORDER_REQUEST_INVALID'])('%s → null', (wire) => {
		expect(unifyRequest(wire)).toBeNull();
	});
});

describe('status through decoded frames of each generation', () => {
	type Case = [string, 'v1' | 'v2' | 'v3', Record<string, unknown>, NubraStatus];
	const v3 = (response: Record<string, unknown>, type?: string) => ({
		intent_order_response: response,
		...(type ? { intent_order_response_type: type } : {}),
	});
	it.each<Case>([
		[
			'V1 OPEN, 40/100 filled',
			'v1',
			{ order_id: 1, order_status: 'ORDER_STATUS_OPEN', order_qty: 100, filled_qty: 40 },
			'PARTIALLY_FILLED',
		],
		[
			'V1 no status, ORDER_CANCELLED',
			'v1',
			{ order_id: 1, response_type: 'ORDER_CANCELLED' },
			'CANCELLED',
		],
		[
			'V1 unknown status 8, ORDER_FILLED',
			'v1',
			{ order_id: 1, order_status: 8, response_type: 'ORDER_FILLED' },
			'UNKNOWN',
		],
		[
			'V2 LIVE via order_params 2/5',
			'v2',
			{
				id: 1,
				execution_status: 'EXECUTION_STATUS_LIVE',
				order_params: { qty: 5, filled_qty: 2 },
			},
			'PARTIALLY_FILLED',
		],
		[
			'V2 OPEN 2/2: the execution qty wins over the params qty',
			'v2',
			{
				id: 1,
				execution_status: 'EXECUTION_STATUS_OPEN',
				qty: 2,
				order_params: { qty: 5, filled_qty: 2 },
			},
			'OPEN',
		],
		['V2 CLOSED', 'v2', { id: 1, execution_status: 'EXECUTION_STATUS_CLOSED' }, 'FILLED'],
		['V3 GTE', 'v3', v3({ order_status: 'INTENT_ORDER_STATUS_GTE' }), 'PENDING'],
		[
			'V3 OPEN + ENTRY_TRIGGERED',
			'v3',
			v3(
				{ order_status: 'INTENT_ORDER_STATUS_OPEN' },
				'INTENT_ORDER_RESPONSE_TYPE_ENTRY_TRIGGERED',
			),
			'TRIGGERED',
		],
		[
			'V3 no status, REJECT',
			'v3',
			v3({ intent_order_id: 1 }, 'INTENT_ORDER_RESPONSE_TYPE_REJECT'),
			'REJECTED',
		],
		[
			'V3 OPEN 75/150 (int64 quantities)',
			'v3',
			v3({ order_status: 'INTENT_ORDER_STATUS_OPEN', order_qty: 150, filled_qty: 75 }),
			'PARTIALLY_FILLED',
		],
	])('%s → %s', (_label, generation, payload, expected) => {
		const [event] = decodeFrame(encodeFrame(generation, payload));
		expect(event.status).toBe(expected);
	});
});
