import { loadNubraSchema, TYPE_SUFFIXES } from '../../client/schema';

/**
 * What Nubra's own client (Python SDK 0.4.0) requires of an order-update frame and how it routes
 * one, written once from the protocol reference (nubra-protocol.md §5, §6 and §7). The
 * conformance test holds every frame the simulator emits to these rules.
 */

export type SdkGeneration = 'v1' | 'v2' | 'v3';
export type SdkRoute = 'order' | 'trade' | 'basket';

/** §6: a V1 `Order` with fewer non-default fields than this is a basket update. */
export const V1_BASKET_FIELD_LIMIT = 5;
/** §6: what the SDK reads from a V1 basket update. */
export const V1_BASKET_FIELDS = ['basket_id', 'last_modified', 'response_type'] as const;
/** §6: the SDK rejects a non-basket V1 `Order` that lacks any of these. */
export const V1_REQUIRED_FIELDS = [
	'side',
	'strategy_type',
	'order_status',
	'response_type',
] as const;
// §7 and §5 name no required field for V2 `Executions` or V3 updates: only the routing below.

/** A decoded message as the SDK's protobuf runtime sees it: int64 as text, enums as numbers. */
export type SdkMessage = Record<string, unknown>;

/**
 * proto3 fields without presence count only when they differ from their zero value, as the
 * SDK's `ListFields()` sees them: an explicitly encoded 0 or '' is no field at all.
 */
export function isSet(value: unknown): boolean {
	if (value === undefined || value === null) return false;
	if (Array.isArray(value)) return value.length > 0;
	if (typeof value === 'number') return value !== 0;
	if (typeof value === 'string') return value !== '' && value !== '0';
	if (typeof value === 'boolean') return value;
	// A sub-message counts once it is on the wire, even when all its fields are zero.
	return true;
}

export function setFieldNames(message: SdkMessage): string[] {
	return Object.keys(message).filter((key) => isSet(message[key]));
}

/** Decodes the inner message of a frame (Any → Any → message) the way the SDK reads it. */
export function decodeForSdk(frame: Uint8Array): {
	generation: SdkGeneration;
	message: SdkMessage;
} {
	const schema = loadNubraSchema();
	const outer = schema.any.decode(frame) as unknown as { value: Uint8Array };
	const inner = schema.any.decode(outer.value) as unknown as {
		type_url: string;
		value: Uint8Array;
	};
	const suffix = inner.type_url.split(/[/.]/).pop();
	const byGeneration = {
		v1: schema.order,
		v2: schema.executions,
		v3: schema.intentUpdate,
	} as const;
	const generation = (Object.keys(byGeneration) as SdkGeneration[]).find(
		(candidate) => TYPE_SUFFIXES[candidate] === suffix,
	);
	if (generation === undefined) throw new Error(`Not an order-update frame: ${inner.type_url}`);
	const type = byGeneration[generation];
	const message = type.toObject(type.decode(inner.value), {
		longs: String,
		enums: Number,
	}) as SdkMessage;
	return { generation, message };
}

/** The SDK's routing of a decoded frame (§5 for V3, §6 for V1, §7 for V2). */
export function sdkRoute(generation: SdkGeneration, message: SdkMessage): SdkRoute {
	if (generation === 'v1') {
		if (setFieldNames(message).length < V1_BASKET_FIELD_LIMIT) return 'basket';
		return isSet(message.trade_qty) ? 'trade' : 'order';
	}
	if (generation === 'v2') {
		const params = message.order_params as SdkMessage | undefined;
		if (params !== undefined && isSet(params.trade_qty)) return 'trade';
		const flexi = loadNubraSchema().root.lookupEnum(
			'protos.zanskarsecurities.nubrafrontend.ExecutionType',
		).values.EXECUTION_TYPE_FLEXI;
		const basket = message.basket_params as { order_params?: SdkMessage[] } | undefined;
		const legTraded = (basket?.order_params ?? []).some((leg) => isSet(leg.trade_qty));
		return message.execution_type === flexi && legTraded ? 'trade' : 'order';
	}
	const response = message.intent_order_response as SdkMessage | undefined;
	const fill = response?.trade_fill as SdkMessage | undefined;
	return fill !== undefined && Number(fill.trade_qty) > 0 ? 'trade' : 'order';
}

/** Fields the SDK needs on this frame that it does not carry; empty when it conforms. */
export function missingSdkFields(generation: SdkGeneration, message: SdkMessage): string[] {
	if (generation !== 'v1') return [];
	const required = sdkRoute('v1', message) === 'basket' ? V1_BASKET_FIELDS : V1_REQUIRED_FIELDS;
	return required.filter((field) => !isSet(message[field]));
}
