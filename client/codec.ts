import * as protobuf from 'protobufjs';

import { NubraDecodeError } from './errors';
import { createNormaliser, messageToPlain, type Normaliser } from './normalise';
import { loadNubraSchema, TYPE_SUFFIXES, type NubraSchema } from './schema';
import type { FrameKind, NubraEvent } from './types';
import type { WireExecutionsV2, WireIntentUpdateV3, WireOrderV1 } from './wire';

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

interface AnyMessage {
	type_url: string;
	value: Uint8Array;
}

/** The part of the type URL after its last `/` or `.`: what routing depends on. */
export function typeUrlSuffix(typeUrl: string): string {
	const cut = Math.max(typeUrl.lastIndexOf('/'), typeUrl.lastIndexOf('.'));
	return cut === -1 ? typeUrl : typeUrl.slice(cut + 1);
}

function describe(error: unknown): string {
	return error instanceof Error ? error.message : String(error);
}

/**
 * protobufjs' Buffer reader decodes strings with Node's native UTF-8 (fast) but silently
 * shortens a string that the end of the data cuts off; its plain Uint8Array reader checks the
 * bounds but decodes UTF-8 in JavaScript (about a tenth of the decode time, measured with
 * `npm run bench`). This reader keeps the native decoding and checks the bounds, so a
 * truncated frame is reported, not decoded.
 */
class StrictBufferReader extends protobuf.BufferReader {
	string(): string {
		const length = this.uint32();
		const start = this.pos;
		const end = start + length;
		if (end > this.len) throw new RangeError(`index out of range: ${start} + ${length} > ${this.len}`);
		this.pos = end;
		return (this.buf as Buffer).toString('utf8', start, end);
	}
}

function readerOf(bytes: Uint8Array): protobuf.Reader {
	const buffer = Buffer.isBuffer(bytes)
		? bytes
		: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
	return new StrictBufferReader(buffer);
}

/**
 * Decodes order-update frames. Holds the schema and enum tables so the per-frame path does
 * no lookups; `decodeFrame` below uses one shared instance.
 */
export class FrameDecoder {
	readonly #schema: NubraSchema;
	readonly #normalise: Normaliser;

	constructor(schema: NubraSchema = loadNubraSchema()) {
		this.#schema = schema;
		this.#normalise = createNormaliser(schema);
	}

	decode(bytes: Uint8Array, options: DecodeOptions = {}): DecodedFrame {
		if (!(bytes instanceof Uint8Array)) {
			throw new NubraDecodeError('A frame must be binary data');
		}
		if (bytes.length === 0) throw new NubraDecodeError('Empty frame');
		const inner = this.#unwrap(bytes);
		const typeUrl = inner.type_url;
		switch (typeUrlSuffix(typeUrl)) {
			case TYPE_SUFFIXES.v3:
				return this.#decodeBody('v3', typeUrl, inner.value, options);
			case TYPE_SUFFIXES.v1:
				return this.#decodeBody('v1', typeUrl, inner.value, options);
			case TYPE_SUFFIXES.v2:
				return this.#decodeBody('v2', typeUrl, inner.value, options);
			case TYPE_SUFFIXES.portfolio:
				return { kind: 'portfolio', typeUrl, events: [] };
			default:
				return { kind: 'unknown', typeUrl, events: [] };
		}
	}

	#unwrap(bytes: Uint8Array): AnyMessage {
		let outer: AnyMessage;
		let inner: AnyMessage;
		try {
			outer = this.#schema.any.decode(readerOf(bytes)) as unknown as AnyMessage;
		} catch (error) {
			throw new NubraDecodeError(`Frame is not a protobuf Any: ${describe(error)}`, {
				cause: error,
			});
		}
		if (outer.value.length === 0) throw new NubraDecodeError('Frame carries no inner message');
		try {
			inner = this.#schema.any.decode(readerOf(outer.value)) as unknown as AnyMessage;
		} catch (error) {
			throw new NubraDecodeError(`Inner message is not a protobuf Any: ${describe(error)}`, {
				cause: error,
			});
		}
		if (inner.type_url === '') throw new NubraDecodeError('Inner message has no type URL');
		return inner;
	}

	#decodeBody(
		version: 'v1' | 'v2' | 'v3',
		typeUrl: string,
		body: Uint8Array,
		options: DecodeOptions,
	): DecodedFrame {
		const type =
			version === 'v1'
				? this.#schema.order
				: version === 'v2'
					? this.#schema.executions
					: this.#schema.intentUpdate;
		let message: object;
		try {
			message = type.decode(readerOf(body));
		} catch (error) {
			throw new NubraDecodeError(`Malformed ${type.name} message: ${describe(error)}`, {
				cause: error,
			});
		}
		let event: NubraEvent | null;
		if (version === 'v1') event = this.#normalise.v1(message as WireOrderV1);
		else if (version === 'v2') event = this.#normalise.v2(message as WireExecutionsV2);
		else event = this.#normalise.v3(message as WireIntentUpdateV3);
		const decoded: DecodedFrame = { kind: version, typeUrl, events: event ? [event] : [] };
		if (options.includeMessage) decoded.message = messageToPlain(type, message);
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
