/**
 * Keeps requests under N per sliding window by making callers wait their turn, in arrival
 * order: a burst of 30 orders at 10/s takes three seconds instead of failing with 429.
 */
export interface RateLimiterOptions {
	perWindow: number;
	/** Default 1 000 ms. */
	windowMs?: number;
	now?: () => number;
	sleep?: (ms: number) => Promise<void>;
}

export const defaultSleep = (ms: number): Promise<void> =>
	new Promise((resolve) => {
		setTimeout(resolve, ms);
	});

export class RateLimiter {
	#perWindow: number;
	readonly #windowMs: number;
	readonly #now: () => number;
	readonly #sleep: (ms: number) => Promise<void>;
	/** Start times of the requests inside the current window, oldest first. */
	readonly #starts: number[] = [];
	/** The queue: each caller waits for the one before it. */
	#tail: Promise<void> = Promise.resolve();

	constructor(options: RateLimiterOptions) {
		this.#perWindow = RateLimiter.#valid(options.perWindow);
		this.#windowMs = options.windowMs ?? 1_000;
		this.#now = options.now ?? Date.now;
		this.#sleep = options.sleep ?? defaultSleep;
	}

	get perWindow(): number {
		return this.#perWindow;
	}

	/** Takes effect for the next caller (the node sets it from its options on every run). */
	set perWindow(value: number) {
		this.#perWindow = RateLimiter.#valid(value);
	}

	/** Resolves when this caller may send; callers are served first come, first served. */
	acquire(): Promise<void> {
		const turn = this.#tail.then(() => this.#waitForSlot());
		this.#tail = turn.catch(() => undefined);
		return turn;
	}

	async #waitForSlot(): Promise<void> {
		for (;;) {
			const now = this.#now();
			while (this.#starts.length > 0 && this.#starts[0] <= now - this.#windowMs)
				this.#starts.shift();
			if (this.#starts.length < this.#perWindow) {
				this.#starts.push(now);
				return;
			}
			await this.#sleep(this.#starts[0] + this.#windowMs - now);
		}
	}

	static #valid(value: number): number {
		return Number.isFinite(value) && value >= 1 ? Math.floor(value) : 1;
	}
}
