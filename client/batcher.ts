/**
 * Collects items into batches: a batch is handed over when it holds `maxItems`, or `maxWaitMs`
 * after its first item arrived, whichever comes first. Items keep their arrival order, and each
 * is handed over exactly once (a flush empties the batch before calling the handler).
 */
export interface BatcherOptions<T> {
	/** Items per batch at most (at least 1). */
	maxItems: number;
	/** How long the first item of a batch may wait for others, in milliseconds (at least 1). */
	maxWaitMs: number;
	/** Receives each batch, in order; never an empty one. */
	onBatch: (items: T[]) => void;
	/** Errors thrown by `onBatch` when a timer flushed (a caller's own `flush()` throws them). */
	onError?: (error: unknown) => void;
}

export class EventBatcher<T> {
	readonly #maxItems: number;
	readonly #maxWaitMs: number;
	readonly #onBatch: (items: T[]) => void;
	readonly #onError: (error: unknown) => void;
	#items: T[] = [];
	#timer: NodeJS.Timeout | undefined;
	#closed = false;

	constructor(options: BatcherOptions<T>) {
		if (!Number.isInteger(options.maxItems) || options.maxItems < 1) {
			throw new RangeError(
				`maxItems must be a whole number of at least 1, not ${options.maxItems}`,
			);
		}
		if (!(options.maxWaitMs >= 1)) {
			throw new RangeError(`maxWaitMs must be at least 1 ms, not ${options.maxWaitMs}`);
		}
		this.#maxItems = options.maxItems;
		this.#maxWaitMs = options.maxWaitMs;
		this.#onBatch = options.onBatch;
		this.#onError = options.onError ?? (() => undefined);
	}

	/** Items waiting for their batch to be handed over. */
	get pending(): number {
		return this.#items.length;
	}

	/** Adds an item; hands the batch over at once when it is full. Ignored after `discard()`. */
	add(item: T): void {
		if (this.#closed) return;
		this.#items.push(item);
		if (this.#items.length >= this.#maxItems) {
			this.flush();
			return;
		}
		if (this.#timer === undefined) {
			this.#timer = setTimeout(() => {
				this.#timer = undefined;
				try {
					this.flush();
				} catch (error) {
					this.#onError(error);
				}
			}, this.#maxWaitMs);
		}
	}

	/** Hands the pending items over now, if there are any. Returns how many. */
	flush(): number {
		clearTimeout(this.#timer);
		this.#timer = undefined;
		const items = this.#items;
		if (items.length === 0) return 0;
		this.#items = [];
		this.#onBatch(items);
		return items.length;
	}

	/**
	 * Stops for good without handing anything over: returns the pending items (for a caller
	 * that cannot deliver them any more) and ignores later adds.
	 */
	discard(): T[] {
		this.#closed = true;
		clearTimeout(this.#timer);
		this.#timer = undefined;
		const items = this.#items;
		this.#items = [];
		return items;
	}
}
