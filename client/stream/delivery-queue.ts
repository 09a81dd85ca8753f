import type { DeliveredEvent, EventHandler, OverflowPolicy } from './types';

export interface DeliveryQueueOptions {
	limit: number;
	overflow: OverflowPolicy;
	/** 'pause' policy: the queue is full, stop reading the socket. */
	onFull: () => void;
	/** 'pause' policy: the queue drained to half, read again. */
	onDrained: () => void;
	onDropped: (count: number) => void;
	onHandlerError: (error: unknown) => void;
}

/**
 * Hands events to the handlers one at a time, in arrival order, awaiting each; holds what
 * arrives meanwhile up to a limit, then applies the overflow policy.
 */
export class DeliveryQueue {
	readonly #options: DeliveryQueueOptions;
	readonly #queue: DeliveredEvent[] = [];
	readonly #handlers: EventHandler[] = [];
	#pumping = false;
	#full = false;
	#closed = false;
	delivered = 0;

	constructor(options: DeliveryQueueOptions) {
		this.#options = options;
	}

	get length(): number {
		return this.#queue.length;
	}

	addHandler(handler: EventHandler): void {
		this.#handlers.push(handler);
	}

	push(delivered: DeliveredEvent): void {
		if (this.#closed) return;
		const { limit, overflow } = this.#options;
		if (this.#queue.length >= limit) {
			if (overflow === 'drop-newest') return this.#options.onDropped(1);
			if (overflow === 'drop-oldest') {
				this.#queue.shift();
				this.#options.onDropped(1);
			} else if (!this.#full) {
				this.#full = true;
				this.#options.onFull();
			}
		}
		this.#queue.push(delivered);
		if (!this.#pumping) void this.#pump();
	}

	/** Stops handing out events and forgets the queued ones. */
	close(): void {
		this.#closed = true;
		this.#queue.length = 0;
		if (this.#full) {
			this.#full = false;
			this.#options.onDrained();
		}
	}

	async #pump(): Promise<void> {
		this.#pumping = true;
		try {
			while (this.#queue.length > 0 && !this.#closed) {
				const delivered = this.#queue.shift() as DeliveredEvent;
				this.delivered++;
				for (const handler of this.#handlers) {
					try {
						const result = handler(delivered);
						if (result !== undefined) await result;
					} catch (error) {
						this.#options.onHandlerError(error);
					}
				}
				if (this.#full && this.#queue.length <= this.#options.limit / 2) {
					this.#full = false;
					this.#options.onDrained();
				}
			}
		} finally {
			this.#pumping = false;
		}
	}
}
