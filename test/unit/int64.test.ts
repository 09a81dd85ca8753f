/**
 * client/int64.ts: int64/uint64 as numbers while exact and decimal strings beyond, zero as
 * absent, and epoch timestamps whose unit (s, ms, µs, ns) is read from the magnitude.
 */
import Long from 'long';

import {
	epochToIso,
	isNonZero,
	millisToIso,
	optionalInt64,
	toApproxNumber,
	toInt64,
	WideInt64,
} from '../../client/int64';
import { seededRandom } from '../helpers/decoder-schema';

const signed = (digits: string) => Long.fromString(digits, false);
const unsigned = (digits: string) => Long.fromString(digits, true);

describe('toInt64', () => {
	it.each([
		['0', 0],
		['1', 1],
		['-1', -1],
		['4294967295 (2^32 - 1)', 4294967295],
		['4294967296 (2^32)', 4294967296],
		['-4294967296', -4294967296],
		['9007199254740991 (2^53 - 1)', 9007199254740991],
		['9007199254740992 (2^53)', '9007199254740992'],
		['9007199254740993 (2^53 + 1)', '9007199254740993'],
		['-9007199254740991 (-(2^53 - 1))', -9007199254740991],
		['-9007199254740990', -9007199254740990],
		// high word -2^21 with a non-zero low word: still a safe integer.
		['-9007199250546689', -9007199250546689],
		['-9007199254740992 (-(2^53))', '-9007199254740992'],
		['-9007199254740993', '-9007199254740993'],
		['9223372036854775807 (int64 max)', '9223372036854775807'],
		['-9223372036854775808 (int64 min)', '-9223372036854775808'],
	])('signed Long %s', (label, expected) => {
		const digits = label.split(' ')[0];
		expect(toInt64(signed(digits))).toBe(expected);
	});

	it.each([
		['0', 0],
		['9007199254740991', 9007199254740991],
		['9007199254740992', '9007199254740992'],
		['9223372036854775808', '9223372036854775808'],
		['18446744073709551615', '18446744073709551615'],
	])('unsigned Long %s', (digits, expected) => {
		expect(toInt64(unsigned(digits))).toBe(expected);
	});

	it('a string result is always the exact decimal, a number result always a safe integer', () => {
		for (const digits of [
			'9007199254740992',
			'12345678901234567',
			'-12345678901234567',
			'9223372036854775807',
			'123',
			'-9007199254740991',
		]) {
			const out = toInt64(signed(digits));
			if (typeof out === 'string') expect(out).toBe(digits);
			else {
				expect(Number.isSafeInteger(out)).toBe(true);
				expect(String(out)).toBe(digits);
			}
		}
	});

	it.each([
		['a number', 12, 12],
		['a decimal string', '9223372036854775807', '9223372036854775807'],
		['a safe bigint', BigInt(-5), -5],
		['a large bigint', BigInt('9007199254740993'), '9007199254740993'],
		['undefined', undefined, 0],
		['null', null, 0],
	])('%s', (_label, input, expected) => {
		expect(toInt64(input)).toBe(expected);
	});

	it('reads REST decimal text (optionalInt64) as it reads the wire, at every boundary', () => {
		// The catch-up snapshot and the socket must produce the same id for the same order,
		// or de-duplication between them fails.
		for (const digits of [
			'1',
			'-1',
			'9007199254740991',
			'9007199254740992',
			'-9007199254740991',
			'-9007199254740992',
			'9223372036854775807',
			'-9223372036854775808',
		]) {
			expect([digits, optionalInt64(digits)]).toEqual([digits, toInt64(signed(digits))]);
		}
	});
});

describe('isNonZero / optionalInt64', () => {
	it.each([
		[0, false],
		[3, true],
		[-3, true],
		['0', false],
		['', false],
		['7', true],
		[Long.ZERO, false],
		[Long.UZERO, false],
		[signed('-1'), true],
		// Only the high word is set.
		[signed('4294967296'), true],
		[null, false],
		[undefined, false],
	])('%p → %p', (value, expected) => {
		expect(isNonZero(value)).toBe(expected);
		expect(optionalInt64(value)).toBe(expected ? toInt64(value) : null);
	});
});

describe('toApproxNumber', () => {
	it.each([
		[5, 5],
		['-12', -12],
		[signed('9223372036854775807'), 2 ** 63],
		[unsigned('18446744073709551615'), 2 ** 64],
		[null, 0],
	])('%p → %p', (value, expected) => {
		expect(toApproxNumber(value)).toBe(expected);
	});
});

describe('epochToIso', () => {
	const iso = '2024-03-15T09:15:00.250Z';
	const ms = Date.parse(iso);

	it.each([
		['seconds', Math.floor(ms / 1000), '2024-03-15T09:15:00.000Z'],
		['milliseconds', ms, iso],
		['microseconds', ms * 1000 + 999, iso],
		// ms * 1e6 is not exact as a double (it lands a few ns below): still the same ms.
		['nanoseconds (number)', ms * 1e6, iso],
		['nanoseconds (Long)', signed(`${ms}000000`), iso],
		['nanoseconds (string)', `${ms}000000`, iso],
		['microseconds (Long)', signed(`${ms}123`), iso],
	])('reads %s', (_label, value, expected) => {
		expect(epochToIso(value)).toBe(expected);
	});

	it('truncates nanoseconds to the containing millisecond, exactly', () => {
		// As a double this rounds up to …251000000: the ISO text would be one ms late.
		expect(epochToIso(signed(`${ms}999999`))).toBe(iso);
		expect(epochToIso(`${ms}999999`)).toBe(iso);
		expect(epochToIso(signed(`${ms}000001`))).toBe(iso);
	});

	it.each([
		['the last second-magnitude value (1e11 - 1 s)', 1e11 - 1, '5138-11-16T09:46:39.000Z'],
		['the first ms-magnitude value (1e11 ms, 1973)', 1e11, '1973-03-03T09:46:40.000Z'],
		['the first µs-magnitude value (1e14 µs, 1973)', 1e14, '1973-03-03T09:46:40.000Z'],
		['first ns-magnitude value (1e17)', signed('100000000000000000'), '1973-03-03T09:46:40.000Z'],
		['int64 max as ns (year 2262)', signed('9223372036854775807'), '2262-04-11T23:47:16.854Z'],
		['1 s after the epoch', 1, '1970-01-01T00:00:01.000Z'],
	])('boundary: %s', (_label, value, expected) => {
		expect(epochToIso(value)).toBe(expected);
	});

	it.each([
		['zero', 0],
		['negative', -1],
		['negative Long', signed('-1700000000000000000')],
		['NaN', Number.NaN],
		['Infinity', Infinity],
		['a non-numeric string', 'yesterday'],
		['null', null],
	])('%s → null', (_label, value) => {
		expect(epochToIso(value)).toBeNull();
	});
});

describe('WideInt64 (what the wire reader gives beyond 2^53)', () => {
	const wide = (bits: bigint, unsigned: boolean) =>
		new WideInt64(
			Number(BigInt.asIntN(32, bits)),
			Number(BigInt.asIntN(32, bits >> BigInt(32))),
			unsigned,
		);

	it.each([
		'9007199254740992',
		'9007199254740993',
		'-9007199254740993',
		'9223372036854775807',
		'-9223372036854775808',
		'1764500000123456789',
		'4294967296',
		'-1',
		'0',
	])('signed %s: exact decimal text and approximate number', (digits) => {
		const value = wide(BigInt(digits), false);
		expect(value.toString()).toBe(digits);
		expect(value.toNumber()).toBe(Number(digits));
		expect(value.toString(16)).toBe(BigInt(digits).toString(16));
	});

	it.each(['18446744073709551615', '9223372036854775808', '9007199254740993'])(
		'unsigned %s',
		(digits) => {
			const value = wide(BigInt(digits), true);
			expect(value.toString()).toBe(digits);
			expect(toInt64(value)).toBe(digits);
		},
	);

	it('seeded random 64-bit values print as BigInt prints them', () => {
		const random = seededRandom(64);
		for (let i = 0; i < 2000; i++) {
			const bits =
				(BigInt(Math.floor(random() * 2 ** 32)) << BigInt(32)) |
				BigInt(Math.floor(random() * 2 ** 32));
			const unsigned = i % 2 === 0;
			const expected = (unsigned ? BigInt.asUintN(64, bits) : BigInt.asIntN(64, bits)).toString();
			expect(wide(bits, unsigned).toString()).toBe(expected);
		}
	});
});

describe('millisToIso', () => {
	it.each([
		0, 1, 999, 86_399_999, 86_400_000, 951_782_400_000, 1_709_164_800_000, 253_402_300_799_999,
	])('%i ms is what Date prints', (ms) => {
		expect(millisToIso(ms)).toBe(new Date(ms).toISOString());
	});

	it('seeded random instants from 1970 to 9999, and the same instant twice', () => {
		const random = seededRandom(9);
		for (let i = 0; i < 5000; i++) {
			const ms = Math.floor(random() * 253_402_300_800_000);
			expect(millisToIso(ms)).toBe(new Date(ms).toISOString());
			expect(millisToIso(ms)).toBe(new Date(ms).toISOString());
		}
	});

	it('outside the fast range: what Date prints, or null past its range', () => {
		expect(millisToIso(-1)).toBe('1969-12-31T23:59:59.999Z');
		expect(millisToIso(253_402_300_800_000)).toBe('+010000-01-01T00:00:00.000Z');
		expect(millisToIso(8.64e15 + 1)).toBeNull();
		expect(millisToIso(1.5)).toBe('1970-01-01T00:00:00.001Z');
	});
});
