/**
 * Node-level: `NubraTrigger.trigger()` with an n8n-like context against the simulator over real
 * sockets. Each Nubra update becomes one item, and each item its own `emit([[item]])`, so every
 * update starts one workflow run. Run: `npx jest --selectProjects integration --testPathPatterns node.events`
 */
import { NodeOperationError, type IDataObject } from 'n8n-workflow';

import { NubraTrigger } from '../../nodes/NubraTrigger/NubraTrigger.node';
import { generateScenario, type LedgerEntry, type ScenarioMix } from '../../simulator';
import {
	FAST_OPTIONS,
	startNodeFixture,
	type NodeFixture,
	type TriggerRun,
} from '../helpers/trigger-context';

jest.setTimeout(20_000);

const ONLY_BASKETS: ScenarioMix = {
	fill: 0,
	partialFill: 0,
	reject: 0,
	cancel: 0,
	modify: 0,
	stopLoss: 0,
	expire: 0,
	unsolicitedCancel: 0,
	basket: 1,
};

let fixture: NodeFixture;
afterEach(async () => {
	await fixture.close();
});

/** `orderId|kind|status|filledQty` of an item, in the ledger's terms. */
function itemState(item: IDataObject): string {
	return `${String(item.order_id)}|${String(item.event)}|${String(item.status)}|${String(item.filled_qty)}`;
}

function ledgerState(entry: LedgerEntry): string {
	return `${entry.orderId}|${entry.kind}|${entry.status}|${entry.filledQty}`;
}

function expectOneItemPerEmit(run: TriggerRun): void {
	expect(run.emits.length).toBeGreaterThan(0);
	for (const data of run.emits) {
		expect(data).toHaveLength(1);
		expect(data[0]).toHaveLength(1);
		expect(Object.keys(data[0][0])).toEqual(['json']);
	}
}

/** Places a 10-share RELIANCE buy and takes it through accept, a partial fill and the fill. */
function orderWithTwoFills(fx: NodeFixture): string {
	const order = fx.sim.control.placeOrder({ qty: 10 });
	fx.sim.control.applyStep(order.id, { type: 'accept' });
	fx.sim.control.applyStep(order.id, { type: 'partialFill', qty: 4 });
	fx.sim.control.applyStep(order.id, { type: 'fill' });
	return order.id;
}

describe('Nubra Trigger: order, trade and basket updates', () => {
	test('with the default events (order, trade) every update is one item in its own emit', async () => {
		fixture = await startNodeFixture();
		// Only "events" at its default: the rest of the parameters absent, as n8n stores them.
		const run = await fixture.start(new NubraTrigger(), { options: FAST_OPTIONS });
		const id = orderWithTwoFills(fixture);

		await run.waitFor(() => run.updates().length >= 3, 'three updates');
		expect(run.updates().map(itemState)).toEqual([
			`${id}|order|OPEN|0`,
			`${id}|trade|PARTIALLY_FILLED|4`,
			`${id}|trade|FILLED|10`,
		]);
		expect(run.updates().map(itemState)).toEqual(fixture.sim.control.ledger.map(ledgerState));
		expectOneItemPerEmit(run);
		const [accepted, partial] = run.updates();
		expect(accepted).toMatchObject({
			api_version: 'v3',
			display_name: 'RELIANCE',
			request: 'NEW',
			trade_qty: null,
		});
		expect(partial).toMatchObject({ trade_qty: 4, order_qty: 10 });
		expect(run.errors).toEqual([]);
	});

	test('events: order alone drops trades; trade alone drops order updates', async () => {
		fixture = await startNodeFixture();
		const orders = await fixture.start(new NubraTrigger(), {
			events: ['order'],
			options: FAST_OPTIONS,
		});
		const trades = await fixture.start(new NubraTrigger(), {
			events: ['trade'],
			options: FAST_OPTIONS,
		});
		const id = orderWithTwoFills(fixture);
		// A later order update: once it arrives, the trades before it have been judged too.
		fixture.sim.control.applyStep(fixture.sim.control.placeOrder().id, { type: 'reject' });

		await orders.waitFor(
			() => orders.updates().some((i) => i.status === 'REJECTED'),
			'the rejection',
		);
		await trades.waitFor(() => trades.updates().length >= 2, 'the two fills');
		expect(orders.updates().map((i) => i.event)).toEqual(['order', 'order']);
		expect(trades.updates().map(itemState)).toEqual([
			`${id}|trade|PARTIALLY_FILLED|4`,
			`${id}|trade|FILLED|10`,
		]);
		expectOneItemPerEmit(orders);
		expectOneItemPerEmit(trades);
	});

	test('basket updates of the legacy V1 API arrive as basket items (and leg fills as trades)', async () => {
		fixture = await startNodeFixture();
		fixture.sim.control.setApiVersion('v1');
		const baskets = await fixture.start(new NubraTrigger(), {
			events: ['basket'],
			options: FAST_OPTIONS,
		});
		const all = await fixture.start(new NubraTrigger(), {
			events: ['order', 'trade', 'basket'],
			options: FAST_OPTIONS,
		});
		// Both triggers are on one account: one socket feeds them.
		expect(fixture.sim.control.connections().map((c) => c.apiVersion)).toEqual(['v1']);

		await fixture.sim.control.play(generateScenario({ seed: 3, orders: 1, mix: ONLY_BASKETS }));
		const ledger = fixture.sim.control.ledger;
		const basketEntries = ledger.filter((entry) => entry.kind === 'basket');
		expect(basketEntries.length).toBeGreaterThanOrEqual(2);

		await all.waitFor(() => all.updates().length >= ledger.length, 'every basket and leg update');
		await baskets.waitFor(
			() => baskets.updates().length >= basketEntries.length,
			'the basket updates',
		);
		expect(baskets.updates().map((i) => `${String(i.order_id)}|${String(i.status)}`)).toEqual(
			basketEntries.map((entry) => `${entry.orderId}|${entry.status}`),
		);
		expect(baskets.updates().every((i) => i.event === 'basket' && i.api_version === 'v1')).toBe(
			true,
		);
		// The leg fill names the leg's own order, as V1 sends it.
		const legFill = ledger.find((entry) => entry.kind === 'trade');
		expect(all.updates().map((i) => i.event)).toEqual(ledger.map((entry) => entry.kind));
		expect(all.updates().find((i) => i.event === 'trade')?.order_id).toEqual(
			Number(legFill?.legOrderId),
		);
		expectOneItemPerEmit(baskets);
		expectOneItemPerEmit(all);
	});
});

describe('Nubra Trigger: connection events', () => {
	test('connected, disconnected with the reason, connected again and recovered with the count', async () => {
		fixture = await startNodeFixture();
		const control = fixture.sim.control;
		const run = await fixture.start(new NubraTrigger(), {
			events: ['order', 'trade', 'connection'],
			options: { ...FAST_OPTIONS, includeMetadata: true },
		});
		expect(run.connectionItems()).toEqual([
			{
				event: 'connection',
				state: 'connected',
				at: expect.any(String),
				url: `${fixture.sim.wsUrl}`,
				attempt: 1,
			},
		]);

		const order = control.placeOrder();
		control.applyStep(order.id, { type: 'accept' });
		await run.waitFor(() => run.updates().length === 1, 'the accept');
		// Held down until released, so the fill happens while the feed is away.
		control.refuseConnections(1_000);
		control.dropAfter(0);
		await control.waitForDisconnect();
		const fill = control.applyStep(order.id, { type: 'fill' });
		await run.waitFor(
			() => run.connectionItems().some((i) => i.state === 'disconnected'),
			'the disconnected item',
		);
		control.refuseConnections(0);

		await run.waitFor(
			() => run.connectionItems().some((i) => i.state === 'recovered'),
			'the recovered item',
		);
		const states = run.connectionItems().map((i) => i.state);
		expect(states[0]).toBe('connected');
		expect(states[1]).toBe('disconnected');
		expect(states.slice(-2)).toEqual(['connected', 'recovered']);
		const disconnected = run.connectionItems()[1];
		expect(disconnected.reason).toEqual(expect.stringContaining('closed'));
		expect(disconnected).toHaveProperty('code');
		expect(run.connectionItems().at(-1)).toMatchObject({ recovered_count: 1 });
		// The fill the feed missed comes back as a trade, priced from the order's average.
		expect(run.updates().map((i) => [i.event, i.status, i.recovered])).toEqual([
			['order', 'OPEN', false],
			['trade', 'FILLED', true],
		]);
		expect(run.updates()[1]).toMatchObject({
			trade_qty: fill.tradeQty,
			trade_price: fill.tradePrice,
		});
		expectOneItemPerEmit(run);
		expect(run.errors).toEqual([]);
	});

	test('only connection events: no update items, a gave-up item and emitError when the feed is lost', async () => {
		fixture = await startNodeFixture();
		const control = fixture.sim.control;
		const run = await fixture.start(new NubraTrigger(), {
			events: ['connection'],
			options: { ...FAST_OPTIONS, maxReconnectAttempts: 1 },
		});
		control.applyStep(control.placeOrder().id, { type: 'accept' });
		control.refuseConnections(100);
		control.dropAfter(0);

		await run.waitFor(() => run.errors.length > 0, 'emitError');
		const gaveUp = run.connectionItems().find((i) => i.state === 'gave-up');
		expect(gaveUp).toMatchObject({
			code: 'NUBRA_STREAM_GAVE_UP',
			reason: expect.stringContaining('could not be restored'),
		});
		expect(gaveUp?.hint).toEqual(expect.stringContaining('reactivate the workflow'));
		expect(run.updates()).toEqual([]);
		expect(run.errors).toHaveLength(1);
		expect(run.errors[0]).toBeInstanceOf(NodeOperationError);
		expectOneItemPerEmit(run);
	});
});
