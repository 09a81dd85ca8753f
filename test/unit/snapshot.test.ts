import type { SentinelOrderRow } from '../../client/sentinel';
import {
	asRecoveredFill,
	missedFillsBeforeLive,
	normaliseSnapshotRow as normaliseRow,
} from '../../client/snapshot';
import type { NubraApiVersion, NubraEvent } from '../../client/types';
import { makeEvent } from '../helpers/events';

/** Rows straight from JSON: the reader must survive fields of any type, so they go in untyped. */
function normaliseSnapshotRow(
	value: Record<string, unknown>,
	apiVersion: NubraApiVersion,
): NubraEvent {
	return normaliseRow(value as SentinelOrderRow, apiVersion);
}

const row = {
	intentOrderId: 1_000_001,
	exchange: 'NSE',
	status: 'OPEN',
	isMulti: false,
	legs: [],
	refId: 2885,
	refData: {
		displayName: 'RELIANCE',
		asset: 'RELIANCE',
		exchange: 'NSE',
		derivativeType: 'STOCK',
		lotSize: 1,
	},
	orderQty: 10,
	filledQty: 4,
	filledPrice: 250_000,
	orderPrice: '250050',
	ltp: 250_100,
	deliveryType: 'CNC',
	priceType: 'LIMIT',
	validityType: 'DAY',
	stratTags: ['scalp-1', 7, 'Momentum'],
	side: 'BUY',
	intentOrderType: 'REGULAR',
	positionId: 'POS-1',
	exchangeOrderIds: [1_300_000_012_340_001],
	timestamps: {
		lastModifiedAt: '2025-01-15T09:15:00+05:30',
		lastUpdatedAt: '2025-01-15T09:16:00Z',
	},
};

describe('normaliseSnapshotRow', () => {
	it('turns a camelCase row into an order event with the socket vocabulary', () => {
		const event = normaliseSnapshotRow(row, 'v3');
		expect(event).toMatchObject({
			event: 'order',
			api_version: 'v3',
			status: 'PARTIALLY_FILLED',
			request: null,
			response_type: null,
			order_id: 1_000_001,
			ref_id: 2885,
			exchange: 'NSE',
			exchange_order_id: 1_300_000_012_340_001,
			display_name: 'RELIANCE',
			side: 'ORDER_SIDE_BUY',
			order_qty: 10,
			order_price: 250_050,
			filled_qty: 4,
			avg_price: 250_000,
			order_status: 'OPEN',
			order_type: 'INTENT_ORDER_TYPE_REGULAR',
			price_type: 'PRICE_TYPE_LIMIT',
			validity_type: 'VALIDITY_TYPE_DAY',
			delivery_type: 'ORDER_DELIVERY_TYPE_CNC',
			tag: 'scalp-1',
			tags: ['scalp-1', 'Momentum'],
			asset: 'RELIANCE',
			derivative_type: 'STOCK',
			last_modified_at: '2025-01-15T03:45:00.000Z',
			is_multi: false,
			ltp: 250_100,
			position_id: 'POS-1',
		});
		expect(event).not.toHaveProperty('legs');
	});

	it('labels the event with the API generation the socket last spoke', () => {
		expect(normaliseSnapshotRow(row, 'v1').api_version).toBe('v1');
	});

	it.each([
		['EXECUTED', 10, 'FILLED'],
		['CANCELLED', 4, 'CANCELLED'],
		['REJECTED', 0, 'REJECTED'],
		['EXPIRED', 0, 'EXPIRED'],
		['OPEN', 0, 'OPEN'],
	])('status %s with %i filled → %s', (status, filledQty, expected) => {
		expect(normaliseSnapshotRow({ ...row, status, filledQty }, 'v3').status).toBe(expected);
	});

	it('keeps the prefix when REST already sends the wire name, and ids above 2^53 exact', () => {
		const event = normaliseSnapshotRow(
			{ ...row, side: 'ORDER_SIDE_SELL', intentOrderId: '9007199254741001' },
			'v3',
		);
		expect(event.side).toBe('ORDER_SIDE_SELL');
		expect(event.order_id).toBe('9007199254741001');
	});

	it('maps strategy legs: signed unit quantity gives the side; a zero price is absent (proto3 style)', () => {
		const event = normaliseSnapshotRow(
			{
				...row,
				isMulti: true,
				side: null,
				legs: [
					{
						refId: 11,
						unitQty: 75,
						orderQty: 75,
						filledQty: 75,
						filledPrice: 12_300,
						refData: { displayName: 'NIFTY 24500 CE', exchange: 'NSE' },
					},
					{ refId: 12, unitQty: -75, orderQty: 75, filledQty: 0, filledPrice: 0, refData: {} },
				],
			},
			'v3',
		);
		expect(event.is_multi).toBe(true);
		expect(event.side).toBeNull();
		expect(event.legs).toEqual([
			{
				ref_id: 11,
				display_name: 'NIFTY 24500 CE',
				exchange: 'NSE',
				side: 'ORDER_SIDE_BUY',
				order_qty: 75,
				filled_qty: 75,
				unit_qty: 75,
				avg_price: 12_300,
			},
			{
				ref_id: 12,
				display_name: null,
				exchange: null,
				side: 'ORDER_SIDE_SELL',
				order_qty: 75,
				filled_qty: 0,
				unit_qty: -75,
				avg_price: null,
			},
		]);
	});

	it('leaves what a sparse row does not say as null, never throws', () => {
		const event = normaliseSnapshotRow({}, 'v3');
		expect(event).toMatchObject({
			order_id: null,
			exchange: null,
			display_name: null,
			side: null,
			order_qty: null,
			filled_qty: 0,
			tags: [],
			tag: null,
			last_modified_at: null,
			is_multi: false,
		});
	});
});

describe('asRecoveredFill', () => {
	const recovered = (filled: number, avg: number | null) =>
		makeEvent({
			status: filled >= 10 ? 'FILLED' : 'PARTIALLY_FILLED',
			filled_qty: filled,
			avg_price: avg,
			request: null,
		});

	it('turns an order never seen with fills into one trade for all of them, at the average price', () => {
		expect(asRecoveredFill(recovered(10, 250_000), undefined)).toMatchObject({
			event: 'trade',
			status: 'FILLED',
			trade_qty: 10,
			trade_price: 250_000,
			filled_qty: 10,
			avg_price: 250_000,
		});
	});

	it('prices the fills since the last known state from the averages before and after', () => {
		// 4 @ 2,500.00 known; now 10 @ 2,506.00 on average: the 6 missed cost 2,510.00 each.
		const event = asRecoveredFill(recovered(10, 250_600), { filledQty: 4, avgPrice: 250_000 });
		expect(event).toMatchObject({ event: 'trade', trade_qty: 6, trade_price: 251_000 });
		// Fractions of a paisa are kept to two places.
		// (7 × 250,001 − 4 × 250,000) ÷ 3 = 250,002.333…
		expect(
			asRecoveredFill(recovered(7, 250_001), { filledQty: 4, avgPrice: 250_000 }).trade_price,
		).toBe(250_002.33);
	});

	it('leaves the price out when the earlier average is unknown', () => {
		expect(asRecoveredFill(recovered(10, 250_600), { filledQty: 4, avgPrice: null })).toMatchObject(
			{
				event: 'trade',
				trade_qty: 6,
				trade_price: null,
			},
		);
	});

	it('keeps an order event when nothing more was filled, and for strategy orders', () => {
		const cancelled = makeEvent({ status: 'CANCELLED', filled_qty: 4, avg_price: 250_000 });
		expect(asRecoveredFill(cancelled, { filledQty: 4, avgPrice: 250_000 })).toBe(cancelled);
		const rejected = makeEvent({ status: 'REJECTED', filled_qty: 0 });
		expect(asRecoveredFill(rejected, undefined)).toBe(rejected);
		const strategy = makeEvent({
			status: 'FILLED',
			filled_qty: 1,
			order_qty: 1,
			avg_price: 100,
			is_multi: true,
		});
		expect(asRecoveredFill(strategy, undefined)).toBe(strategy);
	});
});

describe('missedFillsBeforeLive', () => {
	// Known: 4 @ 2,500.00. Live: a fill of 2 @ 2,520.00 that brings the order to 9 @ 2,508.00.
	const liveFill = makeEvent({
		event: 'trade',
		status: 'PARTIALLY_FILLED',
		filled_qty: 9,
		avg_price: 250_800,
		trade_qty: 2,
		trade_price: 252_000,
		trade_ref_id: 2885,
	});
	const known = { filledQty: 4, avgPrice: 250_000 };

	it('reports the fills between the known state and the live fill, priced from the averages', () => {
		// 9 × 2,508 − 2 × 2,520 = 17,532 for 7 filled before; minus 4 × 2,500: 3 @ 2,510.67.
		expect(missedFillsBeforeLive(liveFill, known)).toMatchObject({
			event: 'trade',
			status: 'PARTIALLY_FILLED',
			filled_qty: 7,
			avg_price: 250_457.14,
			trade_qty: 3,
			trade_price: 251_066.67,
			trade_ref_id: null,
			response_type: null,
			request: null,
		});
	});

	it('counts an order update (no fill of its own) from its filled quantity', () => {
		const modified = makeEvent({
			status: 'PARTIALLY_FILLED',
			filled_qty: 7,
			avg_price: 250_457,
			request: 'MODIFY',
		});
		expect(missedFillsBeforeLive(modified, known)).toMatchObject({
			filled_qty: 7,
			trade_qty: 3,
			trade_price: 251_066.33,
		});
	});

	it('reports nothing when the live update follows on, and skips orders with legs', () => {
		expect(missedFillsBeforeLive(liveFill, { filledQty: 7, avgPrice: 250_457.14 })).toBeNull();
		expect(
			missedFillsBeforeLive(makeEvent({ status: 'CANCELLED', filled_qty: 4 }), known),
		).toBeNull();
		expect(missedFillsBeforeLive({ ...liveFill, is_multi: true }, known)).toBeNull();
		expect(missedFillsBeforeLive({ ...liveFill, legs: [] }, known)).toBeNull();
	});

	it('still reports the quantity when a price is unknown', () => {
		expect(missedFillsBeforeLive({ ...liveFill, avg_price: null }, known)).toMatchObject({
			trade_qty: 3,
			trade_price: null,
		});
		expect(missedFillsBeforeLive(liveFill, { filledQty: 4, avgPrice: null })).toMatchObject({
			trade_qty: 3,
			trade_price: null,
		});
	});
});
