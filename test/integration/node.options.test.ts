/**
 * Node-level: the Nubra Trigger's options (output, rupee amounts, metadata, catch-up, socket,
 * heartbeat, reconnect limit) against the simulator over real sockets.
 * Run: `npx jest --selectProjects integration --testPathPatterns node.options`
 */
import { NodeOperationError, type IDataObject } from 'n8n-workflow';

import { NubraTrigger } from '../../nodes/NubraTrigger/NubraTrigger.node';
import {
	FAST_OPTIONS,
	startNodeFixture,
	type NodeFixture,
	type TriggerRun,
} from '../helpers/trigger-context';

jest.setTimeout(20_000);

let fixture: NodeFixture | undefined;
afterEach(async () => {
	await fixture?.close();
	fixture = undefined;
});

async function withFixture(
	options: Parameters<typeof startNodeFixture>[0] = {},
): Promise<NodeFixture> {
	fixture = await startNodeFixture(options);
	return fixture;
}

/** Accept, partly fill and fill a 10-share order; resolves once the trigger emitted all three. */
async function threeUpdates(fx: NodeFixture, run: TriggerRun): Promise<IDataObject[]> {
	const order = fx.sim.control.placeOrder({ qty: 10, price: 245_005 });
	fx.sim.control.applyStep(order.id, { type: 'accept' });
	fx.sim.control.applyStep(order.id, { type: 'partialFill', qty: 4 });
	fx.sim.control.applyStep(order.id, { type: 'fill' });
	await run.waitFor(() => run.updates().length >= 3, 'three updates');
	return run.updates();
}

const METADATA_KEYS = ['received_at', 'recovered', 'dedup_key'];

describe('output', () => {
	test('simplified (the default): the flat event, prices in paise, no message and no metadata', async () => {
		const fx = await withFixture();
		const run = await fx.start(new NubraTrigger(), { options: FAST_OPTIONS });
		const [accepted, partial] = await threeUpdates(fx, run);
		expect(accepted).toMatchObject({
			event: 'order',
			order_price: 245_005,
			display_name: 'RELIANCE',
			tags: ['manual'],
		});
		expect(partial).toMatchObject({ event: 'trade', trade_price: 245_005, trade_qty: 4 });
		for (const item of run.updates()) {
			expect(item).not.toHaveProperty('message');
			expect(Object.keys(item).filter((key) => key.endsWith('_rupees'))).toEqual([]);
			for (const key of METADATA_KEYS) expect(item).not.toHaveProperty(key);
		}
	});

	test('full message: the decoded protobuf message under "message" beside the identifying fields', async () => {
		const fx = await withFixture();
		const run = await fx.start(new NubraTrigger(), {
			options: { ...FAST_OPTIONS, output: 'full' },
		});
		const items = await threeUpdates(fx, run);
		const orderId = fx.sim.control.ledger[0].orderId;
		for (const item of items) {
			expect(Object.keys(item).sort()).toEqual([
				'api_version',
				'event',
				'message',
				'order_id',
				'status',
			]);
			expect(String(item.order_id)).toBe(orderId);
			expect(item.message).toEqual(expect.any(Object));
			expect(JSON.stringify(item.message)).toContain(orderId);
		}
		expect(items.map((i) => i.status)).toEqual(['OPEN', 'PARTIALLY_FILLED', 'FILLED']);
	});

	test('rupee amounts beside the paise fields', async () => {
		const fx = await withFixture();
		const run = await fx.start(new NubraTrigger(), {
			options: { ...FAST_OPTIONS, addRupeeAmounts: true },
		});
		const [accepted, partial, filled] = await threeUpdates(fx, run);
		expect(accepted).toMatchObject({
			order_price: 245_005,
			order_price_rupees: 2450.05,
			trade_price_rupees: null,
		});
		expect(partial).toMatchObject({
			trade_price: 245_005,
			trade_price_rupees: 2450.05,
			avg_price_rupees: 2450.05,
		});
		expect(filled).toMatchObject({ order_price_rupees: 2450.05 });
	});

	test('metadata: received_at, recovered and a dedup_key per item', async () => {
		const fx = await withFixture();
		const run = await fx.start(new NubraTrigger(), {
			options: { ...FAST_OPTIONS, includeMetadata: true },
		});
		const items = await threeUpdates(fx, run);
		for (const item of items) {
			expect(new Date(String(item.received_at)).toISOString()).toBe(item.received_at);
			expect(item.recovered).toBe(false);
			expect(item.dedup_key).toEqual(expect.stringContaining(String(item.order_id)));
		}
		expect(new Set(items.map((i) => i.dedup_key)).size).toBe(3);
	});
});

describe('catch-up after reconnect', () => {
	async function missAnUpdate(
		catchUp: boolean,
	): Promise<{ run: TriggerRun; fx: NodeFixture; snapshotsAfterStart: number }> {
		const fx = await withFixture();
		const control = fx.sim.control;
		const run = await fx.start(new NubraTrigger(), {
			events: ['order', 'trade', 'connection'],
			options: { ...FAST_OPTIONS, includeMetadata: true, catchUp },
		});
		const snapshotsAfterStart = fx.requests.filter((r) => r.path === '/sentinel/orders').length;
		const order = control.placeOrder();
		control.applyStep(order.id, { type: 'accept' });
		await run.waitFor(() => run.updates().length === 1, 'the accept');
		control.refuseConnections(1_000);
		control.dropAfter(0);
		await control.waitForDisconnect();
		control.applyStep(order.id, { type: 'fill' });
		control.refuseConnections(0);
		await control.waitForSubscribers(1, 6_000);
		// A live update after the reconnect: once it is out, a catch-up would have been too.
		const later = control.placeOrder({ tag: 'after-reconnect' });
		control.applyStep(later.id, { type: 'accept' });
		await run.waitFor(
			() => run.updates().some((i) => i.tag === 'after-reconnect'),
			'the live update after the reconnect',
		);
		if (catchUp)
			await run.waitFor(
				() => run.connectionItems().some((i) => i.state === 'recovered'),
				'the catch-up',
			);
		return { run, fx, snapshotsAfterStart };
	}

	test('on (the default): the update missed while disconnected comes back, marked recovered', async () => {
		const { run } = await missAnUpdate(true);
		expect(run.updates().map((i) => [i.status, i.recovered])).toEqual(
			expect.arrayContaining([
				['OPEN', false],
				['FILLED', true],
			]),
		);
		expect(run.updates()).toHaveLength(3);
	});

	test('off: no order snapshot is read and the missed update stays missed', async () => {
		const { run, fx, snapshotsAfterStart } = await missAnUpdate(false);
		expect(snapshotsAfterStart).toBe(0);
		expect(fx.requests.filter((r) => r.path === '/sentinel/orders')).toEqual([]);
		expect(run.updates().map((i) => [i.status, i.recovered, i.tag])).toEqual([
			['OPEN', false, 'manual'],
			['OPEN', false, 'after-reconnect'],
		]);
		expect(run.connectionItems().some((i) => i.state === 'recovered')).toBe(false);
	});
});

describe('socket', () => {
	test('user socket (the default) is the one /userinfo announces', async () => {
		const fx = await withFixture();
		const run = await fx.start(new NubraTrigger(), {
			options: { ...FAST_OPTIONS, socket: 'user' },
		});
		expect(fx.sim.control.connections()).toEqual([
			expect.objectContaining({ channel: 'user', subscribed: true }),
		]);
		await threeUpdates(fx, run);
	});

	test('order-service socket', async () => {
		const fx = await withFixture();
		const run = await fx.start(new NubraTrigger(), {
			options: { ...FAST_OPTIONS, socket: 'orderService' },
		});
		expect(fx.sim.control.connections()).toEqual([
			expect.objectContaining({ channel: 'order-service', subscribed: true }),
		]);
		await threeUpdates(fx, run);
	});

	// The order-service handshake (`?token=`, `direct_intent`) only works on the order-service
	// path: activation must not succeed on a socket that never sends an update.
	test("order-service socket not announced (UAT sends an empty URL): the environment's /oms-socket-latest/ws", async () => {
		const fx = await withFixture({ orderServiceWsUrl: '' });
		const run = await fx.start(
			new NubraTrigger(),
			{ options: { ...FAST_OPTIONS, socket: 'orderService' } },
			{ waitMs: 3_000 },
		);
		expect(fx.sim.control.connections()).toEqual([
			expect.objectContaining({ channel: 'order-service', subscribed: true }),
		]);
		await threeUpdates(fx, run);
	});

	test('explicit URL wins over what /userinfo announces', async () => {
		// The announced user socket is a dead port: only the explicit URL can work.
		const fx = await withFixture({ userWsUrl: 'ws://127.0.0.1:9/ws' });
		const refused = await fx
			.start(new NubraTrigger(), { options: { ...FAST_OPTIONS } })
			.catch((e: unknown) => e);
		expect(refused).toBeInstanceOf(NodeOperationError);
		// n8n swaps the message for its generic ECONNREFUSED sentence; the node keeps the socket
		// and the hint in the description.
		expect((refused as NodeOperationError).message).toBe(
			'The service refused the connection - perhaps it is offline',
		);
		expect((refused as NodeOperationError).description).toMatch(
			/^Could not open the Nubra order socket at ws:\/\/127\.0\.0\.1:9\/ws: .*ECONNREFUSED.*\. Check the environment or socket URL/,
		);

		const run = await fx.start(new NubraTrigger(), {
			options: { ...FAST_OPTIONS, socket: 'explicit', socketUrl: ` ${fx.sim.wsUrl} ` },
		});
		expect(fx.sim.control.connections()).toEqual([
			expect.objectContaining({ channel: 'user', subscribed: true }),
		]);
		await threeUpdates(fx, run);
	});
});

describe('heartbeat and reconnect limits', () => {
	test('heartbeat interval: pings at the configured pace', async () => {
		const fx = await withFixture();
		const pings: number[] = [];
		fx.sim.control.on('ping', () => pings.push(Date.now()));
		const started = Date.now();
		await fx.start(new NubraTrigger(), {
			options: { ...FAST_OPTIONS, heartbeatIntervalSeconds: 1 },
		});
		await fx.until(() => pings.length >= 2, 'two pings', ['ping'], 4_000);
		// The default (20 s) would not have pinged at all by now.
		expect(pings[0] - started).toBeLessThan(2_500);
		expect(pings[1] - pings[0]).toBeGreaterThanOrEqual(800);
	});

	test('heartbeat timeout: a half-open socket is noticed and replaced', async () => {
		const fx = await withFixture();
		const run = await fx.start(new NubraTrigger(), {
			events: ['order', 'trade', 'connection'],
			options: { ...FAST_OPTIONS, heartbeatIntervalSeconds: 1, heartbeatTimeoutSeconds: 1 },
		});
		let subscriptions = 0;
		fx.sim.control.on('subscribed', () => subscriptions++);
		fx.sim.control.halfOpen();
		await run.waitFor(
			() => run.connectionItems().some((i) => i.state === 'recovered'),
			'the reconnect and its catch-up',
		);
		await fx.until(() => subscriptions === 1, 'the new subscription', ['subscribed']);
		const disconnected = run.connectionItems().find((i) => i.state === 'disconnected');
		expect(disconnected?.reason).toBe(
			'no pong within 1000 ms of a ping: the connection is half-open',
		);
		await threeUpdates(fx, run);
		expect(run.errors).toEqual([]);
	});

	test('max reconnect attempts: gives up after the configured number with emitError', async () => {
		const fx = await withFixture();
		const run = await fx.start(new NubraTrigger(), {
			events: ['order', 'connection'],
			options: { ...FAST_OPTIONS, maxReconnectAttempts: 2 },
		});
		fx.sim.control.refuseConnections(100);
		fx.sim.control.dropAfter(0);
		await run.waitFor(() => run.errors.length > 0, 'emitError', 10_000);
		expect(run.errors[0].message).toMatch(
			/^The Nubra order feed could not be restored after 2 attempts/,
		);
		const disconnects = run.connectionItems().filter((i) => i.state === 'disconnected');
		expect(disconnects.length).toBeGreaterThanOrEqual(2);
		expect(disconnects.at(-1)?.reason).toEqual(expect.stringContaining('503'));
	});
});
