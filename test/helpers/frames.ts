import type { Type } from 'protobufjs';

import { loadNubraSchema, MESSAGE_NAMES } from '../../client/schema';

export type Generation = 'v1' | 'v2' | 'v3';

/** Wraps an encoded message the way Nubra does: an Any whose value is another Any. */
export function wrapAny(innerTypeUrl: string, body: Uint8Array): Buffer {
	const { any } = loadNubraSchema();
	const inner = any.encode({ type_url: innerTypeUrl, value: body }).finish();
	return Buffer.from(
		any.encode({ type_url: 'type.googleapis.com/google.protobuf.Any', value: inner }).finish(),
	);
}

/** The order-update message type of a generation. */
export function messageType(generation: Generation): Type {
	const schema = loadNubraSchema();
	if (generation === 'v1') return schema.order;
	if (generation === 'v2') return schema.executions;
	return schema.intentUpdate;
}

/** Encodes a plain object (enum names or numbers, int64 as number or string) as a frame. */
export function encodeFrame(generation: Generation, payload: Record<string, unknown>): Buffer {
	const type = messageType(generation);
	const message = type.fromObject(payload);
	return wrapAny(`type.googleapis.com/${MESSAGE_NAMES[generation]}`, type.encode(message).finish());
}
