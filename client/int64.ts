import type { Int64 } from './types';

/** The shape of protobufjs' Long (the `long` package) that we read. */
export interface LongLike {
	low: number;
	high: number;
	unsigned: boolean;
	toNumber(): number;
	toString(radix?: number): string;
}

/**
 * A 64-bit integer too large for a double, as the wire reader keeps it: two's-complement
 * halves as signed 32-bit numbers, like protobufjs' Long. Smaller values are plain numbers.
 */
export class WideInt64 implements LongLike {
	constructor(
		readonly low: number,
		readonly high: number,
		readonly unsigned: boolean,
	) {}

	toNumber(): number {
		const high = this.unsigned ? this.high >>> 0 : this.high;
		return high * 4_294_967_296 + (this.low >>> 0);
	}

	toString(radix = 10): string {
		if (radix !== 10) return longToBigInt(this).toString(radix);
		const negative = !this.unsigned && this.high < 0;
		// The magnitude's halves: two's complement negated for negative values.
		let low = this.low >>> 0;
		let high = this.high >>> 0;
		if (negative) {
			low = (~low + 1) >>> 0;
			high = (~high + (low === 0 ? 1 : 0)) >>> 0;
		}
		const digits = unsignedDecimal(high, low);
		return negative ? `-${digits}` : digits;
	}
}

/**
 * The decimal text of high·2^32 + low (both unsigned 32-bit), exact, without BigInt:
 * 2^32 = 429 496·10^4 + 7 296, so value = (high·429 496 + carry)·10^4 + rest, and every product
 * and sum below stays an exact integer under 2^53.
 */
function unsignedDecimal(high: number, low: number): string {
	if (high === 0) return String(low);
	const below = high * 7_296 + low;
	const carry = Math.floor(below / 10_000);
	const lastFour = below - carry * 10_000;
	const top = high * 429_496 + carry;
	if (top === 0) return String(lastFour);
	const padding = lastFour >= 1000 ? '' : lastFour >= 100 ? '0' : lastFour >= 10 ? '00' : '000';
	return String(top) + padding + lastFour;
}

function isLong(value: unknown): value is LongLike {
	if (value instanceof WideInt64) return true;
	return typeof value === 'object' && value !== null && 'high' in value && 'low' in value;
}

function longToBigInt(value: LongLike): bigint {
	const bits = (BigInt(value.high) << BigInt(32)) | BigInt(value.low >>> 0);
	return value.unsigned ? BigInt.asUintN(64, bits) : BigInt.asIntN(64, bits);
}

/** The exact decimal text of a Long, formatted by BigInt: faster than Long's own (bench/README.md). */
function longToDecimal(value: LongLike): string {
	return value instanceof WideInt64 ? value.toString() : longToBigInt(value).toString();
}

/** Decimal integer text as an Int64; null when the text is not a decimal integer. */
function decimalToInt64(text: string): Int64 | null {
	return /^-?\d+$/.test(text) ? toInt64(BigInt(text)) : null;
}

/**
 * An int64/uint64 as users can rely on it: a number while it is exactly representable,
 * a decimal string above Number.MAX_SAFE_INTEGER (order ids can be that large). Reads the
 * wire's Longs and numbers and REST's numbers and decimal strings alike, so the socket and the
 * catch-up name the same order the same way; anything else is 0.
 */
export function toInt64(value: unknown): Int64 {
	if (typeof value === 'number') return value;
	if (isLong(value)) {
		// Beyond ±(2^53 - 1) the double is rounded (so not a safe integer): use the exact text.
		const approx = value.toNumber();
		return Number.isSafeInteger(approx) ? approx : longToDecimal(value);
	}
	if (typeof value === 'string') return decimalToInt64(value) ?? 0;
	if (typeof value === 'bigint') {
		return value <= BigInt(Number.MAX_SAFE_INTEGER) && value >= BigInt(-Number.MAX_SAFE_INTEGER)
			? Number(value)
			: value.toString();
	}
	return 0;
}

/** Whether an int64 field holds a non-zero value (proto3 leaves zero off the wire). */
export function isNonZero(value: unknown): boolean {
	if (typeof value === 'number') return value !== 0;
	if (isLong(value)) return value.low !== 0 || value.high !== 0;
	if (typeof value === 'string') return value !== '' && value !== '0';
	return false;
}

/**
 * The one number reader: a number, Long, bigint or numeric text as a JS number, for arithmetic
 * and magnitudes (precision may go above 2^53; sign and scale stay). Anything else, or a value
 * that is not finite, reads as 0, as an absent proto3 field does.
 */
export function toApproxNumber(value: unknown): number {
	if (typeof value === 'number') return Number.isFinite(value) ? value : 0;
	if (isLong(value)) return value.toNumber();
	if (typeof value === 'string') {
		const parsed = Number(value);
		return Number.isFinite(parsed) ? parsed : 0;
	}
	if (typeof value === 'bigint') return Number(value);
	return 0;
}

/** A price (or any amount) as a number when it is set and positive, else null: for arithmetic. */
export function positiveAmount(value: unknown): number | null {
	const approx = toApproxNumber(value);
	return Number.isFinite(approx) && approx > 0 ? approx : null;
}

/**
 * The one int64 reader for optional fields: null for zero, absent or unreadable (absent proto3
 * fields read as zero; REST may send null or text), the exact int64 otherwise.
 */
export function optionalInt64(value: unknown): Int64 | null {
	if (typeof value === 'number') return value !== 0 && Number.isFinite(value) ? value : null;
	if (typeof value === 'string') {
		const exact = decimalToInt64(value);
		return exact === 0 ? null : exact;
	}
	return isNonZero(value) ? toInt64(value) : null;
}

/**
 * Epoch timestamps whose unit the protocol does not fix (legacy REST uses nanoseconds, V3 is
 * [unknown]): the unit is read from the magnitude, which is unambiguous for dates after 1973.
 */
export function epochToIso(value: unknown): string | null {
	const raw = toApproxNumber(value);
	if (!Number.isFinite(raw) || raw <= 0) return null;
	let ms: number;
	if (raw >= 1e17) ms = nanosToMillis(value, raw);
	else if (raw >= 1e14) ms = raw / 1e3;
	else if (raw >= 1e11) ms = raw;
	else ms = raw * 1e3;
	return millisToIso(Math.trunc(ms));
}

/** Dates from 1970 up to the end of year 9999: four-digit years, formatted by hand. */
const LAST_FAST_MILLIS = 253_402_300_799_999;
const TWO_DIGITS = Array.from({ length: 100 }, (_, n) => String(n).padStart(2, '0'));
/** `000Z` … `999Z`: the end of every ISO text. */
const MILLIS_AND_ZONE = Array.from({ length: 1000 }, (_, n) => `${String(n).padStart(3, '0')}Z`);
/** The text up to the milliseconds of the last second formatted: frames of a burst share it. */
let lastSecond = Number.NaN;
let lastSecondPrefix = '';

/**
 * `new Date(ms).toISOString()` (or null past its range), formatted with integer arithmetic and
 * a cached prefix per second: cheaper than Date, and one short piece of new text per call.
 * The calendar part is the days-to-civil algorithm of H. Hinnant ("chrono-compatible
 * low-level date algorithms").
 */
export function millisToIso(ms: number): string | null {
	if (!(ms >= 0 && ms <= LAST_FAST_MILLIS && Number.isInteger(ms))) {
		const date = new Date(ms);
		return Number.isNaN(date.getTime()) ? null : date.toISOString();
	}
	const second = Math.floor(ms / 1000);
	if (second !== lastSecond) {
		lastSecondPrefix = secondPrefix(second);
		lastSecond = second;
	}
	return lastSecondPrefix + MILLIS_AND_ZONE[ms - second * 1000];
}

/** `YYYY-MM-DDThh:mm:ss.` of a second since the epoch (from 1970 on). */
function secondPrefix(epochSecond: number): string {
	const days = Math.floor(epochSecond / 86_400);
	let rest = epochSecond - days * 86_400;
	const hours = Math.floor(rest / 3600);
	rest -= hours * 3600;
	const minutes = Math.floor(rest / 60);
	const seconds = rest - minutes * 60;
	const z = days + 719_468;
	const era = Math.floor(z / 146_097);
	const dayOfEra = z - era * 146_097;
	const yearOfEra = Math.floor(
		(dayOfEra -
			Math.floor(dayOfEra / 1460) +
			Math.floor(dayOfEra / 36_524) -
			Math.floor(dayOfEra / 146_096)) /
			365,
	);
	const dayOfYear =
		dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100));
	const shiftedMonth = Math.floor((5 * dayOfYear + 2) / 153);
	const day = dayOfYear - Math.floor((153 * shiftedMonth + 2) / 5) + 1;
	const month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9;
	const year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0);
	return `${year}-${TWO_DIGITS[month]}-${TWO_DIGITS[day]}T${TWO_DIGITS[hours]}:${TWO_DIGITS[minutes]}:${TWO_DIGITS[seconds]}.`;
}

/**
 * Whole milliseconds of an epoch-nanosecond value. Nanosecond epochs are above 2^53, where a
 * double is off by a few hundred ns, enough to move the instant into a neighbouring
 * millisecond: divide the exact integer when we have it (Long, decimal string).
 */
function nanosToMillis(value: unknown, approx: number): number {
	if (isLong(value) && value.high >= 0) {
		// value = high·2^32 + low and 2^32 = 4294·10^6 + 967296: every product below stays an
		// exact integer under 2^53, so this is exact without Long division (bench/README.md).
		return value.high * 4294 + Math.floor((value.high * 967_296 + (value.low >>> 0)) / 1e6);
	}
	const digits = typeof value === 'string' ? value : '';
	if (/^\d+$/.test(digits)) return Number(BigInt(digits) / BigInt(1_000_000));
	// Only a double (REST JSON): round to whole µs first so a whole-ms value stays in its ms.
	return Math.floor(Math.round(approx / 1e3) / 1e3);
}
