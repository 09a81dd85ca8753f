import type * as protobuf from 'protobufjs';

import { NubraDecodeError } from './errors';
import { createNormaliser, messageToPlain, NORMALISED_FIELDS, type Normaliser } from './normalise';
import { loadNubraSchema, TYPE_SUFFIXES, type NubraSchema } from './schema';
import type { FrameKind, NubraEvent } from './types';
import {
	planMessage,
	ProtoReader,
	type ByteRange,
	type MessagePlan,
	type WireExecutionsV2,
	type WireIntentUpdateV3,
	type WireOrderV1,
} from './wire';

export interface DecodedFrame {
	kind: FrameKind;
	/** The inner type URL, for logging unknown types. */
	typeUrl: string;
	/** 0 or 1 events today; an array so a future multi-event frame needs no API change. */
	events: NubraEvent[];
	/** The whole decoded message as plain data, when asked for (`includeMessage`). */
	message?: Record<string, unknown>;
}

export interface DecodeOptions {
	/** Also return the full decoded message (costs a reflection walk per frame). */
	includeMessage?: boolean;
}

/** The part of the type URL after its last `/` or `.`: what routing depends on. */
export function typeUrlSuffix(typeUrl: string): string {
	const cut = Math.max(typeUrl.lastIndexOf('/'), typeUrl.lastIndexOf('.'));
	return cut === -1 ? typeUrl : typeUrl.slice(cut + 1);
}

function describe(error: unknown): string {
	return error instanceof Error ? error.message : String(error);
}

function kindOfTypeUrl(typeUrl: string): FrameKind {
	switch (typeUrlSuffix(typeUrl)) {
		case TYPE_SUFFIXES.v3:
			return 'v3';
		case TYPE_SUFFIXES.v1:
			return 'v1';
		case TYPE_SUFFIXES.v2:
			return 'v2';
		case TYPE_SUFFIXES.portfolio:
			return 'portfolio';
		default:
			return 'unknown';
	}
}

function asBuffer(bytes: Uint8Array): Buffer {
	return Buffer.isBuffer(bytes)
		? bytes
		: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

type Generation = 'v1' | 'v2' | 'v3';

/** Whether `buf` holds exactly `bytes` between `start` and `end` (compared from the end). */
function sameBytes(bytes: Uint8Array, buf: Uint8Array, start: number, end: number): boolean {
	if (bytes.length !== end - start) return false;
	for (let i = bytes.length - 1; i >= 0; i--) if (bytes[i] !== buf[start + i]) return false;
	return true;
}

/** What a decoder needs from a schema: built once per schema and shared by its decoders. */
interface CompiledSchema {
	normalise: Normaliser;
	types: Readonly<Record<Generation, protobuf.Type>>;
	/** Whole messages, for `includeMessage`. */
	fullPlans: Readonly<Record<Generation, MessagePlan>>;
	/** Only what the normaliser reads, into reused objects. */
	plans: Readonly<Record<Generation, MessagePlan>>;
	/** Field numbers of `google.protobuf.Any`. */
	typeUrlField: number;
	valueField: number;
}

/** The normaliser is done with a message before the next is decoded, and keeps none of it. */
const REUSE = { reuseObjects: true } as const;

/**
 * Each stream has its own decoder; they share the generated decoders and the normaliser, so
 * every stream runs code the engine has already optimised, on objects of the same layout.
 */
const compiledSchemas = new WeakMap<NubraSchema, CompiledSchema>();

function compile(schema: NubraSchema): CompiledSchema {
	const known = compiledSchemas.get(schema);
	if (known) return known;
	const compiled: CompiledSchema = {
		normalise: createNormaliser(schema),
		types: { v1: schema.order, v2: schema.executions, v3: schema.intentUpdate },
		fullPlans: {
			v1: planMessage(schema.order),
			v2: planMessage(schema.executions),
			v3: planMessage(schema.intentUpdate),
		},
		plans: {
			v1: planMessage(schema.order, NORMALISED_FIELDS.v1, REUSE),
			v2: planMessage(schema.executions, NORMALISED_FIELDS.v2, REUSE),
			v3: planMessage(schema.intentUpdate, NORMALISED_FIELDS.v3, REUSE),
		},
		typeUrlField: schema.any.fields.type_url.id,
		valueField: schema.any.fields.value.id,
	};
	compiledSchemas.set(schema, compiled);
	return compiled;
}

/**
 * Decodes order-update frames with the reader of `wire.ts`, whose decoders are generated from
 * the schema once. The two `Any` envelopes are only scanned for byte ranges: the body is read
 * in place, without copying. `decodeFrame` below uses one shared instance.
 */
export class FrameDecoder {
	readonly #compiled: CompiledSchema;
	readonly #reader = new ProtoReader();
	readonly #typeUrl: ByteRange = { start: 0, end: 0 };
	readonly #value: ByteRange = { start: 0, end: 0 };
	/** The last inner type URL and what it routes to: the frames of one feed rarely change type. */
	#lastTypeUrl = '';
	/** Its bytes: comparing two byte arrays costs less than comparing bytes with a string. */
	#lastTypeUrlBytes: Uint8Array = new Uint8Array(0);
	#lastKind: FrameKind = 'unknown';

	constructor(schema: NubraSchema = loadNubraSchema()) {
		this.#compiled = compile(schema);
	}

	decode(bytes: Uint8Array, options: DecodeOptions = {}): DecodedFrame {
		if (!(bytes instanceof Uint8Array)) {
			throw new NubraDecodeError('A frame must be binary data');
		}
		if (bytes.length === 0) throw new NubraDecodeError('Empty frame');
		const reader = this.#reader;
		const length = reader.reset(asBuffer(bytes));
		try {
			this.#scanAny(length);
		} catch (error) {
			throw new NubraDecodeError(`Frame is not a protobuf Any: ${describe(error)}`, {
				cause: error,
			});
		}
		const value = this.#value;
		if (value.start === value.end) throw new NubraDecodeError('Frame carries no inner message');
		reader.pos = value.start;
		try {
			this.#scanAny(value.end);
		} catch (error) {
			throw new NubraDecodeError(`Inner message is not a protobuf Any: ${describe(error)}`, {
				cause: error,
			});
		}
		const { start: urlStart, end: urlEnd } = this.#typeUrl;
		if (urlStart === urlEnd) throw new NubraDecodeError('Inner message has no type URL');
		if (!sameBytes(this.#lastTypeUrlBytes, reader.buffer, urlStart, urlEnd)) {
			this.#lastTypeUrl = reader.text(urlStart, urlEnd);
			this.#lastTypeUrlBytes = new Uint8Array(reader.buffer.subarray(urlStart, urlEnd));
			this.#lastKind = kindOfTypeUrl(this.#lastTypeUrl);
		}
		const typeUrl = this.#lastTypeUrl;
		const kind = this.#lastKind;
		if (kind === 'v1' || kind === 'v2' || kind === 'v3')
			return this.#decodeBody(kind, typeUrl, options);
		return { kind, typeUrl, events: [] };
	}

	/**
	 * Reads an `Any` from the reader's position up to `end` into the byte ranges of its type
	 * URL and value (empty when absent; the last occurrence wins, as protobuf says).
	 */
	#scanAny(end: number): void {
		const reader = this.#reader;
		const typeUrl = this.#typeUrl;
		const value = this.#value;
		const { typeUrlField, valueField } = this.#compiled;
		typeUrl.start = typeUrl.end = 0;
		value.start = value.end = 0;
		const buf = reader.buffer;
		while (reader.pos < end) {
			// One-byte tags and lengths of up to two bytes (the usual envelope) are read in
			// place; the reader reads and checks anything else.
			const at = reader.pos;
			const tag = buf[at];
			const field = tag >>> 3;
			if (tag < 128 && field !== 0 && (tag & 7) === 2 && at + 2 < end) {
				const low = buf[at + 1];
				const twoBytes = low >= 128;
				const length = twoBytes ? (low & 127) | (buf[at + 2] << 7) : low;
				const start = at + (twoBytes ? 3 : 2);
				if ((!twoBytes || buf[at + 2] < 128) && length <= end - start) {
					const range = field === valueField ? value : field === typeUrlField ? typeUrl : null;
					if (range !== null) {
						range.start = start;
						range.end = start + length;
					}
					reader.pos = start + length;
					continue;
				}
			}
			this.#scanField(end);
		}
	}

	/** One field of an `Any` read by the reader (a long tag or length, or another wire type). */
	#scanField(end: number): void {
		const reader = this.#reader;
		const { typeUrlField, valueField } = this.#compiled;
		const tag = reader.tag(end);
		const field = tag >>> 3;
		if (field !== typeUrlField && field !== valueField) {
			reader.skip(tag & 7, field, end);
			return;
		}
		if ((tag & 7) !== 2) throw new RangeError(`Any field ${field} is not length-delimited`);
		reader.lengthDelimited(end, field === valueField ? this.#value : this.#typeUrl);
	}

	#decodeBody(version: Generation, typeUrl: string, options: DecodeOptions): DecodedFrame {
		const reader = this.#reader;
		const compiled = this.#compiled;
		const plan = options.includeMessage ? compiled.fullPlans[version] : compiled.plans[version];
		reader.pos = this.#value.start;
		let message: Record<string, unknown>;
		try {
			message = reader.message(plan, this.#value.end);
		} catch (error) {
			throw new NubraDecodeError(`Malformed ${plan.name} message: ${describe(error)}`, {
				cause: error,
			});
		}
		let event: NubraEvent | null;
		if (version === 'v1') event = compiled.normalise.v1(message as unknown as WireOrderV1);
		else if (version === 'v2')
			event = compiled.normalise.v2(message as unknown as WireExecutionsV2);
		else event = compiled.normalise.v3(message as unknown as WireIntentUpdateV3);
		const decoded: DecodedFrame = { kind: version, typeUrl, events: event ? [event] : [] };
		if (options.includeMessage) decoded.message = messageToPlain(compiled.types[version], message);
		return decoded;
	}
}

let sharedDecoder: FrameDecoder | undefined;

function defaultDecoder(): FrameDecoder {
	sharedDecoder ??= new FrameDecoder();
	return sharedDecoder;
}

/**
 * Decodes one binary order-update frame into the normalised events it carries: `[]` for
 * frames without an order event (portfolio, unknown types). Throws {@link NubraDecodeError}
 * for bytes that are not a frame.
 */
export function decodeFrame(bytes: Uint8Array): NubraEvent[] {
	return defaultDecoder().decode(bytes).events;
}

/** Like {@link decodeFrame}, with the frame kind, its type URL and optionally the full message. */
export function decodeFrameDetailed(bytes: Uint8Array, options?: DecodeOptions): DecodedFrame {
	return defaultDecoder().decode(bytes, options);
}
