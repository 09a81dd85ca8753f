import { NubraAuthClient, type NubraAuthClientOptions } from '../../client/auth';
import type { NubraCredentials } from '../../client/credentials';
import { redactSecrets } from '../../client/logger';
import { flattenSentinelOrders } from '../../client/sentinel';
import { totp } from '../../client/totp';
import { STUB_ACCOUNT, startRestStub, type RestStub } from '../helpers/rest-stub';
import { nubraRejection } from '../helpers/rejection';

describe('NubraAuthClient against a scripted REST server', () => {
	let stub: RestStub;
	let credential: NubraCredentials;

	const client = (options: Partial<NubraAuthClientOptions> = {}) =>
		new NubraAuthClient({ credentials: () => credential, ...options });

	beforeEach(async () => {
		stub = await startRestStub();
		credential = {
			environment: 'custom',
			restBaseUrl: stub.url,
			authentication: 'totp',
			...STUB_ACCOUNT,
			deviceId: 'dev-test',
		};
	});
	afterEach(async () => {
		await stub.close();
	});

	describe('TOTP login', () => {
		it('logs in with /totp/login then /verifypin, as the protocol reference describes', async () => {
			const now = Date.now();
			const session = await client({ now: () => now }).getSession();
			const [login, pin] = stub.requests;
			expect(login.path).toBe('/totp/login');
			expect(login.headers['x-device-id']).toBe('dev-test');
			expect(login.body).toEqual({
				phone: STUB_ACCOUNT.phone,
				totp: Number(totp(STUB_ACCOUNT.totpSecret, now)),
				otp: '',
			});
			expect(pin.path).toBe('/verifypin');
			expect(pin.bearer).toBeDefined();
			expect(stub.authTokens.has(pin.bearer as string)).toBe(true);
			expect(pin.body).toEqual({ pin: STUB_ACCOUNT.mpin });
			expect(session).toEqual({
				sessionToken: expect.any(String),
				authToken: pin.bearer,
				deviceId: 'dev-test',
				restBaseUrl: stub.url,
				obtainedAt: now,
			});
			expect(stub.sessionTokens.has(session.sessionToken)).toBe(true);
		});

		it('caches the session, and many concurrent first callers share one login', async () => {
			const c = client();
			const sessions = await Promise.all(Array.from({ length: 20 }, () => c.getSession()));
			expect(new Set(sessions).size).toBe(1);
			await c.getSession();
			expect(stub.count('POST /totp/login')).toBe(1);
			expect(stub.count('POST /verifypin')).toBe(1);
		});

		it('re-reads the credential on every call and logs in again when it changed', async () => {
			const c = client();
			const first = await c.getSession();
			credential = { ...credential, deviceId: 'dev-other' };
			const second = await c.getSession();
			expect(second).not.toBe(first);
			expect(second.deviceId).toBe('dev-other');
			expect(stub.count('POST /totp/login')).toBe(2);
		});

		it('classifies a wrong TOTP secret as NUBRA_AUTH_TOTP_REJECTED with the clock hint', async () => {
			credential = { ...credential, totpSecret: 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ' };
			const error = await nubraRejection(client().getSession());
			expect(error.code).toBe('NUBRA_AUTH_TOTP_REJECTED');
			expect(error.httpStatus).toBe(401);
			expect(error.message).toBe(
				'Nubra refused the TOTP login (HTTP 401): the phone number is not registered or the TOTP code was wrong. Nubra said: "Invalid TOTP"',
			);
			expect(error.hint).toMatch(/clock/);
			expect(stub.count('POST /verifypin')).toBe(0);
		});

		it('treats a clock 2 minutes off like a wrong secret', async () => {
			const error = await nubraRejection(client({ now: () => Date.now() - 120_000 }).getSession());
			expect(error.code).toBe('NUBRA_AUTH_TOTP_REJECTED');
		});

		it('classifies a wrong MPIN as NUBRA_AUTH_MPIN_REJECTED', async () => {
			credential = { ...credential, mpin: '000000' };
			const error = await nubraRejection(client().getSession());
			expect(error.code).toBe('NUBRA_AUTH_MPIN_REJECTED');
			expect(error.message).toBe(
				'Nubra accepted the TOTP code but refused the MPIN (HTTP 401). Nubra said: "Invalid MPIN"',
			);
			expect(error.hint).toContain('MPIN');
		});

		it('points at the URL when the host answers but is not the Nubra API', async () => {
			stub.route('POST /totp/login', () => ({ status: 404, text: '<h1>Not Found</h1>' }));
			const notFound = await nubraRejection(client().getSession());
			expect(notFound.code).toBe('NUBRA_UNEXPECTED_RESPONSE');
			expect(notFound.message).toBe(
				'Nubra answered HTTP 404 to POST /totp/login (not a JSON answer)',
			);
			expect(notFound.hint).toContain('REST Base URL');

			stub.route('POST /totp/login', () => ({ status: 200, text: '<html>a web site</html>' }));
			const website = await nubraRejection(client().getSession());
			expect(website.message).toBe(
				'Nubra answered POST /totp/login (HTTP 200) without an auth token',
			);
			expect(website.hint).toContain('REST Base URL');
		});

		it('passes server errors on as NUBRA_UNEXPECTED_RESPONSE with status and text', async () => {
			stub.route('POST /verifypin', () => ({
				status: 503,
				body: { error: 'Maintenance window', nubra_error_code: '' },
			}));
			const error = await nubraRejection(client().getSession());
			expect(error.code).toBe('NUBRA_UNEXPECTED_RESPONSE');
			expect(error.httpStatus).toBe(503);
			expect(error.message).toBe(
				'Nubra answered HTTP 503 to POST /verifypin. Nubra said: "Maintenance window"',
			);
		});

		it('fails before any request when the credential is incomplete', async () => {
			credential = { ...credential, mpin: '' };
			const error = await nubraRejection(client().getSession());
			expect(error.code).toBe('NUBRA_AUTH_CONFIG');
			expect(stub.requests).toHaveLength(0);
		});
	});

	describe('re-authentication', () => {
		it('answers a 440 with one /verifypin refresh and one retry', async () => {
			const c = client();
			const first = await c.getSession();
			stub.sessionTokens.clear();
			const info = await c.userInfo(first);
			expect(info.userWsUrl).toBe('ws://127.0.0.1:1/ws');
			expect(stub.count('POST /verifypin')).toBe(2);
			expect(stub.count('POST /totp/login')).toBe(1);
			const renewed = await c.getSession();
			expect(renewed.sessionToken).not.toBe(first.sessionToken);
			expect(renewed.authToken).toBe(first.authToken);
		});

		it('falls back to a full login when the auth token has expired too', async () => {
			const c = client();
			await c.getSession();
			stub.sessionTokens.clear();
			stub.authTokens.clear();
			await c.userInfo();
			expect(stub.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
				'POST /totp/login',
				'POST /verifypin',
				'GET /userinfo',
				'POST /verifypin',
				'POST /totp/login',
				'POST /verifypin',
				'GET /userinfo',
			]);
		});

		it('treats 401 like 440 on authorized requests', async () => {
			const c = client();
			await c.getSession();
			let refusals = 1;
			stub.route('GET /userinfo', () =>
				refusals-- > 0
					? { status: 401, body: { error: 'Unauthorized' } }
					: { status: 200, body: { env_info: {} } },
			);
			await expect(c.userInfo()).resolves.toEqual({});
			expect(stub.count('GET /userinfo')).toBe(2);
		});

		it('never loops: a fresh session refused again is NUBRA_AUTH_SESSION_EXPIRED', async () => {
			const c = client();
			await c.getSession();
			stub.route('GET /userinfo', () => ({ status: 440 }));
			const error = await nubraRejection(c.userInfo());
			expect(error.code).toBe('NUBRA_AUTH_SESSION_EXPIRED');
			expect(error.message).toBe(
				'Nubra refused a freshly issued session (HTTP 440 on GET /userinfo)',
			);
			expect(error.hint).toContain('one session per account');
			expect(stub.count('GET /userinfo')).toBe(2);
			// The refused session is dropped, so the next caller starts with a new login.
			await c.getSession();
			expect(stub.count('POST /totp/login')).toBe(2);
		});

		it('single-flight: 50 concurrent refresh() calls cause exactly one /verifypin', async () => {
			const c = client();
			await c.getSession();
			const before = stub.count('POST /verifypin');
			const sessions = await Promise.all(Array.from({ length: 50 }, () => c.refresh('test')));
			expect(stub.count('POST /verifypin') - before).toBe(1);
			expect(new Set(sessions.map((s) => s.sessionToken)).size).toBe(1);
		});

		it('single-flight: concurrent requests that all hit 440 share one refresh', async () => {
			const c = client();
			await c.getSession();
			stub.sessionTokens.clear();
			const results = await Promise.all(Array.from({ length: 10 }, () => c.fetchSentinelOrders()));
			expect(results).toHaveLength(10);
			expect(stub.count('POST /verifypin')).toBe(2);
		});

		it('a late caller holding a stale session reuses the newer one instead of refreshing again', async () => {
			const c = client();
			const stale = await c.getSession();
			const fresh = await c.refresh('first');
			const count = stub.count('POST /verifypin');
			await expect(c.refresh('late', stale)).resolves.toBe(fresh);
			expect(stub.count('POST /verifypin')).toBe(count);
		});

		it('a refresh during a slow login joins it', async () => {
			let release: () => void = () => {};
			const gate = new Promise<void>((resolve) => (release = resolve));
			stub.route('POST /verifypin', async (request) => {
				await gate;
				stub.reset('POST /verifypin');
				return { status: 200, body: { session_token: `tok-${request.bearer ?? ''}` } };
			});
			const c = client();
			const login = c.getSession();
			await stub.waitForRequest((r) => r.path === '/verifypin');
			const refresh = c.refresh('meanwhile');
			release();
			expect(await refresh).toBe(await login);
			expect(stub.count('POST /verifypin')).toBe(1);
		});
	});

	describe('session-token mode', () => {
		beforeEach(() => {
			credential = {
				environment: 'custom',
				restBaseUrl: stub.url,
				authentication: 'sessionToken',
				sessionToken: 'pasted-0001',
			};
			stub.sessionTokens.add('pasted-0001');
		});

		it('uses the pasted token without any login request', async () => {
			const c = client();
			const session = await c.getSession();
			expect(session).toMatchObject({ sessionToken: 'pasted-0001', deviceId: 'n8n-nodes-nubra' });
			expect(session.authToken).toBeUndefined();
			await c.userInfo(session);
			expect(stub.requests.map((r) => r.path)).toEqual(['/userinfo']);
			expect(stub.requests[0].bearer).toBe('pasted-0001');
		});

		it('says what to do when the pasted token has expired', async () => {
			stub.sessionTokens.clear();
			const error = await nubraRejection(client().userInfo());
			expect(error.code).toBe('NUBRA_AUTH_SESSION_EXPIRED');
			expect(error.message).toBe(
				'The pasted Nubra session token has expired or is no longer valid',
			);
			expect(error.hint).toBe('Paste a new session token or switch the credential to TOTP login.');
			expect(stub.count('GET /userinfo')).toBe(1);
		});

		it('picks up a newly pasted token without re-activation', async () => {
			const c = client();
			await c.getSession();
			stub.sessionTokens.clear();
			stub.sessionTokens.add('pasted-0002');
			credential = { ...credential, sessionToken: 'pasted-0002' };
			await expect(c.userInfo()).resolves.toBeDefined();
			expect(stub.requests.at(-1)?.bearer).toBe('pasted-0002');
		});

		it('never logs out a pasted token', async () => {
			const c = client();
			await c.getSession();
			await c.logout();
			expect(stub.count('POST /logout')).toBe(0);
		});
	});

	describe('userInfo', () => {
		it('turns empty announced URLs into undefined and keeps real ones', async () => {
			stub.route('GET /userinfo', () => ({
				status: 200,
				body: {
					env_info: {
						user_ws_url: 'wss://api-latest.nubra.io/ws',
						order_service_ws_url: '',
						market_ws_url: '  ',
					},
				},
			}));
			await expect(client().userInfo()).resolves.toEqual({
				userWsUrl: 'wss://api-latest.nubra.io/ws',
				orderServiceWsUrl: undefined,
				marketWsUrl: undefined,
			});
		});

		it('ignores an announced URL that is not a websocket URL', async () => {
			stub.route('GET /userinfo', () => ({
				status: 200,
				body: { env_info: { user_ws_url: 'https://x/ws' } },
			}));
			await expect(client().userInfo()).resolves.toEqual({});
		});

		it('refuses an answer without env_info', async () => {
			stub.route('GET /userinfo', () => ({ status: 200, body: { hello: 1 } }));
			const error = await nubraRejection(client().userInfo());
			expect(error.code).toBe('NUBRA_UNEXPECTED_RESPONSE');
		});
	});

	describe('fetchSentinelOrders', () => {
		const row = (id: number, status: string) => ({
			intentOrderId: id,
			status,
			refData: { displayName: 'NIFTY' },
		});

		it('returns typed buckets, passes the filters, and flattens all rows', async () => {
			stub.route('GET /sentinel/orders', () => ({
				status: 200,
				body: {
					orders: {
						open: [row(1, 'OPEN')],
						executed: [row(2, 'EXECUTED'), null],
						rejected: [row(3, 'REJECTED')],
					},
				},
			}));
			const c = client();
			const orders = await c.fetchSentinelOrders(undefined, {
				intentOrderIds: [1, '2'],
				stratTags: ['a-b', 'c-d'],
			});
			const request = stub.requests.at(-1);
			expect(request?.query.get('intentOrderId')).toBe('1,2');
			expect(request?.query.get('stratTags')).toBe('a-b,c-d');
			expect(orders.open).toEqual([row(1, 'OPEN')]);
			expect(orders.executed).toEqual([row(2, 'EXECUTED')]);
			expect(orders.cancelled).toEqual([]);
			expect(orders.gtt).toEqual([]);
			expect(flattenSentinelOrders(orders).map((r) => r.intentOrderId)).toEqual([1, 2, 3]);
		});

		it('sends no query string without filters', async () => {
			await client().fetchSentinelOrders();
			expect([...(stub.requests.at(-1)?.query.keys() ?? [])]).toEqual([]);
		});

		it('refuses an answer without orders', async () => {
			stub.route('GET /sentinel/orders', () => ({ status: 200, body: [] }));
			await expect(client().fetchSentinelOrders()).rejects.toMatchObject({
				code: 'NUBRA_UNEXPECTED_RESPONSE',
			});
		});
	});

	describe('logout', () => {
		it('posts /logout with the auth token and forgets the session', async () => {
			const c = client();
			const session = await c.getSession();
			await c.logout();
			const request = stub.requests.at(-1);
			expect(request?.path).toBe('/logout');
			expect(request?.bearer).toBe(session.authToken);
			await c.getSession();
			expect(stub.count('POST /totp/login')).toBe(2);
		});

		it('is best effort: an unreachable server does not throw', async () => {
			const c = client();
			await c.getSession();
			await stub.close();
			await expect(c.logout()).resolves.toBeUndefined();
		});
	});

	it('aborts in-flight requests through the client signal', async () => {
		stub.route('POST /totp/login', () => 'hang');
		const controller = new AbortController();
		const pending = client({ signal: controller.signal }).getSession();
		await stub.waitForRequest((r) => r.path === '/totp/login');
		controller.abort(new Error('trigger closed'));
		await expect(pending).rejects.toThrow('trigger closed');
	});

	it('times out per request with requestTimeoutMs', async () => {
		stub.route('POST /totp/login', () => 'hang');
		const error = await nubraRejection(client({ requestTimeoutMs: 50 }).getSession());
		expect(error.code).toBe('NUBRA_UNREACHABLE');
		expect(error.message).toContain('(ETIMEDOUT)');
	});
});

describe('redactSecrets', () => {
	it('from a server: removes known secrets and token-shaped text, drops markup and caps the length', () => {
		const serverText = (text: string, secrets: string[] = []) =>
			redactSecrets(text, secrets, { fromServer: true });
		const text = serverText(
			'bad token Bearer abc.def for 4f1e2d3c-1111-2222-3333-444455556666 jwt eyJhbGciOi.eyJzdWIi.sig pin 482619 key JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP',
			['482619'],
		);
		expect(text).toBe(
			'bad token Bearer [redacted] for [redacted] jwt [redacted] pin [redacted] key [redacted]',
		);
		expect(serverText('x'.repeat(20).split('').join(' ').repeat(30))).toHaveLength(200);
		expect(serverText('<html><body>Bad   gateway</body></html>')).toBe('Bad gateway');
	});

	it('from elsewhere: replaces only the known secrets of four characters or more', () => {
		const url = 'wss://api.nubra.io/oms-socket-latest/ws?token=SESSION-TOKEN-1';
		expect(redactSecrets(`failed ${url} (abc)`, ['SESSION-TOKEN-1', 'abc', undefined])).toBe(
			'failed wss://api.nubra.io/oms-socket-latest/ws?token=[redacted] (abc)',
		);
	});
});
