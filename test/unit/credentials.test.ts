import {
	DEFAULT_DEVICE_ID,
	credentialFingerprint,
	credentialsFromRecord,
	resolveEndpoints,
	resolveSocketUrl,
	validateCredentials,
	type NubraCredentials,
} from '../../client/credentials';
import { NubraError } from '../../client/errors';
import { NubraApi } from '../../credentials/NubraApi.credentials';

const totpCredential: NubraCredentials = {
	environment: 'production',
	authentication: 'totp',
	phone: '9876543210',
	mpin: '482619',
	totpSecret: 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP',
};

function configError(c: NubraCredentials): NubraError {
	try {
		validateCredentials(c);
	} catch (error) {
		if (error instanceof NubraError) return error;
		throw error;
	}
	throw new Error('validateCredentials accepted the credential');
}

describe('resolveEndpoints', () => {
	it('knows Production and UAT, and verifies TLS there', () => {
		expect(resolveEndpoints(totpCredential)).toEqual({
			restBaseUrl: 'https://api.nubra.io',
			defaultSocketUrl: 'wss://api.nubra.io/ws',
			defaultOrderServiceSocketUrl: 'wss://api.nubra.io/oms-socket-latest/ws',
			rejectUnauthorized: true,
		});
		expect(resolveEndpoints({ ...totpCredential, environment: 'uat' })).toEqual({
			restBaseUrl: 'https://uatapi.nubra.io',
			defaultSocketUrl: 'wss://uatapi.nubra.io/ws',
			defaultOrderServiceSocketUrl: 'wss://uatapi.nubra.io/oms-socket-latest/ws',
			rejectUnauthorized: true,
		});
	});

	it('ignores custom-only fields left over from a previous Custom choice', () => {
		const endpoints = resolveEndpoints({
			...totpCredential,
			environment: 'uat',
			restBaseUrl: 'http://127.0.0.1:1',
			socketUrl: 'ws://127.0.0.1:1/ws',
			allowUnauthorizedCerts: true,
		});
		expect(endpoints.restBaseUrl).toBe('https://uatapi.nubra.io');
		expect(endpoints.socketUrlOverride).toBeUndefined();
		expect(endpoints.rejectUnauthorized).toBe(true);
	});

	it.each([
		['http://127.0.0.1:8080', 'http://127.0.0.1:8080', 'ws://127.0.0.1:8080'],
		['http://127.0.0.1:8080/', 'http://127.0.0.1:8080', 'ws://127.0.0.1:8080'],
		[
			'https://relay.example.com/nubra/',
			'https://relay.example.com/nubra',
			'wss://relay.example.com/nubra',
		],
	])('derives both sockets from a custom REST URL %s', (input, rest, socketBase) => {
		const endpoints = resolveEndpoints({
			...totpCredential,
			environment: 'custom',
			restBaseUrl: input,
		});
		expect(endpoints.restBaseUrl).toBe(rest);
		expect(endpoints.defaultSocketUrl).toBe(`${socketBase}/ws`);
		expect(endpoints.defaultOrderServiceSocketUrl).toBe(`${socketBase}/oms-socket-latest/ws`);
		expect(endpoints.rejectUnauthorized).toBe(true);
	});

	it('honours a custom socket URL and "Ignore SSL Issues" only for Custom', () => {
		const endpoints = resolveEndpoints({
			...totpCredential,
			environment: 'custom',
			restBaseUrl: 'https://relay.example.com',
			socketUrl: ' wss://relay.example.com/socket ',
			allowUnauthorizedCerts: true,
		});
		expect(endpoints.socketUrlOverride).toBe('wss://relay.example.com/socket');
		expect(endpoints.rejectUnauthorized).toBe(false);
	});

	it.each([
		[{ restBaseUrl: '' }, 'has no REST Base URL'],
		[{ restBaseUrl: 'not a url' }, 'REST Base URL of the Nubra credential is not a valid URL'],
		[{ restBaseUrl: 'ftp://host' }, 'must start with http:// or https://'],
		[{ restBaseUrl: 'wss://host/ws' }, 'must start with http:// or https://'],
		[{ restBaseUrl: 'https://user:s3cretpass@host' }, 'must not contain a user name or password'],
		[
			{ restBaseUrl: 'http://host', socketUrl: 'http://host/ws' },
			'Socket URL of the Nubra credential must start with ws:// or wss://',
		],
	])('refuses a bad custom URL %j', (fields, message) => {
		const error = configError({ ...totpCredential, environment: 'custom', ...fields });
		expect(error.code).toBe('NUBRA_AUTH_CONFIG');
		expect(error.message).toContain(message);
		expect(error.hint).toBeTruthy();
		expect(error.message).not.toContain('s3cretpass');
		expect(error.message).not.toContain('not a url');
	});
});

describe('validateCredentials', () => {
	it('normalises a TOTP credential and applies the default device id', () => {
		const result = validateCredentials({
			...totpCredential,
			phone: ' 98765 43210 ',
			deviceId: '  ',
		});
		expect(result.phone).toBe('9876543210');
		expect(result.deviceId).toBe(DEFAULT_DEVICE_ID);
		expect(result.endpoints.restBaseUrl).toBe('https://api.nubra.io');
	});

	it.each([
		['phone', 'Phone Number'],
		['mpin', 'MPIN'],
		['totpSecret', 'TOTP Secret'],
	] as const)('names a missing %s without quoting anything else', (field, label) => {
		const error = configError({ ...totpCredential, [field]: '' });
		expect(error.code).toBe('NUBRA_AUTH_CONFIG');
		expect(error.message).toBe(`The Nubra credential has no ${label}, which TOTP login needs`);
		expect(error.hint).toContain(label);
		for (const secret of [totpCredential.mpin, totpCredential.totpSecret]) {
			expect(`${error.message} ${error.hint}`).not.toContain(secret);
		}
	});

	it('requires the session token in session-token mode, and only it', () => {
		const error = configError({ environment: 'production', authentication: 'sessionToken' });
		expect(error.message).toBe(
			'The Nubra credential has no Session Token, which session-token login needs',
		);
		const ok = validateCredentials({
			environment: 'uat',
			authentication: 'sessionToken',
			sessionToken: ' abc123 ',
		});
		expect(ok.sessionToken).toBe('abc123');
	});

	it('strips a pasted "Bearer " prefix and refuses a token with spaces inside', () => {
		const ok = validateCredentials({
			environment: 'production',
			authentication: 'sessionToken',
			sessionToken: 'Bearer tok-9f8e7d6c',
		});
		expect(ok.sessionToken).toBe('tok-9f8e7d6c');
		const error = configError({
			environment: 'production',
			authentication: 'sessionToken',
			sessionToken: 'tok 9f8e7d6c',
		});
		expect(error.message).toContain('contains spaces');
		expect(error.message).not.toContain('9f8e7d6c');
	});

	it('refuses a 6-digit code pasted as the TOTP secret, without quoting it', () => {
		const error = configError({ ...totpCredential, totpSecret: '123456' });
		expect(error.message).toBe('The TOTP Secret of the Nubra credential is not a base32 key');
		expect(error.hint).toContain('not a 6-digit code');
		expect(`${error.message}${error.hint}`).not.toContain('123456');
	});

	it.each([
		['phone', 'abc'],
		['mpin', '12ab'],
	] as const)('refuses a non-numeric %s', (field, value) => {
		const error = configError({ ...totpCredential, [field]: value });
		expect(error.message).toMatch(/digits only/);
		expect(error.message).not.toContain(value);
	});

	it('refuses unknown environments and authentication methods', () => {
		expect(configError({ ...totpCredential, environment: 'staging' as 'uat' }).message).toContain(
			'unknown environment',
		);
		expect(configError({ ...totpCredential, authentication: 'oauth' as 'totp' }).message).toContain(
			'unknown authentication method',
		);
	});
});

describe('credentialsFromRecord', () => {
	it('copies n8n credential data field by field, defaulting to Production + TOTP', () => {
		expect(
			credentialsFromRecord({ phone: 9876543210, mpin: '1234', allowUnauthorizedCerts: 'yes' }),
		).toEqual({
			environment: 'production',
			authentication: 'totp',
			phone: '9876543210',
			mpin: '1234',
			allowUnauthorizedCerts: false,
			restBaseUrl: undefined,
			socketUrl: undefined,
			totpSecret: undefined,
			sessionToken: undefined,
			deviceId: undefined,
		});
		expect(credentialsFromRecord(undefined).environment).toBe('production');
	});

	it('reads every field the n8n credential type declares', () => {
		// Hidden fields hold the shared session (client/sharedSession.ts), not credential input.
		const declared = new NubraApi().properties
			.filter((p) => p.type !== 'hidden')
			.map((p) => p.name)
			.sort();
		const read = Object.keys(credentialsFromRecord({})).sort();
		expect(read).toEqual(declared);
	});
});

describe('credentialFingerprint', () => {
	it('changes with any field that affects the session and is not the secret itself', () => {
		const base = credentialFingerprint(validateCredentials(totpCredential));
		expect(credentialFingerprint(validateCredentials({ ...totpCredential }))).toBe(base);
		expect(
			credentialFingerprint(validateCredentials({ ...totpCredential, mpin: '111111' })),
		).not.toBe(base);
		expect(
			credentialFingerprint(validateCredentials({ ...totpCredential, deviceId: 'other' })),
		).not.toBe(base);
		expect(
			credentialFingerprint(validateCredentials({ ...totpCredential, environment: 'uat' })),
		).not.toBe(base);
		expect(base).not.toContain(totpCredential.mpin);
		expect(base).toMatch(/^[0-9a-f]{64}$/);
	});
});

describe('resolveSocketUrl', () => {
	const endpoints = resolveEndpoints(totpCredential);
	it('prefers a custom override, then the announced URL, then the default', () => {
		expect(resolveSocketUrl(endpoints)).toBe('wss://api.nubra.io/ws');
		expect(resolveSocketUrl(endpoints, 'wss://api-latest.nubra.io/ws')).toBe(
			'wss://api-latest.nubra.io/ws',
		);
		expect(
			resolveSocketUrl({ ...endpoints, socketUrlOverride: 'ws://relay/ws' }, 'wss://x/ws'),
		).toBe('ws://relay/ws');
	});
});

describe('NubraApi credential type', () => {
	const type = new NubraApi();
	const byName = new Map(type.properties.map((p) => [p.name, p]));

	it('is the nubraApi credential with a documentation link', () => {
		expect(type.name).toBe('nubraApi');
		expect(type.displayName).toBe('Nubra API');
		expect(type.documentationUrl).toMatch(/^https:\/\/github\.com\/.+#credential$/);
	});

	it('masks every secret field', () => {
		for (const name of ['mpin', 'totpSecret', 'sessionToken']) {
			expect(byName.get(name)?.typeOptions?.password).toBe(true);
		}
	});

	it('shows custom URLs and "Ignore SSL Issues" only for Custom', () => {
		for (const name of ['restBaseUrl', 'socketUrl', 'allowUnauthorizedCerts']) {
			expect(byName.get(name)?.displayOptions?.show?.environment).toEqual(['custom']);
		}
	});

	it('shows login fields per authentication method, and a stable device id default', () => {
		for (const name of ['phone', 'mpin', 'totpSecret']) {
			expect(byName.get(name)?.displayOptions?.show?.authentication).toEqual(['totp']);
		}
		expect(byName.get('sessionToken')?.displayOptions?.show?.authentication).toEqual([
			'sessionToken',
		]);
		expect(byName.get('deviceId')?.default).toBe(DEFAULT_DEVICE_ID);
		expect(byName.get('deviceId')?.hint).toMatch(/same/);
	});

	it('offers exactly the environments and methods the client knows', () => {
		const values = (name: string) =>
			(byName.get(name)?.options ?? []).map((o) => ('value' in o ? o.value : undefined));
		expect(values('environment')).toEqual(['production', 'uat', 'custom']);
		expect(values('authentication')).toEqual(['totp', 'sessionToken']);
	});
});
