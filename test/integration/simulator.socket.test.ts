import { loadNubraSchema } from '../../client/schema';
import {
	generateScenario,
	INVALID_TOKEN_TEXT,
	ONE_MIB,
	startSimulator,
	type RunningSimulator,
} from '../../simulator';
import { decodeFrame, login, RecordingSocket } from '../helpers/simulator-client';
import { waitFor } from '../helpers/wait';

/** The subscribe handshake and every socket fault, seen from a plain `ws` client. */
describe('simulator socket', () => {
	let sim: RunningSimulator;
	const sockets: RecordingSocket[] = [];
	const open = (url = sim.wsUrl) => {
		const socket = new RecordingSocket(url);
		sockets.push(socket);
		return socket;
	};
	/** A user-socket client, subscribed and counted by the simulator. */
	const subscriber = async () => {
		const before = sim.control.subscriberCount;
		const socket = open();
		await socket.subscribe(sim.control.issueSession().sessionToken);
		await sim.control.waitForSubscribers(before + 1);
		return socket;
	};
	const acceptedOrder = () => {
		const order = sim.control.placeOrder();
		sim.control.applyStep(order.id, { type: 'accept' });
		return order;
	};

	// Several subscribers with sessions of their own: only the one-session tests need the rule.
	beforeEach(async () => {
		sim = await startSimulator({ singleSession: false });
	});
	afterEach(async () => {
		await Promise.all(sockets.splice(0).map((socket) => socket.close()));
		await sim.close();
	});

	describe('handshake', () => {
		it('subscribes with a REST-minted session token and then pushes binary frames', async () => {
			const { sessionToken } = await login(sim);
			const socket = open();
			const subscribed = new Promise((resolve) => sim.control.on('subscribed', resolve));
			await socket.subscribe(sessionToken);
			await expect(subscribed).resolves.toMatchObject({
				apiVersion: 'v3',
				channel: 'user',
				subscribed: true,
			});
			expect(sim.control.subscriberCount).toBe(1);

			acceptedOrder();
			await socket.waitForMessages(1);
			expect(socket.texts).toEqual([]);
			expect(decodeFrame(socket.frames[0]).suffix).toBe('NubraToClientIntentUpdate');
		});

		it('answers a bad token with the text frame Invalid Token and keeps the socket open', async () => {
			const socket = open();
			await socket.subscribe('not-a-session');
			await socket.waitForMessages(1);
			expect(socket.texts).toEqual([INVALID_TOKEN_TEXT]);
			expect(socket.ws.readyState).toBe(socket.ws.OPEN);
			expect(sim.control.connections()).toEqual([
				{ id: expect.any(Number), apiVersion: 'v3', subscribed: false, channel: 'user' },
			]);

			acceptedOrder();
			expect(sim.control.ledger[0].deliveredTo).toEqual([]);
		});

		it('answers Invalid Token after expireSessions', async () => {
			const { sessionToken } = await login(sim);
			sim.control.expireSessions();
			const socket = open();
			await socket.subscribe(sessionToken);
			await socket.waitForMessages(1);
			expect(socket.texts).toEqual([INVALID_TOKEN_TEXT]);
		});

		it('serves the order-service variant with the token in the URL and direct_intent topics', async () => {
			const { sessionToken } = sim.control.issueSession();
			const socket = open(`${sim.orderServiceWsUrl}?token=${sessionToken}`);
			await socket.subscribe(sessionToken, 'direct_intent notification');
			await sim.control.waitForSubscribers(1);
			expect(sim.control.connections()[0]).toMatchObject({
				channel: 'order-service',
				subscribed: true,
			});

			const mismatched = open(`${sim.orderServiceWsUrl}?token=other`);
			await mismatched.subscribe(sessionToken, 'direct_intent notification');
			await mismatched.waitForMessages(1);
			expect(mismatched.texts).toEqual([INVALID_TOKEN_TEXT]);
		});

		it('ignores a subscribe with the wrong topics for the channel', async () => {
			const socket = open();
			await socket.subscribe(sim.control.issueSession().sessionToken, 'direct_intent notification');
			// A ping round-trip orders after the subscribe: the server has handled it by then.
			await new Promise<void>((resolve) => {
				socket.ws.once('pong', () => resolve());
				socket.ws.ping();
			});
			expect(sim.control.subscriberCount).toBe(0);
			expect(socket.received).toEqual([]);
		});

		it('delays the subscribe with slowHandshake', async () => {
			sim.control.slowHandshake(150);
			const started = Date.now();
			await subscriber();
			expect(Date.now() - started).toBeGreaterThanOrEqual(140);
		});

		it('answers pings and reports them', async () => {
			const socket = await subscriber();
			const pinged = new Promise((resolve) => sim.control.on('ping', resolve));
			const pong = new Promise<Buffer>((resolve) => socket.ws.once('pong', resolve));
			socket.ws.ping('hello');
			await expect(pong).resolves.toEqual(Buffer.from('hello'));
			await expect(pinged).resolves.toMatchObject({ channel: 'user' });
		});
	});

	describe('one session per account (the default)', () => {
		it('a new login sends Invalid Token to the sockets of the earlier session and closes them', async () => {
			await sim.close();
			sim = await startSimulator();
			const socket = open();
			await socket.subscribe((await login(sim)).sessionToken);
			await sim.control.waitForSubscribers(1);
			const second = await login(sim);
			await socket.waitForMessages(1);
			expect(socket.texts).toEqual([INVALID_TOKEN_TEXT]);
			expect((await socket.closed).code).toBe(1008);
			expect(sim.control.subscriberCount).toBe(0);

			const current = open();
			await current.subscribe(second.sessionToken);
			await sim.control.waitForSubscribers(1);
			acceptedOrder();
			await current.waitForMessages(1);
			expect(current.texts).toEqual([]);
			expect(sim.control.sessionCounts).toEqual({ logins: 2, sessionsIssued: 2 });
		});

		it('expireSessions ends the subscribed sockets the same way', async () => {
			const socket = open();
			await socket.subscribe((await login(sim)).sessionToken);
			await sim.control.waitForSubscribers(1);
			sim.control.expireSessions();
			await socket.waitForMessages(1);
			expect(socket.texts).toEqual([INVALID_TOKEN_TEXT]);
			expect((await socket.closed).code).toBe(1008);
		});
	});

	describe('faults', () => {
		it('sendInvalidToken: text mid-stream, session invalid, auth token still refreshes', async () => {
			const { authToken, sessionToken } = await login(sim);
			const socket = open();
			await socket.subscribe(sessionToken);
			await sim.control.waitForSubscribers(1);
			sim.control.sendInvalidToken();
			await socket.waitForMessages(1);
			expect(socket.texts).toEqual([INVALID_TOKEN_TEXT]);
			expect(sim.control.subscriberCount).toBe(0);

			const again = open();
			await again.subscribe(sessionToken);
			await again.waitForMessages(1);
			expect(again.texts).toEqual([INVALID_TOKEN_TEXT]);

			const refreshed = await fetch(`${sim.restUrl}/verifypin`, {
				method: 'POST',
				headers: { 'x-device-id': 'sim-test-device', authorization: `Bearer ${authToken}` },
				body: JSON.stringify({ pin: sim.credentials.mpin }),
			});
			expect(refreshed.status).toBe(200);
			await refreshed.text();
		});

		it('dropAfter(n) cuts the TCP connection right after n frames', async () => {
			const socket = await subscriber();
			sim.control.dropAfter(2);
			const order = acceptedOrder();
			sim.control.applyStep(order.id, { type: 'partialFill', qty: 2 });
			sim.control.applyStep(order.id, { type: 'fill' });
			const { code } = await socket.closed;
			expect(code).toBe(1006);
			expect(socket.frames).toHaveLength(2);
			expect(sim.control.ledger.map((entry) => entry.deliveredTo.length)).toEqual([1, 1, 0]);
			await sim.control.waitForDisconnect();
		});

		it('dropAfter(0) cuts at once', async () => {
			const socket = await subscriber();
			sim.control.dropAfter(0);
			expect((await socket.closed).code).toBe(1006);
		});

		it('halfOpen stops frames and pongs while TCP stays up; heal resumes', async () => {
			const socket = await subscriber();
			sim.control.halfOpen();
			const pinged = new Promise((resolve) => sim.control.on('ping', resolve));
			let ponged = false;
			socket.ws.on('pong', () => (ponged = true));
			socket.ws.ping();
			await pinged;
			const order = acceptedOrder();
			expect(sim.control.ledger[0].deliveredTo).toEqual([]);
			expect(sim.control.orders()[0].status).toBe('OPEN');
			expect(socket.ws.readyState).toBe(socket.ws.OPEN);

			sim.control.heal();
			sim.control.applyStep(order.id, { type: 'fill' });
			await socket.waitForMessages(1);
			expect(ponged).toBe(false);
			expect(socket.frames).toHaveLength(1);
			expect(decodeFrame(socket.frames[0]).message).toMatchObject({
				intent_order_response_type: 'INTENT_ORDER_RESPONSE_TYPE_FILLED',
			});
		});

		it('refuseConnections rejects the next upgrades with 503', async () => {
			sim.control.refuseConnections(1);
			await expect(open().opened).rejects.toThrow('HTTP 503');
			await expect(open().opened).resolves.toBeUndefined();
		});

		it.each([
			['garbage', (frame: Buffer) => expect(() => decodeFrame(frame)).toThrow()],
			['truncated', (frame: Buffer) => expect(() => decodeFrame(frame)).toThrow()],
			[
				'unknown-type',
				(frame: Buffer) => expect(decodeFrame(frame).suffix).toBe('FutureIntentUpdate'),
			],
			['portfolio', (frame: Buffer) => expect(decodeFrame(frame).suffix).toBe('PortfolioResponse')],
			[
				'oversize',
				(frame: Buffer) => {
					expect(frame.length).toBeGreaterThan(ONE_MIB + 1);
					expect(decodeFrame(frame).suffix).toBe('NubraToClientIntentUpdate');
				},
			],
		] as const)(
			'sendMalformed(%s) sends a binary frame outside the ledger',
			async (kind, check) => {
				const socket = await subscriber();
				sim.control.sendMalformed(kind);
				await socket.waitForMessages(1);
				expect(socket.frames).toHaveLength(1);
				check(socket.frames[0]);
				expect(sim.control.ledger).toEqual([]);
			},
		);

		it('corruptNext(n) cuts the next n order frames in half; the ledger still has their changes', async () => {
			const socket = await subscriber();
			sim.control.corruptNext(1);
			const order = acceptedOrder();
			sim.control.applyStep(order.id, { type: 'partialFill', qty: 2 });
			await socket.waitForMessages(2);
			const intact = decodeFrame(socket.frames[1]);
			expect(() => loadNubraSchema().any.decode(socket.frames[0])).toThrow();
			expect(intact.suffix).toBe('NubraToClientIntentUpdate');
			expect(sim.control.ledger.map((entry) => [entry.status, entry.deliveredTo.length])).toEqual([
				['OPEN', 1],
				['PARTIALLY_FILLED', 1],
			]);
			expect(() => sim.control.corruptNext(-1)).toThrow(RangeError);
		});

		it('garbage fails at the outer Any', async () => {
			const socket = await subscriber();
			sim.control.sendMalformed('garbage');
			await socket.waitForMessages(1);
			expect(() => loadNubraSchema().any.decode(socket.frames[0])).toThrow();
		});

		it.each([
			['text-error', /Error/],
			['text-info', /^(?!.*(Error|Exception|Failed)).+$/],
		] as const)('sendMalformed(%s) sends a text frame', async (kind, pattern) => {
			const socket = await subscriber();
			sim.control.sendMalformed(kind);
			await socket.waitForMessages(1);
			expect(socket.texts).toHaveLength(1);
			expect(socket.texts[0]).toMatch(pattern);
		});
	});

	describe('waits and close', () => {
		it('waitForDisconnect resolves when the client leaves; waits time out with a clear error', async () => {
			const socket = await subscriber();
			await socket.close();
			await sim.control.waitForDisconnect();
			expect(sim.control.connections()).toEqual([]);
			await expect(sim.control.waitForSubscribers(1, 20)).rejects.toThrow(/Timed out after 20 ms/);
		});

		it('close() terminates live sockets, is idempotent and fails pending waits', async () => {
			const socket = await subscriber();
			const waiting = sim.control.waitForSubscribers(5, 60_000);
			const first = sim.close();
			await Promise.all([first, sim.close()]);
			await expect(waiting).rejects.toThrow(/closed/);
			expect((await socket.closed).code).toBe(1006);
		});

		it('close() leaves no listener or timer behind, even mid-play', async () => {
			// Node lists a closed server handle until a later loop turn, so the port is checked
			// instead; jest --detectOpenHandles covers the rest.
			const timers = () =>
				process.getActiveResourcesInfo().filter((resource) => resource === 'Timeout').length;
			const timersBefore = timers();
			const other = await startSimulator({ singleSession: false });
			const socket = new RecordingSocket(other.wsUrl);
			await socket.subscribe(other.control.issueSession().sessionToken);
			other.control.slowHandshake(60_000);
			await new RecordingSocket(other.wsUrl).subscribe(other.control.issueSession().sessionToken);
			const playing = other.control.play(generateScenario({ seed: 1, orders: 50 }), {
				ratePerSecond: 1,
			});
			await other.close();
			await playing;
			await socket.closed;
			// Timers of other parts of the process (fetch's keep-alive) come and go within a
			// moment; the simulator's (a 60 s handshake delay, a 1/s play) would not.
			await waitFor(
				() => timers() <= timersBefore,
				2_000,
				() => `timers back to ${timersBefore} (now ${timers()})`,
			);
			await expect(fetch(`${other.restUrl}/userinfo`)).rejects.toThrow();
		});

		it('never logs a token, the MPIN or the TOTP secret', async () => {
			const lines: string[] = [];
			await sim.close();
			sim = await startSimulator({ log: (line) => lines.push(line) });
			const { authToken, sessionToken } = await login(sim);
			const socket = open(`${sim.orderServiceWsUrl}?token=${sessionToken}`);
			await socket.subscribe(sessionToken, 'direct_intent notification');
			await sim.control.waitForSubscribers(1);
			const bad = open();
			await bad.subscribe('wrong-token-value');
			await bad.waitForMessages(1);
			expect(lines.length).toBeGreaterThan(3);
			for (const secret of [
				authToken,
				sessionToken,
				'wrong-token-value',
				sim.credentials.mpin,
				sim.credentials.totpSecret,
			]) {
				expect(lines.filter((line) => line.includes(secret))).toEqual([]);
			}
		});

		it('the next subscription uses the generation set by setApiVersion', async () => {
			sim.control.setApiVersion('v1');
			await subscriber();
			sim.control.setApiVersion('v2');
			await subscriber();
			expect(
				sim.control
					.connections()
					.map((connection) => connection.apiVersion)
					.sort(),
			).toEqual(['v1', 'v2']);
			expect(() => sim.control.setApiVersion('v9' as 'v1')).toThrow(RangeError);
		});
	});
});
