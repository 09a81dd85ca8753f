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
		// Nothing queued and no handler at work: hand it out at once, without a trip through the
		// queue (the usual case while handlers are synchronous). A limit of 0 takes the queue's
		// path, which applies the overflow policy to every event.
		if (!this.#pumping && this.#queue.length === 0 && this.#options.limit > 0) {
			this.#pumping = true;
			this.delivered++;
			const pending = this.#handOut(delivered, 0);
			if (pending !== undefined) {
				void pending.then(() => this.#pump());
				return;
			}
			// A handler may have pushed more meanwhile (they were queued behind this one).
			if (this.#queue.length > 0) this.#pump();
			else this.#pumping = false;
			return;
		}
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
		if (!this.#pumping) this.#pump();
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

	/**
	 * Hands out queued events synchronously while the handlers are synchronous; a handler that
	 * returns a promise is awaited before anything else is handed out.
	 */
	#pump(): void {
		this.#pumping = true;
		while (this.#queue.length > 0 && !this.#closed) {
			const delivered = this.#queue.shift() as DeliveredEvent;
			this.delivered++;
			const pending = this.#handOut(delivered, 0);
			if (pending !== undefined) {
				void pending.then(() => this.#pump());
				return;
			}
			this.#drainedCheck();
		}
		this.#pumping = false;
	}

	/** Runs the handlers from `from` on; a promise when one of them is still working. */
	#handOut(delivered: DeliveredEvent, from: number): Promise<void> | undefined {
		for (let i = from; i < this.#handlers.length; i++) {
			let result: void | Promise<void>;
			try {
				result = this.#handlers[i](delivered);
			} catch (error) {
				this.#options.onHandlerError(error);
				continue;
			}
			if (result !== undefined) {
				return result.then(
					() => this.#afterAsync(delivered, i + 1),
					(error: unknown) => {
						this.#options.onHandlerError(error);
						return this.#afterAsync(delivered, i + 1);
					},
				);
			}
		}
		return undefined;
	}

	async #afterAsync(delivered: DeliveredEvent, next: number): Promise<void> {
		const pending = this.#handOut(delivered, next);
		if (pending !== undefined) await pending;
		this.#drainedCheck();
	}

	#drainedCheck(): void {
		if (this.#full && this.#queue.length <= this.#options.limit / 2) {
			this.#full = false;
			this.#options.onDrained();
		}
	}
}
