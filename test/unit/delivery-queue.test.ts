/**
 * client/stream/delivery-queue.ts: events reach the handlers one at a time in arrival order,
 * whether the handlers are synchronous (handed out at once) or return promises (awaited, with
 * what arrives meanwhile held up to the limit and its overflow policy).
 */
import { DeliveryQueue, type DeliveryQueueOptions } from '../../client/stream/delivery-queue';
import type { DeliveredEvent } from '../../client/stream/types';
import { makeEvent } from '../helpers/events';

function delivered(orderId: number): DeliveredEvent {
	return {
		event: makeEvent({ order_id: orderId }),
		recovered: false,
		receivedAt: new Date(),
		dedupKey: `key-${orderId}`,
		receivedAtMono: 0,
	};
}

function queueWith(overrides: Partial<DeliveryQueueOptions> = {}): {
	queue: DeliveryQueue;
	calls: string[];
	errors: unknown[];
} {
	const calls: string[] = [];
	const errors: unknown[] = [];
	const queue = new DeliveryQueue({
		limit: 100,
		overflow: 'pause',
		onFull: () => calls.push('full'),
		onDrained: () => calls.push('drained'),
		onDropped: (count) => calls.push(`dropped ${count}`),
		onHandlerError: (error) => errors.push(error),
		...overrides,
	});
	return { queue, calls, errors };
}

/** A promise and the function that resolves it. */
function gate(): { promise: Promise<void>; open: () => void } {
	let open!: () => void;
	const promise = new Promise<void>((resolve) => {
		open = resolve;
	});
	return { promise, open };
}

/** Lets promise callbacks and the turns after them run until `condition` holds (bounded). */
async function until(condition: () => boolean): Promise<void> {
	for (let turn = 0; turn < 100 && !condition(); turn++)
		await new Promise<void>((resolve) => setImmediate(resolve));
	expect(condition()).toBe(true);
}

describe('DeliveryQueue', () => {
	it('hands each event to every synchronous handler at once, in order', () => {
		const { queue } = queueWith();
		const seen: string[] = [];
		queue.addHandler((d) => {
			seen.push(`a${String(d.event.order_id)}`);
		});
		queue.addHandler((d) => {
			seen.push(`b${String(d.event.order_id)}`);
		});
		queue.push(delivered(1));
		expect(seen).toEqual(['a1', 'b1']);
		queue.push(delivered(2));
		expect(seen).toEqual(['a1', 'b1', 'a2', 'b2']);
		expect(queue.delivered).toBe(2);
		expect(queue.length).toBe(0);
	});

	it('hands out an event pushed from inside a handler after the current one, in order', () => {
		const { queue } = queueWith();
		const seen: number[] = [];
		queue.addHandler((d) => {
			const id = Number(d.event.order_id);
			if (id === 1) {
				queue.push(delivered(2));
				queue.push(delivered(3));
			}
			seen.push(id);
		});
		queue.addHandler((d) => {
			seen.push(Number(d.event.order_id) * 10);
		});
		queue.push(delivered(1));
		expect(seen).toEqual([1, 10, 2, 20, 3, 30]);
		expect(queue.delivered).toBe(3);
	});

	it('awaits a handler that returns a promise, holding later events until it settles', async () => {
		const { queue } = queueWith();
		const first = gate();
		const seen: number[] = [];
		queue.addHandler(async (d) => {
			const id = Number(d.event.order_id);
			seen.push(id);
			if (id === 1) await first.promise;
		});
		queue.addHandler((d) => {
			seen.push(Number(d.event.order_id) * 10);
		});
		queue.push(delivered(1));
		queue.push(delivered(2));
		queue.push(delivered(3));
		expect(seen).toEqual([1]);
		expect(queue.length).toBe(2);
		first.open();
		// The rest follows as soon as the handlers' promises settle.
		await until(() => seen.length === 6);
		expect(seen).toEqual([1, 10, 2, 20, 3, 30]);
		expect(queue.length).toBe(0);
		expect(queue.delivered).toBe(3);
	});

	it("pauses at the limit while a handler is busy and resumes at half ('pause' policy)", async () => {
		const { queue, calls } = queueWith({ limit: 2 });
		const first = gate();
		const seen: number[] = [];
		queue.addHandler(async (d) => {
			seen.push(Number(d.event.order_id));
			if (d.event.order_id === 1) await first.promise;
		});
		for (let id = 1; id <= 4; id++) queue.push(delivered(id));
		expect(calls).toEqual(['full']);
		first.open();
		await until(() => seen.length === 4 && calls.length === 2);
		expect(seen).toEqual([1, 2, 3, 4]);
		expect(calls).toEqual(['full', 'drained']);
	});

	it('reports a handler that throws and still hands the event to the next handler and the next event out', () => {
		const { queue, errors } = queueWith();
		const seen: number[] = [];
		const failure = new Error('handler failed');
		queue.addHandler((d) => {
			if (d.event.order_id === 1) throw failure;
		});
		queue.addHandler((d) => {
			seen.push(Number(d.event.order_id));
		});
		queue.push(delivered(1));
		queue.push(delivered(2));
		expect(errors).toEqual([failure]);
		expect(seen).toEqual([1, 2]);
	});

	it('hands nothing out after close', () => {
		const { queue } = queueWith();
		const seen: number[] = [];
		queue.addHandler((d) => {
			seen.push(Number(d.event.order_id));
			if (d.event.order_id === 1) {
				queue.push(delivered(2));
				queue.close();
			}
		});
		queue.push(delivered(1));
		queue.push(delivered(3));
		expect(seen).toEqual([1]);
	});
});
