/** Polling with a deadline: the harness never sleeps a fixed time to wait for something. */

export interface WaitOptions {
	/** Give up after this long. */
	timeoutMs?: number;
	/** Pause between attempts. */
	intervalMs?: number;
	/** Says what is being waited for, in the timeout error. */
	description?: string;
}

/** Resolves after `ms`; only for spacing poll attempts, never to wait for an outcome. */
export function pause(ms: number): Promise<void> {
	return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Calls `probe` until it returns a value other than `undefined`/`false`, and returns that value.
 * Errors thrown by `probe` count as "not yet"; the last one is reported on timeout.
 */
export async function waitFor<T>(
	probe: () => Promise<T | undefined | false> | T | undefined | false,
	options: WaitOptions = {},
): Promise<T> {
	const { timeoutMs = 30_000, intervalMs = 250, description = 'condition' } = options;
	const deadline = Date.now() + timeoutMs;
	let lastError: unknown;
	for (;;) {
		try {
			const value = await probe();
			if (value !== undefined && value !== false) return value;
			lastError = undefined;
		} catch (error) {
			lastError = error;
		}
		if (Date.now() >= deadline) {
			const cause = lastError instanceof Error ? `: last error: ${lastError.message}` : '';
			throw new Error(`Timed out after ${timeoutMs} ms waiting for ${description}${cause}`);
		}
		await pause(Math.min(intervalMs, Math.max(0, deadline - Date.now())));
	}
}
