import type { DeliveredEvent } from '../../client/stream';
import type { LedgerEntry } from '../../simulator';

/**
 * Compares what a consumer received with the simulator's ledger of every order state change.
 *
 * The guarantee checked: each order state is delivered at most once (live or recovered),
 * nothing is delivered that the ledger does not hold, and every order's final state arrives.
 * Intermediate states that happened entirely while the socket was down cannot be recovered
 * from a snapshot (it only shows the current state): they are counted, not failed. Fills are
 * checked by quantity: whether live or recovered (several missed fills arrive as one), the trade
 * quantities delivered for an order add up to what it filled.
 */
export interface DeliveryReport {
	duplicates: string[];
	invented: string[];
	missingFinal: string[];
	/** Intermediate states skipped because they happened while disconnected. */
	skippedIntermediate: number;
	/** `order: delivered ≠ ledger` for single-leg orders whose trade quantities do not add up. */
	fillMismatches: string[];
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
	// A recovered fill reported from a live update describes the order just before it: its
	// filled quantity and status are the ledger's, its price may predate a modify.
	const knownFills = new Set<string>();
	for (const entry of ledger) {
		known.add(ledgerState(entry, false));
		known.add(ledgerState(entry, true));
		knownFills.add(`${entry.orderId}|${entry.status}|${entry.filledQty}`);
	}
	const seen = new Map<string, number>();
	const invented: string[] = [];
	for (const item of delivered) {
		const { state } = deliveredState(item);
		seen.set(state, (seen.get(state) ?? 0) + 1);
		const e = item.event;
		const recoveredFill =
			item.recovered &&
			e.event === 'trade' &&
			knownFills.has(`${e.order_id}|${e.status}|${Number(e.filled_qty)}`);
		if (!known.has(state) && !recoveredFill) invented.push(state);
	}
	const duplicates = [...seen.entries()]
		.filter(([, n]) => n > 1)
		.map(([state, n]) => `${state} ×${n}`);

	const finals = new Map<string, LedgerEntry>();
	for (const entry of ledger) finals.set(entry.orderId, entry);
	const deliveredStates = new Set(seen.keys());
	const missingFinal: string[] = [];
	for (const entry of finals.values()) {
		if (
			!deliveredStates.has(ledgerState(entry, false)) &&
			!deliveredStates.has(ledgerState(entry, true))
		) {
			missingFinal.push(ledgerState(entry, false));
		}
	}
	const distinctLedgerStates = new Set(ledger.map((entry) => ledgerState(entry, false)));
	let skippedIntermediate = 0;
	for (const state of distinctLedgerStates) {
		const [id, status] = state.split('|');
		if (!deliveredStates.has(state) && !deliveredStates.has(`${id}|${status}`))
			skippedIntermediate++;
	}
	return {
		duplicates,
		invented,
		missingFinal,
		skippedIntermediate: skippedIntermediate - missingFinal.length,
		fillMismatches: fillMismatches(ledger, delivered),
		liveCount: delivered.filter((d) => !d.recovered).length,
		recoveredCount: delivered.filter((d) => d.recovered).length,
	};
}

/** Single-leg orders whose delivered trade quantities do not add up to their ledger fills. */
function fillMismatches(
	ledger: readonly LedgerEntry[],
	delivered: readonly DeliveredEvent[],
): string[] {
	const filled = new Map<string, number>();
	const multiLeg = new Set<string>();
	for (const entry of ledger) {
		if (entry.isBasket || entry.legRefId !== undefined || entry.legOrderId !== undefined)
			multiLeg.add(entry.orderId);
		if (entry.kind === 'trade')
			filled.set(entry.orderId, (filled.get(entry.orderId) ?? 0) + (entry.tradeQty ?? 0));
	}
	const reported = new Map<string, number>();
	for (const { event } of delivered) {
		if (event.event !== 'trade') continue;
		const id = String(event.order_id);
		reported.set(id, (reported.get(id) ?? 0) + Number(event.trade_qty ?? 0));
	}
	const mismatches: string[] = [];
	for (const [id, qty] of filled) {
		if (multiLeg.has(id)) continue;
		const got = reported.get(id) ?? 0;
		if (got !== qty) mismatches.push(`${id}: ${got} ≠ ${qty}`);
	}
	return mismatches;
}
