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

/** 2^53 = 2^21 · 2^32: a Long is exact as a JS number while |high| stays below 2^21. */
const SAFE_HIGH = 0x200000;

/**
 * An int64/uint64 as users can rely on it: a number while it is exactly representable,
 * a decimal string above Number.MAX_SAFE_INTEGER (order ids can be that large).
 */
export function toInt64(value: unknown): Int64 {
	if (typeof value === 'number') return value;
	if (isLong(value)) {
		if (value.unsigned) {
			return value.high >= 0 && value.high < SAFE_HIGH ? value.toNumber() : value.toString();
		}
		return value.high < SAFE_HIGH && value.high > -SAFE_HIGH ? value.toNumber() : value.toString();
	}
	if (typeof value === 'string') return value;
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

/** The int64 as a JS number, for magnitudes (timestamps): precision may go, sign and scale stay. */
export function toApproxNumber(value: unknown): number {
	if (typeof value === 'number') return value;
	if (isLong(value)) return value.toNumber();
	if (typeof value === 'string') return Number(value);
	return 0;
}

/** null for zero/absent, the exact int64 otherwise: absent proto3 fields read as zero. */
export function optionalInt64(value: unknown): Int64 | null {
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
	if (raw >= 1e17) ms = raw / 1e6;
	else if (raw >= 1e14) ms = raw / 1e3;
	else if (raw >= 1e11) ms = raw;
	else ms = raw * 1e3;
	const date = new Date(ms);
	return Number.isNaN(date.getTime()) ? null : date.toISOString();
}
