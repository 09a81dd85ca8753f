export interface BackoffOptions {
	/** First delay, ms. */
	initialDelayMs: number;
	/** Upper bound of any delay, ms. */
	maxDelayMs: number;
}

/**
 * Exponential backoff with "equal jitter": half the capped exponential step plus a random
 * share of the other half. The jitter spreads clients apart after a server-wide drop; the
 * fixed half keeps a retry from firing at ~0 ms. `attempt` counts from 1.
 */
export function backoffDelay(
	attempt: number,
	{ initialDelayMs, maxDelayMs }: BackoffOptions,
	random: () => number = Math.random,
): number {
	const exponent = Math.min(Math.max(attempt - 1, 0), 30);
	const ceiling = Math.min(maxDelayMs, initialDelayMs * 2 ** exponent);
	return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}
