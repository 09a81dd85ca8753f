/**
 * Node-level: the Batch Events option against the simulator. Batches carry exactly the items
 * an unbatched trigger emits, in the same order; filters come first; connection events stay
 * unbatched; a manual listen shows one update; and the workflow's static data never records an
 * update still waiting in a batch, so a close mid-batch or a crash mid-batch loses and doubles
 * nothing. Run: `npx jest --selectProjects integration --testPathPatterns node.batch`
 */
import type { IDataObject, INodeParameters } from 'n8n-workflow';

import type { DeliveredEvent } from '../../client/stream';
import type { TrackerSnapshot } from '../../client/tracker';
import type { NubraEvent } from '../../client/types';
import { NubraTrigger } from '../../nodes/NubraTrigger/NubraTrigger.node';
import { generateScenario } from '../../simulator';
import { compareWithLedger } from '../helpers/exactly-once';
import { playSteps } from '../helpers/play-steps';
import { FAST_OPTIONS, nodeFixtureForEachTest, type TriggerRun } from '../helpers/trigger-context';

jest.setTimeout(30_000);

const fixture = nodeFixtureForEachTest();

const ALL_UPDATES = ['order', 'trade', 'basket'];

function batched(
	maxEvents: number,
	maxWaitSeconds: number,
	extra: INodeParameters = {},
): INodeParameters {
	return {
		...FAST_OPTIONS,
		batchEvents: true,
		batchMaxEvents: maxEvents,
		batchMaxWaitSeconds: maxWaitSeconds,
		...extra,
	};
}

function orderSnapshots(): number {
	return fixture.requests.filter((r) => r.path === '/sentinel/orders' && r.status === 200).length;
}

/**
 * Resolves once the (single) trigger has read every frame sent before: a garbled frame sent
 * after them makes it read the order book, which it can only do after reading what came first.
 * The order book then holds nothing new, so this adds no update.
 */
async function everyFrameRead(): Promise<void> {
	const before = orderSnapshots();
	fixture.sim.control.sendMalformed('garbage');
	await fixture.until(
		() => orderSnapshots() > before,
		'the order-book read after the garbled frame',
	);
}

function isEventItem(item: IDataObject): item is IDataObject & NubraEvent {
	return (
		typeof item.event === 'string' &&
		item.event !== 'connection' &&
		typeof item.dedup_key === 'string'
	);
}

/** Items of the given emits as the stream delivered them, for `compareWithLedger`. */
function asDelivered(items: IDataObject[]): DeliveredEvent[] {
	return items.filter(isEventItem).map((event) => ({
		event,
		recovered: event.recovered === true,
		receivedAt: new Date(String(event.received_at)),
		dedupKey: String(event.dedup_key),
		receivedAtMono: 0,
	}));
}

function itemsOf(emits: TriggerRun['emits']): IDataObject[] {
	return emits.flatMap((data) => data.flatMap((output) => output.map((item) => item.json)));
}

function savedOrders(staticData: IDataObject): TrackerSnapshot['orders'] | undefined {
	return (staticData.nubraOrderStates as TrackerSnapshot | undefined)?.orders;
}

describe('Batch Events', () => {
	test('batches hold exactly the items an unbatched trigger emits, in the same order, at most N per run', async () => {
		const control = fixture.sim.control;
		const plain = await fixture.start(new NubraTrigger(), {
			events: ALL_UPDATES,
			options: FAST_OPTIONS,
		});
		const batches = await fixture.start(new NubraTrigger(), {
			events: ALL_UPDATES,
			options: batched(5, 1),
		});
		await playSteps(control, generateScenario({ seed: 5, orders: 12 }));
		await plain.waitFor(
			() => plain.updates().length === control.ledger.length,
			'every update, unbatched',
		);
		await batches.waitFor(
			() => batches.updates().length === control.ledger.length,
			'every update, batched',
		);

		expect(batches.updates()).toEqual(plain.updates());
		expect(plain.emits.every((data) => data.length === 1 && data[0].length === 1)).toBe(true);
		const sizes = batches.emits.map((data) => {
			expect(data).toHaveLength(1);
			return data[0].length;
		});
		expect(Math.max(...sizes)).toBe(5);
		expect(sizes.length).toBeLessThan(plain.emits.length / 2);
		expect(batches.errors).toEqual([]);
	});

	test('a batch that does not fill up runs after the wait; filters apply before batching', async () => {
		const control = fixture.sim.control;
		const run = await fixture.start(new NubraTrigger(), {
			events: ALL_UPDATES,
			filters: { statuses: ['FILLED'] },
			options: batched(3, 1),
		});
		const orders = [1, 2, 3, 4].map((n) => control.placeOrder({ tag: `fill-${n}` }));
		const started = Date.now();
		for (const order of orders) {
			control.applyStep(order.id, { type: 'accept' });
			control.applyStep(order.id, { type: 'fill' });
		}
		// Three fills fill a batch at once; the fourth waits for its window.
		await run.waitFor(() => run.emits.length === 1, 'the full batch');
		expect(run.emits[0][0].map((item) => item.json.order_id)).toEqual(
			orders.slice(0, 3).map((o) => Number(o.id)),
		);
		await run.waitFor(() => run.emits.length === 2, 'the partial batch');
		expect(Date.now() - started).toBeGreaterThanOrEqual(950);
		expect(run.emits[1][0].map((item) => item.json.order_id)).toEqual([Number(orders[3].id)]);
		expect(run.updates().every((item) => item.status === 'FILLED')).toBe(true);
	});

	test('connection events are not batched: the updates that came before one run first', async () => {
		const control = fixture.sim.control;
		const run = await fixture.start(new NubraTrigger(), {
			events: ['order', 'connection'],
			options: batched(100, 60),
		});
		const [a, b] = [control.placeOrder(), control.placeOrder()];
		// The socket goes right after the two accepts, long before the batch's minute is up.
		control.dropAfter(2);
		control.applyStep(a.id, { type: 'accept' });
		control.applyStep(b.id, { type: 'accept' });
		await run.waitFor(
			() => run.connectionItems().some((item) => item.state === 'disconnected'),
			'the drop',
		);
		const shapes = run.emits.map((data) =>
			data[0].map((item) => String(item.json.state ?? item.json.order_id)),
		);
		const disconnectedAt = shapes.findIndex((shape) => shape[0] === 'disconnected');
		expect(shapes[disconnectedAt - 1]).toEqual([a.id, b.id]);
		expect(
			run.emits
				.filter((data) => data[0][0].json.event === 'connection')
				.every((data) => data[0].length === 1),
		).toBe(true);
	});

	test('"Listen for test event" shows one update, batching or not', async () => {
		const control = fixture.sim.control;
		const run = await fixture.start(
			new NubraTrigger(),
			{ events: ALL_UPDATES, options: batched(10, 60) },
			{ mode: 'manual' },
		);
		await run.response.manualTriggerFunction?.();
		await control.waitForSubscribers(1);
		const order = control.placeOrder();
		control.applyStep(order.id, { type: 'accept' });
		control.applyStep(order.id, { type: 'fill' });
		const first = await run.response.manualTriggerResponse;
		expect(first).toHaveLength(1);
		expect(first?.[0]).toHaveLength(1);
		expect(first?.[0][0].json).toMatchObject({ order_id: Number(order.id), status: 'OPEN' });
	});
});

describe('Batch Events: static data and the pending batch', () => {
	/**
	 * The trigger batching up to `maxEvents` updates (60 s wait) on fresh static data, then A (10)
	 * and B (5) accepted and A part-filled (4): three updates.
	 */
	async function startWithOrdersOpen(maxEvents: number) {
		const control = fixture.sim.control;
		const staticData: IDataObject = {};
		const options = batched(maxEvents, 60, { includeMetadata: true });
		const first = await fixture.start(
			new NubraTrigger(),
			{ events: ALL_UPDATES, options },
			{ staticData },
		);
		const [a, b] = [control.placeOrder({ qty: 10 }), control.placeOrder({ qty: 5 })];
		control.applyStep(a.id, { type: 'accept' });
		control.applyStep(b.id, { type: 'accept' });
		control.applyStep(a.id, { type: 'partialFill', qty: 4 });
		return { control, staticData, first, a, b };
	}

	test('static data does not record updates still waiting; a close mid-batch runs them, the next start adds only what followed', async () => {
		const { control, staticData, first, a, b } = await startWithOrdersOpen(100);
		await everyFrameRead();
		expect(first.emits).toEqual([]);
		expect(savedOrders(staticData)).toBeUndefined();

		await first.close();
		expect(first.emits).toHaveLength(1);
		expect(
			first.updates().map((item) => `${String(item.order_id)}|${String(item.status)}`),
		).toEqual([`${a.id}|OPEN`, `${b.id}|OPEN`, `${a.id}|PARTIALLY_FILLED`]);
		expect(savedOrders(staticData)?.[a.id]).toEqual([
			'PARTIALLY_FILLED',
			4,
			10,
			a.orderPrice,
			expect.any(Number),
		]);
		await control.waitForDisconnect();

		// While stopped: a fills. The next start reports that, and nothing of the batch again.
		control.applyStep(a.id, { type: 'fill' });
		const second = await fixture.start(
			new NubraTrigger(),
			{ events: ALL_UPDATES, options: batched(100, 1, { includeMetadata: true }) },
			{ staticData },
		);
		await second.waitFor(() => second.updates().length > 0, 'the catch-up');
		const report = compareWithLedger(
			control.ledger,
			asDelivered([...first.items(), ...second.items()]),
		);
		expect(report).toMatchObject({
			duplicates: [],
			invented: [],
			missingFinal: [],
			fillMismatches: [],
		});
		expect(second.updates()).toEqual([
			expect.objectContaining({
				order_id: Number(a.id),
				event: 'trade',
				trade_qty: 6,
				recovered: true,
			}),
		]);
	});

	test('closing waits for the run of the pending batch at most 10 s, then says so and returns', async () => {
		const control = fixture.sim.control;
		const run = await fixture.start(
			new NubraTrigger(),
			{ events: ALL_UPDATES, options: batched(100, 60) },
			{ runsFinish: false },
		);
		const order = control.placeOrder();
		control.applyStep(order.id, { type: 'accept' });
		await everyFrameRead();
		const started = performance.now();
		await run.close();
		const waited = performance.now() - started;
		expect(run.emits).toHaveLength(1);
		expect(waited).toBeGreaterThanOrEqual(9_900);
		expect(waited).toBeLessThan(15_000);
		expect(run.logs).toContainEqual({
			level: 'warn',
			message:
				'Nubra Trigger: the run of the last 1 batched updates had not finished 10 s after closing began',
		});
	});

	test('a crash mid-batch: the updates waiting in it are caught up on the next start, exactly once', async () => {
		const { control, staticData, first, a } = await startWithOrdersOpen(3);
		await first.waitFor(() => first.emits.length === 1, 'the first full batch');
		// Two more updates wait in the next batch when n8n dies.
		const c = control.placeOrder({ qty: 7 });
		control.applyStep(c.id, { type: 'accept' });
		control.applyStep(a.id, { type: 'partialFill', qty: 3 });
		await everyFrameRead();
		expect(first.emits).toHaveLength(1);
		// What n8n had stored when it died: the state as of the last batch's run.
		const stored = structuredClone(staticData);
		const delivered = itemsOf(first.emits);
		expect(savedOrders(stored)?.[a.id]?.slice(0, 2)).toEqual(['PARTIALLY_FILLED', 4]);
		expect(savedOrders(stored)?.[c.id]).toBeUndefined();
		// The dead process's socket goes; nothing it would still have done counts.
		await first.close();
		await control.waitForDisconnect();

		const second = await fixture.start(
			new NubraTrigger(),
			{ events: ALL_UPDATES, options: batched(100, 1, { includeMetadata: true }) },
			{ staticData: stored },
		);
		await second.waitFor(() => second.updates().length >= 2, 'the catch-up');
		const report = compareWithLedger(
			control.ledger,
			asDelivered([...delivered, ...second.items()]),
		);
		expect(report).toMatchObject({
			duplicates: [],
			invented: [],
			missingFinal: [],
			fillMismatches: [],
		});
		expect(
			second
				.updates()
				.map((item) => `${String(item.order_id)}|${String(item.event)}|${String(item.recovered)}`)
				.sort(),
		).toEqual([`${a.id}|trade|true`, `${c.id}|order|true`].sort());
		expect(second.updates().find((item) => item.order_id === Number(a.id))?.trade_qty).toBe(3);
	});
});
