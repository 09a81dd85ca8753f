import { createHmac, randomBytes } from 'node:crypto';
import { NUBRA_ERROR_CODES, NubraError } from './errors';
import { decodeBase32 } from './totp';

/**
 * The credential as the client sees it, independent of n8n. The n8n credential type
 * (`credentials/NubraApi.credentials.ts`) stores the same field names, so
 * {@link credentialsFromRecord} is a checked copy, not a translation.
 */
export type NubraEnvironment = 'production' | 'uat' | 'custom';
export type NubraAuthentication = 'totp' | 'sessionToken';

export interface NubraCredentials {
	environment: NubraEnvironment;
	/** Only read for `custom`: the REST base of a relay or of the local simulator. */
	restBaseUrl?: string;
	/** Only read for `custom`: overrides the socket URL that `/userinfo` announces. */
	socketUrl?: string;
	/** Only read for `custom`: skip TLS certificate checks (self-signed relays). */
	allowUnauthorizedCerts?: boolean;
	authentication: NubraAuthentication;
	phone?: string;
	mpin?: string;
	/** The base32 key shown when TOTP was enabled on the Nubra account. */
	totpSecret?: string;
	/** A session token pasted by the user (session-token mode). */
	sessionToken?: string;
	/** Sent as `x-device-id`; Nubra ties a login to it, so it must stay the same. */
	deviceId?: string;
}

export const DEFAULT_DEVICE_ID = 'n8n-nodes-nubra';

/** Path of the user socket on Nubra's API host. */
export const USER_SOCKET_PATH = '/ws';
/** Path of the order-service socket (SDK 0.5 guide), used when `/userinfo` announces none. */
export const ORDER_SERVICE_SOCKET_PATH = '/oms-socket-latest/ws';

/** Public endpoints from Nubra's REST documentation ("Environments") and SDK 0.5 guide. */
export const NUBRA_ENVIRONMENTS = {
	production: {
		restBaseUrl: 'https://api.nubra.io',
		defaultSocketUrl: `wss://api.nubra.io${USER_SOCKET_PATH}`,
		defaultOrderServiceSocketUrl: `wss://api.nubra.io${ORDER_SERVICE_SOCKET_PATH}`,
	},
	uat: {
		restBaseUrl: 'https://uatapi.nubra.io',
		defaultSocketUrl: `wss://uatapi.nubra.io${USER_SOCKET_PATH}`,
		defaultOrderServiceSocketUrl: `wss://uatapi.nubra.io${ORDER_SERVICE_SOCKET_PATH}`,
	},
} as const;

export interface NubraEndpoints {
	/** No trailing slash. */
	restBaseUrl: string;
	/** Used when `/userinfo` announces no usable socket URL. */
	defaultSocketUrl: string;
	/** Used when `/userinfo` announces no order-service socket URL (UAT sends an empty one). */
	defaultOrderServiceSocketUrl: string;
	/** Set only when a custom credential names a socket URL: it wins over `/userinfo`. */
	socketUrlOverride?: string;
	/** False only for a custom environment with "Ignore SSL Issues" on. */
	rejectUnauthorized: boolean;
}

/** A credential after {@link validateCredentials}: trimmed, defaults applied, endpoints resolved. */
export interface ValidatedCredentials extends NubraCredentials {
	deviceId: string;
	endpoints: NubraEndpoints;
}

const FIELD_LABELS = {
	restBaseUrl: 'REST Base URL',
	socketUrl: 'Socket URL',
	phone: 'Phone Number',
	mpin: 'MPIN',
	totpSecret: 'TOTP Secret',
	sessionToken: 'Session Token',
} as const;

function configError(message: string, hint: string): NubraError {
	return new NubraError(NUBRA_ERROR_CODES.AUTH_CONFIG, message, { hint });
}

function trimmed(value: string | undefined): string {
	return typeof value === 'string' ? value.trim() : '';
}

function requireField(
	value: string | undefined,
	field: keyof typeof FIELD_LABELS,
	mode: string,
): string {
	const clean = trimmed(value);
	if (clean === '') {
		throw configError(
			`The Nubra credential has no ${FIELD_LABELS[field]}, which ${mode} needs`,
			`Open the Nubra API credential and fill in "${FIELD_LABELS[field]}".`,
		);
	}
	return clean;
}

/**
 * Parses a custom URL. Errors name the field, never the value: a pasted URL can carry a
 * token in its query or user-info part.
 */
function parseUrl(value: string, field: 'restBaseUrl' | 'socketUrl', protocols: string[]): URL {
	let url: URL;
	try {
		url = new URL(value);
	} catch {
		throw configError(
			`The ${FIELD_LABELS[field]} of the Nubra credential is not a valid URL`,
			`Enter a full URL such as ${field === 'restBaseUrl' ? 'http://127.0.0.1:8080' : 'ws://127.0.0.1:8080/ws'}.`,
		);
	}
	if (!protocols.includes(url.protocol)) {
		throw configError(
			`The ${FIELD_LABELS[field]} of the Nubra credential must start with ${protocols.map((p) => `${p}//`).join(' or ')}`,
			'Check the protocol part of the URL in the Nubra API credential.',
		);
	}
	if (url.username !== '' || url.password !== '') {
		throw configError(
			`The ${FIELD_LABELS[field]} of the Nubra credential must not contain a user name or password`,
			'Remove the "user:password@" part; Nubra authenticates with the login fields instead.',
		);
	}
	return url;
}

function withoutTrailingSlash(url: URL): string {
	return url.href.replace(/\/+$/, '');
}

/** The REST base and socket defaults for a credential's environment. */
export function resolveEndpoints(c: NubraCredentials): NubraEndpoints {
	if (c.environment === 'production' || c.environment === 'uat') {
		return { ...NUBRA_ENVIRONMENTS[c.environment], rejectUnauthorized: true };
	}
	if (c.environment !== 'custom') {
		throw configError(
			'The Nubra credential has an unknown environment',
			'Open the Nubra API credential and choose Production, UAT or Custom.',
		);
	}
	const rest = parseUrl(
		requireField(c.restBaseUrl, 'restBaseUrl', 'a custom environment'),
		'restBaseUrl',
		['http:', 'https:'],
	);
	const restBaseUrl = withoutTrailingSlash(rest);
	// Nubra serves its sockets on the REST host, so a relay that mirrors the API does too.
	const socketOnRestHost = (socketPath: string): string => {
		const derived = new URL(restBaseUrl);
		derived.protocol = rest.protocol === 'https:' ? 'wss:' : 'ws:';
		derived.pathname = `${derived.pathname.replace(/\/+$/, '')}${socketPath}`;
		return derived.href;
	};
	const socketText = trimmed(c.socketUrl);
	const endpoints: NubraEndpoints = {
		restBaseUrl,
		defaultSocketUrl: socketOnRestHost(USER_SOCKET_PATH),
		defaultOrderServiceSocketUrl: socketOnRestHost(ORDER_SERVICE_SOCKET_PATH),
		rejectUnauthorized: c.allowUnauthorizedCerts !== true,
	};
	if (socketText !== '') {
		endpoints.socketUrlOverride = parseUrl(socketText, 'socketUrl', ['ws:', 'wss:']).href;
	}
	return endpoints;
}

/**
 * Checks a credential before any request is made and returns it normalised. Throws a
 * NubraError `NUBRA_AUTH_CONFIG` naming the missing or malformed field, never its value.
 */
export function validateCredentials(c: NubraCredentials): ValidatedCredentials {
	if (c === null || typeof c !== 'object') {
		throw configError(
			'No Nubra credential was given',
			'Select a Nubra API credential on the node.',
		);
	}
	const endpoints = resolveEndpoints(c);
	const deviceId = trimmed(c.deviceId) || DEFAULT_DEVICE_ID;
	const base = {
		environment: c.environment,
		restBaseUrl: c.environment === 'custom' ? endpoints.restBaseUrl : undefined,
		socketUrl: endpoints.socketUrlOverride,
		allowUnauthorizedCerts: c.environment === 'custom' ? c.allowUnauthorizedCerts === true : false,
		deviceId,
		endpoints,
	};
	if (c.authentication === 'sessionToken') {
		// People copy the whole header value from browser tools; the scheme is ours to add.
		const token = requireField(c.sessionToken, 'sessionToken', 'session-token login').replace(
			/^Bearer\s+/i,
			'',
		);
		if (/\s/.test(token)) {
			throw configError(
				'The Session Token of the Nubra credential contains spaces or line breaks',
				'Paste the session token alone, without quotes or surrounding text.',
			);
		}
		return { ...base, authentication: 'sessionToken', sessionToken: token };
	}
	if (c.authentication !== 'totp') {
		throw configError(
			'The Nubra credential has an unknown authentication method',
			'Open the Nubra API credential and choose TOTP Login or Session Token.',
		);
	}
	const phone = requireField(c.phone, 'phone', 'TOTP login').replace(/[\s-]/g, '');
	if (!/^\+?\d{6,15}$/.test(phone)) {
		throw configError(
			'The Phone Number of the Nubra credential should contain digits only',
			'Enter the mobile number registered with Nubra, e.g. 9876543210.',
		);
	}
	const mpin = requireField(c.mpin, 'mpin', 'TOTP login');
	if (!/^\d+$/.test(mpin)) {
		throw configError(
			'The MPIN of the Nubra credential should contain digits only',
			'Enter the numeric PIN you use to open the Nubra app.',
		);
	}
	const totpSecret = requireField(c.totpSecret, 'totpSecret', 'TOTP login');
	try {
		decodeBase32(totpSecret);
	} catch {
		throw configError(
			'The TOTP Secret of the Nubra credential is not a base32 key',
			'Paste the key shown when TOTP was enabled on Nubra (letters A-Z and digits 2-7), not a 6-digit code.',
		);
	}
	return { ...base, authentication: 'totp', phone, mpin, totpSecret };
}

/**
 * Copies a loosely typed record (n8n's decrypted credential data) into {@link NubraCredentials}.
 * Unknown or mistyped fields are dropped; {@link validateCredentials} reports what is missing.
 */
export function credentialsFromRecord(data: Record<string, unknown> | undefined): NubraCredentials {
	const record = data ?? {};
	const text = (key: string): string | undefined => {
		const value = record[key];
		if (typeof value === 'string') return value;
		// n8n hands number-looking input back as numbers when a field was filled by expression.
		if (typeof value === 'number' && Number.isFinite(value)) return String(value);
		return undefined;
	};
	const environment = text('environment');
	const authentication = text('authentication');
	return {
		environment: (environment ?? 'production') as NubraEnvironment,
		restBaseUrl: text('restBaseUrl'),
		socketUrl: text('socketUrl'),
		allowUnauthorizedCerts: record.allowUnauthorizedCerts === true,
		authentication: (authentication ?? 'totp') as NubraAuthentication,
		phone: text('phone'),
		mpin: text('mpin'),
		totpSecret: text('totpSecret'),
		sessionToken: text('sessionToken'),
		deviceId: text('deviceId'),
	};
}

const FINGERPRINT_KEY_SLOT = Symbol.for('n8n-nodes-nubra.fingerprint-key');

/**
 * Keyed per process, so a fingerprint is useless outside it (a 4-digit MPIN is guessable). The
 * key lives on `globalThis` so every copy of this module in the process agrees on account keys.
 */
function fingerprintKey(): Buffer {
	const holder = globalThis as typeof globalThis & { [FINGERPRINT_KEY_SLOT]?: Buffer };
	holder[FINGERPRINT_KEY_SLOT] ??= randomBytes(32);
	return holder[FINGERPRINT_KEY_SLOT];
}

/**
 * An opaque digest of everything that affects a session, to notice a changed credential
 * without keeping a copy of its secrets around for comparison. Never log it.
 */
export function credentialFingerprint(c: ValidatedCredentials): string {
	const material = [
		c.environment,
		c.endpoints.restBaseUrl,
		c.endpoints.socketUrlOverride ?? '',
		String(c.endpoints.rejectUnauthorized),
		c.authentication,
		c.phone ?? '',
		c.mpin ?? '',
		c.totpSecret ?? '',
		c.sessionToken ?? '',
		c.deviceId,
	];
	return createHmac('sha256', fingerprintKey()).update(JSON.stringify(material)).digest('hex');
}

/**
 * The socket URL to open: a custom override first, then what `/userinfo` announced, then the
 * environment's default. (An empty announced URL has already become `undefined`.)
 */
export function resolveSocketUrl(endpoints: NubraEndpoints, announced?: string): string {
	return endpoints.socketUrlOverride ?? announced ?? endpoints.defaultSocketUrl;
}
