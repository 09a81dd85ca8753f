import { createHash } from 'node:crypto';
import { NubraAuthClient, type NubraSession } from './auth';
import { type NubraCredentials, type ValidatedCredentials } from './credentials';

/**
 * A session written where every process of one n8n can read it (the credential's hidden,
 * encrypted `sharedSession` field), so a queue-mode worker uses the session the main process
 * logged in with instead of logging in again, which would end it.
 */

/** One account of one environment; no secret goes into it, so it can sit beside the session. */
export function sharedAccountId(credentials: ValidatedCredentials): string {
	const material = [
		credentials.environment,
		credentials.endpoints.restBaseUrl,
		credentials.phone ?? '',
		credentials.deviceId,
	];
	return createHash('sha256').update(JSON.stringify(material)).digest('hex').slice(0, 24);
}

interface StoredSession extends NubraSession {
	account: string;
}

export function encodeSharedSession(
	session: NubraSession,
	credentials: ValidatedCredentials,
): string {
	const stored: StoredSession = {
		sessionToken: session.sessionToken,
		deviceId: session.deviceId,
		restBaseUrl: session.restBaseUrl,
		obtainedAt: session.obtainedAt,
		account: sharedAccountId(credentials),
	};
	if (session.authToken !== undefined) stored.authToken = session.authToken;
	return JSON.stringify(stored);
}

/**
 * The stored session when it belongs to this credential's account and endpoint; undefined for
 * an empty, malformed or foreign one (e.g. left over from before the phone number was edited).
 */
export function decodeSharedSession(
	text: unknown,
	credentials: ValidatedCredentials,
): NubraSession | undefined {
	if (typeof text !== 'string' || text === '') return undefined;
	let value: unknown;
	try {
		value = JSON.parse(text);
	} catch {
		return undefined;
	}
	if (value === null || typeof value !== 'object') return undefined;
	const stored = value as Partial<StoredSession>;
	if (stored.account !== sharedAccountId(credentials)) return undefined;
	if (typeof stored.sessionToken !== 'string' || stored.sessionToken === '') return undefined;
	if (
		stored.deviceId !== credentials.deviceId ||
		stored.restBaseUrl !== credentials.endpoints.restBaseUrl
	)
		return undefined;
	const session: NubraSession = {
		sessionToken: stored.sessionToken,
		deviceId: stored.deviceId,
		restBaseUrl: stored.restBaseUrl,
		obtainedAt: typeof stored.obtainedAt === 'number' ? stored.obtainedAt : 0,
	};
	if (typeof stored.authToken === 'string' && stored.authToken !== '')
		session.authToken = stored.authToken;
	return session;
}

export interface SharedLoginOptions {
	/** The auth token of the session being replaced: `/verifypin` alone renews it without a new login. */
	renewAuthToken?: string;
	now?: () => number;
	requestTimeoutMs?: number;
}

/**
 * The login the shared store performs (the credential's `preAuthentication`): with a still-valid
 * auth token only the MPIN step (`/verifypin`); otherwise the full TOTP login; a pasted session
 * token is adopted as it is.
 */
export async function loginForSharedSession(
	credentials: NubraCredentials,
	options: SharedLoginOptions = {},
): Promise<NubraSession> {
	const client = new NubraAuthClient({
		credentials: () => credentials,
		now: options.now,
		requestTimeoutMs: options.requestTimeoutMs,
	});
	return await client.login({ renewing: options.renewAuthToken });
}
