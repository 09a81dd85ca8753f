/**
 * The frame envelope (Any in Any), routing on the inner type-URL suffix, skipping of unknown
 * types and unknown fields, and malformed input: whatever the bytes, the decoder either returns
 * a frame or throws NubraDecodeError (NUBRA_DECODE_MALFORMED), never anything else.
 */
import {
	decodeFrame,
	decodeFrameDetailed,
	FrameDecoder,
	typeUrlSuffix,
	type DecodedFrame,
} from '../../client/codec';
import { NubraDecodeError, NUBRA_ERROR_CODES } from '../../client/errors';
import { loadNubraSchema } from '../../client/schema';
import { encodeFrame, wrapAny, type Generation } from '../helpers/frames';
import { v1Order, v2Flexi, v2Single, v3Multi, v3Single } from '../helpers/decoder-fixtures';
import {
	concatBytes,
	defaultTypeUrl,
	encodeBody,
	frameWithTypeUrl,
	randomBytes,
	seededRandom,
	tag,
	unknownFieldSamples,
	varint,
} from '../helpers/decoder-schema';

const SAMPLES: [Generation, Record<string, unknown>][] = [
	['v1', v1Order({ trade_qty: 5, trade_price: 7 })],
	['v2', v2Single()],
	['v2', v2Flexi([0, 25])],
	['v3', v3Single({ trade_fill: { trade_qty: 1, trade_price: 2, ref_id: 3 } })],
	['v3', v3Multi()],
];

/** Runs the decoder and classifies the outcome; any other error type fails the test. */
function outcome(bytes: unknown, includeMessage = false): DecodedFrame | NubraDecodeError {
	try {
		return decodeFrameDetailed(bytes as Uint8Array, { includeMessage });
	} catch (error) {
		expect(error).toBeInstanceOf(NubraDecodeError);
		expect((error as NubraDecodeError).code).toBe('NUBRA_DECODE_MALFORMED');
		return error as NubraDecodeError;
	}
}

function expectMalformed(bytes: unknown, messagePart?: RegExp): NubraDecodeError {
	const result = outcome(bytes);
	expect(result).toBeInstanceOf(NubraDecodeError);
	const error = result as NubraDecodeError;
	expect(error.code).toBe(NUBRA_ERROR_CODES.DECODE_MALFORMED);
	expect(error.name).toBe('NubraDecodeError');
	if (messagePart) expect(error.message).toMatch(messagePart);
	return error;
}

describe('typeUrlSuffix', () => {
	it.each([
		['type.googleapis.com/protos.zanskarsecurities.nubrafrontend.Order', 'Order'],
		['type.googleapis.com/Order', 'Order'],
		['x.y.Order', 'Order'],
		['a/b.c/Executions', 'Executions'],
		['a.b/NubraToClientIntentUpdate', 'NubraToClientIntentUpdate'],
		['Order', 'Order'],
		['Order.', ''],
		['', ''],
	])('%s → %s', (url, suffix) => {
		expect(typeUrlSuffix(url)).toBe(suffix);
	});
});

describe('routing on the inner type-URL suffix', () => {
	const bodies: Record<Generation, Uint8Array> = {
		v1: encodeBody('v1', v1Order()),
		v2: encodeBody('v2', v2Single()),
		v3: encodeBody('v3', v3Single()),
	};
	const names: Record<Generation, string> = {
		v1: 'Order',
		v2: 'Executions',
		v3: 'NubraToClientIntentUpdate',
	};
	const prefixes = [
		'type.googleapis.com/protos.zanskarsecurities.nubrafrontend.',
		'type.googleapis.com/',
		'x.y.',
		'some.other/pkg.',
		'',
	];

	describe.each(['v1', 'v2', 'v3'] as Generation[])('%s', (generation) => {
		const reference = decodeFrame(frameWithTypeUrl(defaultTypeUrl(generation), bodies[generation]));

		it.each(prefixes)('prefix "%s" routes the same way', (prefix) => {
			const typeUrl = `${prefix}${names[generation]}`;
			const decoded = decodeFrameDetailed(frameWithTypeUrl(typeUrl, bodies[generation]));
			expect(decoded.kind).toBe(generation);
			expect(decoded.typeUrl).toBe(typeUrl);
			expect(decoded.events).toEqual(reference);
			expect(decoded.events[0].api_version).toBe(generation);
		});

		it.each([
			['a different case', names[generation].toLowerCase()],
			['a longer name', `${names[generation]}V2`],
			['the name inside, not at the end', `${names[generation]}.Wrapper`],
			['a trailing separator', `${names[generation]}/`],
		])('%s is not routed there', (_label, typeUrl) => {
			const decoded = decodeFrameDetailed(frameWithTypeUrl(typeUrl, bodies[generation]));
			expect(decoded.kind).toBe('unknown');
			expect(decoded.events).toEqual([]);
		});
	});

	it('one decoder follows type URLs that change by one byte, frame after frame', () => {
		const decoder = new FrameDecoder();
		const urls = ['a.b.Order', 'a.c.Order', 'a.c.Ordes', 'a.c.Order', 'b.c.Order', 'b.c.Order'];
		for (const typeUrl of [...urls, ...urls.reverse()]) {
			const decoded = decoder.decode(frameWithTypeUrl(typeUrl, bodies.v1));
			expect([typeUrl, decoded.typeUrl, decoded.kind]).toEqual([
				typeUrl,
				typeUrl,
				typeUrl.endsWith('.Order') ? 'v1' : 'unknown',
			]);
		}
	});

	it('the outer type URL is ignored', () => {
		const { any } = loadNubraSchema();
		const inner = any.encode({ type_url: defaultTypeUrl('v1'), value: bodies.v1 }).finish();
		const reference = decodeFrame(wrapAny(defaultTypeUrl('v1'), bodies.v1));
		const outerUrls = ['', 'nonsense', 'type.googleapis.com/Executions', 'x.PortfolioResponse'];
		for (const outerUrl of outerUrls) {
			const frame = any.encode({ type_url: outerUrl, value: inner }).finish();
			expect(decodeFrame(frame)).toEqual(reference);
		}
	});

	it('a PortfolioResponse is kind portfolio with no events, whatever its body', () => {
		const typeUrl = 'type.googleapis.com/protos.zanskarsecurities.nubrafrontend.PortfolioResponse';
		for (const body of [new Uint8Array(0), Uint8Array.from([0xff, 0xff, 0xff]), bodies.v1]) {
			const decoded = decodeFrameDetailed(frameWithTypeUrl(typeUrl, body), {
				includeMessage: true,
			});
			expect(decoded).toEqual({ kind: 'portfolio', typeUrl, events: [] });
		}
	});

	it('an unknown inner type is kind unknown with no events, even with a garbage body', () => {
		const typeUrl = 'type.googleapis.com/protos.zanskarsecurities.nubrafrontend.Heartbeat';
		const decoded = decodeFrameDetailed(frameWithTypeUrl(typeUrl, Uint8Array.from([0xff, 0x07])), {
			includeMessage: true,
		});
		expect(decoded).toEqual({ kind: 'unknown', typeUrl, events: [] });
		expect(decodeFrame(frameWithTypeUrl(typeUrl, bodies.v3))).toEqual([]);
	});

	it('a decoder instance built on the shared schema decodes like decodeFrame', () => {
		const decoder = new FrameDecoder(loadNubraSchema());
		const frame = encodeFrame('v2', v2Flexi([10, 0]));
		expect(decoder.decode(frame).events).toEqual(decodeFrame(frame));
	});
});

describe('unknown fields are ignored', () => {
	describe.each(SAMPLES.map(([g, p], i) => [`${g} #${i}`, g, p] as const))(
		'%s',
		(_label, generation, payload) => {
			const body = encodeBody(generation, payload);
			const reference = decodeFrameDetailed(frameWithTypeUrl(defaultTypeUrl(generation), body), {
				includeMessage: true,
			});
			// 10 in Order and 8 in Executions are the documented holes in the numbering.
			const numbers = [generation === 'v1' ? 10 : generation === 'v2' ? 8 : 4, 99, 1000, 536870911];

			const cases = numbers.flatMap((n) =>
				unknownFieldSamples(n).map((s) => [n, s.label, s.bytes] as const),
			);
			it.each(cases)('field %i as %s, appended and prepended', (_n, _wire, bytes) => {
				for (const withUnknown of [concatBytes(body, bytes), concatBytes(bytes, body)]) {
					const decoded = decodeFrameDetailed(
						frameWithTypeUrl(defaultTypeUrl(generation), withUnknown),
						{ includeMessage: true },
					);
					expect(decoded).toEqual(reference);
				}
			});
		},
	);

	it('in both Any envelopes', () => {
		const { any } = loadNubraSchema();
		const body = encodeBody('v3', v3Single());
		const reference = decodeFrame(frameWithTypeUrl(defaultTypeUrl('v3'), body));
		const extra = unknownFieldSamples(7).flatMap((s) => s.bytes);
		const inner = concatBytes(
			any.encode({ type_url: defaultTypeUrl('v3'), value: body }).finish(),
			extra,
		);
		const outer = concatBytes(extra, any.encode({ type_url: 'x', value: inner }).finish(), extra);
		expect(decodeFrame(outer)).toEqual(reference);
	});

	it('in a nested message (a V3 leg) and a repeated element (a V2 basket leg)', () => {
		const v3 = v3Multi();
		const plain = decodeFrame(encodeFrame('v3', v3));
		const { root } = loadNubraSchema();
		const legType = root.lookupType('nubra.trading.v3.IntentLeg');
		const legPayload = { ref_id: 5, unit_qty: -2, order_qty: 2 };
		const leg = legType.encode(legType.fromObject(legPayload)).finish();
		const legWithUnknown = concatBytes(
			leg,
			unknownFieldSamples(77).flatMap((s) => s.bytes),
		);
		const responseField = 1;
		const legsField = 5;
		const response = concatBytes(tag(legsField, 2), varint(legWithUnknown.length), legWithUnknown);
		const body = concatBytes(tag(responseField, 2), varint(response.length), response);
		const [event] = decodeFrame(frameWithTypeUrl(defaultTypeUrl('v3'), body));
		expect(event.legs).toEqual([
			{
				ref_id: 5,
				display_name: null,
				exchange: null,
				side: 'ORDER_SIDE_SELL',
				order_qty: 2,
				filled_qty: 0,
				unit_qty: -2,
				avg_price: null,
			},
		]);
		expect(plain[0].legs).toHaveLength(2);
	});
});

describe('malformed input throws NubraDecodeError', () => {
	it.each([
		['an empty Uint8Array', new Uint8Array(0), /Empty frame/],
		['an empty Buffer', Buffer.alloc(0), /Empty frame/],
	])('%s', (_label, bytes, message) => {
		expectMalformed(bytes, message);
	});

	it.each([
		['a string', 'CgR0ZXN0'],
		['an ArrayBuffer', new ArrayBuffer(8)],
		['a number array', [10, 1, 65]],
		['null', null],
		['undefined', undefined],
		['a DataView', new DataView(new ArrayBuffer(4))],
	])('non-Uint8Array input: %s', (_label, input) => {
		expectMalformed(input, /binary/);
		expect(() => decodeFrame(input as unknown as Uint8Array)).toThrow(NubraDecodeError);
	});

	it('a Buffer (what ws delivers) and a plain Uint8Array view of it decode the same', () => {
		const frame = encodeFrame('v1', v1Order());
		const view = new Uint8Array(frame.buffer, frame.byteOffset, frame.byteLength);
		const copy = Uint8Array.from(frame);
		expect(decodeFrame(view)).toEqual(decodeFrame(frame));
		expect(decodeFrame(copy)).toEqual(decodeFrame(frame));
	});

	it('an outer Any without its inner Any', () => {
		const { any } = loadNubraSchema();
		expectMalformed(
			any.encode({ type_url: 'type.googleapis.com/google.protobuf.Any' }).finish(),
			/no inner message/,
		);
		// An empty type_url field only, and an explicitly empty value field.
		expectMalformed(Uint8Array.from([0x0a, 0x00]), /no inner message/);
		expectMalformed(Uint8Array.from([0x12, 0x00]), /no inner message/);
	});

	it('an inner Any without a type URL', () => {
		const { any } = loadNubraSchema();
		const inner = any.encode({ value: encodeBody('v1', v1Order()) }).finish();
		expectMalformed(any.encode({ type_url: 'x', value: inner }).finish(), /no type URL/);
	});

	it('an inner value that is not an Any', () => {
		const { any } = loadNubraSchema();
		// A type_url field announcing 5 bytes with only 1 present.
		const notAny = Uint8Array.from([0x0a, 0x05, 0x41]);
		const frame = any.encode({ type_url: 'x', value: notAny }).finish();
		expectMalformed(frame, /Inner message is not a protobuf Any/);
	});

	it('a body that is not the routed message type', () => {
		// A length-delimited field whose length runs past the end of the body.
		const body = Uint8Array.from([...tag(2, 2), 0x7f, 0x01]);
		for (const generation of ['v1', 'v2', 'v3'] as Generation[]) {
			const frame = frameWithTypeUrl(defaultTypeUrl(generation), body);
			const error = expectMalformed(frame, /Malformed/);
			expect(error.cause).toBeInstanceOf(Error);
		}
	});

	it.each([
		['wire type 6', [...tag(1, 0), 1, 0x0e]],
		['wire type 7', [0x0f, 0x00]],
		['a lone end-group', [...tag(3, 4)]],
		['an unterminated varint', [0x0a, 0x80, 0x80, 0x80]],
	])('bytes with %s in the outer Any', (_label, bytes) => {
		expectMalformed(Uint8Array.from(bytes));
	});
});

describe('truncated frames', () => {
	const cases = SAMPLES.map(([g, p], i) => [`${g} #${i}`, g, p] as const);
	describe.each(cases)('%s', (_l, generation, payload) => {
		const frame = encodeFrame(generation, payload);

		it('every proper prefix of the frame throws (the outer value is cut or missing)', () => {
			for (let cut = 0; cut < frame.length; cut++) {
				expect(outcome(frame.subarray(0, cut))).toBeInstanceOf(NubraDecodeError);
			}
			expect(outcome(frame)).not.toBeInstanceOf(NubraDecodeError);
		});

		it('every prefix of the body, correctly wrapped, decodes or throws NubraDecodeError', () => {
			const body = encodeBody(generation, payload);
			let threw = 0;
			for (let cut = 0; cut < body.length; cut++) {
				const frame = frameWithTypeUrl(defaultTypeUrl(generation), body.subarray(0, cut));
				const result = outcome(frame, true);
				if (result instanceof NubraDecodeError) {
					threw++;
					continue;
				}
				expect(result.kind).toBe(generation);
				expect(JSON.parse(JSON.stringify(result.message))).toEqual(result.message);
			}
			// Most cuts land inside a field: those must be reported, not silently decoded.
			expect(threw).toBeGreaterThan(body.length / 2);
		});
	});
});

describe('random input (seeded, reproducible)', () => {
	const SEEDS = [1, 2, 3, 42, 1337];

	it.each(SEEDS)('seed %i: 300 random buffers raise nothing but NubraDecodeError', (seed) => {
		const random = seededRandom(seed);
		for (let i = 0; i < 300; i++) {
			outcome(randomBytes(random, 1 + Math.floor(random() * 200)), true);
		}
	});

	it.each(SEEDS)('seed %i: random bodies behind every routed type URL', (seed) => {
		const random = seededRandom(seed);
		for (let i = 0; i < 300; i++) {
			const generation = (['v1', 'v2', 'v3'] as Generation[])[i % 3];
			const body = randomBytes(random, Math.floor(random() * 120));
			const result = outcome(frameWithTypeUrl(defaultTypeUrl(generation), body), true);
			if (!(result instanceof NubraDecodeError)) {
				expect(result.kind).toBe(generation);
				expect(JSON.parse(JSON.stringify(result))).toEqual(result);
			}
		}
	});

	it.each(SEEDS)('seed %i: single-byte corruptions of valid frames', (seed) => {
		const random = seededRandom(seed);
		for (const [generation, payload] of SAMPLES) {
			const frame = encodeFrame(generation, payload);
			for (let i = 0; i < 60; i++) {
				const corrupt = Uint8Array.from(frame);
				corrupt[Math.floor(random() * corrupt.length)] = Math.floor(random() * 256);
				const result = outcome(corrupt, true);
				if (!(result instanceof NubraDecodeError)) {
					expect(JSON.parse(JSON.stringify(result))).toEqual(result);
				}
			}
		}
	});
});

describe('truncated strings', () => {
	// display_name is the last field of this body: cut inside it, the length prefix overruns.
	const body = encodeBody('v1', { order_id: 1, display_name: 'RELIANCE INDUSTRIES' });
	const cut = body.subarray(0, body.length - 5);

	it.each([
		['a Buffer (what ws delivers)', (b: Uint8Array) => b],
		['a plain Uint8Array', (b: Uint8Array) => Uint8Array.from(b)],
	])('a string cut off by the end of the body is malformed, given %s', (_label, as) => {
		const frame = as(frameWithTypeUrl(defaultTypeUrl('v1'), cut));
		expectMalformed(frame, /Malformed Order/);
	});

	it('the same bytes, uncut, decode', () => {
		const [event] = decodeFrame(frameWithTypeUrl(defaultTypeUrl('v1'), body));
		expect(event.display_name).toBe('RELIANCE INDUSTRIES');
	});
});
