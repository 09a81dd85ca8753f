/**
 * Counts how often the account's session was ended from outside within a sliding window, and
 * how long to wait before taking it back: at once the first time, then doubling from 2 s up to
 * a cap, so two clients on one account settle instead of logging each other out in a loop.
 */
export class SessionReplacements {
	readonly #windowMs: () => number;
	readonly #now: () => number;
	#times: number[] = [];

	constructor(windowMs: () => number, now: () => number = Date.now) {
		this.#windowMs = windowMs;
		this.#now = now;
	}

	/** Records one replacement; returns how many fall within the window, this one included. */
	record(): number {
		const now = this.#now();
		this.#times = this.#times.filter((time) => now - time < this.#windowMs());
		this.#times.push(now);
		return this.#times.length;
	}

	get count(): number {
		const now = this.#now();
		return this.#times.filter((time) => now - time < this.#windowMs()).length;
	}

	/** The wait before the next login, ms. */
	delay(maxDelayMs: number): number {
		const count = this.count;
		if (count <= 1) return 0;
		return Math.min(maxDelayMs, 2_000 * 2 ** (count - 2));
	}
}
