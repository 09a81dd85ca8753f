/** How often a wait re-checks its condition when nothing wakes it earlier. */
const POLL_MS = 2;

/** Calls `recheck` whenever the awaited condition may have changed; returns the unsubscribe. */
export type RecheckOn = (recheck: () => void) => () => void;

/**
 * The one wait of the tests: resolves once `condition` holds; rejects after `timeoutMs` naming
 * `what` (text, or a function for details known only then), so a hung test says what it was
 * waiting for. The condition is re-checked every few milliseconds and, with `recheckOn`, as
 * soon as an event says it may have changed. A condition that throws rejects the wait.
 */
export async function waitFor(
	condition: () => boolean | Promise<boolean>,
	timeoutMs: number,
	what: string | (() => string),
	recheckOn?: RecheckOn,
): Promise<void> {
	const deadline = performance.now() + timeoutMs;
	let wake: (() => void) | undefined;
	const unsubscribe = recheckOn?.(() => wake?.());
	try {
		for (;;) {
			if (await condition()) return;
			if (performance.now() >= deadline) {
				throw new Error(
					`Timed out after ${timeoutMs} ms waiting for ${typeof what === 'string' ? what : what()}`,
				);
			}
			await new Promise<void>((resolve) => {
				const timer = setTimeout(
					resolve,
					Math.min(POLL_MS, Math.max(0, deadline - performance.now())),
				);
				wake = () => {
					clearTimeout(timer);
					resolve();
				};
			});
			wake = undefined;
		}
	} finally {
		unsubscribe?.();
	}
}
