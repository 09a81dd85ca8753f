import type { Int64 } from './types';

/** The shape of protobufjs' Long (the `long` package) that we read. */
export interface LongLike {
	low: number;
	high: number;
	unsigned: boolean;
	toNumber(): number;
	toString(radix?: number): string;
}

function isLong(value: unknown): value is LongLike {
	return typeof value === 'object' && value !== null && 'high' in value && 'low' in value;
}

/** The exact decimal text of a Long, formatted by BigInt: faster than Long's own (bench/README.md). */
function longToDecimal(value: LongLike): string {
	const bits = (BigInt(value.high) << BigInt(32)) | BigInt(value.low >>> 0);
	return (value.unsigned ? BigInt.asUintN(64, bits) : BigInt.asIntN(64, bits)).toString();
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
	const date = new Date(ms);
	return Number.isNaN(date.getTime()) ? null : date.toISOString();
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
