/**
 * When the package's triggers in an n8n process are all live. Triggers on one account share one
 * socket, so a simulator that counts sockets cannot tell: the client logs how many subscriptions
 * the account's feed has each time one connects or joins, and this reads that from n8n's log.
 */
import { waitFor } from './wait';

const SUBSCRIPTIONS_LINE = /(\d+) subscriptions? on this account/g;

/** The subscription count of the last feed line in `logs` (0 before any). */
export function nubraSubscriptions(logs: string): number {
	let count = 0;
	for (const match of logs.matchAll(SUBSCRIPTIONS_LINE)) count = Number(match[1]);
	return count;
}

/** Waits until n8n's log says `count` subscriptions share the account's live order feed. */
export async function waitForNubraSubscriptions(
	n8n: { logs(): string },
	count: number,
	timeoutMs = 60_000,
): Promise<void> {
	await waitFor(() => nubraSubscriptions(n8n.logs()) >= count, {
		timeoutMs,
		intervalMs: 100,
		description: `${count} Nubra subscriptions live in n8n's log`,
	});
}
