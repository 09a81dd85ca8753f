/**
 * Node-level: exactly-once across reconnects and catch-up, and across an n8n restart through the
 * workflow's static data. Run: `npx jest --selectProjects integration --testPathPatterns node.recovery`
 */
import type { IDataObject } from 'n8n-workflow';

import type { DeliveredEvent } from '../../client/stream';
import type { NubraEvent } from '../../client/types';
import { NubraTrigger } from '../../nodes/NubraTrigger/NubraTrigger.node';
import { generateScenario, type ScenarioStep, type SimulatorControl } from '../../simulator';
import { compareWithLedger } from '../helpers/exactly-once';
import { FAST_OPTIONS, nodeFixtureForEachTest, type TriggerRun } from '../helpers/trigger-context';

jest.setTimeout(30_000);

const fixture = nodeFixtureForEachTest();

const WITH_METADATA = { ...FAST_OPTIONS, includeMetadata: true };

function isEventItem(item: IDataObject): item is IDataObject & NubraEvent {
	return (
		typeof item.event === 'string' &&
		item.event !== 'connection' &&
		typeof item.status === 'string' &&
		typeof item.dedup_key === 'string' &&
		typeof item.recovered === 'boolean'
	);
}

/** The emitted items as the stream delivered them, for `compareWithLedger`. */
function delivered(run: TriggerRun): DeliveredEvent[] {
	return run
		.items()
		.filter(isEventItem)
		.map((event) => ({
			event,
			recovered: event.recovered === true,
			receivedAt: new Date(String(event.received_at)),
			dedupKey: String(event.dedup_key),
			receivedAtMono: 0,
		}));
}

/**
 * Plays scenario steps in slices. `control.play` maps a scenario's order keys to ids only
 * within one call, so a scenario split around a fault keeps its own map here.
 */
class ScenarioPlayer {
	readonly #ids = new Map<string, string>();

	constructor(private readonly control: SimulatorControl) {}

	async play(steps: readonly ScenarioStep[]): Promise<void> {
		for (const step of steps) {
			if (step.op === 'place') {
				this.#ids.set(step.key, this.control.placeOrder(step.spec).id);
				continue;
			}
			this.control.applyStep(this.#ids.get(step.key) ?? step.key, step.step);
			// As control.play: yield, so sockets and the trigger keep up.
			await new Promise<void>((resolve) => setImmediate(resolve));
		}
	}
}

function labels(run: TriggerRun): string[] {
	return run
		.updates()
		.map((i) => `${String(i.order_id)}|${String(i.status)}|${String(i.recovered)}`)
		.sort();
}

describe('exactly once', () => {
	test('across a drop mid-scenario, the catch-up and more live updates: no dedup_key twice, nothing invented', async () => {
		const control = fixture.sim.control;
		const run = await fixture.start(new NubraTrigger(), {
			events: ['order', 'trade', 'basket', 'connection'],
			options: WITH_METADATA,
		});
		const steps = generateScenario({ seed: 11, orders: 14 });
		const player = new ScenarioPlayer(control);
		const third = Math.floor(steps.length / 3);

		// The socket is cut after 5 frames and held down while the middle of the day happens.
		control.refuseConnections(1_000);
		control.dropAfter(5);
		await player.play(steps.slice(0, 2 * third));
		await run.waitFor(
			() => run.connectionItems().some((i) => i.state === 'disconnected'),
			'the drop',
		);
		control.refuseConnections(0);
		await run.waitFor(
			() => run.connectionItems().some((i) => i.state === 'recovered'),
			'the catch-up',
		);
		await control.waitForSubscribers(1);
		await player.play(steps.slice(2 * third));

		await run.waitFor(
			() => compareWithLedger(control.ledger, delivered(run)).missingFinal.length === 0,
			'every order to reach its final state',
		);
		const report = compareWithLedger(control.ledger, delivered(run));
		expect(report.duplicates).toEqual([]);
		expect(report.invented).toEqual([]);
		expect(report.recoveredCount).toBeGreaterThan(0);
		expect(report.liveCount).toBeGreaterThan(5);
		const keys = run.updates().map((i) => i.dedup_key);
		expect(new Set(keys).size).toBe(keys.length);
		expect(run.updates().filter((i) => i.recovered === true).length).toBe(
			Number(run.connectionItems().find((i) => i.state === 'recovered')?.recovered_count),
		);
		expect(run.emits.every((data) => data.length === 1 && data[0].length === 1)).toBe(true);
		expect(run.errors).toEqual([]);
	});
});

describe('restart through static data', () => {
	test('closeFunction leaves the tracker in static data; the next activation emits exactly what changed while down', async () => {
		const control = fixture.sim.control;
		const staticData: IDataObject = {};
		// An order from before the first activation: history, never emitted.
		const old = control.placeOrder({ tag: 'before' });
		control.applyStep(old.id, { type: 'accept' });

		const first = await fixture.start(
			new NubraTrigger(),
			{ options: WITH_METADATA },
			{ staticData },
		);
		const [a, b, c] = ['a', 'b', 'c'].map((tag) => control.placeOrder({ tag, qty: 10 }));
		for (const order of [a, b, c]) control.applyStep(order.id, { type: 'accept' });
		await first.waitFor(() => first.updates().length === 3, 'three accepts');
		await first.close();
		await control.waitForDisconnect();

		const saved = staticData.nubraOrderStates as { v: number; orders: Record<string, unknown[]> };
		expect(saved.v).toBe(1);
		expect(Object.keys(saved.orders).sort()).toEqual([old.id, a.id, b.id, c.id].sort());
		expect(saved.orders[a.id]).toEqual(['OPEN', 0, 10, a.orderPrice]);

		// "n8n is down": a fills, c is cancelled, d and e are new; b and the old order stay.
		control.applyStep(a.id, { type: 'fill' });
		control.applyStep(c.id, { type: 'cancel' });
		const d = control.placeOrder({ tag: 'd' });
		control.applyStep(d.id, { type: 'accept' });
		const e = control.placeOrder({ tag: 'e' });
		control.applyStep(e.id, { type: 'reject' });

		const second = await fixture.start(
			new NubraTrigger(),
			{ events: ['order', 'trade', 'connection'], options: WITH_METADATA },
			{ staticData },
		);
		await second.waitFor(
			() => second.connectionItems().some((i) => i.state === 'recovered'),
			'the catch-up',
		);
		expect(second.connectionItems().find((i) => i.state === 'recovered')?.recovered_count).toBe(4);
		expect(labels(second)).toEqual(
			[
				`${a.id}|FILLED|true`,
				`${c.id}|CANCELLED|true`,
				`${d.id}|OPEN|true`,
				`${e.id}|REJECTED|true`,
			].sort(),
		);

		// And live updates carry on, without repeating the recovered states.
		control.applyStep(b.id, { type: 'fill' });
		await second.waitFor(() => second.updates().length === 5, 'the live fill');
		expect(second.updates().at(-1)).toMatchObject({
			order_id: Number(b.id),
			status: 'FILLED',
			recovered: false,
		});
	});

	// A restored snapshot that holds no orders (nothing happened before the restart) is still a
	// baseline: the orders placed while n8n was down are news, not history.
	test('a restart after a quiet first activation still emits the orders placed while down', async () => {
		const control = fixture.sim.control;
		const staticData: IDataObject = {};
		const first = await fixture.start(
			new NubraTrigger(),
			{ options: WITH_METADATA },
			{ staticData },
		);
		await first.close();
		expect(staticData.nubraOrderStates).toEqual({ v: 1, orders: {} });

		const order = control.placeOrder();
		control.applyStep(order.id, { type: 'accept' });
		const second = await fixture.start(
			new NubraTrigger(),
			{ options: WITH_METADATA },
			{ staticData },
		);
		await second.waitFor(() => second.updates().length === 1, 'the order placed while down', 3_000);
		expect(second.updates()[0]).toMatchObject({ order_id: Number(order.id), recovered: true });
	});
});
