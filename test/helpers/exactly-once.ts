import type { DeliveredEvent } from '../../client/stream';
import type { LedgerEntry } from '../../simulator';

/**
 * Compares what a consumer received with the simulator's ledger of every order state change.
 *
 * The guarantee checked: each order state is delivered at most once (live or recovered),
 * nothing is delivered that the ledger does not hold, and every order's final state arrives.
 * Intermediate states that happened entirely while the socket was down cannot be recovered
 * from a snapshot (it only shows the current state): they are counted, not failed.
 */
export interface DeliveryReport {
	duplicates: string[];
	invented: string[];
	missingFinal: string[];
	/** Intermediate states skipped because they happened while disconnected. */
	skippedIntermediate: number;
	liveCount: number;
	recoveredCount: number;
}

/** The order-state identity both sides can tell. V1 basket frames carry only the status. */
function ledgerState(entry: LedgerEntry, basketOnly: boolean): string {
	return basketOnly
		? `${entry.orderId}|${entry.status}`
		: `${entry.orderId}|${entry.status}|${entry.filledQty}|${entry.orderQty}|${entry.orderPrice}`;
}

function deliveredState(delivered: DeliveredEvent): { state: string; basketOnly: boolean } {
	const e = delivered.event;
	const basketOnly = e.event === 'basket';
	const id = String(e.order_id);
	return {
		basketOnly,
		state: basketOnly
			? `${id}|${e.status}`
			: `${id}|${e.status}|${Number(e.filled_qty ?? 0)}|${Number(e.order_qty ?? 0)}|${Number(e.order_price ?? 0)}`,
	};
}

export function compareWithLedger(
	ledger: readonly LedgerEntry[],
	delivered: readonly DeliveredEvent[],
): DeliveryReport {
	const known = new Set<string>();
	for (const entry of ledger) {
		known.add(ledgerState(entry, false));
		known.add(ledgerState(entry, true));
	}
	const seen = new Map<string, number>();
	const invented: string[] = [];
	for (const item of delivered) {
		const { state } = deliveredState(item);
		seen.set(state, (seen.get(state) ?? 0) + 1);
		if (!known.has(state)) invented.push(state);
	}
	const duplicates = [...seen.entries()].filter(([, n]) => n > 1).map(([state, n]) => `${state} ×${n}`);

	const finals = new Map<string, LedgerEntry>();
	for (const entry of ledger) finals.set(entry.orderId, entry);
	const deliveredStates = new Set(seen.keys());
	const missingFinal: string[] = [];
	for (const entry of finals.values()) {
		if (!deliveredStates.has(ledgerState(entry, false)) && !deliveredStates.has(ledgerState(entry, true))) {
			missingFinal.push(ledgerState(entry, false));
		}
	}
	const distinctLedgerStates = new Set(ledger.map((entry) => ledgerState(entry, false)));
	let skippedIntermediate = 0;
	for (const state of distinctLedgerStates) {
		const [id, status] = state.split('|');
		if (!deliveredStates.has(state) && !deliveredStates.has(`${id}|${status}`)) skippedIntermediate++;
	}
	return {
		duplicates,
		invented,
		missingFinal,
		skippedIntermediate: skippedIntermediate - missingFinal.length,
		liveCount: delivered.filter((d) => !d.recovered).length,
		recoveredCount: delivered.filter((d) => d.recovered).length,
	};
}
