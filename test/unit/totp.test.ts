import { decodeBase32, hotp, totp, totpFromKey, verifyTotp } from '../../client/totp';

describe('TOTP (RFC 6238, SHA-1)', () => {
	// RFC 6238 appendix B: the SHA-1 key is the ASCII string "12345678901234567890".
	const key = Buffer.from('12345678901234567890', 'ascii');

	it.each([
		[59, '94287082'],
		[1111111109, '07081804'],
		[1111111111, '14050471'],
		[1234567890, '89005924'],
		[2000000000, '69279037'],
		[20000000000, '65353130'],
	])('at %i s gives %s', (seconds, expected) => {
		expect(totpFromKey(key, seconds * 1000, 8)).toBe(expected);
	});

	it('gives 6-digit codes by default, keeping leading zeros', () => {
		// The 8-digit vector 07081804 ends in 081804.
		expect(totpFromKey(key, 1111111109 * 1000)).toBe('081804');
	});

	// RFC 4226 appendix D, same key.
	it.each([
		[0, '755224'],
		[1, '287082'],
		[9, '520489'],
	])('HOTP counter %i gives %s', (counter, expected) => {
		expect(hotp(key, counter)).toBe(expected);
	});

	it('uses 30-second steps', () => {
		const secret = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';
		expect(totp(secret, 30_000)).toBe(totp(secret, 59_999));
		expect(totp(secret, 60_000)).not.toBe(totp(secret, 59_999));
	});

	it('accepts one step of drift either side, not two', () => {
		const secret = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';
		const now = 1_700_000_000_000;
		expect(verifyTotp(secret, totp(secret, now - 30_000), now)).toBe(true);
		expect(verifyTotp(secret, totp(secret, now + 30_000), now)).toBe(true);
		expect(verifyTotp(secret, totp(secret, now - 60_000), now)).toBe(false);
	});
});

describe('decodeBase32', () => {
	it('decodes the RFC 6238 key from its base32 form', () => {
		expect(decodeBase32('GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ').toString('ascii')).toBe(
			'12345678901234567890',
		);
	});

	it.each([
		['', ''],
		['MY', 'f'],
		['MZXQ', 'fo'],
		['MZXW6', 'foo'],
		['MZXW6YQ', 'foob'],
		['MZXW6YTB', 'fooba'],
		['MZXW6YTBOI', 'foobar'],
	])('RFC 4648 vector %j decodes to %j', (encoded, decoded) => {
		if (encoded === '') {
			expect(() => decodeBase32(encoded)).toThrow('The TOTP secret is empty');
			return;
		}
		expect(decodeBase32(encoded).toString('ascii')).toBe(decoded);
	});

	it('ignores case, spaces, dashes and padding, as authenticator apps show them', () => {
		expect(decodeBase32('mzxw 6ytb-oi======').toString('ascii')).toBe('foobar');
	});

	it('refuses non-base32 text without quoting it', () => {
		let message = '';
		try {
			decodeBase32('NOT-BASE32-1890');
		} catch (error) {
			message = (error as Error).message;
		}
		expect(message).toBe('The TOTP secret is not base32 (letters A-Z and digits 2-7)');
		expect(message).not.toContain('1890');
	});
});
