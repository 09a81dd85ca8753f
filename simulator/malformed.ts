import { loadNubraSchema, MESSAGE_NAMES } from '../client/schema';
import { encodeWith, wrapInEnvelope } from './encode';
import type { MalformedKind } from './types';

/** One MiB: the largest frame a careful client should accept by default. */
export const ONE_MIB = 1024 * 1024;

/**
 * The bad frames `sendMalformed` pushes. None describes an order state, so none reaches the
 * ledger. Text kinds are strings (sent as websocket text frames), the others binary.
 */
export function malformedFrame(kind: MalformedKind): Uint8Array | string {
	switch (kind) {
		case 'garbage':
			// Field 3 with wire type 7, which does not exist: no protobuf parser can read past it.
			return Uint8Array.from([0x1f, 0xde, 0xad, 0xbe, 0xef, 0xff, 0xff]);
		case 'truncated': {
			const frame = sampleV3Frame('');
			return frame.subarray(0, Math.floor(frame.length / 2));
		}
		case 'oversize':
			return sampleV3Frame('x'.repeat(ONE_MIB + 1));
		case 'unknown-type':
			return wrapInEnvelope('nubra.trading.v4.FutureIntentUpdate', sampleV3Message(''));
		case 'portfolio':
			return wrapInEnvelope(
				'protos.zanskarsecurities.nubrafrontend.PortfolioResponse',
				Uint8Array.from([0x08, 0x01]),
			);
		case 'text-error':
			return 'Error: internal failure';
		case 'text-info':
			return 'Connected: streaming order updates';
	}
}

/** A well-formed V3 frame; `echo` pads it (the oversize frame stays valid, only too large). */
function sampleV3Frame(echo: string): Uint8Array {
	return wrapInEnvelope(MESSAGE_NAMES.v3, sampleV3Message(echo));
}

function sampleV3Message(echo: string): Uint8Array {
	return encodeWith(loadNubraSchema().intentUpdate, {
		intent_order_response: {
			intent_order_id: 1,
			order_status: 'INTENT_ORDER_STATUS_OPEN',
			echo_fields: echo,
		},
		intent_order_response_type: 'INTENT_ORDER_RESPONSE_TYPE_ACCEPT',
		intent_order_requst_type: 'INTENT_ORDER_REQUEST_TYPE_NEW',
	});
}
