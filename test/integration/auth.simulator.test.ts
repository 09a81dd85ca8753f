import type { ICredentialsDecrypted } from 'n8n-workflow';
import { NubraAuthClient, type NubraLogger } from '../../client/auth';
import type { NubraCredentials } from '../../client/credentials';
import { httpRequest } from '../../client/http';
import { flattenSentinelOrders } from '../../client/sentinel';
import { testNubraCredential } from '../../nodes/NubraTrigger/credentialTest';
import {
	startSimulator,
	type RequestInfo,
	type RunningSimulator,
	type SimulatorOptions,
} from '../../simulator';
import { nubraRejection } from '../helpers/rejection';
import { simulatorCredentials } from '../helpers/simulator-credentials';
import { waitFor } from '../helpers/wait';

/**
 * The auth client against the Nubra simulator over real HTTP on 127.0.0.1: the same
 * endpoints, statuses and token rules as the protocol reference (sections 1, 2 and 8).
 */

describe('NubraAuthClient against the Nubra simulator', () => {
	let sim: RunningSimulator;
	let requests: RequestInfo[];
	let credential: NubraCredentials;

	const start = async (options: SimulatorOptions = {}) => {
		sim = await startSimulator(options);
		requests = [];
		sim.control.on('request', (request) => requests.push(request));
		credential = simulatorCredentials(sim);
	};
	const client = (logger?: NubraLogger) =>
		new NubraAuthClient({ credentials: () => credential, logger });
	const calls = () => requests.map((r) => `${r.method} ${r.path} ${r.status}`);
	const count = (path: string) => requests.filter((r) => r.path === path).length;

	afterEach(async () => {
		await sim.close();
	});

	describe('with default options', () => {
		beforeEach(() => start());

		it('logs in with TOTP and MPIN and reads the socket URLs from /userinfo', async () => {
			const c = client();
			const session = await c.getSession();
			expect(session.sessionToken.length).toBeGreaterThan(20);
			expect(session.authToken).toMatch(/^[0-9a-f-]{36}$/);
			await expect(c.userInfo(session)).resolves.toEqual({
				userWsUrl: sim.wsUrl,
				orderServiceWsUrl: sim.orderServiceWsUrl,
				marketWsUrl: expect.stringMatching(/^ws:\/\/127\.0\.0\.1:\d+\//),
			});
			expect(calls()).toEqual(['POST /totp/login 201', 'POST /verifypin 200', 'GET /userinfo 200']);
		});

		it.each([
			[
				'a wrong TOTP secret',
				{ totpSecret: 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ' },
				'NUBRA_AUTH_TOTP_REJECTED',
			],
			['an unregistered phone', { phone: '9000000000' }, 'NUBRA_AUTH_TOTP_REJECTED'],
			['a wrong MPIN', { mpin: '1357' }, 'NUBRA_AUTH_MPIN_REJECTED'],
		])('classifies %s', async (_label, change, code) => {
			credential = { ...credential, ...change };
			const error = await nubraRejection(client().getSession());
			expect(error.code).toBe(code);
			expect(error.httpStatus).toBe(401);
			expect(error.hint).toBeTruthy();
		});

		it('recovers from expired sessions and auth tokens with a full login, once', async () => {
			const c = client();
			await c.getSession();
			sim.control.expireSessions();
			await expect(c.userInfo()).resolves.toMatchObject({ userWsUrl: sim.wsUrl });
			expect(calls()).toEqual([
				'POST /totp/login 201',
				'POST /verifypin 200',
				'GET /userinfo 440',
				'POST /verifypin 440',
				'POST /totp/login 201',
				'POST /verifypin 200',
				'GET /userinfo 200',
			]);
		});

		it('single-flight: 30 concurrent refresh() calls send one /verifypin', async () => {
			const c = client();
			await c.getSession();
			const before = count('/verifypin');
			const sessions = await Promise.all(Array.from({ length: 30 }, () => c.refresh('concurrent')));
			expect(count('/verifypin') - before).toBe(1);
			expect(new Set(sessions).size).toBe(1);
		});

		it('single-flight: 20 concurrent requests that meet 440 share one re-login', async () => {
			const c = client();
			await c.getSession();
			sim.control.expireSessions();
			await Promise.all(Array.from({ length: 20 }, () => c.fetchSentinelOrders()));
			expect(count('/totp/login')).toBe(2);
			expect(count('/sentinel/orders')).toBe(40);
		});

		it('reads the order snapshot, filtered and flattened', async () => {
			const orders = [sim.control.placeOrder(), sim.control.placeOrder(), sim.control.placeOrder()];
			sim.control.applyStep(orders[0].id, { type: 'accept' });
			sim.control.applyStep(orders[1].id, { type: 'accept' });
			sim.control.applyStep(orders[1].id, { type: 'fill' });
			sim.control.applyStep(orders[2].id, { type: 'reject' });
			const c = client();
			const all = flattenSentinelOrders(await c.fetchSentinelOrders());
			expect(all.map((row) => String(row.intentOrderId)).sort()).toEqual(
				orders.map((o) => o.id).sort(),
			);
			const one = await c.fetchSentinelOrders(undefined, { intentOrderIds: [orders[1].id] });
			expect(flattenSentinelOrders(one).map((row) => String(row.intentOrderId))).toEqual([
				orders[1].id,
			]);
			expect(one.executed).toHaveLength(1);
		});

		it('uses a pasted session token and explains when it has expired', async () => {
			credential = {
				environment: 'custom',
				restBaseUrl: sim.restUrl,
				authentication: 'sessionToken',
				sessionToken: sim.control.issueSession().sessionToken,
			};
			const c = client();
			await expect(c.userInfo()).resolves.toMatchObject({ userWsUrl: sim.wsUrl });
			sim.control.expireSessions();
			const error = await nubraRejection(c.userInfo());
			expect(error.code).toBe('NUBRA_AUTH_SESSION_EXPIRED');
			expect(error.hint).toBe('Paste a new session token or switch the credential to TOTP login.');
			expect(count('/totp/login') + count('/verifypin')).toBe(0);
		});

		it('logs out: the session token stops working', async () => {
			const c = client();
			const session = await c.getSession();
			await c.logout();
			const after = await httpRequest({
				method: 'GET',
				url: `${sim.restUrl}/userinfo`,
				headers: {
					authorization: `Bearer ${session.sessionToken}`,
					'x-device-id': session.deviceId,
				},
			});
			expect(after.status).toBe(440);
		});

		it('follows a device id change with a new login (tokens are bound to the device)', async () => {
			const c = client();
			await c.getSession();
			credential = { ...credential, deviceId: 'second-device' };
			await expect(c.userInfo()).resolves.toBeDefined();
			expect(calls()).toEqual([
				'POST /totp/login 201',
				'POST /verifypin 200',
				'POST /totp/login 201',
				'POST /verifypin 200',
				'GET /userinfo 200',
			]);
		});
	});

	it('keeps int64 order ids exact in the snapshot (bigIds)', async () => {
		await start({ bigIds: true });
		const order = sim.control.placeOrder();
		sim.control.applyStep(order.id, { type: 'accept' });
		const rows = flattenSentinelOrders(await client().fetchSentinelOrders());
		expect(rows.map((row) => row.intentOrderId)).toEqual([order.id]);
		expect(BigInt(order.id) > BigInt(Number.MAX_SAFE_INTEGER)).toBe(true);
	});

	it('never uses an empty order_service_ws_url (as UAT sends it)', async () => {
		await start({ orderServiceWsUrl: '' });
		const info = await client().userInfo();
		expect(info.orderServiceWsUrl).toBeUndefined();
		expect(info.userWsUrl).toBe(sim.wsUrl);
	});

	it('renews an expired session token with /verifypin alone while the auth token lives', async () => {
		await start({ sessionTokenTtlMs: 400 });
		const c = client();
		const first = await c.getSession();
		// Wait for the simulator to expire the token: a condition, not a fixed sleep.
		await waitFor(
			async () => {
				const response = await httpRequest({
					method: 'GET',
					url: `${sim.restUrl}/userinfo`,
					headers: { authorization: `Bearer ${first.sessionToken}`, 'x-device-id': first.deviceId },
				});
				return response.status === 440;
			},
			5_000,
			'the simulator to expire the session token',
		);
		requests.length = 0;
		await expect(c.userInfo()).resolves.toBeDefined();
		expect(calls()).toEqual(['GET /userinfo 440', 'POST /verifypin 200', 'GET /userinfo 200']);
		const renewed = await c.getSession();
		expect(renewed.authToken).toBe(first.authToken);
		expect(renewed.sessionToken).not.toBe(first.sessionToken);
	});

	it('two workflows on one account (singleSession): each recovers when the other logs in', async () => {
		await start({ singleSession: true });
		const a = client();
		const b = client();
		await a.getSession();
		await b.getSession();
		await expect(a.userInfo()).resolves.toBeDefined();
		await expect(b.userInfo()).resolves.toBeDefined();
		// Bounded: each 440 costs one refresh round, never a loop.
		expect(count('/userinfo')).toBe(4);
	});

	describe('the credential test', () => {
		beforeEach(() => start());
		const decrypted = (data: Record<string, unknown>) =>
			({ id: '1', name: 'Nubra', type: 'nubraApi', data }) as ICredentialsDecrypted;

		it('passes with the simulator credentials', async () => {
			const result = await testNubraCredential(decrypted({ ...credential }));
			expect(result.status).toBe('OK');
			expect(result.message).toContain('TOTP login, MPIN and session check passed');
		});

		it.each([
			[{ mpin: '1111' }, /^Step 2 of 3 \(MPIN check\) failed/],
			[{ totpSecret: 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ' }, /^Step 1 of 3 \(TOTP login\) failed/],
			[
				{ restBaseUrl: 'http://127.0.0.1:1' },
				/^Could not reach 127\.0\.0\.1:1: connection refused/,
			],
			[
				{ authentication: 'sessionToken', sessionToken: 'no-such-token' },
				/^Session check failed: The pasted Nubra session token has expired/,
			],
			[{ phone: '' }, /^Check the credential: The Nubra credential has no Phone Number/],
		])('fails with a plain message for %j', async (change, message) => {
			const result = await testNubraCredential(decrypted({ ...credential, ...change }));
			expect(result.status).toBe('Error');
			expect(result.message).toMatch(message);
		});
	});
});
