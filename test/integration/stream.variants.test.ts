/**
 * The stream against the simulator beyond single faults: the three API generations, the
 * order-service socket (and UAT's empty URL), backpressure, giving up, credentials re-read on
 * reconnect, and a close that is idempotent, bounded and leaves nothing behind.
 */
import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { createNubraStream } from '../../client/connect';
import { NUBRA_ERROR_CODES, NubraError } from '../../client/errors';
import type { DeliveredEvent } from '../../client/stream';
import {
	generateScenario,
	startSimulator,
	type NubraApiVersion,
	type RunningSimulator,
} from '../../simulator';
import { compareWithLedger } from '../helpers/exactly-once';
import {
	FAST_TIMINGS,
	fillOrdersNow,
	finalStatesDelivered,
	recoveredOrderIds,
	startStreamAgainst,
	type StreamUnderTest,
} from '../helpers/stream-harness';
import { simulatorCredentials } from '../helpers/simulator-credentials';
import { waitFor } from '../helpers/wait';

jest.setTimeout(15_000);

const WAIT_MS = 4_000;

describe('NubraStream variants', () => {
	let sim: RunningSimulator | undefined;
	let t: StreamUnderTest | undefined;

	afterEach(async () => {
		await t?.stream.close();
		t = undefined;
		await sim?.close();
		sim = undefined;
	});

	const expectExactlyOnce = async (running: RunningSimulator, stream: StreamUnderTest) => {
		await waitFor(
			() => finalStatesDelivered(running, stream.events),
			WAIT_MS,
			'every final state to be delivered',
		).catch((error: Error) => {
			throw new Error(`${error.message}\nstatuses: ${JSON.stringify(stream.statuses)}`);
		});
		const report = compareWithLedger(running.control.ledger, stream.events);
		expect(report.duplicates).toEqual([]);
		expect(report.invented).toEqual([]);
		expect(report.missingFinal).toEqual([]);
		return report;
	};

	describe('API generations', () => {
		/**
		 * The legacy generations cannot say everything V3 says: neither has a wire number for
		 * EXPIRED (an expiry arrives as CANCELLED), V1 names a strategy leg's fill by the leg's
		 * own order id and V2 FLEXI frames carry no basket totals. Their scenarios leave those
		 * lifecycles out; the V3 one plays every lifecycle.
		 */
		const LEGACY_MIX = { basket: 0, expire: 0 };
		const mixFor = (version: NubraApiVersion) => (version === 'v3' ? undefined : LEGACY_MIX);

		it.each<NubraApiVersion>(['v1', 'v2', 'v3'])(
			'%s frames deliver the whole scenario once each',
			async (version) => {
				sim = await startSimulator();
				sim.control.setApiVersion(version);
				t = await startStreamAgainst(sim);
				expect(sim.control.connections()[0].apiVersion).toBe(version);
				await sim.control.play(generateScenario({ seed: 21, orders: 20, mix: mixFor(version) }));
				const report = await expectExactlyOnce(sim, t);
				expect(report.skippedIntermediate).toBe(0);
				expect(new Set(t.events.map((e) => e.event.api_version))).toEqual(new Set([version]));
				expect(t.stream.stats.malformedFrames + t.stream.stats.unknownFrames).toBe(0);
			},
		);

		it('follows a generation change across a reconnect and catches up in between', async () => {
			sim = await startSimulator();
			t = await startStreamAgainst(sim);
			await sim.control.play(generateScenario({ seed: 22, orders: 4 }));
			await waitFor(
				() => finalStatesDelivered(sim as RunningSimulator, (t as StreamUnderTest).events),
				WAIT_MS,
				'v3 orders',
			);
			sim.control.setApiVersion('v1');
			sim.control.dropAfter(0);
			await waitFor(
				() => (t as StreamUnderTest).statusesOf('recovered').length === 1,
				WAIT_MS,
				'the reconnect',
			);
			await sim.control.waitForSubscribers(1);
			await sim.control.play(generateScenario({ seed: 23, orders: 4, mix: LEGACY_MIX }));
			await expectExactlyOnce(sim, t);
			expect(t.events.at(-1)?.event.api_version).toBe('v1');
		});
	});

	describe('order-service socket', () => {
		it('subscribes with direct_intent on the announced order-service URL, token in the query', async () => {
			sim = await startSimulator();
			t = await startStreamAgainst(sim, { socket: { kind: 'order-service' } });
			expect(sim.control.connections()).toEqual([
				expect.objectContaining({ channel: 'order-service', subscribed: true }),
			]);
			// The token never reaches the status, only the redacted URL does.
			expect(t.statusesOf('connected')[0].url).toBe(sim.orderServiceWsUrl);
			await sim.control.play(generateScenario({ seed: 24, orders: 6 }));
			await expectExactlyOnce(sim, t);
		});

		it("uses the environment's /oms-socket-latest/ws when /userinfo announces an empty URL (UAT), never ''", async () => {
			sim = await startSimulator({ orderServiceWsUrl: '' });
			t = await startStreamAgainst(sim, { socket: { kind: 'order-service' } });
			expect(sim.control.connections()).toEqual([
				expect.objectContaining({ channel: 'order-service', subscribed: true }),
			]);
			expect(t.statusesOf('connected')[0].url).toBe(
				`${sim.restUrl.replace('http', 'ws')}/oms-socket-latest/ws`,
			);
			await sim.control.play(generateScenario({ seed: 25, orders: 6 }));
			await expectExactlyOnce(sim, t);
		});
	});

	describe('backpressure', () => {
		it("a slow async handler with a small queue and overflow 'pause' loses nothing", async () => {
			sim = await startSimulator();
			t = await startStreamAgainst(sim, { queueLimit: 4, overflow: 'pause' });
			const handled: DeliveredEvent[] = [];
			let inFlight = 0;
			let maxInFlight = 0;
			t.stream.onEvent(async (delivered) => {
				inFlight++;
				maxInFlight = Math.max(maxInFlight, inFlight);
				// A workflow run that takes a moment: the handler is slow on purpose.
				await new Promise<void>((resolve) => setTimeout(resolve, 3));
				handled.push(delivered);
				inFlight--;
			});
			await sim.control.play(generateScenario({ seed: 26, orders: 25 }));
			const stream = t;
			await waitFor(
				() => finalStatesDelivered(sim as RunningSimulator, handled),
				8_000,
				'the slow handler to catch up',
			);
			const report = compareWithLedger(sim.control.ledger, handled);
			expect(report).toMatchObject({
				duplicates: [],
				invented: [],
				missingFinal: [],
				skippedIntermediate: 0,
			});
			expect(handled.map((d) => d.dedupKey)).toEqual(stream.events.map((d) => d.dedupKey));
			expect(maxInFlight).toBe(1);
			expect(stream.stream.stats.droppedEvents).toBe(0);
			expect(stream.statusesOf('warning')).toEqual([]);
			expect(stream.statusesOf('disconnected')).toEqual([]);
		});

		it("'drop-newest' drops, counts and warns instead of waiting", async () => {
			sim = await startSimulator();
			t = await startStreamAgainst(sim, { queueLimit: 2, overflow: 'drop-newest' });
			let release!: () => void;
			const gate = new Promise<void>((resolve) => {
				release = resolve;
			});
			t.stream.onEvent(() => gate);
			fillOrdersNow(sim, 5);
			const stream = t;
			await waitFor(() => stream.stream.stats.framesReceived === 10, WAIT_MS, 'all ten frames');
			release();
			// One is with the handler, two wait in the queue: seven are dropped.
			expect(stream.stream.stats.droppedEvents).toBe(7);
			expect(stream.statusesOf('warning')[0]).toMatchObject({
				code: NUBRA_ERROR_CODES.QUEUE_OVERFLOW,
			});
		});
	});

	describe('giving up', () => {
		it('reports gave-up with what failed and what to do after maxReconnectAttempts', async () => {
			sim = await startSimulator();
			t = await startStreamAgainst(sim, { maxReconnectAttempts: 3 });
			fillOrdersNow(sim, 1);
			const stream = t;
			await waitFor(() => stream.events.length === 2, WAIT_MS, 'the first order');
			sim.control.refuseConnections(100);
			sim.control.dropAfter(0);
			await waitFor(
				() => stream.statusesOf('gave-up').length === 1,
				WAIT_MS,
				'the stream to give up',
			);

			const [{ error }] = stream.statusesOf('gave-up');
			expect(error).toBeInstanceOf(NubraError);
			expect(error.code).toBe(NUBRA_ERROR_CODES.STREAM_GAVE_UP);
			expect(error.message).toMatch(/could not be restored after 3 attempts/);
			expect(error.message).toMatch(/HTTP 503 on the websocket upgrade/);
			expect(error.hint).toMatch(/reactivate the workflow/);
			expect(error.cause).toMatchObject({ code: NUBRA_ERROR_CODES.UNREACHABLE });
			expect(stream.statusesOf('reconnecting').map((s) => s.attempt)).toEqual([1, 2, 3]);
			expect(stream.statuses.at(-1)?.state).toBe('gave-up');
			expect(stream.logger.lines.filter((l) => l.level === 'error').map((l) => l.message)).toEqual([
				error.message,
			]);
			await sim.control.waitForDisconnect();
		});

		it('gives up on a socket that answers every subscribe with Invalid Token', async () => {
			sim = await startSimulator();
			// A URL whose own token is wrong: REST logins succeed, the socket refuses each one.
			const url = `${sim.orderServiceWsUrl}?token=not-the-session`;
			t = await startStreamAgainst(sim, {
				noStart: true,
				maxReconnectAttempts: 3,
				socket: { kind: 'explicit', url, channel: 'order-service' },
			});
			await t.stream.start();
			const stream = t;
			await waitFor(
				() => stream.statusesOf('gave-up').length === 1,
				WAIT_MS,
				'the stream to give up',
			);
			expect(stream.statusesOf('gave-up')[0].error.message).toMatch(
				/after 3 attempts\. Last error: the server said Invalid Token/,
			);
			expect(
				stream
					.statusesOf('disconnected')
					.every((s) => s.code === NUBRA_ERROR_CODES.AUTH_SESSION_EXPIRED),
			).toBe(true);
		});
	});

	describe('credentials', () => {
		it('re-reads the credential on every reconnect: a wrong MPIN fails, the fixed one recovers', async () => {
			sim = await startSimulator();
			const running = sim;
			let mpin = running.credentials.mpin;
			t = await startStreamAgainst(running, {
				credentials: () => simulatorCredentials(running, { mpin }),
				maxReconnectAttempts: 0,
			});
			const stream = t;
			fillOrdersNow(running, 1);
			await waitFor(() => stream.events.length === 2, WAIT_MS, 'the first order');

			mpin = '0000';
			running.control.dropAfter(0);
			await waitFor(
				() =>
					stream
						.statusesOf('disconnected')
						.some((s) => s.code === NUBRA_ERROR_CODES.AUTH_MPIN_REJECTED),
				WAIT_MS,
				'a reconnect refused for the wrong MPIN',
			);
			const missed = fillOrdersNow(running, 2);
			mpin = running.credentials.mpin;
			await waitFor(
				() => stream.statusesOf('recovered').length === 1,
				WAIT_MS,
				'recovery with the fixed MPIN',
			);
			await expectExactlyOnce(running, stream);
			expect(recoveredOrderIds(stream.events)).toEqual([...missed].sort());
			expect(stream.statusesOf('connected')).toHaveLength(2);
			expect(stream.stream.closed).toBe(false);
		});
	});

	describe('close()', () => {
		it('is idempotent, bounded, leaves no connection, and delivers nothing afterwards', async () => {
			sim = await startSimulator();
			t = await startStreamAgainst(sim);
			const started = performance.now();
			const first = t.stream.close();
			const second = t.stream.close();
			expect(second).toBe(first);
			await Promise.all([first, second]);
			expect(performance.now() - started).toBeLessThan(1_000);
			expect(t.stream.closed).toBe(true);
			await sim.control.waitForDisconnect();
			expect(sim.control.connections()).toEqual([]);

			const count = t.events.length;
			const statusCount = t.statuses.length;
			fillOrdersNow(sim, 2);
			await t.stream.close();
			expect(t.events).toHaveLength(count);
			expect(t.statuses).toHaveLength(statusCount);
		});

		it('while reconnecting: cancels the wait and ends without another attempt', async () => {
			sim = await startSimulator();
			t = await startStreamAgainst(sim, {
				reconnectInitialDelayMs: 5_000,
				reconnectMaxDelayMs: 5_000,
			});
			const stream = t;
			fillOrdersNow(sim, 1);
			await waitFor(() => stream.events.length === 2, WAIT_MS, 'the first order');
			sim.control.dropAfter(0);
			await waitFor(
				() => stream.statusesOf('reconnecting').length === 1,
				WAIT_MS,
				'the reconnect wait',
			);
			const started = performance.now();
			await stream.stream.close();
			expect(performance.now() - started).toBeLessThan(500);
			expect(stream.statuses.at(-1)?.state).toBe('reconnecting');
		});

		it('during a start that is still opening the socket: start() settles promptly', async () => {
			// A real TCP listener that accepts and never answers the websocket upgrade.
			const held: Socket[] = [];
			const silent: Server = createServer((socket) => held.push(socket));
			await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
			sim = await startSimulator();
			try {
				const { port } = silent.address() as AddressInfo;
				const running = sim;
				const stream = await createNubraStream({
					credentials: () => simulatorCredentials(running),
					...FAST_TIMINGS,
					handshakeTimeoutMs: 10_000,
					socket: { kind: 'explicit', url: `ws://127.0.0.1:${port}/ws` },
				});
				const starting = stream.start();
				await waitFor(
					() => held.length === 1,
					WAIT_MS,
					'the upgrade request to reach the silent listener',
				);
				const started = performance.now();
				await stream.close();
				await expect(starting).rejects.toThrow(/closed/);
				expect(performance.now() - started).toBeLessThan(1_000);
			} finally {
				for (const socket of held) socket.destroy();
				await new Promise<void>((resolve) => silent.close(() => resolve()));
			}
		});
	});
});
