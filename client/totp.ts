import { createHmac } from 'node:crypto';

/** RFC 6238 TOTP as Nubra uses it: HMAC-SHA-1, 30 s steps, 6 digits. */
export const TOTP_STEP_SECONDS = 30;
export const TOTP_DIGITS = 6;

const BASE32_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/**
 * Decodes an RFC 4648 base32 secret, as authenticator apps show it: case, spaces, dashes and
 * `=` padding are ignored. Throws a TypeError that never quotes the secret.
 */
export function decodeBase32(secret: string): Buffer {
	const clean = secret.replace(/[\s=-]/g, '').toUpperCase();
	if (clean.length === 0) throw new TypeError('The TOTP secret is empty');
	const bytes: number[] = [];
	let buffer = 0;
	let bits = 0;
	for (const char of clean) {
		const value = BASE32_ALPHABET.indexOf(char);
		if (value === -1) {
			throw new TypeError('The TOTP secret is not base32 (letters A-Z and digits 2-7)');
		}
		buffer = (buffer << 5) | value;
		bits += 5;
		if (bits >= 8) {
			bits -= 8;
			bytes.push((buffer >> bits) & 0xff);
		}
	}
	return Buffer.from(bytes);
}

/** The HOTP value (RFC 4226) of `key` at `counter`, zero-padded to `digits`. */
export function hotp(key: Buffer, counter: number, digits = TOTP_DIGITS): string {
	const message = Buffer.alloc(8);
	message.writeBigUInt64BE(BigInt(counter));
	const digest = createHmac('sha1', key).update(message).digest();
	const offset = digest[digest.length - 1] & 0x0f;
	const binary = digest.readUInt32BE(offset) & 0x7fffffff;
	return String(binary % 10 ** digits).padStart(digits, '0');
}

/** The TOTP code for a raw key at `timeMs` (epoch milliseconds). */
export function totpFromKey(key: Buffer, timeMs: number, digits = TOTP_DIGITS): string {
	return hotp(key, Math.floor(timeMs / 1000 / TOTP_STEP_SECONDS), digits);
}

/** The TOTP code for a base32 secret at `timeMs` (default: now). */
export function totp(secretBase32: string, timeMs: number = Date.now()): string {
	return totpFromKey(decodeBase32(secretBase32), timeMs);
}

/**
 * Whether `code` is valid for the secret at `timeMs`, accepting `window` steps of clock drift
 * either side (servers commonly accept one).
 */
export function verifyTotp(
	secretBase32: string,
	code: string | number,
	timeMs: number = Date.now(),
	window = 1,
): boolean {
	const key = decodeBase32(secretBase32);
	const expected = String(code).padStart(TOTP_DIGITS, '0');
	for (let drift = -window; drift <= window; drift++) {
		if (totpFromKey(key, timeMs + drift * TOTP_STEP_SECONDS * 1000) === expected) return true;
	}
	return false;
}
