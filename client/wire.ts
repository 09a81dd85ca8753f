import type * as protobuf from 'protobufjs';

import { WideInt64 } from './int64';

/**
 * The protobuf reader for order-update frames, and read-only views of what it returns (only
 * the fields the normaliser reads). The schema lives in proto/: protobufjs parses it once, and
 * the reader's tables (field numbers, names, types, nested messages) are built from that
 * reflection, so a change in a .proto file needs no change here.
 *
 * Decoded messages look like protobufjs' (`keepCase` names, proto3 defaults for absent
 * scalars, null for absent messages, enums as numbers), except that an absent repeated field is
 * one shared frozen [] (read it, never write to it) and int64 fields are plain numbers while
 * exact and a {@link WideInt64} beyond 2^53.
 */
type I64 = unknown;

export interface WireAlgoParams {
	trigger_price: I64;
	leg_size: number;
	algo_duration: number;
	max_prate: number;
}

export interface WireOrderV1 {
	exch: number;
	order_id: I64;
	basket_id: I64;
	ref_id: I64;
	side: number;
	order_type: number;
	order_status: number;
	order_qty: number;
	order_price: I64;
	filled_qty: number;
	avg_price: I64;
	last_modified: I64;
	leg_size: number;
	order_delivery_type: number;
	update_msg: string;
	exchange_order_id: I64;
	display_name: string;
	asset: string;
	derivative_type: string;
	trigger_price: number;
	algo_duration: number;
	strategy_type: number;
	max_prate: number;
	response_type: number;
	order_type_v2: number;
	price_type: number;
	validity_type: number;
	algo_params: WireAlgoParams | null;
	asset_type: string;
	trade_qty: I64;
	trade_price: I64;
	is_sor: boolean;
	tag: string;
	request_type: number;
}

export interface WireOrderParamsV2 {
	order_price: I64;
	avg_fill_price: I64;
	filled_qty: number;
	ref_id: I64;
	asset_type: string;
	derivative_type: string;
	algo_params: WireAlgoParams | null;
	exchange_order_id: I64;
	trade_qty: I64;
	trade_price: I64;
	validity_type: number;
	asset: string;
	side: number;
	display_name: string;
	qty: number;
}

export interface WireBasketParamsV2 {
	order_params: WireOrderParamsV2[];
	basket_type_name: string;
}

export interface WireExecutionsV2 {
	id: I64;
	response_type: number;
	delivery_type: number;
	execution_type: number;
	side: number;
	price_type: number;
	qty: I64;
	execution_status: number;
	last_mdified_time: I64;
	display_name: string;
	order_params: WireOrderParamsV2 | null;
	basket_params: WireBasketParamsV2 | null;
	ltp: I64;
	update_msg: string;
	exch: number;
	is_sor: boolean;
	tag: string;
	request_type: number;
}

export interface WireRefDataV3 {
	exchange: string;
	display_name: string;
	asset: string;
	derivative_type: string;
}

export interface WireLegV3 {
	ref_id: I64;
	unit_qty: number;
	filled_qty: number;
	filled_price: I64;
	refdata: WireRefDataV3 | null;
	order_qty: number;
}

export interface WireExitTriggerV3 {
	kind: number;
	trigger_price: I64;
}

export interface WireIntentResponseV3 {
	intent_order_id: I64;
	order_status: number;
	exit_triggers: WireExitTriggerV3[];
	legs: WireLegV3[];
	delivery_type: number;
	price_type: number;
	validity_type: number;
	strat_tags: string[];
	order_qty: I64;
	filled_qty: I64;
	ltp: I64;
	order_price: I64;
	filled_price: I64;
	trade_fill: { trade_qty: I64; trade_price: I64; ref_id: I64 } | null;
	execution_mode: number;
	nubra_timestamps: { last_modified_at: I64; last_updated_at: I64 } | null;
	position_id: string;
	refdata: WireRefDataV3 | null;
	ref_id: I64;
	is_multi: boolean;
	order_side: number;
	intent_order_type: number;
	rejection_msg: string;
}

export interface WireIntentUpdateV3 {
	intent_order_response: WireIntentResponseV3 | null;
	intent_order_response_type: number;
	intent_order_requst_type: number;
}

/** Protobuf wire types (encoding spec). */
const WIRE_VARINT = 0;
const WIRE_FIXED64 = 1;
const WIRE_LENGTH_DELIMITED = 2;
const WIRE_START_GROUP = 3;
const WIRE_END_GROUP = 4;
const WIRE_FIXED32 = 5;

/** How a field's wire value becomes JavaScript. */
const KIND = {
	int32: 0,
	uint32: 1,
	sint32: 2,
	bool: 3,
	int64: 4,
	uint64: 5,
	sint64: 6,
	fixed64: 7,
	sfixed64: 8,
	fixed32: 9,
	sfixed32: 10,
	double: 11,
	float: 12,
	string: 13,
	bytes: 14,
	message: 15,
} as const;
type Kind = (typeof KIND)[keyof typeof KIND];

const WIRE_TYPE_OF_KIND: Readonly<Record<Kind, number>> = {
	[KIND.int32]: WIRE_VARINT,
	[KIND.uint32]: WIRE_VARINT,
	[KIND.sint32]: WIRE_VARINT,
	[KIND.bool]: WIRE_VARINT,
	[KIND.int64]: WIRE_VARINT,
	[KIND.uint64]: WIRE_VARINT,
	[KIND.sint64]: WIRE_VARINT,
	[KIND.fixed64]: WIRE_FIXED64,
	[KIND.sfixed64]: WIRE_FIXED64,
	[KIND.double]: WIRE_FIXED64,
	[KIND.fixed32]: WIRE_FIXED32,
	[KIND.sfixed32]: WIRE_FIXED32,
	[KIND.float]: WIRE_FIXED32,
	[KIND.string]: WIRE_LENGTH_DELIMITED,
	[KIND.bytes]: WIRE_LENGTH_DELIMITED,
	[KIND.message]: WIRE_LENGTH_DELIMITED,
};

export interface FieldPlan {
	readonly number: number;
	readonly name: string;
	/** The field's position among the plan's fields: its local in the generated decoder. */
	readonly slot: number;
	readonly kind: Kind;
	readonly wireType: number;
	readonly repeated: boolean;
	/** A repeated number field, which proto3 writes packed (one length-delimited run). */
	readonly packable: boolean;
	/** The nested message's plan (`kind` message), linked once every plan exists. */
	message: MessagePlan | null;
}

/**
 * Which fields of a message the reader decodes: `true` reads a field whole (a nested message
 * with all its fields), a nested selection reads only those. The others are skipped unread.
 * Typed from the views above, so the compiler checks that a selection names every field a view
 * declares; the schema check (`planMessage`) that each exists in the .proto.
 */
export type FieldSelection<T> = { readonly [K in keyof T]-?: Selected<NonNullable<T[K]>> };
type Selected<V> = V extends readonly (infer E)[]
	? E extends object
		? FieldSelection<E> | true
		: true
	: V extends object
		? FieldSelection<V> | true
		: true;
interface AnySelection {
	readonly [field: string]: true | AnySelection;
}

/** A message type as the reader sees it, built from protobufjs' reflection of the .proto. */
export interface MessagePlan {
	readonly name: string;
	/** Fields by number; holes (unknown numbers) are skipped when read. */
	readonly byNumber: ReadonlyArray<FieldPlan | undefined>;
	/** Reads one message from the reader's position up to `end` (see `generateDecoder`). */
	decode: MessageDecoder;
}

type MessageDecoder = (reader: ProtoReader, end: number) => Record<string, unknown>;

/** The reader method that reads one value of each kind (messages: `nested`). */
const READ_METHOD: Readonly<Record<Kind, keyof ProtoReader>> = {
	[KIND.int32]: 'int32',
	[KIND.uint32]: 'uint32',
	[KIND.sint32]: 'sint32',
	[KIND.bool]: 'bool',
	[KIND.int64]: 'int64',
	[KIND.uint64]: 'uint64',
	[KIND.sint64]: 'sint64',
	[KIND.fixed64]: 'fixed64',
	[KIND.sfixed64]: 'sfixed64',
	[KIND.fixed32]: 'fixed32',
	[KIND.sfixed32]: 'sfixed32',
	[KIND.double]: 'double',
	[KIND.float]: 'float',
	[KIND.string]: 'string',
	[KIND.bytes]: 'bytes',
	[KIND.message]: 'nested',
};

/** Varint kinds read inline when short, and how each turns the bits into its value. */
const INLINE_VARINT: Partial<Record<Kind, (bits: string) => string>> = {
	[KIND.int32]: (bits) => `(${bits}) | 0`,
	[KIND.uint32]: (bits) => bits,
	[KIND.int64]: (bits) => bits,
	[KIND.uint64]: (bits) => bits,
	[KIND.bool]: (bits) => `(${bits}) !== 0`,
};

/**
 * The text that reads one value of `field` into `target`. Varints of up to three bytes (enums,
 * flags, quantities, most prices and ids) and the lengths of strings and nested messages are
 * read in place, from the decoder's own `buf` and `pos`, checking `end` before each byte;
 * anything longer, and every other kind, goes through the reader's method, which checks and
 * reports as before.
 */
function readStatement(field: FieldPlan, target: string): string {
	const viaReader = (call: string) => `r.pos = pos; ${target} = ${call}; pos = r.pos;`;
	if (field.kind === KIND.message) {
		// The length in one or two bytes, then the nested decoder up to its end.
		const decode = `nestedPlans[${field.slot}].decode(r, at + length)`;
		return `if (pos < end && (b0 = buf[pos]) < 128) { at = pos + 1; length = b0; }
			else if (pos + 1 < end && (b1 = buf[pos + 1]) < 128) { at = pos + 2; length = (b0 & 127) | (b1 << 7); }
			else { at = -1; }
			if (at !== -1 && length <= end - at) { r.pos = at; ${target} = ${decode}; pos = r.pos; }
			else { ${viaReader(`r.nested(nestedPlans[${field.slot}], end)`)} }`;
	}
	if (field.kind === KIND.string) {
		return `if (pos < end && (b0 = buf[pos]) < 128 && b0 < end - pos) { ${target} = r.text(pos + 1, pos + 1 + b0); pos += 1 + b0; }
			else { ${viaReader('r.string(end)')} }`;
	}
	const method = `r.${READ_METHOD[field.kind]}(end)`;
	const convert = INLINE_VARINT[field.kind];
	if (convert === undefined) return viaReader(method);
	return `if (pos < end && (b0 = buf[pos]) < 128) { ${target} = ${convert('b0')}; pos += 1; }
			else if (pos + 1 < end && (b1 = buf[pos + 1]) < 128) { ${target} = ${convert('(b0 & 127) | (b1 << 7)')}; pos += 2; }
			else if (pos + 2 < end && (b2 = buf[pos + 2]) < 128) { ${target} = ${convert('(b0 & 127) | ((b1 & 127) << 7) | (b2 << 14)')}; pos += 3; }
			else { ${viaReader(method)} }`;
}

/** A field of the type that the plan does not read: its number and how it is sent. */
interface SkippedField {
	readonly number: number;
	readonly wireType: number;
}

/**
 * The cases that step over the fields a selection leaves out, in place: varints, short
 * length-delimited values and fixed-size values; anything else (a cut frame included) goes
 * through the reader's `skip`, which checks and reports as before. Without them every such
 * field took two calls (`other`, `skip`).
 */
function skipCases(skipped: readonly SkippedField[]): string[] {
	return skipped.map(({ number, wireType }) => {
		const viaReader = `r.pos = pos; r.skip(${wireType}, ${number}, end); pos = r.pos;`;
		const tag = number * 8 + wireType;
		switch (wireType) {
			case WIRE_VARINT:
				return `case ${tag}: { let at = pos; while (at < end && buf[at] >= 128) at++; if (at < end && at - pos < 10) pos = at + 1; else { ${viaReader} } break; }`;
			case WIRE_LENGTH_DELIMITED:
				return `case ${tag}: if (pos < end && (b0 = buf[pos]) < 128 && b0 < end - pos) pos += 1 + b0; else { ${viaReader} } break;`;
			case WIRE_FIXED64:
			case WIRE_FIXED32: {
				const size = wireType === WIRE_FIXED64 ? 8 : 4;
				return `case ${tag}: if (${size} <= end - pos) pos += ${size}; else { ${viaReader} } break;`;
			}
			default:
				return `case ${tag}: ${viaReader} break;`;
		}
	});
}

/**
 * Generates the decoder of one message type from its plan, as protobufjs generates its own:
 * one local per field, a switch on the exact tag, and the object made by one literal at the
 * end. Objects built this way share one fixed layout per type; a generic loop that copied a
 * template and set fields by name spent half of the decode time on that (bench/README.md).
 * Tags of one or two bytes and short varints are read in place (`readStatement`); a call per
 * field was most of the decode time once the rest was cheap.
 * The text is made only of .proto field names (quoted by JSON.stringify), tag numbers and
 * reader method names; `other` skips unknown fields and rejects a known one of the wrong wire
 * type or a field number of 0.
 */
function generateDecoder(
	plan: MessagePlan,
	fields: readonly FieldPlan[],
	skipped: readonly SkippedField[],
	reuse: boolean,
): MessageDecoder {
	const locals = fields.map((field) => `v${field.slot} = defaults[${field.slot}]`).join(', ');
	const cases = fields.map((field) => {
		const local = `v${field.slot}`;
		const tag = field.number * 8 + field.wireType;
		if (!field.repeated) return `case ${tag}: ${readStatement(field, local)} break;`;
		const append = `case ${tag}: { if (${local} === NONE) ${local} = []; let item; ${readStatement(field, 'item')} ${local}.push(item); break; }`;
		if (!field.packable) return append;
		const packedTag = field.number * 8 + WIRE_LENGTH_DELIMITED;
		return `${append}\n\t\tcase ${packedTag}: if (${local} === NONE) ${local} = []; r.pos = pos; r.packed(fields[${field.slot}], ${local}, end); pos = r.pos; break;`;
	});
	const properties = fields
		.map((field) => `${JSON.stringify(field.name)}: v${field.slot}`)
		.join(', ');
	// A reused object is made once, by the same literal, so it has the layout a new one would.
	const result = reuse
		? `${fields.map((field) => `reused[${JSON.stringify(field.name)}] = v${field.slot};`).join(' ')} return reused;`
		: `return { ${properties} };`;
	const made = reuse
		? `const reused = { ${fields.map((field) => `${JSON.stringify(field.name)}: defaults[${field.slot}]`).join(', ')} };\n`
		: '';
	const body = `${made}return function decode(r, end) {
	let ${locals || 'unused'};
	const buf = r.buffer;
	let pos = r.pos, tag = 0, b0 = 0, b1 = 0, b2 = 0, at = 0, length = 0;
	while (pos < end) {
		tag = buf[pos];
		if (tag < 128) pos += 1;
		else if (pos + 1 < end && (b1 = buf[pos + 1]) < 128) { tag = (tag & 127) | (b1 << 7); pos += 2; }
		else { r.pos = pos; tag = r.tag(end); pos = r.pos; }
		switch (tag) {
		${[...cases, ...skipCases(skipped)].join('\n\t\t')}
		default: r.pos = pos; r.other(tag, plan, end); pos = r.pos;
		}
	}
	r.pos = pos;
	${result}
};`;
	const nestedPlans = fields.map((field) => field.message);
	const defaults = fields.map((field) => (field.repeated ? NO_ELEMENTS : defaultOf(field.kind)));
	const factory = new Function('plan', 'fields', 'nestedPlans', 'defaults', 'NONE', body) as (
		...args: unknown[]
	) => MessageDecoder;
	return factory(plan, fields, nestedPlans, defaults, NO_ELEMENTS);
}

/** The default of every absent repeated field: shared, so it must never be written to. */
const NO_ELEMENTS: readonly unknown[] = Object.freeze([]);

function kindOf(field: protobuf.Field): Kind {
	const resolved = field.resolvedType;
	if (resolved !== null) return 'fieldsArray' in resolved ? KIND.message : KIND.int32;
	const kind = (KIND as Readonly<Record<string, Kind>>)[field.type];
	if (kind === undefined || field.type === 'message') {
		throw new Error(`The reader has no rule for ${field.fullName} of type ${field.type}`);
	}
	return kind;
}

function defaultOf(kind: Kind): unknown {
	switch (kind) {
		case KIND.bool:
			return false;
		case KIND.string:
			return '';
		case KIND.bytes:
			return Buffer.alloc(0);
		case KIND.message:
			return null;
		default:
			return 0;
	}
}

function notYetGenerated(): never {
	throw new Error('A message plan was used before its decoder was generated');
}

export interface PlanOptions {
	/**
	 * Decode the selected messages into one object per message type, reused by every decode,
	 * instead of a new one each time: for a caller that is done with a decoded message before it
	 * decodes the next, and keeps none of its objects (the arrays of repeated fields are new each
	 * time, and so are the messages inside them and messages read whole). Saves the allocations.
	 */
	reuseObjects?: boolean;
}

/**
 * Reader tables for `type` and the message types it nests, from protobufjs' reflection (the
 * types must be resolved: `root.resolveAll()`): every field, or only the `selection`.
 */
export function planMessage<T>(
	type: protobuf.Type,
	selection?: FieldSelection<T>,
	options: PlanOptions = {},
): MessagePlan {
	const reuse = options.reuseObjects === true && selection !== undefined;
	return plan(type, selection as AnySelection | undefined, new Map(), reuse);
}

function plan(
	type: protobuf.Type,
	selection: AnySelection | undefined,
	fullPlans: Map<string, MessagePlan>,
	reuse: boolean,
): MessagePlan {
	const known = selection === undefined ? fullPlans.get(type.fullName) : undefined;
	if (known) return known;
	if (selection !== undefined) {
		for (const name of Object.keys(selection)) {
			if (type.fields[name] === undefined) throw new Error(`${type.fullName} has no field ${name}`);
		}
	}
	const chosen =
		selection === undefined
			? type.fieldsArray
			: type.fieldsArray.filter((field) => field.name in selection);
	const fields = chosen.map((field, slot): FieldPlan => {
		if (field.map) throw new Error(`The reader does not read map fields (${field.fullName})`);
		const kind = kindOf(field);
		return {
			number: field.id,
			name: field.name,
			slot,
			kind,
			wireType: WIRE_TYPE_OF_KIND[kind],
			repeated: field.repeated,
			packable: field.repeated && WIRE_TYPE_OF_KIND[kind] !== WIRE_LENGTH_DELIMITED,
			message: null,
		};
	});
	const byNumber: Array<FieldPlan | undefined> = [];
	for (const field of fields) byNumber[field.number] = field;
	const planned: MessagePlan = { name: type.name, byNumber, decode: notYetGenerated };
	if (selection === undefined) fullPlans.set(type.fullName, planned);
	chosen.forEach((field, index) => {
		const resolved = field.resolvedType;
		if (resolved === null || !('fieldsArray' in resolved)) return;
		const nested = selection?.[field.name];
		// Only a selected message met once per decode can be reused: not in a repeated field,
		// nor one read whole (whole plans are shared by every place their type appears).
		const reuseNested = reuse && !field.repeated && nested !== undefined && nested !== true;
		fields[index].message = plan(
			resolved,
			nested === true ? undefined : nested,
			fullPlans,
			reuseNested,
		);
	});
	const chosenNumbers = new Set(chosen.map((field) => field.id));
	const skipped = type.fieldsArray
		.filter((field) => !chosenNumbers.has(field.id) && !field.map)
		.flatMap((field): SkippedField[] => {
			const wireType = WIRE_TYPE_OF_KIND[kindOf(field)];
			const packed = field.repeated && wireType !== WIRE_LENGTH_DELIMITED;
			return packed
				? [
						{ number: field.id, wireType },
						{ number: field.id, wireType: WIRE_LENGTH_DELIMITED },
					]
				: [{ number: field.id, wireType }];
		});
	planned.decode = generateDecoder(planned, fields, skipped, reuse);
	return planned;
}

const TWO_POW_32 = 4_294_967_296;
const EMPTY = Buffer.alloc(0);
/** Short ASCII strings are looked up in a small cache before they are decoded (see `text`). */
const TEXT_CACHE_SLOTS = 1024;
const MAX_CACHED_TEXT = 64;

/** The byte range of a length-delimited field, as `readLengthDelimited` leaves it. */
export interface ByteRange {
	start: number;
	end: number;
}

/**
 * Reads protobuf messages from one buffer by the plans above. Every read checks its bounds:
 * a field that runs past the end of its message throws, so a cut frame is reported, never
 * decoded into a shorter one. Not re-entrant; one per decoder.
 */
export class ProtoReader {
	#buf: Buffer = EMPTY;
	#pos = 0;
	/** The two 32-bit halves of the last 64-bit value read (unsigned bits). */
	#low = 0;
	#high = 0;
	/** Recently decoded short ASCII strings, by a hash of their bytes (one per slot). */
	readonly #texts: string[] = new Array<string>(TEXT_CACHE_SLOTS).fill('');
	/** Whether each slot's text was found since the slot last missed (see `text`). */
	readonly #hit = new Uint8Array(TEXT_CACHE_SLOTS);

	/** Points the reader at `buf`; returns its length. */
	reset(buf: Buffer): number {
		this.#buf = buf;
		this.#pos = 0;
		return buf.length;
	}

	get pos(): number {
		return this.#pos;
	}

	/** The buffer being read (generated decoders read short values from it in place). */
	get buffer(): Buffer {
		return this.#buf;
	}

	set pos(value: number) {
		this.#pos = value;
	}

	/** The next tag (field number × 8 + wire type), or throws at a field number of 0. */
	tag(end: number): number {
		const tag = this.#varint32(end) >>> 0;
		if (tag >>> 3 === 0) throw new RangeError(`invalid field number 0 at offset ${this.#pos}`);
		return tag;
	}

	/** The byte range of the length-delimited value at the current position; moves past it. */
	lengthDelimited(end: number, range: ByteRange): void {
		const length = this.#varint32(end) >>> 0;
		const start = this.#pos;
		if (length > end - start) throw outOfRange(start, length, end);
		range.start = start;
		range.end = start + length;
		this.#pos = start + length;
	}

	/**
	 * The UTF-8 text between `start` and `end`. Names, exchanges, tags and type URLs repeat from
	 * frame to frame: a short string found in the cache is compared, not decoded again, which
	 * costs a fraction of a native decode and allocates nothing. The slot comes from the length
	 * and the bytes (eight sampled of a long text), so a hit reads them at most twice.
	 */
	text(start: number, end: number): string {
		const length = end - start;
		if (length === 0) return '';
		const buf = this.#buf;
		if (length > MAX_CACHED_TEXT) return buf.toString('utf8', start, end);
		// Short texts hash every byte; longer ones eight spread over them (the ends included).
		let hash = length;
		if (length <= 16) {
			for (let i = start; i < end; i++) hash = Math.imul(hash, 31) + buf[i];
		} else {
			const step = length >>> 3;
			for (let i = start; i < end; i += step) hash = Math.imul(hash, 31) + buf[i];
			hash = Math.imul(hash, 31) + buf[end - 1];
		}
		// Mix the high bits into the low ones that pick the slot.
		hash = Math.imul(hash ^ (hash >>> 15), 0x2c1b3c6d);
		hash ^= hash >>> 13;
		const slot = hash & (TEXT_CACHE_SLOTS - 1);
		const cached = this.#texts[slot];
		if (cached.length === length) {
			let same = true;
			for (let i = 0; i < length; i++) {
				if (cached.charCodeAt(i) !== buf[start + i]) {
					same = false;
					break;
				}
			}
			// Only ASCII text is cached (below), so equal bytes are that text in UTF-8 too.
			if (same) {
				this.#hit[slot] = 1;
				return cached;
			}
		}
		const text = buf.toString('utf8', start, end);
		// As many characters as bytes: every byte was ASCII (a multi-byte sequence gives fewer,
		// an invalid byte gives U+FFFD, which no byte compares equal to). It takes the slot unless
		// the text there was found since the last miss (which spares it once): a text that
		// repeats keeps its slot against those seen a few times (an order's own position id).
		if (text.length === length) {
			if (this.#hit[slot] === 0) this.#texts[slot] = text;
			else this.#hit[slot] = 0;
		}
		return text;
	}

	/** Moves past a field of an unknown number. */
	skip(wireType: number, fieldNumber: number, end: number): void {
		switch (wireType) {
			case WIRE_VARINT:
				this.#varint64(end);
				return;
			case WIRE_FIXED64:
				this.#advance(8, end);
				return;
			case WIRE_LENGTH_DELIMITED: {
				const length = this.#varint32(end) >>> 0;
				this.#advance(length, end);
				return;
			}
			case WIRE_START_GROUP:
				for (;;) {
					const tag = this.tag(end);
					if ((tag & 7) === WIRE_END_GROUP) {
						if (tag >>> 3 !== fieldNumber)
							throw new RangeError(`unmatched end of group ${tag >>> 3}`);
						return;
					}
					this.skip(tag & 7, tag >>> 3, end);
				}
			case WIRE_FIXED32:
				this.#advance(4, end);
				return;
			default:
				throw new RangeError(`invalid wire type ${wireType} at offset ${this.#pos}`);
		}
	}

	/** Decodes one message of `plan` from the current position up to `end`. */
	message(plan: MessagePlan, end: number): Record<string, unknown> {
		return plan.decode(this, end);
	}

	/** A length-delimited nested message. */
	nested(plan: MessagePlan, end: number): Record<string, unknown> {
		const length = this.#varint32(end) >>> 0;
		const start = this.#pos;
		if (length > end - start) throw outOfRange(start, length, end);
		return plan.decode(this, start + length);
	}

	/** A tag no case of the generated decoder took: an unknown field, or a wrong wire type. */
	other(tag: number, plan: MessagePlan, end: number): void {
		if (tag >>> 3 === 0) throw new RangeError(`invalid field number 0 at offset ${this.#pos}`);
		const field = plan.byNumber[tag >>> 3];
		if (field === undefined) {
			this.skip(tag & 7, tag >>> 3, end);
			return;
		}
		throw new RangeError(
			`field ${field.name} (${field.number}) has wire type ${tag & 7}, not ${field.wireType}`,
		);
	}

	/** A packed run of a repeated number field, appended to `list`. */
	packed(field: FieldPlan, list: unknown[], end: number): void {
		const length = this.#varint32(end) >>> 0;
		const runEnd = this.#pos + length;
		if (length > end - this.#pos) throw outOfRange(this.#pos, length, end);
		const read = this[READ_METHOD[field.kind]] as (this: ProtoReader, end: number) => unknown;
		while (this.#pos < runEnd) list.push(read.call(this, runEnd));
	}

	int32(end: number): number {
		return this.#varint32(end) | 0;
	}

	uint32(end: number): number {
		return this.#varint32(end) >>> 0;
	}

	sint32(end: number): number {
		const bits = this.#varint32(end);
		return (bits >>> 1) ^ -(bits & 1);
	}

	bool(end: number): boolean {
		this.#varint64(end);
		return this.#low !== 0 || this.#high !== 0;
	}

	int64(end: number): number | WideInt64 {
		this.#varint64(end);
		return this.#signed64();
	}

	uint64(end: number): number | WideInt64 {
		this.#varint64(end);
		return this.#unsigned64();
	}

	sint64(end: number): number | WideInt64 {
		this.#varint64(end);
		const mask = -(this.#low & 1);
		this.#low = (((this.#low >>> 1) | (this.#high << 31)) ^ mask) >>> 0;
		this.#high = ((this.#high >>> 1) ^ mask) >>> 0;
		return this.#signed64();
	}

	fixed64(end: number): number | WideInt64 {
		this.#fixed64(end);
		return this.#unsigned64();
	}

	sfixed64(end: number): number | WideInt64 {
		this.#fixed64(end);
		return this.#signed64();
	}

	fixed32(end: number): number {
		return this.#buf.readUInt32LE(this.#advance(4, end));
	}

	sfixed32(end: number): number {
		return this.#buf.readInt32LE(this.#advance(4, end));
	}

	double(end: number): number {
		return this.#buf.readDoubleLE(this.#advance(8, end));
	}

	float(end: number): number {
		return this.#buf.readFloatLE(this.#advance(4, end));
	}

	string(end: number): string {
		const length = this.#varint32(end) >>> 0;
		const start = this.#advance(length, end);
		return this.text(start, start + length);
	}

	bytes(end: number): Buffer {
		const length = this.#varint32(end) >>> 0;
		const start = this.#advance(length, end);
		return this.#buf.subarray(start, start + length);
	}

	/** Moves past `count` bytes; returns where they start. */
	#advance(count: number, end: number): number {
		const start = this.#pos;
		if (count > end - start) throw outOfRange(start, count, end);
		this.#pos = start + count;
		return start;
	}

	/** The low 32 bits of a varint of up to 10 bytes (int32 and lengths are 32-bit). */
	#varint32(end: number): number {
		const buf = this.#buf;
		let pos = this.#pos;
		if (pos >= end) throw outOfRange(pos, 1, end);
		let byte = buf[pos++];
		let value = byte & 0x7f;
		for (let shift = 7; byte >= 0x80; shift += 7) {
			if (shift > 63) throw new RangeError(`varint longer than 10 bytes at offset ${this.#pos}`);
			if (pos >= end) throw outOfRange(this.#pos, pos - this.#pos + 1, end);
			byte = buf[pos++];
			if (shift < 32) value |= (byte & 0x7f) << shift;
		}
		this.#pos = pos;
		return value;
	}

	/** A varint of up to 10 bytes into #low and #high. */
	#varint64(end: number): void {
		const buf = this.#buf;
		const start = this.#pos;
		let pos = start;
		let low = 0;
		let high = 0;
		for (let shift = 0; ; shift += 7) {
			if (shift > 63) throw new RangeError(`varint longer than 10 bytes at offset ${start}`);
			if (pos >= end) throw outOfRange(start, pos - start + 1, end);
			const byte = buf[pos++];
			const bits = byte & 0x7f;
			if (shift < 28) low |= bits << shift;
			else if (shift === 28) {
				low |= bits << 28;
				high = bits >>> 4;
			} else high |= bits << (shift - 32);
			if (byte < 0x80) break;
		}
		this.#pos = pos;
		this.#low = low >>> 0;
		this.#high = high >>> 0;
	}

	#fixed64(end: number): void {
		const at = this.#advance(8, end);
		this.#low = this.#buf.readUInt32LE(at);
		this.#high = this.#buf.readUInt32LE(at + 4);
	}

	/** #low/#high as a signed 64-bit integer: a number while exact. */
	#signed64(): number | WideInt64 {
		const value = (this.#high | 0) * TWO_POW_32 + this.#low;
		return Number.isSafeInteger(value)
			? value
			: new WideInt64(this.#low | 0, this.#high | 0, false);
	}

	#unsigned64(): number | WideInt64 {
		const value = this.#high * TWO_POW_32 + this.#low;
		return value <= Number.MAX_SAFE_INTEGER
			? value
			: new WideInt64(this.#low | 0, this.#high | 0, true);
	}
}

function outOfRange(start: number, length: number, end: number): RangeError {
	return new RangeError(`index out of range: ${start} + ${length} > ${end}`);
}
