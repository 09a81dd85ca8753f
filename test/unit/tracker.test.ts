import {
	comparableState,
	OrderStateTracker,
	orderKey,
	stateKey,
	type TrackerSnapshot,
} from '../../client/tracker';
import type { NubraEvent } from '../../client/types';
import { makeEvent } from '../helpers/events';

const accepted = makeEvent();
const partial = makeEvent({
	event: 'trade',
	status: 'PARTIALLY_FILLED',
	filled_qty: 4,
	trade_qty: 4,
	trade_price: 250_000,
	response_type: 'INTENT_ORDER_RESPONSE_TYPE_FILLED',
});
const filled = makeEvent({
	event: 'trade',
	status: 'FILLED',
	filled_qty: 10,
	trade_qty: 6,
	trade_price: 250_000,
	response_type: 'INTENT_ORDER_RESPONSE_TYPE_FILLED',
});
/** What the REST catch-up says about the same order once it is filled (no response type). */
const filledSnapshot = makeEvent({
	status: 'FILLED',
	filled_qty: 10,
	response_type: null,
	request: null,
	request_type: null,
});
const openSnapshot = makeEvent({ response_type: null, request: null, request_type: null });

describe('OrderStateTracker', () => {
	describe('keys', () => {
		it('names an order by its id and a state by everything that tells states apart', () => {
			expect(orderKey(makeEvent({ order_id: '9007199254741001' }))).toBe('9007199254741001');
			expect(stateKey(accepted)).not.toBe(stateKey(partial));
			expect(stateKey(accepted)).toBe(stateKey(makeEvent()));
			expect(stateKey(makeEvent({ order_price: 250_100 }))).not.toBe(stateKey(accepted));
			expect(stateKey(makeEvent({ request: 'MODIFY' }))).not.toBe(stateKey(accepted));
		});
	});

	describe('state key text', () => {
		/** The key as text, part by part: null and undefined write nothing. */
		const expected = (event: NubraEvent) =>
			[
				String(event.order_id),
				event.event,
				event.status,
				event.filled_qty,
				event.order_qty,
				event.order_price,
				event.response_type,
				event.request,
				event.trade_ref_id,
			]
				.map((value, i) => (i > 0 && (value === null || value === undefined) ? '' : String(value)))
				.join('|');

		it('is the same text for every kind of part: numbers of any sign and size, text, nothing', () => {
			const values: unknown[] = [
				0,
				-0,
				7,
				-7,
				10,
				1_000_005,
				Number.MAX_SAFE_INTEGER,
				-Number.MAX_SAFE_INTEGER,
				2 ** 53 + 2,
				1.5,
				1e21,
				'9007199254741001',
				'',
				'Nifty — ₹',
				'é',
				'x'.repeat(2_000),
				null,
				undefined,
			];
			for (const value of values) {
				for (const field of [
					'order_id',
					'filled_qty',
					'order_price',
					'response_type',
					'trade_ref_id',
				]) {
					const event = makeEvent({ [field]: value, trade_ref_id: 42 });
					expect([field, value, stateKey(event)]).toEqual([field, value, expected(event)]);
				}
			}
		});
	});

	describe('duplicate suppression', () => {
		it('emits each live state once and drops an exact repeat', () => {
			const tracker = new OrderStateTracker();
			expect(tracker.observeLive(accepted)).toBe(stateKey(accepted));
			expect(tracker.observeLive({ ...accepted })).toBeNull();
			expect(tracker.observeLive(partial)).toBe(stateKey(partial));
			expect(tracker.observeLive(filled)).toBe(stateKey(filled));
			expect(tracker.observeLive(filled)).toBeNull();
		});

		it('recognises a frame replayed out of order as a repeat', () => {
			const tracker = new OrderStateTracker();
			tracker.observeLive(accepted);
			tracker.observeLive(partial);
			tracker.observeLive(filled);
			expect(tracker.observeLive(partial)).toBeNull();
			expect(tracker.observeLive(accepted)).toBeNull();
		});

		it('keeps orders apart', () => {
			const tracker = new OrderStateTracker();
			expect(tracker.observeLive(accepted)).not.toBeNull();
			expect(tracker.observeLive(makeEvent({ order_id: 1002 }))).not.toBeNull();
			expect(tracker.size).toBe(2);
		});
	});

	describe('recovered, then live', () => {
		it('drops the live repeat of a state the catch-up already delivered', () => {
			const tracker = new OrderStateTracker();
			tracker.observeLive(accepted);
			expect(tracker.observeRecovered(filledSnapshot)).toBe(stateKey(filledSnapshot));
			// The socket's own frame for the same fill arrives after the snapshot: same state.
			expect(tracker.observeLive(filled)).toBeNull();
		});

		it('drops the live repeat even when an older live frame arrives in between', () => {
			// The snapshot (read on another connection) can overtake the socket's frames:
			// the fill's final state is recovered, then the partial fill and the fill arrive live.
			const tracker = new OrderStateTracker();
			tracker.observeLive(accepted);
			expect(tracker.observeRecovered(filledSnapshot)).not.toBeNull();
			expect(tracker.observeLive(partial)).not.toBeNull();
			expect(tracker.observeLive(filled)).toBeNull();
			// Nor does a later catch-up deliver the fill a second time.
			expect(tracker.observeRecovered(filledSnapshot)).toBeNull();
		});

		it("keeps each order's recovered states its own", () => {
			// Order 1001 is heard live, then recovered as filled; order 1002 is only heard live.
			const tracker = new OrderStateTracker();
			tracker.observeLive(accepted);
			tracker.observeLive(makeEvent({ order_id: 1002 }));
			expect(tracker.observeRecovered(filledSnapshot)).not.toBeNull();
			// 1002 filling live is news: 1001's recovered fill says nothing about it.
			const otherFilled = makeEvent({ ...filled, order_id: 1002 });
			expect(tracker.observeLive(otherFilled)).toBe(stateKey(otherFilled));
			// An order first heard after that has no recovered states either.
			const thirdFilled = makeEvent({ ...filled, order_id: 1003 });
			expect(tracker.observeLive(makeEvent({ order_id: 1003 }))).not.toBeNull();
			expect(tracker.observeLive(thirdFilled)).toBe(stateKey(thirdFilled));
			expect(tracker.observeLive(filled)).toBeNull();
		});

		it('delivers a live state that moved on from the recovered one', () => {
			const tracker = new OrderStateTracker();
			tracker.observeRecovered(openSnapshot);
			expect(tracker.observeLive(partial)).toBe(stateKey(partial));
		});
	});

	describe('stale snapshots', () => {
		it('does not re-emit a snapshot the socket has already overtaken', () => {
			const tracker = new OrderStateTracker();
			tracker.observeLive(accepted);
			tracker.observeLive(partial);
			expect(tracker.observeRecovered(openSnapshot)).toBeNull();
			tracker.observeLive(filled);
			expect(tracker.observeRecovered(makeEvent({ status: 'OPEN', filled_qty: 4 }))).toBeNull();
		});

		it('does not take a snapshot OPEN for news after the socket said TRIGGERED (the snapshot has no such status)', () => {
			const tracker = new OrderStateTracker();
			tracker.observeLive(accepted);
			tracker.observeLive(
				makeEvent({
					status: 'TRIGGERED',
					response_type: 'INTENT_ORDER_RESPONSE_TYPE_ENTRY_TRIGGERED',
				}),
			);
			expect(tracker.observeRecovered(openSnapshot)).toBeNull();
			// A fill the socket missed is still news.
			expect(
				tracker.observeRecovered(
					makeEvent({ status: 'PARTIALLY_FILLED', filled_qty: 4, response_type: null }),
				),
			).not.toBeNull();
		});

		it('takes a snapshot TRIGGERED for news after the socket said OPEN', () => {
			const tracker = new OrderStateTracker();
			tracker.observeLive(accepted);
			expect(
				tracker.observeRecovered(
					makeEvent({ status: 'TRIGGERED', response_type: null, request: null }),
				),
			).not.toBeNull();
		});

		it('never re-opens a final order', () => {
			const tracker = new OrderStateTracker();
			tracker.observeLive(makeEvent({ status: 'CANCELLED', request: 'CANCEL' }));
			expect(
				tracker.isNewer(1001, {
					status: 'OPEN',
					filledQty: 0,
					orderQty: 10,
					orderPrice: 250_050,
				}),
			).toBe(false);
			expect(tracker.observeRecovered(openSnapshot)).toBeNull();
		});

		it('emits a snapshot that is news: unseen orders, more filled, later status, new price', () => {
			const tracker = new OrderStateTracker();
			expect(
				tracker.isNewer('404', { status: 'OPEN', filledQty: 0, orderQty: 1, orderPrice: 1 }),
			).toBe(true);
			tracker.observeLive(accepted);
			expect(
				tracker.isNewer(1001, {
					status: 'PARTIALLY_FILLED',
					filledQty: 4,
					orderQty: 10,
					orderPrice: 250_050,
				}),
			).toBe(true);
			expect(
				tracker.isNewer(1001, {
					status: 'CANCELLED',
					filledQty: 0,
					orderQty: 10,
					orderPrice: 250_050,
				}),
			).toBe(true);
			expect(
				tracker.isNewer(1001, {
					status: 'OPEN',
					filledQty: 0,
					orderQty: 10,
					orderPrice: 250_100,
				}),
			).toBe(true);
			expect(
				tracker.isNewer(1001, {
					status: 'OPEN',
					filledQty: 0,
					orderQty: 10,
					orderPrice: 250_050,
				}),
			).toBe(false);
			expect(
				tracker.isNewer(1001, {
					status: 'PENDING',
					filledQty: 0,
					orderQty: 10,
					orderPrice: 250_050,
				}),
			).toBe(false);
		});

		it('baselines known orders without emitting them, and only emits what changes after', () => {
			const tracker = new OrderStateTracker();
			tracker.baseline(openSnapshot);
			expect(tracker.observeRecovered(openSnapshot)).toBeNull();
			expect(tracker.observeLive(accepted)).toBeNull();
			expect(tracker.observeRecovered(filledSnapshot)).toBe(stateKey(filledSnapshot));
		});
	});

	describe('bounded memory', () => {
		it('forgets the least recently changed orders beyond maxOrders', () => {
			const tracker = new OrderStateTracker({ maxOrders: 3 });
			for (const id of [1, 2, 3]) tracker.observeLive(makeEvent({ order_id: id }));
			// Order 1 changes, so order 2 is now the stalest.
			tracker.observeLive(makeEvent({ order_id: 1, status: 'CANCELLED' }));
			tracker.observeLive(makeEvent({ order_id: 4 }));
			expect(tracker.size).toBe(3);
			expect(Object.keys(tracker.snapshot().orders).sort()).toEqual(['1', '3', '4']);
			// A forgotten order is news again.
			expect(
				tracker.isNewer('2', { status: 'OPEN', filledQty: 0, orderQty: 10, orderPrice: 250_050 }),
			).toBe(true);
		});

		it('stays at maxOrders however many orders pass', () => {
			const tracker = new OrderStateTracker({ maxOrders: 100 });
			for (let id = 0; id < 5_000; id++) tracker.observeLive(makeEvent({ order_id: id }));
			expect(tracker.size).toBe(100);
		});

		it('writes at most maxSnapshotOrders, the most recent ones', () => {
			const tracker = new OrderStateTracker({ maxSnapshotOrders: 2 });
			for (const id of [1, 2, 3]) tracker.observeLive(makeEvent({ order_id: id }));
			expect(Object.keys(tracker.snapshot().orders)).toEqual(['2', '3']);
		});

		it('counts an order that changes again as the most recent one', () => {
			const tracker = new OrderStateTracker({ maxSnapshotOrders: 2 });
			for (const id of [1, 2, 3]) tracker.observeLive(makeEvent({ order_id: id }));
			tracker.observeLive(makeEvent({ order_id: 1, status: 'CANCELLED', request: 'CANCEL' }));
			const { orders } = tracker.snapshot();
			expect(Object.keys(orders).sort()).toEqual(['1', '3']);
			expect(orders['1'][0]).toBe('CANCELLED');
			// Fewer orders than the bound: all of them.
			const roomy = new OrderStateTracker({ maxSnapshotOrders: 5 });
			for (const id of [7, 8, 9]) roomy.observeLive(makeEvent({ order_id: id }));
			expect(Object.keys(roomy.snapshot().orders)).toEqual(['7', '8', '9']);
		});
	});

	describe('snapshot and restore', () => {
		it('round-trips through JSON and suppresses what the previous run already emitted', () => {
			const first = new OrderStateTracker();
			first.observeLive(accepted);
			first.observeLive(partial);
			first.observeLive(makeEvent({ order_id: 1002, status: 'REJECTED', request: 'NEW' }));
			const saved = JSON.parse(JSON.stringify(first.snapshot())) as TrackerSnapshot;
			expect(saved).toEqual({
				v: 1,
				orders: { 1001: ['PARTIALLY_FILLED', 4, 10, 250_050], 1002: ['REJECTED', 0, 10, 250_050] },
			});

			const second = new OrderStateTracker();
			second.restore(saved);
			expect(second.size).toBe(2);
			expect(second.snapshot()).toEqual(saved);
			// The snapshot a restart catches up from: only what moved since is news.
			expect(
				second.observeRecovered(makeEvent({ status: 'PARTIALLY_FILLED', filled_qty: 4 })),
			).toBeNull();
			expect(second.observeRecovered(makeEvent({ order_id: 1002, status: 'REJECTED' }))).toBeNull();
			expect(second.observeRecovered(filledSnapshot)).toBe(stateKey(filledSnapshot));
		});

		it('treats the live repeat of a restored state as already emitted', () => {
			const first = new OrderStateTracker();
			first.observeLive(partial);
			const second = new OrderStateTracker();
			second.restore(first.snapshot());
			expect(second.observeLive(partial)).toBeNull();
			expect(second.observeLive(filled)).toBe(stateKey(filled));
		});

		it('ignores snapshots of another version or shape, and keeps what it already knows', () => {
			const tracker = new OrderStateTracker();
			tracker.observeLive(accepted);
			tracker.restore(undefined);
			tracker.restore({ v: 2, orders: {} } as unknown as TrackerSnapshot);
			tracker.restore({ v: 1, orders: null } as unknown as TrackerSnapshot);
			tracker.restore({
				v: 1,
				orders: { 1001: ['FILLED', 10, 10, 1], 7: 'junk' },
			} as unknown as TrackerSnapshot);
			expect(tracker.snapshot().orders).toEqual({ 1001: ['OPEN', 0, 10, 250_050] });
		});
	});

	describe('known fills (to price what a catch-up finds)', () => {
		it('remembers the filled quantity with its average price, and forgets the price when a frame moves on without one', () => {
			const tracker = new OrderStateTracker();
			expect(tracker.knownFill(1001)).toBeUndefined();
			tracker.observeLive(accepted);
			expect(tracker.knownFill(1001)).toEqual({ filledQty: 0, avgPrice: null });
			tracker.observeLive(
				makeEvent({ status: 'PARTIALLY_FILLED', filled_qty: 4, avg_price: 250_000 }),
			);
			expect(tracker.knownFill(1001)).toEqual({ filledQty: 4, avgPrice: 250_000 });
			// A late frame with less filled changes neither.
			tracker.observeLive(
				makeEvent({ status: 'PARTIALLY_FILLED', filled_qty: 2, avg_price: 249_000 }),
			);
			expect(tracker.knownFill(1001)).toEqual({ filledQty: 4, avgPrice: 250_000 });
			tracker.observeLive(
				makeEvent({ status: 'PARTIALLY_FILLED', filled_qty: 6, avg_price: null }),
			);
			expect(tracker.knownFill(1001)).toEqual({ filledQty: 6, avgPrice: null });
		});

		it('keeps the average price through a snapshot, and reads snapshots saved without it', () => {
			const first = new OrderStateTracker();
			first.observeLive(
				makeEvent({ status: 'PARTIALLY_FILLED', filled_qty: 4, avg_price: 250_000 }),
			);
			first.observeLive(makeEvent({ order_id: 1002 }));
			const saved = JSON.parse(JSON.stringify(first.snapshot())) as TrackerSnapshot;
			expect(saved.orders).toEqual({
				1001: ['PARTIALLY_FILLED', 4, 10, 250_050, 250_000],
				1002: ['OPEN', 0, 10, 250_050],
			});
			const second = new OrderStateTracker();
			second.restore(saved);
			expect(second.knownFill(1001)).toEqual({ filledQty: 4, avgPrice: 250_000 });
			const old = new OrderStateTracker();
			old.restore({ v: 1, orders: { 1001: ['PARTIALLY_FILLED', 4, 10, 250_050] } });
			expect(old.knownFill(1001)).toEqual({ filledQty: 4, avgPrice: null });
		});

		it('reads back the ids a snapshot saved as text: numbers while exact, text beyond 2^53', () => {
			const wide = '9007199254741001';
			const first = new OrderStateTracker();
			const live = [makeEvent(), makeEvent({ order_id: wide }), makeEvent({ order_id: null })];
			for (const event of live) first.observeLive(event);
			const saved = JSON.parse(JSON.stringify(first.snapshot())) as TrackerSnapshot;
			expect(Object.keys(saved.orders).sort()).toEqual(['1001', wide, 'null'].sort());
			const second = new OrderStateTracker();
			second.restore(saved);
			expect(second.knownFill(1001)).toEqual({ filledQty: 0, avgPrice: null });
			expect(second.knownFill(wide)).toEqual({ filledQty: 0, avgPrice: null });
			expect(second.knownFill(null)).toEqual({ filledQty: 0, avgPrice: null });
			expect(second.knownFill('1001')).toBeUndefined();
			// What the snapshot restored is what the socket says next: not news.
			for (const event of live)
				expect(second.isNewer(orderKey(event), comparableState(event))).toBe(false);
		});
	});
});
