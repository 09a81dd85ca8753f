import {
	credentialFingerprint,
	validateCredentials,
	type NubraCredentials,
	type ValidatedCredentials,
} from './credentials';
import { NUBRA_ERROR_CODES, NubraError, describeError, isNubraError } from './errors';
import { httpRequest, type HttpMethod, type HttpResponse } from './http';
import { redactSecrets, silentLogger, type NubraLogger } from './logger';
import { parseSentinelOrders, type SentinelOrders, type SentinelOrdersQuery } from './sentinel';
import { totp } from './totp';

export type { NubraLogger } from './logger';

export interface NubraSession {
	/** Bearer token for REST calls and the socket `subscribe` frame. */
	sessionToken: string;
	/** TOTP login only: lets `/verifypin` mint a new session token without a new TOTP. */
	authToken?: string;
	deviceId: string;
	restBaseUrl: string;
	/** Epoch milliseconds, from the client's clock (`now`). */
	obtainedAt: number;
}

/** Socket URLs announced by `GET /userinfo`; an empty announcement is `undefined`, never ''. */
export interface NubraUserInfo {
	userWsUrl?: string;
	orderServiceWsUrl?: string;
	marketWsUrl?: string;
}

export interface NubraAuthClientOptions {
	/** Read on every call, so an edited credential takes effect without re-activating. */
	credentials: () => NubraCredentials | Promise<NubraCredentials>;
	logger?: NubraLogger;
	/** Clock for TOTP codes and `obtainedAt`; epoch milliseconds. */
	now?: () => number;
	/** Per-request deadline; default 15 s. */
	requestTimeoutMs?: number;
	/** Aborts every request in flight and refuses new ones (e.g. when the trigger closes). */
	signal?: AbortSignal;
	/**
	 * Where other processes keep the account's session (n8n: the credential in its database).
	 * Asked before every login: a stored session is adopted instead of logging in, because a
	 * login would end the session the other processes use. Logins then go through the store.
	 */
	store?: () => SessionStore | undefined;
}

/** A session shared beyond this process. */
export interface SessionStore {
	/** The session stored for this account by any process, if any. */
	load(): Promise<NubraSession | undefined>;
	/** Logs in through the store, so the result is kept for the others; returns the new session. */
	login(): Promise<NubraSession>;
}

export interface AuthorizedRequestOptions {
	query?: Record<string, string>;
	body?: unknown;
	/** The session to use; default {@link NubraAuthClient.getSession}. */
	session?: NubraSession;
}

/** HTTP statuses that mean "this token is over": re-authenticate, never retry blindly. */
const REAUTH_STATUSES = new Set([401, 440]);
/** Statuses with which the login steps refuse what they were given. */
const REFUSED_STATUSES = new Set([400, 401, 403, 422]);

const URL_HINT =
	'Check that the environment (or the custom REST Base URL) in the Nubra API credential points to the Nubra REST API.';
const PASTED_TOKEN_HINT = 'Paste a new session token or switch the credential to TOTP login.';
const TOTP_HINT =
	"Check the Phone Number and the TOTP Secret (the base32 key shown when TOTP was enabled, not a 6-digit code), and that the n8n host's clock is correct: TOTP codes are only valid for 30 seconds.";
const MPIN_HINT =
	'Check the MPIN in the Nubra API credential: it is the numeric PIN you use to open the Nubra app. Repeated wrong MPINs can lock the account.';

function record(value: unknown): Record<string, unknown> | undefined {
	return value !== null && typeof value === 'object' && !Array.isArray(value)
		? (value as Record<string, unknown>)
		: undefined;
}

function nonEmptyString(value: unknown): string | undefined {
	return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

function socketUrl(value: unknown): string | undefined {
	const text = nonEmptyString(value);
	if (text === undefined) return undefined;
	try {
		const url = new URL(text);
		return url.protocol === 'ws:' || url.protocol === 'wss:' ? text : undefined;
	} catch {
		return undefined;
	}
}

interface ClientState {
	credentials: ValidatedCredentials;
	fingerprint: string;
}

interface CachedSession {
	session: NubraSession;
	fingerprint: string;
}

/**
 * Logs in to Nubra and keeps one session per credential. Framework-free: the n8n node and
 * a plain script use it the same way.
 *
 * Single flight: a login and a refresh share one slot, so any number of callers that find
 * the session expired at the same moment cause one round of requests, and all get its result.
 */
export class NubraAuthClient {
	readonly #readCredentials: () => NubraCredentials | Promise<NubraCredentials>;
	readonly #logger: NubraLogger;
	readonly #now: () => number;
	readonly #timeoutMs: number | undefined;
	readonly #signal: AbortSignal | undefined;
	#cached: CachedSession | undefined;
	#inflight: { fingerprint: string; promise: Promise<NubraSession> } | undefined;
	/** Secrets of the current credential, scrubbed from any server text we quote. */
	#secrets: string[] = [];
	/** Tokens this client was issued lately, scrubbed likewise. */
	#issued: string[] = [];
	readonly #store: () => SessionStore | undefined;
	#logins = 0;

	constructor(options: NubraAuthClientOptions) {
		this.#readCredentials = options.credentials;
		this.#logger = options.logger ?? silentLogger;
		this.#now = options.now ?? Date.now;
		this.#timeoutMs = options.requestTimeoutMs;
		this.#signal = options.signal;
		this.#store = options.store ?? (() => undefined);
	}

	/** The session in use now, if any (no request is made). */
	get currentSession(): NubraSession | undefined {
		return this.#cached?.session;
	}

	/** Full logins this client made (TOTP and MPIN, or through the store). */
	get loginCount(): number {
		return this.#logins;
	}

	/** The current session: cached, or a new login when there is none or the credential changed. */
	async getSession(): Promise<NubraSession> {
		const state = await this.#state();
		const cached = this.#cached;
		if (cached?.fingerprint === state.fingerprint) return cached.session;
		if (cached !== undefined) {
			this.#cached = undefined;
			this.#logger.info('Nubra credential changed; starting a new session');
		}
		return this.#singleFlight(state, () => this.#obtain(state));
	}

	/**
	 * A fresh login, whatever is cached, made directly (never through the session store: the
	 * store's own login calls this). Session-token mode adopts the pasted token.
	 *
	 * @param options.renewing - the auth token of a session being replaced: the MPIN step alone
	 *   renews it when it is still valid, without a new TOTP login.
	 */
	async login(options: { renewing?: string } = {}): Promise<NubraSession> {
		const state = await this.#state();
		const { renewing } = options;
		return this.#singleFlight(state, () =>
			renewing === undefined ? this.#establish(state) : this.#renew(state, 'store login', renewing),
		);
	}

	/**
	 * A new session after the current one was refused. TOTP mode first asks `/verifypin` with
	 * the still-valid auth token, then falls back to a full login; session-token mode has
	 * nothing to renew and throws `NUBRA_AUTH_SESSION_EXPIRED`.
	 *
	 * @param reason - for the debug log only.
	 * @param failed - the session that was refused; when a newer one already exists (another
	 *   caller refreshed first) it is returned without any request.
	 */
	async refresh(reason = 'requested', failed?: NubraSession): Promise<NubraSession> {
		const state = await this.#state();
		const cached = this.#cached;
		if (
			failed !== undefined &&
			cached?.fingerprint === state.fingerprint &&
			cached.session !== failed
		) {
			return cached.session;
		}
		const refused = failed ?? cached?.session;
		return this.#singleFlight(state, () => this.#renewShared(state, reason, refused));
	}

	/** Socket URLs from `GET /userinfo`. */
	async userInfo(session?: NubraSession): Promise<NubraUserInfo> {
		const body = await this.authorizedRequest('GET', '/userinfo', { session });
		const env = record(record(body)?.env_info);
		if (env === undefined) {
			throw new NubraError(
				NUBRA_ERROR_CODES.UNEXPECTED_RESPONSE,
				'Nubra answered GET /userinfo without env_info',
				{
					hint: URL_HINT,
				},
			);
		}
		const info: NubraUserInfo = {
			userWsUrl: socketUrl(env.user_ws_url),
			orderServiceWsUrl: socketUrl(env.order_service_ws_url),
			marketWsUrl: socketUrl(env.market_ws_url),
		};
		this.#logger.debug('Nubra /userinfo read', {
			userWsUrl: info.userWsUrl !== undefined,
			orderServiceWsUrl: info.orderServiceWsUrl !== undefined,
		});
		return info;
	}

	/** The order book snapshot of `GET /sentinel/orders`, grouped by bucket. */
	async fetchSentinelOrders(
		session?: NubraSession,
		query: SentinelOrdersQuery = {},
	): Promise<SentinelOrders> {
		const params: Record<string, string> = {};
		if (query.intentOrderIds?.length) params.intentOrderId = query.intentOrderIds.join(',');
		if (query.stratTags?.length) params.stratTags = query.stratTags.join(',');
		const body = await this.authorizedRequest('GET', '/sentinel/orders', {
			session,
			query: params,
		});
		const orders = parseSentinelOrders(body);
		if (orders === undefined) {
			throw new NubraError(
				NUBRA_ERROR_CODES.UNEXPECTED_RESPONSE,
				'Nubra answered GET /sentinel/orders without an orders object',
				{ hint: URL_HINT },
			);
		}
		return orders;
	}

	/**
	 * One REST call with the session token. A 440 or 401 triggers one refresh and one retry;
	 * a second refusal is `NUBRA_AUTH_SESSION_EXPIRED`. Other non-2xx answers are
	 * `NUBRA_UNEXPECTED_RESPONSE` with the status and Nubra's (sanitised) error text.
	 */
	async authorizedRequest(
		method: HttpMethod,
		path: string,
		options: AuthorizedRequestOptions = {},
	): Promise<unknown> {
		let session = options.session ?? (await this.getSession());
		let response = await this.#authorizedSend(method, path, session, options);
		if (REAUTH_STATUSES.has(response.status)) {
			this.#logger.debug('Nubra refused the session; re-authenticating once', {
				request: `${method} ${path}`,
				status: response.status,
			});
			session = await this.refresh(`HTTP ${response.status} on ${method} ${path}`, session);
			response = await this.#authorizedSend(method, path, session, options);
			if (REAUTH_STATUSES.has(response.status)) {
				this.#forget(session);
				throw new NubraError(
					NUBRA_ERROR_CODES.AUTH_SESSION_EXPIRED,
					`Nubra refused a freshly issued session (HTTP ${response.status} on ${method} ${path})`,
					{
						httpStatus: response.status,
						hint: 'Nubra keeps one session per account: another app or workflow logging in with the same phone number ends this one. Use one credential per account, then retry.',
					},
				);
			}
		}
		if (response.status < 200 || response.status >= 300) {
			throw this.#unexpected(response, `${method} ${path}`);
		}
		return response.body;
	}

	/**
	 * Ends the TOTP login on Nubra's side, best effort: failures are logged at debug and
	 * swallowed. A pasted session token is never logged out: the user may still be using it.
	 */
	async logout(): Promise<void> {
		const session = this.#cached?.session;
		this.#cached = undefined;
		if (session?.authToken === undefined) return;
		try {
			const state = await this.#state();
			const response = await this.#send(state, 'POST', `${session.restBaseUrl}/logout`, {
				authorization: `Bearer ${session.authToken}`,
				'x-device-id': session.deviceId,
			});
			this.#logger.debug('Nubra logout answered', { status: response.status });
		} catch (error) {
			this.#logger.debug('Nubra logout failed; ignoring', {
				code: isNubraError(error) ? error.code : 'UNKNOWN',
			});
		}
	}

	async #state(): Promise<ClientState> {
		const credentials = validateCredentials(await this.#readCredentials());
		this.#secrets = [credentials.mpin, credentials.totpSecret, credentials.sessionToken].filter(
			(s): s is string => typeof s === 'string' && s !== '',
		);
		return { credentials, fingerprint: credentialFingerprint(credentials) };
	}

	#singleFlight(state: ClientState, task: () => Promise<NubraSession>): Promise<NubraSession> {
		const inflight = this.#inflight;
		if (inflight?.fingerprint === state.fingerprint) return inflight.promise;
		// A login for an older version of the credential finishes first, so two never race.
		const previous = inflight?.promise.then(
			() => undefined,
			() => undefined,
		);
		const promise = (async () => {
			await previous;
			const session = await task();
			this.#cached = { session, fingerprint: state.fingerprint };
			return session;
		})();
		const slot = { fingerprint: state.fingerprint, promise };
		this.#inflight = slot;
		const clear = () => {
			if (this.#inflight === slot) this.#inflight = undefined;
		};
		promise.then(clear, clear);
		return promise;
	}

	/** A stored session when another process has one, else a login. */
	async #obtain(state: ClientState): Promise<NubraSession> {
		const store = this.#storeFor(state);
		if (store === undefined) return this.#establish(state);
		const { usable, stored } = await this.#loadFrom(store);
		if (!usable) return this.#establish(state);
		if (stored !== undefined) {
			this.#logger.debug('Nubra session taken from the shared store', {
				host: hostOf(stored.restBaseUrl),
			});
			return stored;
		}
		return this.#loginThrough(store, state, () => this.#establish(state));
	}

	/**
	 * After a refusal: a stored session newer than the refused one was made by another process,
	 * so adopt it; otherwise renew (through the store when there is one).
	 */
	async #renewShared(
		state: ClientState,
		reason: string,
		refused: NubraSession | undefined,
	): Promise<NubraSession> {
		const store = this.#storeFor(state);
		if (store === undefined) return this.#renew(state, reason);
		const { usable, stored } = await this.#loadFrom(store);
		if (!usable) return this.#renew(state, reason);
		if (stored !== undefined && stored.sessionToken !== refused?.sessionToken) {
			this.#logger.debug('Nubra session renewed by another process; adopting it', { reason });
			return stored;
		}
		return this.#loginThrough(store, state, () => this.#renew(state, reason));
	}

	/**
	 * A store the host cannot read right now (n8n 2.41 outside a trigger's activation) is not
	 * used for this login either: logging in through it could half-succeed and log in twice.
	 */
	async #loadFrom(store: SessionStore): Promise<{ usable: boolean; stored?: NubraSession }> {
		try {
			return { usable: true, stored: await store.load() };
		} catch (error) {
			this.#logger.info('Nubra session store cannot be used now; logging in directly', {
				error: redactSecrets(describeError(error), this.#secrets),
			});
			return { usable: false };
		}
	}

	#storeFor(state: ClientState): SessionStore | undefined {
		// A pasted token is the session: there is nothing to share or log in with.
		return state.credentials.authentication === 'sessionToken' ? undefined : this.#store();
	}

	/**
	 * Logs in through the store; when the host cannot run that login now (n8n 2.41 refuses
	 * authenticated requests from a trigger outside its activation), logs in directly instead:
	 * other processes then find their stored session refused and renew it themselves.
	 */
	async #loginThrough(
		store: SessionStore,
		state: ClientState,
		directly: () => Promise<NubraSession>,
	): Promise<NubraSession> {
		let session: NubraSession;
		try {
			session = await store.login();
		} catch (error) {
			this.#logger.warn(
				`Nubra session could not be kept in the credential (${redactSecrets(describeError(error), this.#secrets)}); logging in directly`,
			);
			return await directly();
		}
		this.#logins++;
		this.#remember(session.sessionToken);
		this.#logger.info('Nubra login succeeded (shared through the credential store)', {
			host: hostOf(state.credentials.endpoints.restBaseUrl),
			deviceId: state.credentials.deviceId,
			logins: this.#logins,
		});
		return session;
	}

	async #establish(state: ClientState): Promise<NubraSession> {
		const { credentials } = state;
		const restBaseUrl = credentials.endpoints.restBaseUrl;
		if (credentials.authentication === 'sessionToken') {
			this.#logger.debug('Nubra session token taken from the credential', {
				host: hostOf(restBaseUrl),
			});
			return {
				sessionToken: credentials.sessionToken as string,
				deviceId: credentials.deviceId,
				restBaseUrl,
				obtainedAt: this.#now(),
			};
		}
		const authToken = await this.#totpLogin(state);
		const session = await this.#verifyPin(state, authToken, 'login');
		this.#logins++;
		// One line per login, so operators can count them: every login ends the account's other sessions.
		this.#logger.info('Nubra login succeeded', {
			host: hostOf(restBaseUrl),
			deviceId: credentials.deviceId,
			logins: this.#logins,
		});
		return session;
	}

	async #renew(state: ClientState, reason: string, renewing?: string): Promise<NubraSession> {
		const cached = this.#cached?.fingerprint === state.fingerprint ? this.#cached : undefined;
		this.#logger.debug('Nubra session refresh', { reason });
		if (state.credentials.authentication === 'sessionToken') {
			// A token the user has just replaced is new, not expired.
			if (cached === undefined) return this.#establish(state);
			throw new NubraError(
				NUBRA_ERROR_CODES.AUTH_SESSION_EXPIRED,
				'The pasted Nubra session token has expired or is no longer valid',
				{ httpStatus: 440, hint: PASTED_TOKEN_HINT },
			);
		}
		const authToken = renewing ?? cached?.session.authToken;
		if (authToken !== undefined) {
			try {
				const session = await this.#verifyPin(state, authToken, 'refresh');
				this.#logger.info('Nubra session renewed with the MPIN (no new TOTP login)', {
					host: hostOf(session.restBaseUrl),
				});
				return session;
			} catch (error) {
				if (!(
					isNubraError(error) &&
					error.httpStatus !== undefined &&
					REAUTH_STATUSES.has(error.httpStatus)
				)) {
					throw error;
				}
				this.#logger.debug('Nubra auth token expired too; logging in again', {
					status: error.httpStatus,
				});
			}
		}
		return this.#establish(state);
	}

	async #totpLogin(state: ClientState): Promise<string> {
		const { credentials } = state;
		const code = totp(credentials.totpSecret as string, this.#now());
		// The code goes out as a number, so a server echoing the body shows it without leading zeros.
		const codeForms = [code, String(Number.parseInt(code, 10))];
		const response = await this.#send(
			state,
			'POST',
			`${credentials.endpoints.restBaseUrl}/totp/login`,
			{ 'x-device-id': credentials.deviceId },
			// Nubra's API takes the code as a number (its SDK sends int(totp)).
			{ phone: credentials.phone, totp: Number.parseInt(code, 10), otp: '' },
		);
		if (REFUSED_STATUSES.has(response.status)) {
			throw new NubraError(
				NUBRA_ERROR_CODES.AUTH_TOTP_REJECTED,
				`Nubra refused the TOTP login (HTTP ${response.status}): the phone number is not registered or the TOTP code was wrong${this.#quote(response, codeForms)}`,
				{ httpStatus: response.status, hint: TOTP_HINT },
			);
		}
		if (response.status < 200 || response.status >= 300) {
			throw this.#unexpected(response, 'POST /totp/login', codeForms);
		}
		const authToken = nonEmptyString(record(response.body)?.auth_token);
		if (authToken === undefined) {
			throw new NubraError(
				NUBRA_ERROR_CODES.UNEXPECTED_RESPONSE,
				`Nubra answered POST /totp/login (HTTP ${response.status}) without an auth token`,
				{ httpStatus: response.status, hint: URL_HINT },
			);
		}
		this.#remember(authToken);
		this.#logger.debug('Nubra TOTP login accepted', {
			host: hostOf(credentials.endpoints.restBaseUrl),
		});
		return authToken;
	}

	async #verifyPin(
		state: ClientState,
		authToken: string,
		purpose: 'login' | 'refresh',
	): Promise<NubraSession> {
		const { credentials } = state;
		const restBaseUrl = credentials.endpoints.restBaseUrl;
		const response = await this.#send(
			state,
			'POST',
			`${restBaseUrl}/verifypin`,
			{ authorization: `Bearer ${authToken}`, 'x-device-id': credentials.deviceId },
			{ pin: credentials.mpin },
		);
		if (response.status === 440 || (purpose === 'refresh' && response.status === 401)) {
			throw new NubraError(
				NUBRA_ERROR_CODES.AUTH_SESSION_EXPIRED,
				`The Nubra login expired before the MPIN step (HTTP ${response.status})`,
				{
					httpStatus: response.status,
					hint: "Try again. If it repeats, check that the n8n host's clock is correct.",
				},
			);
		}
		if (REFUSED_STATUSES.has(response.status)) {
			throw new NubraError(
				NUBRA_ERROR_CODES.AUTH_MPIN_REJECTED,
				`Nubra accepted the TOTP code but refused the MPIN (HTTP ${response.status})${this.#quote(response)}`,
				{ httpStatus: response.status, hint: MPIN_HINT },
			);
		}
		if (response.status < 200 || response.status >= 300) {
			throw this.#unexpected(response, 'POST /verifypin');
		}
		const sessionToken = nonEmptyString(record(response.body)?.session_token);
		if (sessionToken === undefined) {
			throw new NubraError(
				NUBRA_ERROR_CODES.UNEXPECTED_RESPONSE,
				`Nubra answered POST /verifypin (HTTP ${response.status}) without a session token`,
				{ httpStatus: response.status, hint: URL_HINT },
			);
		}
		this.#remember(sessionToken);
		return {
			sessionToken,
			authToken,
			deviceId: credentials.deviceId,
			restBaseUrl,
			obtainedAt: this.#now(),
		};
	}

	async #authorizedSend(
		method: HttpMethod,
		path: string,
		session: NubraSession,
		options: AuthorizedRequestOptions,
	): Promise<HttpResponse> {
		const state = await this.#state();
		const url = new URL(`${session.restBaseUrl}${path}`);
		for (const [key, value] of Object.entries(options.query ?? {}))
			url.searchParams.set(key, value);
		return this.#send(
			state,
			method,
			url,
			{ authorization: `Bearer ${session.sessionToken}`, 'x-device-id': session.deviceId },
			options.body,
		);
	}

	#send(
		state: ClientState,
		method: HttpMethod,
		url: string | URL,
		headers: Record<string, string>,
		body?: unknown,
	): Promise<HttpResponse> {
		return httpRequest({
			method,
			url,
			headers: { 'user-agent': 'n8n-nodes-nubra', 'x-device-os': 'n8n', ...headers },
			body,
			timeoutMs: this.#timeoutMs,
			rejectUnauthorized: state.credentials.endpoints.rejectUnauthorized,
			signal: this.#signal,
		});
	}

	#remember(token: string): void {
		this.#issued = [token, ...this.#issued.filter((t) => t !== token)].slice(0, 8);
	}

	/** Drops a session the server keeps refusing, so the next caller starts over. */
	#forget(session: NubraSession): void {
		if (this.#cached?.session === session) this.#cached = undefined;
	}

	#quote(response: HttpResponse, extraSecrets: string[] = []): string {
		const body = record(response.body);
		const text = nonEmptyString(body?.error) ?? nonEmptyString(body?.message);
		if (text === undefined) return '';
		return `. Nubra said: "${redactSecrets(text, [...this.#secrets, ...this.#issued, ...extraSecrets], { fromServer: true })}"`;
	}

	#unexpected(response: HttpResponse, request: string, extraSecrets: string[] = []): NubraError {
		const { status } = response;
		let hint =
			"This is usually temporary; if it persists, check Nubra's status and the credential's environment.";
		if (status === 404 || status === 405) hint = URL_HINT;
		else if (status === 429)
			hint = 'Nubra is rate-limiting this account; wait a minute before trying again.';
		else if (status === 403)
			hint = 'Nubra refused access; check that the account is active and API access is enabled.';
		const nonJson = typeof response.body === 'string' ? ' (not a JSON answer)' : '';
		return new NubraError(
			NUBRA_ERROR_CODES.UNEXPECTED_RESPONSE,
			`Nubra answered HTTP ${status} to ${request}${nonJson}${this.#quote(response, extraSecrets)}`,
			{ httpStatus: status, hint },
		);
	}
}

function hostOf(url: string): string {
	try {
		return new URL(url).host;
	} catch {
		return 'unknown host';
	}
}
