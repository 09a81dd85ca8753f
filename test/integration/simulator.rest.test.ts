import { totp } from '../../client/totp';
import { DEMO_OTP, startSimulator, type RunningSimulator } from '../../simulator';
import { DEVICE_ID, http, login } from '../helpers/simulator-client';

/** Every REST endpoint of the simulator, with right and wrong input, over real HTTP. */
describe('simulator REST', () => {
	let sim: RunningSimulator;
	const withDevice = (extra: Record<string, string> = {}) => ({
		'x-device-id': DEVICE_ID,
		...extra,
	});
	const bearer = (token: string) => withDevice({ authorization: `Bearer ${token}` });

	beforeEach(async () => {
		sim = await startSimulator();
	});
	afterEach(() => sim.close());

	describe('OTP login', () => {
		it('sends an OTP and accepts the demo OTP with the temp token', async () => {
			const sent = await http(`${sim.restUrl}/sendphoneotp`, {
				body: { phone: sim.credentials.phone, skip_totp: false },
			});
			expect(sent.status).toBe(200);
			expect(sent.json).toMatchObject({ next: 'VERIFY_MOBILE', temp_token: expect.any(String) });

			const headers = withDevice({ 'x-temp-token': String(sent.json.temp_token) });
			const wrong = await http(`${sim.restUrl}/verifyphoneotp`, {
				headers,
				body: { phone: sim.credentials.phone, otp: '000000' },
			});
			expect(wrong.status).toBe(401);
			expect(wrong.json).toEqual({ error: 'Invalid OTP', nubra_error_code: 'INVALID_OTP' });

			const right = await http(`${sim.restUrl}/verifyphoneotp`, {
				headers,
				body: { phone: sim.credentials.phone, otp: DEMO_OTP },
			});
			expect(right.status).toBe(201);
			expect(right.json).toEqual({
				auth_token: expect.stringMatching(/^[0-9a-f-]{36}$/),
				next: 'ENTER_MPIN',
			});

			const reused = await http(`${sim.restUrl}/verifyphoneotp`, {
				headers,
				body: { phone: sim.credentials.phone, otp: DEMO_OTP },
			});
			expect(reused.status).toBe(440);
		});

		it('refuses an unknown phone and a missing device id', async () => {
			const unknown = await http(`${sim.restUrl}/sendphoneotp`, { body: { phone: '1111111111' } });
			expect(unknown.status).toBe(400);
			expect(unknown.json.error).toMatch(/not registered/);

			const sent = await http(`${sim.restUrl}/sendphoneotp`, {
				body: { phone: sim.credentials.phone },
			});
			const noDevice = await http(`${sim.restUrl}/verifyphoneotp`, {
				headers: { 'x-temp-token': String(sent.json.temp_token) },
				body: { phone: sim.credentials.phone, otp: DEMO_OTP },
			});
			expect(noDevice.status).toBe(400);
			expect(noDevice.json.nubra_error_code).toBe('DEVICE_ID_REQUIRED');
		});
	});

	describe('TOTP login', () => {
		const code = () => Number(totp(sim.credentials.totpSecret));

		it('returns an auth token for the right phone and TOTP', async () => {
			const result = await http(`${sim.restUrl}/totp/login`, {
				headers: withDevice(),
				body: { phone: sim.credentials.phone, totp: code(), otp: '' },
			});
			expect(result.status).toBe(201);
			expect(result.json).toEqual({ auth_token: expect.any(String), next: 'ENTER_MPIN' });
		});

		it.each([
			[
				'a wrong code',
				() => ({ phone: sim.credentials.phone, totp: (code() + 1) % 1_000_000, otp: '' }),
			],
			['a wrong phone', () => ({ phone: '9000000000', totp: code(), otp: '' })],
		])('answers 401 Invalid TOTP for %s', async (_name, body) => {
			const result = await http(`${sim.restUrl}/totp/login`, {
				headers: withDevice(),
				body: body(),
			});
			expect(result.status).toBe(401);
			expect(result.json).toEqual({ error: 'Invalid TOTP', nubra_error_code: 'INVALID_TOTP' });
		});

		it('answers 400 for a missing device id, a non-numeric TOTP and a body that is not JSON', async () => {
			const noDevice = await http(`${sim.restUrl}/totp/login`, {
				body: { phone: sim.credentials.phone, totp: code(), otp: '' },
			});
			expect(noDevice.status).toBe(400);
			const notNumber = await http(`${sim.restUrl}/totp/login`, {
				headers: withDevice(),
				body: { phone: sim.credentials.phone, totp: 'abc' },
			});
			expect(notNumber.status).toBe(400);
			const response = await fetch(`${sim.restUrl}/totp/login`, {
				method: 'POST',
				headers: withDevice(),
				body: '{not json',
			});
			expect(response.status).toBe(400);
			await response.text();
		});
	});

	describe('MPIN', () => {
		it('mints a session token, again on refresh, and refuses a wrong MPIN', async () => {
			const { authToken, sessionToken } = await login(sim);
			expect(sessionToken).not.toBe(authToken);

			const again = await http(`${sim.restUrl}/verifypin`, {
				headers: bearer(authToken),
				body: { pin: sim.credentials.mpin },
			});
			expect(again.status).toBe(200);
			expect(again.json).toMatchObject({ next: 'DASHBOARD', userId: expect.any(Number) });
			expect(again.json.session_token).not.toBe(sessionToken);

			const wrong = await http(`${sim.restUrl}/verifypin`, {
				headers: bearer(authToken),
				body: { pin: '0000' },
			});
			expect(wrong.status).toBe(401);
			expect(wrong.json).toEqual({ error: 'Invalid MPIN', nubra_error_code: 'INVALID_MPIN' });
		});

		it('answers 440 for an unknown auth token, 401 for none, 440 for a changed device', async () => {
			const { authToken } = await login(sim);
			const unknown = await http(`${sim.restUrl}/verifypin`, {
				headers: bearer('not-a-token'),
				body: { pin: sim.credentials.mpin },
			});
			expect(unknown.status).toBe(440);
			const none = await http(`${sim.restUrl}/verifypin`, {
				headers: withDevice(),
				body: { pin: sim.credentials.mpin },
			});
			expect(none.status).toBe(401);
			const otherDevice = await http(`${sim.restUrl}/verifypin`, {
				headers: { 'x-device-id': 'another-device', authorization: `Bearer ${authToken}` },
				body: { pin: sim.credentials.mpin },
			});
			expect(otherDevice.status).toBe(440);
			expect(otherDevice.json.nubra_error_code).toBe('DEVICE_MISMATCH');
		});

		it('answers 440 once the auth token has outlived its TTL', async () => {
			await sim.close();
			sim = await startSimulator({ authTokenTtlMs: 0 });
			const first = await http(`${sim.restUrl}/totp/login`, {
				headers: withDevice(),
				body: {
					phone: sim.credentials.phone,
					totp: Number(totp(sim.credentials.totpSecret)),
					otp: '',
				},
			});
			const pin = await http(`${sim.restUrl}/verifypin`, {
				headers: bearer(String(first.json.auth_token)),
				body: { pin: sim.credentials.mpin },
			});
			expect(pin.status).toBe(440);
			expect(pin.json.error).toMatch(/expired/i);
		});
	});

	describe('userinfo', () => {
		it('reports the simulator socket URLs', async () => {
			const { sessionToken } = await login(sim);
			const info = await http(`${sim.restUrl}/userinfo`, { headers: bearer(sessionToken) });
			expect(info.status).toBe(200);
			expect(info.json).toMatchObject({
				env_info: {
					user_ws_url: sim.wsUrl,
					order_service_ws_url: sim.orderServiceWsUrl,
					market_ws_url: expect.any(String),
				},
				version_info: { status: 'ok' },
			});
		});

		it("reproduces UAT's empty order-service URL and a user-socket override", async () => {
			await sim.close();
			sim = await startSimulator({
				orderServiceWsUrl: '',
				userWsUrl: 'ws://127.0.0.1:1/elsewhere',
			});
			const { sessionToken } = await login(sim);
			const info = await http(`${sim.restUrl}/userinfo`, { headers: bearer(sessionToken) });
			expect(info.json.env_info).toMatchObject({
				order_service_ws_url: '',
				user_ws_url: 'ws://127.0.0.1:1/elsewhere',
			});
		});

		it('answers 440, without an error key, for an unknown session token', async () => {
			const info = await http(`${sim.restUrl}/userinfo`, { headers: bearer('garbage') });
			expect(info.status).toBe(440);
			expect(info.json).not.toHaveProperty('error');
		});

		it('answers 440 with an auth token, a changed device id, expired sessions and an elapsed TTL', async () => {
			const { authToken, sessionToken } = await login(sim);
			expect((await http(`${sim.restUrl}/userinfo`, { headers: bearer(authToken) })).status).toBe(
				440,
			);
			const otherDevice = await http(`${sim.restUrl}/userinfo`, {
				headers: { 'x-device-id': 'x', authorization: `Bearer ${sessionToken}` },
			});
			expect(otherDevice.status).toBe(440);
			sim.control.expireSessions();
			const expired = await http(`${sim.restUrl}/userinfo`, { headers: bearer(sessionToken) });
			expect(expired.status).toBe(440);
			expect(expired.json).toEqual({
				error: expect.stringMatching(/expired/i),
				nubra_error_code: 'SESSION_EXPIRED',
			});

			await sim.close();
			sim = await startSimulator({ sessionTokenTtlMs: 0 });
			const shortLived = await login(sim);
			expect(
				(await http(`${sim.restUrl}/userinfo`, { headers: bearer(shortLived.sessionToken) }))
					.status,
			).toBe(440);
		});

		it('accepts a control-issued session on any one device', async () => {
			const { sessionToken } = sim.control.issueSession();
			expect(
				(await http(`${sim.restUrl}/userinfo`, { headers: bearer(sessionToken) })).status,
			).toBe(200);
		});
	});

	describe('sessions across logins', () => {
		it('by default, as Nubra: a login ends the earlier sessions and is counted', async () => {
			const first = await login(sim);
			const second = await login(sim);
			expect(
				(await http(`${sim.restUrl}/userinfo`, { headers: bearer(first.sessionToken) })).status,
			).toBe(440);
			expect(
				(await http(`${sim.restUrl}/userinfo`, { headers: bearer(second.sessionToken) })).status,
			).toBe(200);
			expect(sim.control.sessionCounts).toEqual({ logins: 2, sessionsIssued: 2 });
		});

		it('keeps earlier tokens valid with singleSession: false', async () => {
			await sim.close();
			sim = await startSimulator({ singleSession: false });
			const first = await login(sim);
			await login(sim);
			expect(
				(await http(`${sim.restUrl}/userinfo`, { headers: bearer(first.sessionToken) })).status,
			).toBe(200);
		});

		it('logout ends the auth token and its sessions', async () => {
			const { authToken, sessionToken } = await login(sim);
			const out = await http(`${sim.restUrl}/logout`, {
				method: 'POST',
				headers: bearer(authToken),
			});
			expect(out.status).toBe(200);
			expect(
				(await http(`${sim.restUrl}/userinfo`, { headers: bearer(sessionToken) })).status,
			).toBe(440);
			expect(
				(await http(`${sim.restUrl}/logout`, { method: 'POST', headers: bearer(authToken) }))
					.status,
			).toBe(440);
		});
	});

	describe('sentinel orders', () => {
		it('buckets the book, filters by ids and tags, and writes int64 ids as bare literals', async () => {
			await sim.close();
			sim = await startSimulator({ bigIds: true });
			const { sessionToken } = await login(sim);
			const { control } = sim;
			const open = control.placeOrder({ tag: 'momentum-1' });
			control.applyStep(open.id, { type: 'accept' });
			control.applyStep(open.id, { type: 'partialFill', qty: 4 });
			const done = control.placeOrder({ tag: 'hedge' });
			control.applyStep(done.id, { type: 'accept' });
			control.applyStep(done.id, { type: 'fill' });
			const rejected = control.placeOrder();
			control.applyStep(rejected.id, { type: 'reject', reason: 'RMS: Insufficient margin' });
			const expired = control.placeOrder();
			control.applyStep(expired.id, { type: 'accept' });
			control.applyStep(expired.id, { type: 'expire' });
			const cancelled = control.placeOrder();
			control.applyStep(cancelled.id, { type: 'cancel' });

			const all = await http(`${sim.restUrl}/sentinel/orders`, { headers: bearer(sessionToken) });
			expect(all.status).toBe(200);
			expect(BigInt(open.id)).toBeGreaterThan(BigInt(Number.MAX_SAFE_INTEGER));
			expect(all.text).toContain(`"intentOrderId":${open.id},`);
			const orders = all.json.orders as Record<string, Record<string, unknown>[]>;
			expect(Object.keys(orders)).toEqual([
				'open',
				'executed',
				'cancelled',
				'expired',
				'rejected',
				'gtt',
			]);
			expect(orders.open).toHaveLength(1);
			expect(orders.open[0]).toMatchObject({
				status: 'OPEN',
				filledQty: 4,
				orderQty: 10,
				stratTags: ['momentum-1'],
				side: 'BUY',
				exchange: 'NSE',
			});
			expect(orders.open[0].refData).toMatchObject({
				displayName: 'RELIANCE',
				lotSize: 1,
				tickSize: 5,
			});
			const timestamps = orders.open[0].timestamps as Record<string, string | null>;
			expect(new Date(String(timestamps.lastModifiedAt)).toISOString()).toBe(
				timestamps.lastModifiedAt,
			);
			expect(orders.executed.map((row) => row.status)).toEqual(['EXECUTED']);
			expect(orders.rejected).toHaveLength(1);
			expect(orders.expired).toHaveLength(1);
			expect(orders.cancelled).toHaveLength(1);
			expect(orders.gtt).toEqual([]);

			const byTag = await http(`${sim.restUrl}/sentinel/orders?stratTags=hedge,swing`, {
				headers: bearer(sessionToken),
			});
			const tagged = byTag.json.orders as Record<string, unknown[]>;
			expect(Object.values(tagged).flat()).toHaveLength(1);
			expect(tagged.executed).toHaveLength(1);

			const byId = await http(
				`${sim.restUrl}/sentinel/orders?intentOrderId=${open.id},${rejected.id}`,
				{ headers: bearer(sessionToken) },
			);
			expect(Object.values(byId.json.orders as Record<string, unknown[]>).flat()).toHaveLength(2);
		});

		it('requires a live session', async () => {
			expect(
				(await http(`${sim.restUrl}/sentinel/orders`, { headers: bearer('nope') })).status,
			).toBe(440);
			expect((await http(`${sim.restUrl}/sentinel/orders`)).status).toBe(400);
		});
	});

	it('answers 404 for an unknown path and 405 for a wrong method, and reports requests without secrets', async () => {
		const seen: string[] = [];
		sim.control.on('request', (request) =>
			seen.push(`${request.method} ${request.path} ${request.status}`),
		);
		expect((await http(`${sim.restUrl}/nope`)).status).toBe(404);
		expect((await http(`${sim.restUrl}/userinfo`, { method: 'POST', body: {} })).status).toBe(405);
		await http(`${sim.restUrl}/sentinel/orders?intentOrderId=1`, {
			headers: bearer('secret-token'),
		});
		expect(seen).toEqual(['GET /nope 404', 'POST /userinfo 405', 'GET /sentinel/orders 440']);
	});
});
