import { normaliseSnapshotRow, snapshotRows, SNAPSHOT_BUCKETS } from '../../client/snapshot';

const row = {
	intentOrderId: 1_000_001,
	exchange: 'NSE',
	status: 'OPEN',
	isMulti: false,
	legs: [],
	refId: 2885,
	refData: { displayName: 'RELIANCE', asset: 'RELIANCE', exchange: 'NSE', derivativeType: 'STOCK', lotSize: 1 },
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
	timestamps: { lastModifiedAt: '2025-01-15T09:15:00+05:30', lastUpdatedAt: '2025-01-15T09:16:00Z' },
};

describe('snapshotRows', () => {
	it('flattens every bucket, open first, from the whole body or its orders object', () => {
		const orders = Object.fromEntries(SNAPSHOT_BUCKETS.map((bucket) => [bucket, [{ bucket }]]));
		expect(snapshotRows({ orders }).map((r) => r.bucket)).toEqual([...SNAPSHOT_BUCKETS]);
		expect(snapshotRows(orders)).toHaveLength(6);
	});

	it('tolerates missing buckets, non-arrays and non-object rows', () => {
		expect(snapshotRows({ orders: { open: [row, null, 'x'], executed: 'no' } })).toEqual([row, {}, {}]);
		expect(snapshotRows(null)).toEqual([]);
		expect(snapshotRows('text')).toEqual([]);
		expect(snapshotRows({ orders: [] })).toEqual([]);
	});
});

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
		const event = normaliseSnapshotRow({ ...row, side: 'ORDER_SIDE_SELL', intentOrderId: '9007199254741001' }, 'v3');
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
					{ refId: 11, unitQty: 75, orderQty: 75, filledQty: 75, filledPrice: 12_300, refData: { displayName: 'NIFTY 24500 CE', exchange: 'NSE' } },
					{ refId: 12, unitQty: -75, orderQty: 75, filledQty: 0, filledPrice: 0, refData: {} },
				],
			},
			'v3',
		);
		expect(event.is_multi).toBe(true);
		expect(event.side).toBeNull();
		expect(event.legs).toEqual([
			{ ref_id: 11, display_name: 'NIFTY 24500 CE', exchange: 'NSE', side: 'ORDER_SIDE_BUY', order_qty: 75, filled_qty: 75, unit_qty: 75, avg_price: 12_300 },
			{ ref_id: 12, display_name: null, exchange: null, side: 'ORDER_SIDE_SELL', order_qty: 75, filled_qty: 0, unit_qty: -75, avg_price: null },
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
