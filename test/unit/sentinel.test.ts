import {
	flattenSentinelOrders,
	parseSentinelOrders,
	SENTINEL_BUCKETS,
	snapshotRows,
} from '../../client/sentinel';

const row = { intentOrderId: 1, status: 'OPEN' };

describe('snapshotRows', () => {
	it('flattens every bucket, open first, from the whole body or its orders object', () => {
		const orders = Object.fromEntries(SENTINEL_BUCKETS.map((bucket) => [bucket, [{ bucket }]]));
		expect(snapshotRows({ orders }).map((r) => r.bucket)).toEqual([...SENTINEL_BUCKETS]);
		expect(snapshotRows(orders)).toHaveLength(6);
	});

	it('tolerates missing buckets, non-arrays and non-object rows', () => {
		expect(snapshotRows({ orders: { open: [row, null, 'x', [1]], executed: 'no' } })).toEqual([
			row,
		]);
		expect(snapshotRows(null)).toEqual([]);
		expect(snapshotRows('text')).toEqual([]);
		expect(snapshotRows({ orders: [] })).toEqual([]);
	});
});

describe('parseSentinelOrders', () => {
	it('reads the six buckets of an answer and nothing without an orders object', () => {
		const orders = parseSentinelOrders({
			orders: { executed: [row, null], gtt: 'no', other: [row] },
		});
		expect(orders).toEqual({
			open: [],
			executed: [row],
			cancelled: [],
			expired: [],
			rejected: [],
			gtt: [],
		});
		expect(orders && flattenSentinelOrders(orders)).toEqual([row]);
		expect(parseSentinelOrders({ open: [row] })).toBeUndefined();
		expect(parseSentinelOrders({ orders: [] })).toBeUndefined();
		expect(parseSentinelOrders(null)).toBeUndefined();
	});
});
