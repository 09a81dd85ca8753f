import { randomBytes, randomUUID } from 'node:crypto';

/** Why a token was refused; REST maps every one of these to HTTP 440. */
export type TokenRefusal = 'unknown' | 'expired' | 'device-mismatch';

interface TokenRecord {
	expiresAt: number;
	/** Bound at login; undefined for control-issued tokens until their first use. */
	deviceId: string | undefined;
	revoked: boolean;
}

interface SessionRecord extends TokenRecord {
	authToken: string;
}

export interface SessionStoreOptions {
	sessionTokenTtlMs: number;
	authTokenTtlMs: number;
	singleSession: boolean;
	/** Told after tokens were revoked, so live sockets on them can be ended. */
	onRevoked?: () => void;
}

/** What the account's tokens went through, for tests that count logins. */
export interface SessionCounts {
	/** Auth tokens issued: full logins (TOTP, OTP or `control.issueSession`). */
	logins: number;
	/** Session tokens minted: each login, and each `/verifypin` renewal. */
	sessionsIssued: number;
}

export type TokenCheck = { ok: true } | { ok: false; reason: TokenRefusal };

/**
 * Auth tokens (from OTP or TOTP login, refreshable through /verifypin) and the session tokens
 * minted from them. A token is bound to the device id of its login, as Nubra requires the same
 * `x-device-id` through one login.
 */
export class SessionStore {
	readonly #options: SessionStoreOptions;
	readonly #authTokens = new Map<string, TokenRecord>();
	readonly #sessions = new Map<string, SessionRecord>();
	readonly #tempTokens = new Set<string>();
	readonly #counts: SessionCounts = { logins: 0, sessionsIssued: 0 };

	constructor(options: SessionStoreOptions) {
		this.#options = options;
	}

	issueTempToken(): string {
		const token = randomUUID();
		this.#tempTokens.add(token);
		return token;
	}

	isTempToken(token: string): boolean {
		return this.#tempTokens.has(token);
	}

	/** A temp token is good for one successful OTP verification. */
	consumeTempToken(token: string): void {
		this.#tempTokens.delete(token);
	}

	get counts(): SessionCounts {
		return { ...this.#counts };
	}

	issueAuthToken(deviceId: string | undefined): string {
		this.#counts.logins++;
		if (this.#options.singleSession) this.#revokeAll();
		const token = randomUUID();
		this.#authTokens.set(token, {
			expiresAt: Date.now() + this.#options.authTokenTtlMs,
			deviceId,
			revoked: false,
		});
		return token;
	}

	issueSessionToken(authToken: string): string {
		this.#counts.sessionsIssued++;
		if (this.#options.singleSession) {
			for (const session of this.#sessions.values()) session.revoked = true;
			this.#options.onRevoked?.();
		}
		const auth = this.#authTokens.get(authToken);
		// Shaped like the real one (a long opaque base64url string), not a uuid, so clients
		// cannot confuse the two kinds in tests.
		const token = randomBytes(48).toString('base64url');
		this.#sessions.set(token, {
			authToken,
			expiresAt: Date.now() + this.#options.sessionTokenTtlMs,
			deviceId: auth?.deviceId,
			revoked: false,
		});
		return token;
	}

	checkAuthToken(token: string, deviceId: string | undefined): TokenCheck {
		return check(this.#authTokens.get(token), deviceId);
	}

	checkSessionToken(token: string, deviceId: string | undefined): TokenCheck {
		return check(this.#sessions.get(token), deviceId);
	}

	/** Whether the token is a live session token, whatever the device (the socket sends none). */
	isLiveSession(token: string): boolean {
		const session = this.#sessions.get(token);
		return session !== undefined && !session.revoked && Date.now() < session.expiresAt;
	}

	revokeSession(token: string): void {
		const session = this.#sessions.get(token);
		if (session) session.revoked = true;
		this.#options.onRevoked?.();
	}

	/** Logout: the auth token and every session minted from it. */
	revokeLogin(token: string): void {
		const authToken = this.#sessions.get(token)?.authToken ?? token;
		const auth = this.#authTokens.get(authToken);
		if (auth) auth.revoked = true;
		for (const session of this.#sessions.values()) {
			if (session.authToken === authToken) session.revoked = true;
		}
		this.#options.onRevoked?.();
	}

	expireAll(): void {
		this.#revokeAll();
		this.#options.onRevoked?.();
	}

	#revokeAll(): void {
		for (const auth of this.#authTokens.values()) auth.revoked = true;
		for (const session of this.#sessions.values()) session.revoked = true;
	}
}

function check(record: TokenRecord | undefined, deviceId: string | undefined): TokenCheck {
	if (!record) return { ok: false, reason: 'unknown' };
	if (record.revoked || Date.now() >= record.expiresAt) return { ok: false, reason: 'expired' };
	if (record.deviceId === undefined) {
		record.deviceId = deviceId;
	} else if (record.deviceId !== deviceId) {
		return { ok: false, reason: 'device-mismatch' };
	}
	return { ok: true };
}
