import type { NubraRequest, NubraStatus } from './types';

/**
 * Wire status names of every generation → the unified vocabulary. Keyed by name, not number,
 * so names without a wire number (V1 EXPIRED, PARTIAL_FILLED: SDK-only) map too.
 */
const STATUS_BY_WIRE_NAME: Readonly<Record<string, NubraStatus>> = {
	ORDER_STATUS_PENDING: 'PENDING',
	ORDER_STATUS_SENT: 'SENT',
	ORDER_STATUS_OPEN: 'OPEN',
	ORDER_STATUS_REJECTED: 'REJECTED',
	ORDER_STATUS_CANCELLED: 'CANCELLED',
	ORDER_STATUS_FILLED: 'FILLED',
	ORDER_STATUS_TRIGGERED: 'TRIGGERED',
	ORDER_STATUS_EXPIRED: 'EXPIRED',
	ORDER_STATUS_PARTIAL_FILLED: 'PARTIALLY_FILLED',
	EXECUTION_STATUS_PENDING: 'PENDING',
	EXECUTION_STATUS_SENT: 'SENT',
	EXECUTION_STATUS_OPEN: 'OPEN',
	// LIVE: a working algo/basket execution, i.e. open at the exchange.
	EXECUTION_STATUS_LIVE: 'OPEN',
	// Nubra's own spelling is what the wire decodes to; the regular one maps too, for callers
	// that write it.
	EXECUTION_SATUS_REJECTED: 'REJECTED',
	EXECUTION_STATUS_REJECTED: 'REJECTED',
	EXECUTION_STATUS_CANCELLED: 'CANCELLED',
	EXECUTION_STATUS_FILLED: 'FILLED',
	// CLOSED: a basket whose entry and exit are both done; nothing more will happen to it.
	EXECUTION_STATUS_CLOSED: 'FILLED',
	EXECUTION_STATUS_TRIGGERED: 'TRIGGERED',
	INTENT_ORDER_STATUS_OPEN: 'OPEN',
	INTENT_ORDER_STATUS_EXECUTED: 'FILLED',
	INTENT_ORDER_STATUS_REJECTED: 'REJECTED',
	// GTE: waiting for its entry condition; not at the exchange yet.
	INTENT_ORDER_STATUS_GTE: 'PENDING',
	INTENT_ORDER_STATUS_CANCELLED: 'CANCELLED',
	INTENT_ORDER_STATUS_EXPIRED: 'EXPIRED',
	// The REST snapshot (/sentinel/orders) uses bare names.
	OPEN: 'OPEN',
	EXECUTED: 'FILLED',
	REJECTED: 'REJECTED',
	CANCELLED: 'CANCELLED',
	EXPIRED: 'EXPIRED',
	GTE: 'PENDING',
	GTT: 'PENDING',
	PENDING: 'PENDING',
	TRIGGERED: 'TRIGGERED',
	FILLED: 'FILLED',
};

/** Used when the status field is absent (0) and only the response type says what happened. */
const STATUS_BY_RESPONSE_NAME: Readonly<Record<string, NubraStatus>> = {
	ORDER_ACCEPTED: 'OPEN',
	ORDER_REJECTED: 'REJECTED',
	ORDER_FILLED: 'FILLED',
	ORDER_TRIGGERED: 'TRIGGERED',
	ORDER_CANCELLED: 'CANCELLED',
	BASKET_FILLED: 'FILLED',
	INTENT_ORDER_RESPONSE_TYPE_ACCEPT: 'OPEN',
	INTENT_ORDER_RESPONSE_TYPE_REJECT: 'REJECTED',
	INTENT_ORDER_RESPONSE_TYPE_FILLED: 'FILLED',
	INTENT_ORDER_RESPONSE_TYPE_ENTRY_TRIGGERED: 'TRIGGERED',
	INTENT_ORDER_RESPONSE_TYPE_EXIT_SL_TRIGGERED: 'TRIGGERED',
	INTENT_ORDER_RESPONSE_TYPE_EXIT_TP_TRIGGERED: 'TRIGGERED',
	INTENT_ORDER_RESPONSE_TYPE_EXECUTED: 'FILLED',
	INTENT_ORDER_RESPONSE_TYPE_UNSOLICITED_CANCEL: 'CANCELLED',
};

/** V3 open orders whose latest response is a trigger are reported as TRIGGERED. */
const TRIGGER_RESPONSES: ReadonlySet<string> = new Set([
	'INTENT_ORDER_RESPONSE_TYPE_ENTRY_TRIGGERED',
	'INTENT_ORDER_RESPONSE_TYPE_EXIT_SL_TRIGGERED',
	'INTENT_ORDER_RESPONSE_TYPE_EXIT_TP_TRIGGERED',
]);

/**
 * The unified status of an update. An OPEN order with part of its quantity filled is
 * PARTIALLY_FILLED: no generation sends that on the wire, yet it is what users filter on.
 */
export function unifyStatus(
	wireStatus: string | null,
	responseType: string | null,
	filledQty: number,
	orderQty: number,
): NubraStatus {
	let status: NubraStatus | undefined =
		wireStatus === null ? undefined : STATUS_BY_WIRE_NAME[wireStatus];
	// Only an absent status falls back: an unknown one stays UNKNOWN rather than being guessed.
	if (wireStatus === null && responseType !== null) status = STATUS_BY_RESPONSE_NAME[responseType];
	if (status === undefined) return 'UNKNOWN';
	if (status === 'OPEN' && responseType !== null && TRIGGER_RESPONSES.has(responseType)) {
		return 'TRIGGERED';
	}
	if ((status === 'OPEN' || status === 'FILLED') && filledQty > 0 && filledQty < orderQty) {
		return 'PARTIALLY_FILLED';
	}
	return status;
}

const REQUEST_BY_WIRE_NAME: Readonly<Record<string, NubraRequest>> = {
	ORDER_REQUEST_NEW: 'NEW',
	ORDER_REQUEST_MOD: 'MODIFY',
	ORDER_REQUEST_CANCEL: 'CANCEL',
	INTENT_ORDER_REQUEST_TYPE_NEW: 'NEW',
	INTENT_ORDER_REQUEST_TYPE_MOD: 'MODIFY',
	INTENT_ORDER_REQUEST_TYPE_CANCEL: 'CANCEL',
};

export function unifyRequest(requestType: string | null): NubraRequest | null {
	return requestType === null ? null : (REQUEST_BY_WIRE_NAME[requestType] ?? null);
}
