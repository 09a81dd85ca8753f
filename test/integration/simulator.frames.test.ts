import {
	generateScenario,
	startSimulator,
	wireStatus,
	type LegSpec,
	type NubraApiVersion,
	type RunningSimulator,
} from '../../simulator';
import { instrumentSpec } from '../../simulator/instruments';
import { decodeFrame, GenerationSockets, type DecodedFrame } from '../helpers/simulator-client';

/** Each generation's frames, decoded with the schema, and the ledger against what arrived. */
describe('simulator frames', () => {
	let sim: RunningSimulator;
	let sockets: GenerationSockets;
	const subscribe = (version: NubraApiVersion) => sockets.subscribe(version);

	async function framesFor(version: NubraApiVersion, act: () => void): Promise<DecodedFrame[]> {
		const socket = await subscribe(version);
		const before = sim.control.ledger.length;
		act();
		await socket.waitForMessages(sim.control.ledger.length - before);
		return socket.frames.map(decodeFrame);
	}

	const legs: LegSpec[] = [
		{ ...instrumentSpec('NIFTY 25DEC 24000 CE'), side: 'SELL', qty: 75, price: 12050 },
		{ ...instrumentSpec('NIFTY 25DEC 24000 PE'), side: 'SELL', qty: 75, price: 9835 },
		{ ...instrumentSpec('NIFTY 25DEC 24200 CE'), side: 'BUY', qty: 75, price: 6420 },
	];

	/** accept, partial fill, modify, fill; a rejected order; a cancelled and an expired one. */
	function singleOrderStory(): void {
		const { control } = sim;
		const order = control.placeOrder({
			displayName: 'INFY',
			refId: 1594,
			asset: 'INFY',
			qty: 20,
			price: 150_215,
			tag: 'momentum-1',
			side: 'SELL',
		});
		control.applyStep(order.id, { type: 'accept' });
		control.applyStep(order.id, { type: 'partialFill', qty: 5 });
		control.applyStep(order.id, { type: 'modify', price: 150_300 });
		control.applyStep(order.id, { type: 'fill' });
		const rejected = control.placeOrder({ exchange: 'BSE' });
		control.applyStep(rejected.id, { type: 'reject', reason: 'RMS: Insufficient margin' });
		const cancelled = control.placeOrder();
		control.applyStep(cancelled.id, { type: 'accept' });
		control.applyStep(cancelled.id, { type: 'cancel' });
		const expired = control.placeOrder({ triggerPrice: 246_000 });
		control.applyStep(expired.id, { type: 'accept' });
		control.applyStep(expired.id, { type: 'trigger' });
		control.applyStep(expired.id, { type: 'expire' });
		const exchangeCancel = control.placeOrder({ validity: 'IOC' });
		control.applyStep(exchangeCancel.id, { type: 'accept' });
		control.applyStep(exchangeCancel.id, { type: 'unsolicitedCancel' });
	}

	function basketStory(): void {
		const basket = sim.control.placeOrder({ displayName: 'NIFTY IRON FLY', tag: 'hedge', legs });
		sim.control.applyStep(basket.id, { type: 'accept' });
		sim.control.applyStep(basket.id, { type: 'partialFill' });
		sim.control.applyStep(basket.id, { type: 'fill' });
	}

	beforeEach(async () => {
		sim = await startSimulator({ bigIds: true, singleSession: false });
		sockets = new GenerationSockets(sim);
	});
	afterEach(async () => {
		await sockets.closeAll();
		await sim.close();
	});

	it('V3: NubraToClientIntentUpdate through the lifecycle', async () => {
		const frames = await framesFor('v3', singleOrderStory);
		expect(
			frames.every(
				(frame) =>
					frame.typeUrl === 'type.googleapis.com/nubra.trading.v3.NubraToClientIntentUpdate',
			),
		).toBe(true);
		const rows = frames.map(({ message }) => {
			const response = message.intent_order_response as Record<string, unknown>;
			return [
				String(message.intent_order_response_type).replace('INTENT_ORDER_RESPONSE_TYPE_', ''),
				String(message.intent_order_requst_type).replace('INTENT_ORDER_REQUEST_TYPE_', ''),
				String(response.order_status).replace('INTENT_ORDER_STATUS_', ''),
			].join('/');
		});
		expect(rows).toEqual([
			'ACCEPT/NEW/OPEN',
			'FILLED/NEW/OPEN',
			'ACCEPT/MOD/OPEN',
			'FILLED/MOD/EXECUTED',
			'REJECT/NEW/REJECTED',
			'ACCEPT/NEW/OPEN',
			'ACCEPT/CANCEL/CANCELLED',
			'ACCEPT/NEW/OPEN',
			'EXIT_SL_TRIGGERED/NEW/OPEN',
			'UNSOLICITED_CANCEL/NEW/EXPIRED',
			'ACCEPT/NEW/OPEN',
			'UNSOLICITED_CANCEL/NEW/CANCELLED',
		]);
		const partial = frames[1].message.intent_order_response as Record<string, unknown>;
		const id = sim.control.ledger[0].orderId;
		expect(BigInt(id)).toBeGreaterThan(BigInt(Number.MAX_SAFE_INTEGER));
		expect(partial).toMatchObject({
			intent_order_id: id,
			order_qty: '20',
			filled_qty: '5',
			order_price: '150215',
			order_side: 'ORDER_SIDE_SELL',
			strat_tags: ['momentum-1'],
			trade_fill: { trade_qty: '5', trade_price: '150215', ref_id: '1594' },
			refdata: { display_name: 'INFY', exchange: 'NSE', lot_size: '1' },
			intent_order_type: 'INTENT_ORDER_TYPE_REGULAR',
		});
		const timestamps = partial.nubra_timestamps as Record<string, string>;
		const nowNs = BigInt(Date.now()) * 1_000_000n;
		expect(BigInt(timestamps.last_modified_at)).toBeLessThanOrEqual(nowNs);
		expect(BigInt(timestamps.last_modified_at)).toBeGreaterThan(nowNs - 60_000_000_000n);
		expect(frames[4].message.intent_order_response).toMatchObject({
			rejection_msg: 'RMS: Insufficient margin',
		});
		expect(frames[8].message.intent_order_response).toMatchObject({
			intent_order_type: 'INTENT_ORDER_TYPE_TRIGGER',
			exit_triggers: [
				{
					kind: 'INTENT_EXIT_TRIGGER_KIND_STOPLOSS',
					trigger_price: '246000',
					status: 'INTENT_EXIT_TRIGGER_STATUS_TRIGGERED',
				},
			],
		});
	});

	it('V3: a strategy order carries is_multi, signed legs and the traded leg in trade_fill', async () => {
		const frames = await framesFor('v3', basketStory);
		const responses = frames.map(
			(frame) => frame.message.intent_order_response as Record<string, unknown>,
		);
		expect(responses[0]).toMatchObject({
			is_multi: true,
			intent_order_type: 'INTENT_ORDER_TYPE_FLEXI',
			order_qty: '225',
		});
		expect((responses[0].legs as Record<string, unknown>[]).map((leg) => leg.unit_qty)).toEqual([
			-75, -75, 75,
		]);
		expect(responses[1].trade_fill).toEqual({
			trade_qty: '75',
			trade_price: '12050',
			ref_id: '4200101',
		});
		expect(frames[2].message.intent_order_response_type).toBe(
			'INTENT_ORDER_RESPONSE_TYPE_EXECUTED',
		);
		expect(responses[2]).toMatchObject({
			order_status: 'INTENT_ORDER_STATUS_EXECUTED',
			filled_qty: '225',
		});
		expect(responses[2].trade_fill).toBeUndefined();
	});

	it('V1: Order frames with ORDER_STATUS_*, response and request types, fills and reasons', async () => {
		const frames = await framesFor('v1', singleOrderStory);
		expect(frames.every((frame) => frame.typeUrl.endsWith('nubrafrontend.Order'))).toBe(true);
		const rows = frames.map(({ message }) =>
			[message.response_type, message.order_status, message.request_type]
				.map((value) => String(value).replace(/^ORDER_(STATUS_|REQUEST_)?/, ''))
				.join('/'),
		);
		expect(rows).toEqual([
			'ACCEPTED/OPEN/NEW',
			'FILLED/OPEN/NEW',
			'ACCEPTED/OPEN/MOD',
			'FILLED/FILLED/MOD',
			'REJECTED/REJECTED/NEW',
			'ACCEPTED/OPEN/NEW',
			'CANCELLED/CANCELLED/CANCEL',
			'ACCEPTED/OPEN/NEW',
			'TRIGGERED/TRIGGERED/NEW',
			'CANCELLED/CANCELLED/NEW',
			'ACCEPTED/OPEN/NEW',
			'CANCELLED/CANCELLED/NEW',
		]);
		expect(frames[1].message).toMatchObject({
			exch: 'EXCH_NSE',
			order_id: sim.control.ledger[0].orderId,
			side: 'ORDER_SIDE_SELL',
			order_qty: 20,
			filled_qty: 5,
			trade_qty: '5',
			trade_price: '150215',
			display_name: 'INFY',
			tag: 'momentum-1',
			last_modified: expect.stringMatching(/^\d{19}$/),
		});
		expect(frames[0].message.trade_qty).toBeUndefined();
		expect(frames[4].message).toMatchObject({
			exch: 'EXCH_BSE',
			update_msg: 'RMS: Insufficient margin',
		});
		expect(frames[8].message).toMatchObject({
			order_type: 'ORDER_TYPE_STOPLOSS',
			trigger_price: 246000,
		});
		expect(frames[9].message.update_msg).toMatch(/expired/);
	});

	it('V1: basket updates are sparse frames; leg fills are full Order frames with basket_id', async () => {
		const frames = await framesFor('v1', basketStory);
		const basketId = sim.control.ledger[0].orderId;
		expect(frames[0].message).toEqual({
			basket_id: basketId,
			last_modified: expect.any(String),
			response_type: 'ORDER_ACCEPTED',
		});
		expect(frames[1].message).toMatchObject({
			basket_id: basketId,
			order_id: sim.control.ledger[1].legOrderId,
			ref_id: '4200101',
			trade_qty: '75',
			display_name: 'NIFTY 25DEC 24000 CE',
		});
		expect(frames[2].message).toEqual({
			basket_id: basketId,
			last_modified: expect.any(String),
			response_type: 'BASKET_FILLED',
		});
	});

	it('V2: Executions with execution_status and trade_qty in order_params', async () => {
		const frames = await framesFor('v2', singleOrderStory);
		expect(frames.every((frame) => frame.suffix === 'Executions')).toBe(true);
		expect(
			frames.map((frame) =>
				String(frame.message.execution_status).replace(/^EXECUTION_(STATUS|SATUS)_/, ''),
			),
		).toEqual([
			'OPEN',
			'OPEN',
			'OPEN',
			'FILLED',
			'REJECTED',
			'OPEN',
			'CANCELLED',
			'OPEN',
			'TRIGGERED',
			'CANCELLED',
			'OPEN',
			'CANCELLED',
		]);
		expect(frames[1].message).toMatchObject({
			id: sim.control.ledger[0].orderId,
			response_type: 'ORDER_FILLED',
			execution_type: 'EXECUTION_TYPE_REGULAR',
			request_type: 'ORDER_REQUEST_NEW',
			qty: '20',
			last_mdified_time: expect.stringMatching(/^\d{19}$/),
			order_params: { trade_qty: '5', trade_price: '150215', filled_qty: 5, order_price: '150215' },
		});
		expect(frames[2].message.request_type).toBe('ORDER_REQUEST_MOD');
		expect(frames[8].message.execution_type).toBe('EXECUTION_TYPE_STOPLOSS');
	});

	it('V2: FLEXI baskets put the legs in basket_params.order_params, trade_qty on the traded leg', async () => {
		const frames = await framesFor('v2', basketStory);
		expect(frames[0].message).toMatchObject({
			execution_type: 'EXECUTION_TYPE_FLEXI',
			basket_params: { basket_type_name: 'NIFTY IRON FLY' },
		});
		const fillLegs = (
			frames[1].message.basket_params as { order_params: Record<string, unknown>[] }
		).order_params;
		expect(fillLegs.map((leg) => leg.trade_qty)).toEqual(['75', undefined, undefined]);
		expect(fillLegs[2]).toMatchObject({
			side: 'ORDER_SIDE_BUY',
			option_type: 'CALL',
			strike_price: '2420000',
			lot_size: '75',
		});
	});

	it('the ledger matches what each generation received, frame for frame', async () => {
		const v1 = await subscribe('v1');
		const v2 = await subscribe('v2');
		const v3 = await subscribe('v3');
		await sim.control.play(generateScenario({ seed: 7, orders: 40 }));
		const { ledger } = sim.control;
		await Promise.all([v1, v2, v3].map((socket) => socket.waitForMessages(ledger.length)));

		const ids = sim.control
			.connections()
			.map((connection) => connection.id)
			.sort();
		for (const entry of ledger) expect([...entry.deliveredTo].sort()).toEqual(ids);
		expect(new Set(ledger.map((entry) => entry.seq)).size).toBe(ledger.length);

		const v3Frames = v3.frames.map(decodeFrame);
		ledger.forEach((entry, index) => {
			const v3Response = v3Frames[index].message.intent_order_response as Record<string, unknown>;
			expect(v3Response.intent_order_id).toBe(entry.orderId);
			expect(Number(v3Response.filled_qty)).toBe(entry.filledQty);
			expect(Number(v3Response.order_qty)).toBe(entry.orderQty);
			expect(v3Response.order_status).toBe(wireStatus(entry.status, 'v3'));
			expect(Boolean(v3Response.trade_fill)).toBe(entry.kind === 'trade');

			const v2Message = decodeFrame(v2.frames[index]).message;
			expect(v2Message.id).toBe(entry.orderId);
			expect(v2Message.execution_status).toBe(wireStatus(entry.status, 'v2'));

			const v1Message = decodeFrame(v1.frames[index]).message;
			if (entry.kind === 'basket') expect(v1Message.basket_id).toBe(entry.orderId);
			else if (entry.legOrderId) expect(v1Message.order_id).toBe(entry.legOrderId);
			else {
				expect(v1Message.order_id).toBe(entry.orderId);
				expect(v1Message.order_status).toBe(wireStatus(entry.status, 'v1'));
			}
			if (entry.kind === 'trade') expect(Number(v1Message.trade_qty)).toBe(entry.tradeQty);
		});
	});

	it('records changes with nobody connected, and no two consecutive states of an order are equal', async () => {
		await sim.control.play(generateScenario({ seed: 3, orders: 60 }));
		const { ledger } = sim.control;
		expect(ledger.length).toBeGreaterThan(150);
		expect(ledger.every((entry) => entry.deliveredTo.length === 0)).toBe(true);
		const last = new Map<string, string>();
		for (const entry of ledger) {
			const state = JSON.stringify([
				entry.status,
				entry.filledQty,
				entry.orderQty,
				entry.orderPrice,
				entry.request,
				entry.responseType,
			]);
			expect(last.get(entry.orderId)).not.toBe(state);
			last.set(entry.orderId, state);
		}
	});
});
