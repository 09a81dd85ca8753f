import { EventBatcher } from '../../client/batcher';
import { mulberry32 } from '../../simulator/scenario';

/** A batcher whose batches are recorded, with the (fake) time each was handed over. */
function recording(maxItems: number, maxWaitMs: number) {
	const batches: Array<{ items: number[]; at: number }> = [];
	const errors: unknown[] = [];
	const batcher = new EventBatcher<number>({
		maxItems,
		maxWaitMs,
		onBatch: (items) => batches.push({ items, at: Date.now() }),
		onError: (error) => errors.push(error),
	});
	return { batcher, batches, errors };
}

describe('EventBatcher', () => {
	beforeEach(() => {
		jest.useFakeTimers({ now: 0 });
	});
	afterEach(() => {
		jest.useRealTimers();
	});

	test('hands a batch over as soon as it holds maxItems, in arrival order, without waiting', () => {
		const { batcher, batches } = recording(3, 1_000);
		for (const n of [1, 2, 3, 4, 5, 6, 7]) batcher.add(n);
		expect(batches).toEqual([
			{ items: [1, 2, 3], at: 0 },
			{ items: [4, 5, 6], at: 0 },
		]);
		expect(batcher.pending).toBe(1);
	});

	test('hands a partial batch over maxWaitMs after its first item, not after its last', () => {
		const { batcher, batches } = recording(10, 1_000);
		batcher.add(1);
		jest.advanceTimersByTime(600);
		batcher.add(2);
		jest.advanceTimersByTime(399);
		expect(batches).toEqual([]);
		jest.advanceTimersByTime(1);
		expect(batches).toEqual([{ items: [1, 2], at: 1_000 }]);
		// The next item opens a new window of its own.
		batcher.add(3);
		jest.advanceTimersByTime(999);
		expect(batches).toHaveLength(1);
		jest.advanceTimersByTime(1);
		expect(batches[1]).toEqual({ items: [3], at: 2_000 });
	});

	test('a full batch cancels its timer: the next batch gets a whole window', () => {
		const { batcher, batches } = recording(2, 1_000);
		batcher.add(1);
		jest.advanceTimersByTime(900);
		batcher.add(2);
		batcher.add(3);
		jest.advanceTimersByTime(999);
		expect(batches.map((b) => b.items)).toEqual([[1, 2]]);
		jest.advanceTimersByTime(1);
		expect(batches.map((b) => b.items)).toEqual([[1, 2], [3]]);
		expect(jest.getTimerCount()).toBe(0);
	});

	test('flush() hands the pending items over now and says how many; an empty flush calls nothing', () => {
		const { batcher, batches } = recording(10, 1_000);
		expect(batcher.flush()).toBe(0);
		batcher.add(1);
		batcher.add(2);
		expect(batcher.flush()).toBe(2);
		expect(batches).toEqual([{ items: [1, 2], at: 0 }]);
		jest.advanceTimersByTime(5_000);
		expect(batches).toHaveLength(1);
	});

	test('discard() returns what was pending without handing it over, and ignores later items', () => {
		const { batcher, batches } = recording(10, 1_000);
		batcher.add(1);
		batcher.add(2);
		expect(batcher.discard()).toEqual([1, 2]);
		batcher.add(3);
		jest.advanceTimersByTime(5_000);
		expect(batches).toEqual([]);
		expect(batcher.pending).toBe(0);
		expect(jest.getTimerCount()).toBe(0);
	});

	test('an error from a timer-driven batch goes to onError, and the batch is not handed over again', () => {
		let calls = 0;
		const errors: unknown[] = [];
		const batcher = new EventBatcher<number>({
			maxItems: 5,
			maxWaitMs: 100,
			onBatch: () => {
				calls++;
				throw new Error('emit failed');
			},
			onError: (error) => errors.push(error),
		});
		batcher.add(1);
		jest.advanceTimersByTime(100);
		expect(errors).toEqual([new Error('emit failed')]);
		expect(batcher.pending).toBe(0);
		jest.advanceTimersByTime(1_000);
		expect(calls).toBe(1);
		// A caller's own flush() sees the error itself.
		batcher.add(2);
		expect(() => batcher.flush()).toThrow('emit failed');
	});

	test('refuses a size below 1 or a window below 1 ms', () => {
		const onBatch = () => undefined;
		expect(() => new EventBatcher({ maxItems: 0, maxWaitMs: 10, onBatch })).toThrow(/maxItems/);
		expect(() => new EventBatcher({ maxItems: 2.5, maxWaitMs: 10, onBatch })).toThrow(/maxItems/);
		expect(() => new EventBatcher({ maxItems: 1, maxWaitMs: 0, onBatch })).toThrow(/maxWaitMs/);
		expect(() => new EventBatcher({ maxItems: 1, maxWaitMs: Number.NaN, onBatch })).toThrow(
			/maxWaitMs/,
		);
	});

	test.each([1, 2, 7, 42])(
		'seed %i: every item once, in order; no batch too big, none waits too long',
		(seed) => {
			const random = mulberry32(seed);
			const maxItems = 1 + Math.floor(random() * 20);
			const maxWaitMs = 1 + Math.floor(random() * 500);
			const { batcher, batches } = recording(maxItems, maxWaitMs);
			const addedAt = new Map<number, number>();
			for (let n = 0; n < 2_000; n++) {
				addedAt.set(n, Date.now());
				batcher.add(n);
				if (random() < 0.3) jest.advanceTimersByTime(Math.floor(random() * maxWaitMs * 1.5));
			}
			jest.advanceTimersByTime(maxWaitMs);
			expect(batches.flatMap((batch) => batch.items)).toEqual([...addedAt.keys()]);
			for (const batch of batches) {
				expect(batch.items.length).toBeGreaterThan(0);
				expect(batch.items.length).toBeLessThanOrEqual(maxItems);
				expect(batch.at - (addedAt.get(batch.items[0]) ?? 0)).toBeLessThanOrEqual(maxWaitMs);
			}
			// A partial batch waited its whole window: it was not cut early.
			for (const batch of batches.filter((b) => b.items.length < maxItems)) {
				expect(batch.at - (addedAt.get(batch.items[0]) ?? 0)).toBe(maxWaitMs);
			}
		},
	);
});

describe('EventBatcher on real timers', () => {
	test('a partial batch arrives after its window, not before', async () => {
		const started = performance.now();
		const arrived = new Promise<{ items: string[]; after: number }>((resolve) => {
			const batcher = new EventBatcher<string>({
				maxItems: 100,
				maxWaitMs: 50,
				onBatch: (items) => resolve({ items, after: performance.now() - started }),
			});
			batcher.add('a');
			batcher.add('b');
		});
		const { items, after } = await arrived;
		expect(items).toEqual(['a', 'b']);
		// Timers may fire a millisecond early by clock rounding; never much earlier.
		expect(after).toBeGreaterThanOrEqual(49);
	});
});
