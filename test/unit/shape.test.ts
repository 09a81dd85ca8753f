import type { DeliveredEvent, StreamStatus } from '../../client/stream';
import { NUBRA_ERROR_CODES, NubraError } from '../../client/errors';
import { shapeConnectionItem, shapeEventItem, type ItemShapeOptions } from '../../client/shape';
import { makeEvent } from '../helpers/events';
import { encodeFrames, scenarioChanges } from '../../bench/frames';
import { FrameDecoder } from '../../client/codec';
import { GENERATION_EXTRAS, GENERATION_LEG_FIELDS } from '../../client/normalise';
import { LiveDelivery } from '../../client/stream/delivered';

const AT = new Date('2025-01-15T09:15:00.000Z');

function delivered(overrides: Partial<DeliveredEvent> = {}): DeliveredEvent {
	return {
		event: makeEvent({
			order_price: 250_050,
			avg_price: '9007199254740993',
			trade_price: null,
			trigger_price: 249_000,
			ltp: 250_100,
			legs: [
				{
					ref_id: 1,
					display_name: 'NIFTY 24500 CE',
					exchange: 'NSE',
					side: 'ORDER_SIDE_BUY',
					order_qty: 75,
					filled_qty: 75,
					order_price: 12_345,
					avg_price: 12_300,
					trade_price: 12_300,
				},
				{
					ref_id: 2,
					display_name: 'NIFTY 24500 PE',
					exchange: 'NSE',
					side: 'ORDER_SIDE_SELL',
					order_qty: 75,
					filled_qty: 0,
				},
			],
		}),
		recovered: false,
		receivedAt: AT,
		dedupKey: '1001|order|OPEN|0|10|250050|ACCEPT|NEW|',
		receivedAtMono: 1,
		...overrides,
	};
}

const simplified: ItemShapeOptions = {
	output: 'simplified',
	addRupeeAmounts: false,
	includeMetadata: false,
};

describe('shapeEventItem', () => {
	it('simplified: the flat event as is, prices in paise, no extra fields', () => {
		const item = shapeEventItem(delivered(), simplified);
		expect(item).toEqual(delivered().event);
		expect(Object.keys(item).some((key) => key.endsWith('_rupees'))).toBe(false);
		expect(item).not.toHaveProperty('received_at');
	});

	it('adds <field>_rupees = paise / 100 beside each paise field, null for absent values', () => {
		const item = shapeEventItem(delivered(), { ...simplified, addRupeeAmounts: true });
		expect(item.order_price).toBe(250_050);
		expect(item.order_price_rupees).toBe(2_500.5);
		expect(item.trigger_price_rupees).toBe(2_490);
		expect(item.ltp_rupees).toBe(2_501);
		expect(item.trade_price_rupees).toBeNull();
		// int64 text above 2^53 is still converted (approximately, as a number).
		expect(item.avg_price_rupees).toBe(Number(9007199254740993n) / 100);
	});

	it('converts leg prices too, without touching the original event', () => {
		const source = delivered();
		const item = shapeEventItem(source, { ...simplified, addRupeeAmounts: true });
		const legs = item.legs as Record<string, unknown>[];
		expect(legs[0]).toMatchObject({
			order_price: 12_345,
			order_price_rupees: 123.45,
			avg_price_rupees: 123,
			trade_price_rupees: 123,
		});
		// A leg that never carried a price field gets no rupee field for it.
		expect(legs[1]).not.toHaveProperty('order_price_rupees');
		expect(source.event.legs?.[0]).not.toHaveProperty('order_price_rupees');
		expect(source.event).not.toHaveProperty('order_price_rupees');
	});

	it('leaves out the fields an event names but does not set (undefined)', () => {
		const event = makeEvent({ trade_ref_id: undefined, legs: undefined, ltp: 250_100 });
		for (const options of [
			simplified,
			{ ...simplified, addRupeeAmounts: true, includeMetadata: true },
		]) {
			const item = shapeEventItem({ ...delivered(), event }, options);
			expect('trade_ref_id' in item || 'legs' in item).toBe(false);
			expect(item.ltp).toBe(250_100);
		}
	});

	it('adds received_at, recovered and dedup_key as metadata', () => {
		const item = shapeEventItem(delivered({ recovered: true }), {
			...simplified,
			includeMetadata: true,
		});
		expect(item).toMatchObject({
			received_at: '2025-01-15T09:15:00.000Z',
			recovered: true,
			dedup_key: '1001|order|OPEN|0|10|250050|ACCEPT|NEW|',
		});
	});

	it('with every option: each event field in its order, extra ones too, then rupees, then metadata', () => {
		const source = delivered();
		source.event.position_id = 'POS-1';
		source.event.execution_mode = 'EXECUTION_MODE_ENTRY';
		const item = shapeEventItem(source, {
			output: 'simplified',
			addRupeeAmounts: true,
			includeMetadata: true,
		});
		expect(Object.keys(item)).toEqual([
			...Object.keys(source.event),
			'order_price_rupees',
			'avg_price_rupees',
			'trade_price_rupees',
			'trigger_price_rupees',
			'ltp_rupees',
			'received_at',
			'recovered',
			'dedup_key',
		]);
		expect(item).toMatchObject({
			position_id: 'POS-1',
			execution_mode: 'EXECUTION_MODE_ENTRY',
			legs: expect.any(Array),
		});
		const { legs, ...rest } = item;
		const { legs: sourceLegs, ...sourceRest } = source.event;
		expect(rest).toMatchObject(sourceRest);
		expect(legs).toHaveLength(sourceLegs?.length ?? -1);
	});

	it('copies extra fields wherever the event has them, not only after its core fields', () => {
		const base = delivered();
		const event = { position_id: 'POS-2', ...base.event, basket_id: 77 };
		const item = shapeEventItem({ ...base, event }, { ...simplified, includeMetadata: true });
		expect(item).toMatchObject({ position_id: 'POS-2', basket_id: 77, order_id: 1001 });
		expect(Object.keys(item).sort()).toEqual(
			[...Object.keys(event), 'received_at', 'recovered', 'dedup_key'].sort(),
		);
	});

	it('metadata without rupees: the event fields and the metadata, no rupee fields', () => {
		const source = delivered();
		const item = shapeEventItem(source, { ...simplified, includeMetadata: true });
		expect(Object.keys(item)).toEqual([
			...Object.keys(source.event),
			'received_at',
			'recovered',
			'dedup_key',
		]);
		expect(item.legs).toBe(source.event.legs);
	});

	it("received_at follows each event's own time", () => {
		const options = { ...simplified, includeMetadata: true };
		const first = shapeEventItem(
			delivered({ receivedAt: new Date('2025-01-15T09:15:00.001Z') }),
			options,
		);
		const again = shapeEventItem(
			delivered({ receivedAt: new Date('2025-01-15T09:15:00.001Z') }),
			options,
		);
		const later = shapeEventItem(
			delivered({ receivedAt: new Date('2025-01-15T09:15:00.002Z') }),
			options,
		);
		expect([first.received_at, again.received_at, later.received_at]).toEqual([
			'2025-01-15T09:15:00.001Z',
			'2025-01-15T09:15:00.001Z',
			'2025-01-15T09:15:00.002Z',
		]);
	});

	it('full: the identifying fields plus the whole decoded message (null for recovered events)', () => {
		const message = { intent_order_response: { intent_order_id: 1001 } };
		expect(shapeEventItem(delivered({ message }), { ...simplified, output: 'full' })).toEqual({
			event: 'order',
			api_version: 'v3',
			status: 'OPEN',
			order_id: 1001,
			message,
		});
		const recovered = shapeEventItem(delivered({ recovered: true }), {
			output: 'full',
			addRupeeAmounts: true,
			includeMetadata: true,
		});
		expect(recovered).toMatchObject({
			message: null,
			recovered: true,
			received_at: '2025-01-15T09:15:00.000Z',
		});
		// Rupee amounts belong to the simplified item only.
		expect(recovered).not.toHaveProperty('order_price_rupees');
	});
});

describe('shapeConnectionItem', () => {
	it('connected: the (redacted) URL and the attempt', () => {
		expect(
			shapeConnectionItem({ state: 'connected', url: 'wss://api.nubra.io/ws', attempt: 2 }, AT),
		).toEqual({
			event: 'connection',
			state: 'connected',
			at: '2025-01-15T09:15:00.000Z',
			url: 'wss://api.nubra.io/ws',
			attempt: 2,
		});
	});

	it('disconnected: the reason and the code, or null', () => {
		expect(
			shapeConnectionItem(
				{ state: 'disconnected', reason: 'no pong', code: NUBRA_ERROR_CODES.UNREACHABLE },
				AT,
			),
		).toMatchObject({
			reason: 'no pong',
			code: 'NUBRA_UNREACHABLE',
		});
		expect(shapeConnectionItem({ state: 'disconnected', reason: 'closed' }, AT)).toMatchObject({
			code: null,
		});
	});

	it('recovered: how many updates the catch-up delivered', () => {
		expect(shapeConnectionItem({ state: 'recovered', count: 3 }, AT)).toMatchObject({
			state: 'recovered',
			recovered_count: 3,
		});
	});

	it('gave-up: the error message, code and hint', () => {
		const error = new NubraError(NUBRA_ERROR_CODES.STREAM_GAVE_UP, 'gave up after 3 attempts', {
			hint: 'reactivate',
		});
		expect(shapeConnectionItem({ state: 'gave-up', error }, AT)).toEqual({
			event: 'connection',
			state: 'gave-up',
			at: '2025-01-15T09:15:00.000Z',
			reason: 'gave up after 3 attempts',
			code: 'NUBRA_STREAM_GAVE_UP',
			hint: 'reactivate',
		});
	});

	it.each<StreamStatus>([
		{ state: 'connecting', attempt: 1 },
		{ state: 'reconnecting', inMs: 50, attempt: 2, reason: 'x' },
		{ state: 'warning', code: 'NUBRA_DECODE_MALFORMED', message: 'bad frame' },
	])('is null for $state (not worth a workflow run)', (status) => {
		expect(shapeConnectionItem(status, AT)).toBeNull();
	});

	it('stamps the current time by default', () => {
		const item = shapeConnectionItem({ state: 'recovered', count: 0 });
		expect(Date.parse(String(item?.at))).toBeGreaterThan(Date.now() - 60_000);
	});
});

describe('items of decoded events (one literal per layout)', () => {
	const { changes, orders } = scenarioChanges({ seed: 3, count: 3_000 });
	const ALL_OPTIONS: ItemShapeOptions[] = [false, true].flatMap((addRupeeAmounts) =>
		[false, true].map((includeMetadata) => ({
			output: 'simplified' as const,
			addRupeeAmounts,
			includeMetadata,
		})),
	);

	it.each(['v1', 'v2', 'v3'] as const)(
		'%s: every event names the core fields, then its generation extras, in order',
		(version) => {
			const core = Object.keys(shapeEventItem(delivered(), { ...simplified })).slice(0, 39);
			const decoder = new FrameDecoder();
			for (const payload of encodeFrames(changes, orders, version).payloads) {
				for (const event of decoder.decode(payload).events) {
					expect(Object.keys(event)).toEqual([...core, ...GENERATION_EXTRAS[version]]);
					for (const leg of event.legs ?? [])
						expect(Object.keys(leg)).toEqual(GENERATION_LEG_FIELDS[version]);
				}
			}
		},
	);

	it.each(['v1', 'v2', 'v3'] as const)(
		'%s: the item of a live event is the item the generic copy makes, field for field and in order',
		(version) => {
			const decoder = new FrameDecoder();
			const layouts = new Set<string>();
			for (const payload of encodeFrames(changes, orders, version).payloads) {
				for (const event of decoder.decode(payload).events) {
					const live = new LiveDelivery(event, AT, 0, undefined);
					const plain: DeliveredEvent = {
						event,
						recovered: false,
						receivedAt: AT,
						dedupKey: live.dedupKey,
						receivedAtMono: 0,
					};
					for (const options of ALL_OPTIONS) {
						const fast = shapeEventItem(live, options);
						const generic = shapeEventItem(plain, options);
						expect(Object.entries(fast)).toEqual(Object.entries(generic));
						// Nested legs too, in order.
						expect(JSON.stringify(fast)).toBe(JSON.stringify(generic));
						layouts.add(Object.keys(fast).join());
					}
				}
			}
			// The scenario covers trades, baskets and exit triggers: several layouts per option set.
			expect(layouts.size).toBeGreaterThan(version === 'v1' ? 3 : 8);
		},
	);
});
