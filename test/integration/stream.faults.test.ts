/**
 * The stream against the simulator over real sockets, one `describe` per fault the simulator
 * can inject. Every scenario ends with the exactly-once check against the simulator's ledger:
 * no duplicates, nothing invented, every order's final state delivered (live or recovered).
 */
import { NUBRA_ERROR_CODES } from '../../client/errors';
import {
	generateScenario,
	startSimulator,
	type MalformedKind,
	type RunningSimulator,
} from '../../simulator';
import { compareWithLedger } from '../helpers/exactly-once';
import { startRestGate } from '../helpers/rest-gate';
import {
	FAST_TIMINGS,
	fillOrdersNow,
	finalStatesDelivered,
	recoveredOrderIds,
	onFirstStatus,
	recordRequests,
	requestLines,
	startStreamAgainst,
	type StreamUnderTest,
} from '../helpers/stream-harness';
import { simulatorCredentials } from '../helpers/simulator-credentials';
import { waitFor } from '../helpers/wait';

jest.setTimeout(15_000);

const WAIT_MS = 4_000;

describe('NubraStream against simulator faults', () => {
	let sim: RunningSimulator;
	let t: StreamUnderTest | undefined;

	beforeEach(async () => {
		sim = await startSimulator();
	});
	afterEach(async () => {
		await t?.stream.close();
		t = undefined;
		await sim.close();
	});

	const start = async (options: Parameters<typeof startStreamAgainst>[1] = {}) => {
		t = await startStreamAgainst(sim, options);
		return t;
	};

	/** Waits until every order's final state arrived, then checks exactly-once delivery. */
	const expectExactlyOnce = async (stream: StreamUnderTest) => {
		await waitFor(
			() => finalStatesDelivered(sim, stream.events),
			WAIT_MS,
			'every final state to be delivered',
		).catch((error: Error) => {
			throw new Error(
				`${error.message}\nstatuses: ${JSON.stringify(stream.statuses)}\nlog:\n${stream.logger.text()}`,
			);
		});
		const report = compareWithLedger(sim.control.ledger, stream.events);
		expect(report.duplicates).toEqual([]);
		expect(report.invented).toEqual([]);
		expect(report.missingFinal).toEqual([]);
		expect(report.fillMismatches).toEqual([]);
		return report;
	};

	/** Attempts wait at least half, at most all of min(max, initial × 2^(attempt-1)). */
	const expectBackoffBounds = (stream: StreamUnderTest) => {
		for (const status of stream.statusesOf('reconnecting')) {
			const step = Math.min(
				FAST_TIMINGS.reconnectMaxDelayMs,
				FAST_TIMINGS.reconnectInitialDelayMs * 2 ** (status.attempt - 1),
			);
			expect(status.inMs).toBeGreaterThanOrEqual(Math.floor(step / 2));
			expect(status.inMs).toBeLessThanOrEqual(step);
		}
	};

	describe('healthy baseline', () => {
		it('delivers a whole scenario live, once each, with one connection and no catch-up news', async () => {
			const s = await start();
			await sim.control.play(generateScenario({ seed: 11, orders: 15 }));
			const report = await expectExactlyOnce(s);
			expect(report.skippedIntermediate).toBe(0);
			expect(report.recoveredCount).toBe(0);
			expect(s.statuses.map((status) => status.state)).toEqual(['connecting', 'connected']);
			expect(s.stream.stats).toMatchObject({
				connections: 1,
				malformedFrames: 0,
				duplicatesSuppressed: 0,
				droppedEvents: 0,
			});
			expect(s.stream.stats.eventsDelivered).toBe(s.events.length);
		});
	});

	/**
	 * An order of 10 @ 2,500.00 with 4 filled live, then the feed goes down and stays down
	 * (upgrades refused) until the test calls refuseConnections(0).
	 */
	const partlyFilledThenDown = async (s: StreamUnderTest) => {
		const order = sim.control.placeOrder({ qty: 10, price: 250_000 });
		sim.control.applyStep(order.id, { type: 'accept' });
		sim.control.applyStep(order.id, { type: 'partialFill', qty: 4 });
		await waitFor(
			() => s.events.some((e) => e.event.filled_qty === 4),
			WAIT_MS,
			'the live partial fill',
		);
		sim.control.refuseConnections(1_000);
		sim.control.dropAfter(0);
		await sim.control.waitForDisconnect();
		return order;
	};

	describe('drop after N frames', () => {
		it('reconnects with backoff and recovers what changed while it was down', async () => {
			const s = await start();
			let missedWhileDown: string[] = [];
			onFirstStatus(s.stream, 'disconnected', () => {
				missedWhileDown = fillOrdersNow(sim, 3);
			});
			sim.control.dropAfter(5);
			await sim.control.play(generateScenario({ seed: 12, orders: 6 }));
			await waitFor(
				() => s.statusesOf('recovered').length > 0,
				WAIT_MS,
				'the catch-up after the drop',
			);

			const report = await expectExactlyOnce(s);
			expect(s.events.filter((e) => !e.recovered).length).toBeGreaterThanOrEqual(5);
			const recoveredIds = s.events.filter((e) => e.recovered).map((e) => String(e.event.order_id));
			expect(recoveredIds).toEqual(expect.arrayContaining(missedWhileDown));

			const [disconnected] = s.statusesOf('disconnected');
			expect(disconnected.reason).toMatch(/server closed the connection/);
			const [reconnecting] = s.statusesOf('reconnecting');
			expect(reconnecting).toMatchObject({ attempt: 1, reason: disconnected.reason });
			expectBackoffBounds(s);
			expect(s.statusesOf('connected')).toHaveLength(2);
			expect(s.statusesOf('recovered')[0].count).toBe(report.recoveredCount);
			expect(s.stream.stats.recoveredEvents).toBe(report.recoveredCount);
			expect(s.stream.stats.connections).toBe(2);
		});

		it('brings back fills missed while down as one trade per order: their quantity and average price', async () => {
			const s = await start();
			const order = await partlyFilledThenDown(s);
			// While the feed is away the order is modified between two fills at different prices.
			const missed = [
				sim.control.applyStep(order.id, { type: 'modify', price: 250_700 }),
				sim.control.applyStep(order.id, { type: 'partialFill', qty: 3 }),
				sim.control.applyStep(order.id, { type: 'modify', price: 251_300 }),
				sim.control.applyStep(order.id, { type: 'partialFill', qty: 2 }),
			].filter((entry) => entry.kind === 'trade');
			sim.control.refuseConnections(0);
			await waitFor(() => s.statusesOf('recovered').length > 0, WAIT_MS, 'the catch-up');

			const recovered = s.events.filter((e) => e.recovered);
			expect(recovered).toHaveLength(1);
			const missedQty = missed.reduce((total, entry) => total + (entry.tradeQty ?? 0), 0);
			const missedValue = missed.reduce(
				(total, entry) => total + (entry.tradeQty ?? 0) * (entry.tradePrice ?? 0),
				0,
			);
			expect(recovered[0].event).toMatchObject({
				event: 'trade',
				status: 'PARTIALLY_FILLED',
				filled_qty: 9,
				trade_qty: missedQty,
			});
			// Nubra's average price is whole paise: derived back, the price is within a paisa.
			expect(
				Math.abs(Number(recovered[0].event.trade_price) - missedValue / missedQty),
			).toBeLessThan(1);

			sim.control.applyStep(order.id, { type: 'fill' });
			await expectExactlyOnce(s);
		});

		it('reports missed fills that a live fill reveals when it overtakes the catch-up', async () => {
			const gate = await startRestGate(sim.restUrl);
			try {
				const running = sim;
				const s = await start({
					credentials: () => simulatorCredentials(running, { restBaseUrl: gate.url }),
				});
				const order = await partlyFilledThenDown(s);
				sim.control.applyStep(order.id, { type: 'modify', price: 250_700 });
				sim.control.applyStep(order.id, { type: 'partialFill', qty: 3 });
				gate.hold();
				sim.control.refuseConnections(0);
				await waitFor(() => gate.held === 1, WAIT_MS, 'the catch-up to be held');
				// Subscribed, catch-up pending: this fill's frame arrives first.
				sim.control.applyStep(order.id, { type: 'partialFill', qty: 2 });
				await waitFor(
					() => s.events.some((e) => e.event.filled_qty === 9),
					WAIT_MS,
					'the overtaking fill',
				);
				gate.release();
				await waitFor(() => s.statusesOf('recovered').length > 0, WAIT_MS, 'the catch-up');

				const afterReconnect = s.events.slice(
					s.events.findIndex((e) => e.event.filled_qty === 4) + 1,
				);
				expect(
					afterReconnect.map((e) => [
						e.event.event,
						e.event.status,
						e.event.filled_qty,
						e.event.trade_qty,
						e.recovered,
					]),
				).toEqual([
					['trade', 'PARTIALLY_FILLED', 7, 3, true],
					['trade', 'PARTIALLY_FILLED', 9, 2, false],
				]);
				// The missed fill was at the modified price (the order's average is whole paise).
				expect(Math.abs(Number(afterReconnect[0].event.trade_price) - 250_700)).toBeLessThan(1);
				expect(s.statusesOf('recovered').at(-1)?.count).toBe(1);

				sim.control.applyStep(order.id, { type: 'fill' });
				await expectExactlyOnce(s);
			} finally {
				await t?.stream.close();
				await gate.close();
			}
		});
	});

	describe('half-open connection', () => {
		it('notices the missing pong within heartbeatInterval + heartbeatTimeout and recovers', async () => {
			const s = await start();
			await sim.control.play(generateScenario({ seed: 13, orders: 3 }));
			await waitFor(() => finalStatesDelivered(sim, s.events), WAIT_MS, 'the first orders');

			const before = s.statuses.length;
			const t0 = performance.now();
			sim.control.halfOpen();
			// Changes made while half-open never reach the client: only the catch-up can bring them.
			const lost = fillOrdersNow(sim, 2);
			await waitFor(
				() => s.statusesOf('disconnected').length > 0,
				WAIT_MS,
				'the half-open connection to be noticed',
			);
			const index = s.statuses.findIndex(
				(status, i) => i >= before && status.state === 'disconnected',
			);
			const detectedMs = s.statusTimes[index] - t0;
			const budget = FAST_TIMINGS.heartbeatIntervalMs + FAST_TIMINGS.heartbeatTimeoutMs;
			console.info(
				`half-open detected after ${detectedMs.toFixed(1)} ms (interval + timeout = ${budget} ms)`,
			);

			const [disconnected] = s.statusesOf('disconnected');
			expect(disconnected.reason).toMatch(/no pong within 200 ms/);
			expect(disconnected.reason).toMatch(/half-open/);
			expect(detectedMs).toBeLessThanOrEqual(budget + 75);

			await waitFor(() => s.statusesOf('recovered').length > 0, WAIT_MS, 'the catch-up');
			await expectExactlyOnce(s);
			expect(recoveredOrderIds(s.events)).toEqual([...lost].sort());
			expect(s.statusesOf('recovered')[0].count).toBe(2);
		});
	});

	describe('Invalid Token mid-stream', () => {
		it('refreshes the session through /verifypin (no new TOTP login) and reconnects', async () => {
			const s = await start();
			await sim.control.play(generateScenario({ seed: 14, orders: 4 }));
			await waitFor(() => finalStatesDelivered(sim, s.events), WAIT_MS, 'the first orders');

			const { requests, stop } = recordRequests(sim);
			sim.control.sendInvalidToken();
			await waitFor(
				() => s.statusesOf('recovered').length === 1,
				WAIT_MS,
				'the catch-up after the reconnect',
			);
			await sim.control.waitForSubscribers(1);
			stop();
			await sim.control.play(generateScenario({ seed: 15, orders: 4 }));
			await expectExactlyOnce(s);

			const lines = requestLines(requests);
			expect(lines[0]).toBe('POST /verifypin 200');
			expect(lines).not.toContain('POST /totp/login 201');
			expect(lines).toContain('GET /sentinel/orders 200');
			expect(s.statusesOf('disconnected')).toEqual([
				{
					state: 'disconnected',
					reason: 'the server said Invalid Token',
					code: NUBRA_ERROR_CODES.AUTH_SESSION_EXPIRED,
				},
			]);
			expect(s.logger.lines.map((line) => line.message)).toContain(
				'Nubra rejected the session token on the socket; refreshing the session',
			);
		});
	});

	describe('expired session (REST 440)', () => {
		it('logs in again from scratch when /verifypin refuses the old auth token too', async () => {
			const s = await start();
			const { requests, stop } = recordRequests(sim);
			let missed: string[] = [];
			onFirstStatus(s.stream, 'disconnected', () => {
				missed = fillOrdersNow(sim, 2);
			});
			// Expiry ends the subscribed socket too: it hears Invalid Token and is closed.
			sim.control.expireSessions();
			await waitFor(
				() => s.statusesOf('recovered').length > 0,
				WAIT_MS,
				'the catch-up after the re-login',
			);
			stop();
			await expectExactlyOnce(s);

			const lines = requestLines(requests);
			expect(lines.slice(0, 4)).toEqual([
				'POST /verifypin 440',
				'POST /totp/login 201',
				'POST /verifypin 200',
				'GET /userinfo 200',
			]);
			expect(recoveredOrderIds(s.events)).toEqual([...missed].sort());
			expect(s.statusesOf('disconnected').map((status) => status.reason)).toContain(
				'the server said Invalid Token',
			);
			expect(s.statusesOf('connected')).toHaveLength(2);
		});
	});

	describe('malformed and unexpected frames', () => {
		type Counter = 'malformedFrames' | 'unknownFrames' | 'framesReceived';
		const survives: Array<[MalformedKind, Counter, string | null]> = [
			['garbage', 'malformedFrames', NUBRA_ERROR_CODES.DECODE_MALFORMED],
			['truncated', 'malformedFrames', NUBRA_ERROR_CODES.DECODE_MALFORMED],
			['unknown-type', 'unknownFrames', null],
			['portfolio', 'unknownFrames', null],
			['text-error', 'framesReceived', NUBRA_ERROR_CODES.SERVER_ERROR_MESSAGE],
			['text-info', 'framesReceived', null],
		];

		it.each(survives)(
			'%s: skipped and counted, the stream stays on the same connection',
			async (kind, counter, warning) => {
				const s = await start();
				sim.control.sendMalformed(kind);
				sim.control.sendMalformed(kind);
				await sim.control.play(generateScenario({ seed: 16, orders: 3 }));
				const report = await expectExactlyOnce(s);
				expect(report.skippedIntermediate).toBe(0);

				const { stats } = s.stream;
				const binary = kind !== 'text-error' && kind !== 'text-info';
				if (counter !== 'framesReceived') expect(stats[counter]).toBe(2);
				// Text frames are not binary frames: only the order frames are counted as received.
				expect(stats.framesReceived).toBe(sim.control.ledger.length + (binary ? 2 : 0));
				expect(stats.malformedFrames).toBe(counter === 'malformedFrames' ? 2 : 0);
				expect(stats.unknownFrames).toBe(counter === 'unknownFrames' ? 2 : 0);

				const warnings = s.statusesOf('warning');
				if (warning === null) {
					expect(warnings).toEqual([]);
				} else {
					expect(warnings).toHaveLength(2);
					for (const w of warnings) expect(w.code).toBe(warning);
				}
				if (kind === 'text-error') expect(warnings[0].message).toContain('Error: internal failure');
				if (kind === 'garbage') expect(warnings[0].message).toMatch(/malformed frame of 7 bytes/);
				// A new message type may be a new kind of order update: said once, in the log.
				const unknownTypeLines = s.logger.lines.filter(
					(line) => line.level === 'warn' && /unknown type/.test(line.message),
				);
				expect(unknownTypeLines).toHaveLength(kind === 'unknown-type' ? 1 : 0);
				if (kind === 'unknown-type')
					expect(unknownTypeLines[0].message).toContain('nubra.trading.v4.FutureIntentUpdate');
				expect(s.statusesOf('disconnected')).toEqual([]);
				expect(stats.connections).toBe(1);
			},
		);

		it('a corrupted order frame: warns, reads the order book on the same connection, recovers the update', async () => {
			const s = await start();
			const order = sim.control.placeOrder({ qty: 10, price: 250_000 });
			sim.control.applyStep(order.id, { type: 'accept' });
			await waitFor(() => s.events.length === 1, WAIT_MS, 'the accept');
			sim.control.corruptNext(1);
			const lost = sim.control.applyStep(order.id, { type: 'partialFill', qty: 4 });
			await waitFor(
				() => s.statusesOf('recovered').length > 0,
				WAIT_MS,
				'the catch-up after the bad frame',
			);

			expect(s.statusesOf('warning').map((w) => w.code)).toEqual([
				NUBRA_ERROR_CODES.DECODE_MALFORMED,
			]);
			expect(s.statusesOf('warning')[0].message).toMatch(/catching up from the order book/);
			expect(
				s.events
					.slice(1)
					.map((e) => [
						e.event.event,
						e.event.status,
						e.event.filled_qty,
						e.event.trade_qty,
						e.recovered,
					]),
			).toEqual([['trade', 'PARTIALLY_FILLED', 4, lost.tradeQty, true]]);
			expect(s.statusesOf('recovered')[0].count).toBe(1);
			expect(s.stream.stats).toMatchObject({ connections: 1, malformedFrames: 1 });
			expect(s.statusesOf('disconnected')).toEqual([]);

			sim.control.applyStep(order.id, { type: 'fill' });
			await expectExactlyOnce(s);
		});

		it('oversize: refuses the frame, warns, reconnects and catches up what it missed', async () => {
			const s = await start();
			let missed: string[] = [];
			onFirstStatus(s.stream, 'disconnected', () => {
				missed = fillOrdersNow(sim, 2);
			});
			sim.control.sendMalformed('oversize');
			await waitFor(
				() => s.statusesOf('recovered').length > 0,
				WAIT_MS,
				'the catch-up after the oversize frame',
			);
			await sim.control.waitForSubscribers(1);
			await sim.control.play(generateScenario({ seed: 17, orders: 3 }));
			await expectExactlyOnce(s);

			expect(s.statusesOf('warning')).toEqual([
				expect.objectContaining({
					code: NUBRA_ERROR_CODES.FRAME_TOO_LARGE,
					message: expect.stringContaining('1048576 bytes'),
				}),
			]);
			expect(s.statusesOf('disconnected')[0]).toEqual({
				state: 'disconnected',
				reason: 'a frame exceeded the maximum size',
				code: NUBRA_ERROR_CODES.FRAME_TOO_LARGE,
			});
			expect(s.statusesOf('recovered')[0].count).toBe(2);
			expect(recoveredOrderIds(s.events)).toEqual([...missed].sort());
			expect(s.stream.stats.connections).toBe(2);
		});
	});

	describe('refused connections', () => {
		it('keeps retrying with growing backoff while the upgrade is refused, then recovers', async () => {
			const s = await start();
			// One update first: a connection that delivered something was healthy, so the
			// attempt count starts over at its end.
			fillOrdersNow(sim, 1);
			await waitFor(() => s.events.length === 2, WAIT_MS, 'the first order');
			let missed: string[] = [];
			onFirstStatus(s.stream, 'disconnected', () => {
				missed = fillOrdersNow(sim, 2);
			});
			sim.control.refuseConnections(3);
			sim.control.dropAfter(0);
			await waitFor(
				() => s.statusesOf('recovered').length > 0,
				WAIT_MS,
				'the recovery after the refusals',
			);
			await expectExactlyOnce(s);

			const reasons = s.statusesOf('disconnected').map((status) => status.reason);
			expect(reasons).toHaveLength(4);
			expect(reasons[0]).toMatch(/server closed the connection/);
			for (const reason of reasons.slice(1))
				expect(reason).toMatch(/HTTP 503 on the websocket upgrade/);
			for (const status of s.statusesOf('disconnected').slice(1))
				expect(status.code).toBe(NUBRA_ERROR_CODES.UNREACHABLE);
			expect(s.statusesOf('reconnecting').map((status) => status.attempt)).toEqual([1, 2, 3, 4]);
			expectBackoffBounds(s);
			expect(s.statusesOf('connected')).toHaveLength(2);
			expect(recoveredOrderIds(s.events)).toEqual([...missed].sort());
		});
	});

	describe('slow subscribe handshake', () => {
		it('waits out a subscription slower than the heartbeat budget without flapping', async () => {
			const s = await start();
			sim.control.slowHandshake(600);
			sim.control.dropAfter(0);
			await waitFor(() => s.statusesOf('connected').length === 2, WAIT_MS, 'the reconnect');
			const reconnectedAt = performance.now();
			await sim.control.waitForSubscribers(1);
			expect(performance.now() - reconnectedAt).toBeGreaterThanOrEqual(500);
			await sim.control.play(generateScenario({ seed: 18, orders: 4 }));
			const report = await expectExactlyOnce(s);
			expect(report.skippedIntermediate).toBe(0);
			// The drop is the only disconnect: pings are answered while the subscription waits.
			expect(s.statusesOf('disconnected')).toHaveLength(1);
		});
	});
});
