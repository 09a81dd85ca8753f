/**
 * client/wire.ts: the protobuf reader whose tables come from protobufjs' reflection of the
 * .proto files. Checked against protobufjs itself on a schema with every scalar kind, packed and
 * unpacked repeated fields and nested messages; on cut and malformed bytes it throws; unknown
 * fields are skipped; int64 beyond 2^53 stays exact; a selection reads only what it names.
 */
import Long from 'long';
import * as protobuf from 'protobufjs';

import { decodeFrameDetailed } from '../../client/codec';
import { toInt64, WideInt64 } from '../../client/int64';
import { NORMALISED_FIELDS } from '../../client/normalise';
import { planMessage, ProtoReader, type FieldSelection } from '../../client/wire';
import { encodeFrame, messageType, type Generation } from '../helpers/frames';
import { v1Order, v2Flexi, v2Single, v3Multi, v3Single } from '../helpers/decoder-fixtures';
import {
	concatBytes,
	seededRandom,
	tag,
	unknownFieldSamples,
	varint,
} from '../helpers/decoder-schema';

const SCHEMA = `
syntax = "proto3";
package test;
enum Colour { COLOUR_NONE = 0; COLOUR_RED = 1; COLOUR_BLUE = 2; }
message Inner { string label = 1; int64 amount = 2; }
message Everything {
  int32 i32 = 1; uint32 u32 = 2; sint32 s32 = 3; bool flag = 4;
  int64 i64 = 5; uint64 u64 = 6; sint64 s64 = 7;
  fixed64 f64 = 8; sfixed64 sf64 = 9; fixed32 f32 = 10; sfixed32 sf32 = 11;
  double dbl = 12; float flt = 13; string text = 14; bytes raw = 15;
  Colour colour = 16; Inner inner = 17;
  repeated Inner inners = 18; repeated int64 packed64 = 19; repeated sint32 packed32 = 20;
  repeated string words = 21; repeated int32 unpacked = 22 [packed = false];
}`;

const root = protobuf.parse(SCHEMA, { keepCase: true }).root;
root.resolveAll();
const everything = root.lookupType('test.Everything');

interface InnerView {
	label: string;
	amount: unknown;
}
interface EverythingView {
	i32: number;
	text: string;
	inner: { label: string } | null;
	inners: InnerView[];
}

function read(
	type: protobuf.Type,
	bytes: Uint8Array,
	selection?: FieldSelection<EverythingView>,
): Record<string, unknown> {
	const reader = new ProtoReader();
	const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
	const end = reader.reset(buffer);
	return reader.message(planMessage(type, selection), end);
}

/** protobufjs' view of the same bytes, with int64 as exact numbers or decimal strings. */
function reference(bytes: Uint8Array): Record<string, unknown> {
	const object = everything.toObject(everything.decode(bytes), {
		longs: String,
		bytes: Buffer,
		defaults: true,
		arrays: true,
	});
	return normaliseLongs(object) as Record<string, unknown>;
}

function normaliseLongs(value: unknown): unknown {
	if (typeof value === 'string' && /^-?\d+$/.test(value)) return toInt64(BigInt(value));
	if (Buffer.isBuffer(value)) return [...value];
	if (Array.isArray(value)) return value.map(normaliseLongs);
	if (value !== null && typeof value === 'object') {
		return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, normaliseLongs(v)]));
	}
	return value;
}

/** Our view with the same conventions: wide int64 as exact numbers or decimal strings. */
function ours(bytes: Uint8Array): Record<string, unknown> {
	const plain = (value: unknown): unknown => {
		if (value instanceof WideInt64) return toInt64(value);
		if (Buffer.isBuffer(value)) return [...value];
		if (Array.isArray(value)) return value.map(plain);
		if (value !== null && typeof value === 'object') {
			return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v)]));
		}
		return value;
	};
	return plain(read(everything, bytes)) as Record<string, unknown>;
}

const FULL = {
	i32: -5,
	u32: 4_000_000_000,
	s32: -77,
	flag: true,
	i64: Long.fromString('-9223372036854775808'),
	u64: Long.fromString('18446744073709551615', true),
	s64: Long.fromString('-9007199254740993'),
	f64: Long.fromString('9007199254740993', true),
	sf64: Long.fromString('-42'),
	f32: 4_294_967_295,
	sf32: -2_147_483_648,
	dbl: 1.25,
	flt: 0.5,
	text: 'Nifty — ₹ 24 000',
	raw: Buffer.from([1, 2, 3]),
	colour: 2,
	inner: { label: 'a', amount: 9_007_199_254_740_991 },
	inners: [
		{ label: 'b', amount: -1 },
		{ label: '', amount: 0 },
	],
	packed64: [1, -2, Long.fromString('9007199254740992')],
	packed32: [-1, 1, -2_147_483_648],
	words: ['x', '', 'z'],
	unpacked: [3, -4],
};

describe('ProtoReader against protobufjs', () => {
	it('reads every scalar kind, nested and repeated fields (packed and not) as protobufjs does', () => {
		const bytes = everything.encode(everything.fromObject(FULL)).finish();
		expect(ours(bytes)).toEqual(reference(bytes));
	});

	it('gives proto3 defaults for absent fields: 0, "", false, null and []', () => {
		const decoded = read(everything, new Uint8Array(0));
		expect(decoded).toMatchObject({
			i32: 0,
			i64: 0,
			text: '',
			flag: false,
			inner: null,
			inners: [],
			words: [],
		});
		expect(ours(new Uint8Array(0))).toEqual(reference(new Uint8Array(0)));
	});

	it('keeps int64 beyond 2^53 exact (decimal text) and smaller ones as numbers', () => {
		const bytes = everything.encode(everything.fromObject(FULL)).finish();
		const decoded = read(everything, bytes);
		expect(toInt64(decoded.i64)).toBe('-9223372036854775808');
		expect(toInt64(decoded.u64)).toBe('18446744073709551615');
		expect(toInt64(decoded.s64)).toBe('-9007199254740993');
		expect(toInt64(decoded.f64)).toBe('9007199254740993');
		expect(decoded.sf64).toBe(-42);
		expect((decoded.inner as InnerView).amount).toBe(9_007_199_254_740_991);
	});

	it('reads a repeated number field both packed and one element at a time, in order', () => {
		const packed = everything.encode(everything.fromObject({ packed32: [1, 2] })).finish();
		const single = Uint8Array.from([...tag(20, 0), ...varint(6), ...tag(20, 0), ...varint(8)]);
		expect(read(everything, concatBytes(packed, single)).packed32).toEqual([1, 2, 3, 4]);
	});

	it('does not share the default list between messages', () => {
		const first = read(
			everything,
			everything.encode(everything.fromObject({ words: ['a'] })).finish(),
		);
		const second = read(everything, new Uint8Array(0));
		expect(first.words).toEqual(['a']);
		expect(second.words).toEqual([]);
	});

	it('the last of a repeated singular field wins', () => {
		const bytes = concatBytes(
			everything.encode(everything.fromObject({ text: 'first' })).finish(),
			everything.encode(everything.fromObject({ text: 'last' })).finish(),
		);
		expect(read(everything, bytes).text).toBe('last');
	});

	it.each(unknownFieldSamples(99).map((sample) => [sample.label, sample.bytes] as const))(
		'skips an unknown field sent as %s',
		(_label, unknown) => {
			const body = everything.encode(everything.fromObject(FULL)).finish();
			expect(ours(concatBytes(unknown, body, unknown))).toEqual(reference(body));
		},
	);

	it('reads varints of every length around the one-, two- and three-byte limits as protobufjs does', () => {
		// Values up to three bytes are read in place by the generated decoder, longer ones by
		// the reader: both sides of each limit, on one- and two-byte tags (fields 1-15 and 16+).
		const limits = [0, 1, 127, 128, 16_383, 16_384, 2_097_151, 2_097_152, 268_435_455, 2 ** 31 - 1];
		for (const value of limits) {
			const bytes = everything
				.encode(
					everything.fromObject({
						i32: value,
						u32: value,
						i64: value,
						u64: value,
						colour: value,
						packed64: [value],
						unpacked: [value, -value],
					}),
				)
				.finish();
			expect([value, ours(bytes)]).toEqual([value, reference(bytes)]);
		}
		// A bool is any varint: non-zero in two bytes is still true.
		expect(read(everything, Uint8Array.from([...tag(4, 0), 0x80, 0x01])).flag).toBe(true);
		expect(read(everything, Uint8Array.from([...tag(4, 0), 0x80, 0x00])).flag).toBe(false);
	});

	it('seeded random messages decode as protobufjs decodes them', () => {
		const random = seededRandom(11);
		for (let i = 0; i < 200; i++) {
			const payload = {
				i32: Math.floor((random() - 0.5) * 2 ** 32),
				i64: Long.fromBits(Math.floor(random() * 2 ** 32), Math.floor((random() - 0.5) * 2 ** 32)),
				u64: Long.fromBits(Math.floor(random() * 2 ** 32), Math.floor(random() * 2 ** 32), true),
				s64: Long.fromBits(Math.floor(random() * 2 ** 32), Math.floor((random() - 0.5) * 2 ** 22)),
				packed64: [
					Long.fromBits(Math.floor(random() * 2 ** 32), Math.floor((random() - 0.5) * 2 ** 32)),
				],
				text: String(random()),
			};
			const bytes = everything.encode(everything.fromObject(payload)).finish();
			expect(ours(bytes)).toEqual(reference(bytes));
		}
	});
});

describe('reused objects (reuseObjects)', () => {
	const selection: FieldSelection<EverythingView> = {
		i32: true,
		text: true,
		inner: { label: true },
		inners: { label: true, amount: true },
	};
	const plan = planMessage(everything, selection, { reuseObjects: true });
	const decode = (payload: Record<string, unknown>) => {
		const bytes = everything.encode(everything.fromObject(payload)).finish();
		const reader = new ProtoReader();
		const end = reader.reset(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
		return reader.message(plan, end);
	};

	it('decodes each message into the same object, with nothing left from the one before', () => {
		const first = decode({ i32: 5, text: 'a', inner: { label: 'x' }, inners: [{ label: 'l' }] });
		const firstInner = first.inner;
		const firstInners = first.inners;
		expect(first).toEqual({
			i32: 5,
			text: 'a',
			inner: { label: 'x' },
			inners: [{ label: 'l', amount: 0 }],
		});
		const second = decode({ text: 'b' });
		expect(second).toBe(first);
		expect(second).toEqual({ i32: 0, text: 'b', inner: null, inners: [] });
		// Repeated fields are new arrays each time: what the first decode gave is still there.
		expect(firstInners).toEqual([{ label: 'l', amount: 0 }]);
		const third = decode({ inner: { label: 'y' }, inners: [{ label: 'm' }, { label: 'n' }] });
		expect(third.inner).toBe(firstInner);
		const inners = third.inners as Array<Record<string, unknown>>;
		expect(inners[0]).not.toBe(inners[1]);
		expect(inners.map((item) => item.label)).toEqual(['m', 'n']);
	});

	it('is only for selections: a whole-message plan makes new objects', () => {
		const whole = planMessage(everything, undefined, { reuseObjects: true });
		const reader = new ProtoReader();
		const bytes = Buffer.from(everything.encode(everything.fromObject({ i32: 1 })).finish());
		const end = reader.reset(bytes);
		const first = reader.message(whole, end);
		reader.reset(bytes);
		expect(reader.message(whole, end)).not.toBe(first);
	});
});

describe('ProtoReader text cache', () => {
	it('gives the UTF-8 text of any bytes, read once or again, ASCII or not, valid or not', () => {
		const random = seededRandom(23);
		const samples: Buffer[] = [
			Buffer.from('NSE'),
			Buffer.from('RELIANCE'),
			Buffer.from('Nifty — ₹ 24 000'),
			Buffer.from('é'),
			Buffer.from([0x41, 0xff]),
			Buffer.from([0x41, 0xc3]),
			Buffer.from([0xc3, 0xa9, 0xff]),
			Buffer.from('x'.repeat(64)),
			Buffer.from('x'.repeat(65)),
		];
		// Short strings of few distinct bytes, so many share a cache slot and differ in one byte.
		const alphabet = [0x41, 0x42, 0x7a, 0x80, 0xc3, 0xa9, 0xff];
		for (let i = 0; i < 2_000; i++) {
			const length = 1 + Math.floor(random() * 12);
			samples.push(
				Buffer.from(
					Array.from(
						{ length },
						() => alphabet[Math.floor(random() * (random() < 0.8 ? 3 : alphabet.length))],
					),
				),
			);
		}
		const reader = new ProtoReader();
		for (let round = 0; round < 3; round++) {
			for (const sample of samples) {
				// Read from inside a larger buffer, as a field is.
				const buffer = Buffer.concat([Buffer.from([9, 9]), sample, Buffer.from([9])]);
				reader.reset(buffer);
				expect(reader.text(2, 2 + sample.length)).toBe(sample.toString('utf8'));
			}
		}
	});
});

describe('ProtoReader on bad bytes', () => {
	const body = everything.encode(everything.fromObject(FULL)).finish();

	it('throws a RangeError for every cut that lands inside a field, never returns a shorter message silently', () => {
		let threw = 0;
		for (let cut = 1; cut < body.length; cut++) {
			try {
				read(everything, body.subarray(0, cut));
			} catch (error) {
				expect(error).toBeInstanceOf(RangeError);
				threw++;
			}
		}
		expect(threw).toBeGreaterThan(body.length / 2);
	});

	it('with a selection, throws for exactly the cuts the whole plan throws for (skipped fields are checked too)', () => {
		const selection: FieldSelection<EverythingView> = {
			i32: true,
			text: true,
			inner: true,
			inners: true,
		};
		const outcome = (run: () => unknown) => {
			try {
				run();
				return 'read';
			} catch (error) {
				return error instanceof RangeError ? 'RangeError' : String(error);
			}
		};
		const outcomes = new Set<string>();
		for (let cut = 1; cut < body.length; cut++) {
			const slice = body.subarray(0, cut);
			const whole = outcome(() => read(everything, slice));
			expect([cut, outcome(() => read(everything, slice, selection))]).toEqual([cut, whole]);
			outcomes.add(whole);
		}
		expect([...outcomes].sort()).toEqual(['RangeError', 'read']);
	});

	it.each([
		[
			'a varint longer than 10 bytes',
			[...tag(1, 0), ...new Array<number>(10).fill(0xff), 0x01],
			/longer than 10 bytes/,
		],
		['a varint cut off', [...tag(5, 0), 0xff, 0xff], /out of range/],
		['a length past the end', [...tag(14, 2), 0x05, 0x61], /out of range/],
		['a field number of 0', [0x00, 0x01], /field number 0/],
		['a known field with the wrong wire type', [...tag(14, 0), 0x01], /wire type 0/],
		['wire type 7 on an unknown field', [...varint((99 << 3) | 7), 0x00], /invalid wire type 7/],
		['an end of group without its start', [...tag(99, 4)], /invalid wire type 4/],
		[
			'a group that ends with another number',
			[...tag(99, 3), ...tag(98, 4)],
			/unmatched end of group/,
		],
		[
			'a nested message cut inside',
			[...tag(17, 2), 0x04, ...tag(1, 2), 0x05, 0x61, 0x62],
			/out of range/,
		],
	])('%s', (_label, bytes, message) => {
		expect(() => read(everything, Uint8Array.from(bytes))).toThrow(message);
	});
});

describe('field selections', () => {
	const bytes = everything.encode(everything.fromObject(FULL)).finish();
	const selection: FieldSelection<EverythingView> = {
		i32: true,
		text: true,
		inner: { label: true },
		inners: true,
	};

	it('decode only the named fields, the rest skipped unread', () => {
		const decoded = read(everything, bytes, selection);
		expect(Object.keys(decoded).sort()).toEqual(['i32', 'inner', 'inners', 'text']);
		expect(decoded).toEqual({
			i32: -5,
			text: 'Nifty — ₹ 24 000',
			inner: { label: 'a' },
			inners: [
				{ label: 'b', amount: -1 },
				{ label: '', amount: 0 },
			],
		});
	});

	it('fail at load on a name the schema does not have', () => {
		const wrong = { ...selection, i33: true } as unknown as FieldSelection<EverythingView>;
		expect(() => planMessage(everything, wrong)).toThrow(/test.Everything has no field i33/);
	});

	it.each(['v1', 'v2', 'v3'] as Generation[])(
		'the normaliser selection for %s names fields of the schema',
		(generation) => {
			const type = messageType(generation);
			const selection: FieldSelection<unknown> = NORMALISED_FIELDS[generation];
			expect(() => planMessage(type, selection)).not.toThrow();
		},
	);

	it.each([
		['v1', v1Order({ trade_qty: 5, trade_price: 7, order_id: '9007199254741001' })],
		['v2', v2Single()],
		['v2', v2Flexi([0, 25])],
		['v3', v3Single({ trade_fill: { trade_qty: 1, trade_price: 2, ref_id: 3 } })],
		['v3', v3Multi()],
	] as [Generation, Record<string, unknown>][])(
		'%s: the same events from the selected and the whole message',
		(generation, payload) => {
			const frame = encodeFrame(generation, payload);
			const selected = decodeFrameDetailed(frame);
			const whole = decodeFrameDetailed(frame, { includeMessage: true });
			expect(selected.events).toEqual(whole.events);
			expect(selected.events).toHaveLength(1);
		},
	);
});

describe('int64 beyond 2^53 in events', () => {
	it('order ids and nanosecond timestamps arrive as exact decimal text', () => {
		const frame = encodeFrame(
			'v1',
			v1Order({ order_id: '9007199254741001', last_modified: '1764500000123456789' }),
		);
		const [event] = decodeFrameDetailed(frame).events;
		expect(event.order_id).toBe('9007199254741001');
		expect(event.last_modified).toBe('1764500000123456789');
		expect(event.last_modified_at).toBe('2025-11-30T10:53:20.123Z');
	});
});
