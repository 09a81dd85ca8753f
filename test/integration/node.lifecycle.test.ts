/**
 * Node-level: activation failures versus runtime `emitError`, "Listen for test event" (manual
 * mode, with n8n's emitter swap), and a bounded, idempotent `closeFunction`.
 * Run: `npx jest --selectProjects integration --testPathPatterns node.lifecycle`
 */
import { createServer, type Server } from 'node:net';
import { NodeOperationError } from 'n8n-workflow';

import { NubraTrigger } from '../../nodes/NubraTrigger/NubraTrigger.node';
import { closedPort } from '../helpers/ports';
import { simulatorCredentials } from '../helpers/simulator-credentials';
import { FAST_OPTIONS, nodeFixtureForEachTest } from '../helpers/trigger-context';

jest.setTimeout(20_000);

const fixture = nodeFixtureForEachTest();
const servers: Server[] = [];
afterEach(() => {
	for (const server of servers.splice(0)) server.close();
});

/** A TCP server that accepts and never answers: a websocket handshake to it stays pending. */
async function silentServer(): Promise<{ port: number; connected: Promise<void> }> {
	const server = createServer();
	servers.push(server);
	const connected = new Promise<void>((resolve) => server.once('connection', () => resolve()));
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
	return { port: (server.address() as { port: number }).port, connected };
}

function asNodeError(error: unknown): NodeOperationError {
	expect(error).toBeInstanceOf(NodeOperationError);
	return error as NodeOperationError;
}

describe('activation fails with a NodeOperationError that says what to do', () => {
	test('wrong MPIN: trigger() rejects before any socket is opened', async () => {
		const credentials = { ...simulatorCredentials(fixture.sim), mpin: '1111' };
		const error = asNodeError(
			await fixture
				.start(new NubraTrigger(), { options: FAST_OPTIONS }, { credentials })
				.catch((e: unknown) => e),
		);
		expect(error.message).toMatch(
			/^Nubra accepted the TOTP code but refused the MPIN \(HTTP 401\)/,
		);
		expect(error.message).not.toContain('1111');
		expect(error.description).toEqual(expect.stringContaining('MPIN'));
		expect(fixture.sim.control.connections()).toEqual([]);
	});

	test('unreachable REST base: trigger() rejects naming the host', async () => {
		const port = await closedPort();
		const credentials = {
			...simulatorCredentials(fixture.sim),
			restBaseUrl: `http://127.0.0.1:${port}`,
		};
		const started = Date.now();
		const error = asNodeError(
			await fixture
				.start(new NubraTrigger(), { options: FAST_OPTIONS }, { credentials })
				.catch((e: unknown) => e),
		);
		expect(Date.now() - started).toBeLessThan(5_000);
		expect(`${error.message} ${error.description ?? ''}`).toContain(`127.0.0.1:${port}`);
		expect(error.description).toMatch(/[Cc]heck/);
	});

	test('manual mode: trigger() resolves, manualTriggerFunction rejects with the same help', async () => {
		const credentials = { ...simulatorCredentials(fixture.sim), mpin: '1111' };
		const run = await fixture.start(
			new NubraTrigger(),
			{ options: FAST_OPTIONS },
			{ credentials, mode: 'manual' },
		);
		expect(run.response.manualTriggerFunction).toEqual(expect.any(Function));
		const error = asNodeError(
			await run.response.manualTriggerFunction?.().catch((e: unknown) => e),
		);
		expect(error.message).toMatch(/refused the MPIN/);
		expect(error.description).toEqual(expect.stringContaining('MPIN'));
	});
});

describe('after a good start, a lost feed is reported through emitError', () => {
	test('a feed that cannot be restored: one emitError with a helpful description, trigger() had resolved', async () => {
		const control = fixture.sim.control;
		const run = await fixture.start(new NubraTrigger(), {
			options: { ...FAST_OPTIONS, maxReconnectAttempts: 2 },
		});
		control.dropAfter(0);
		control.refuseConnections(100);
		await run.waitFor(() => run.errors.length > 0, 'emitError', 10_000);
		const error = asNodeError(run.errors[0]);
		expect(error.message).toMatch(/^The Nubra order feed could not be restored after 2 attempts/);
		expect(error.description).toEqual(expect.stringContaining('then reactivate the workflow'));
		expect(run.errors).toHaveLength(1);
		expect(run.emits).toEqual([]);
	});

	test('the credential is read again on reconnect: a changed MPIN ends in emitError naming the MPIN', async () => {
		const control = fixture.sim.control;
		const run = await fixture.start(new NubraTrigger(), {
			options: { ...FAST_OPTIONS, maxReconnectAttempts: 2 },
		});
		run.setCredentials({ ...simulatorCredentials(fixture.sim), mpin: '9999' });
		control.expireSessions();
		control.sendInvalidToken();
		await run.waitFor(() => run.errors.length > 0, 'emitError', 10_000);
		const error = asNodeError(run.errors[0]);
		expect(error.message).toContain('refused the MPIN');
		expect(error.description).toEqual(expect.stringContaining('MPIN'));
	});
});

describe('manual mode ("Listen for test event")', () => {
	test('the first update that passes the filters resolves the manual response with that item', async () => {
		const control = fixture.sim.control;
		const run = await fixture.start(
			new NubraTrigger(),
			{ filters: { statuses: ['FILLED'] }, options: { ...FAST_OPTIONS, includeMetadata: true } },
			{ mode: 'manual' },
		);
		// Nothing is connected before n8n calls the manual trigger function.
		expect(control.connections()).toEqual([]);
		await run.response.manualTriggerFunction?.();
		await control.waitForSubscribers(1);
		const order = control.placeOrder({ qty: 10 });
		control.applyStep(order.id, { type: 'accept' });
		control.applyStep(order.id, { type: 'fill' });

		const data = await run.response.manualTriggerResponse;
		expect(data).toEqual([
			[
				{
					json: expect.objectContaining({
						order_id: Number(order.id),
						status: 'FILLED',
						recovered: false,
					}),
				},
			],
		]);
		// A manual test has no catch-up and keeps no order states.
		expect(fixture.requests.filter((r) => r.path === '/sentinel/orders')).toEqual([]);
		expect(run.staticData).toEqual({});
		await run.close();
		await control.waitForDisconnect();
	});

	test('no update within the listen timeout: emitError with the "within N seconds" message', async () => {
		const run = await fixture.start(
			new NubraTrigger(),
			{ options: { ...FAST_OPTIONS, manualTimeoutSeconds: 5 } },
			{ mode: 'manual' },
		);
		const started = Date.now();
		await run.response.manualTriggerFunction?.();
		const error = asNodeError(await run.response.manualTriggerResponse?.catch((e: unknown) => e));
		const elapsed = Date.now() - started;
		expect(error.message).toBe('No Nubra update passed the filters within 5 seconds');
		expect(error.description).toEqual(
			expect.stringContaining('check the Events and Filters settings'),
		);
		expect(elapsed).toBeGreaterThanOrEqual(4_900);
		expect(elapsed).toBeLessThan(7_000);
		await run.close();
		await fixture.sim.control.waitForDisconnect();
	});

	test('closeFunction stops the socket and the listen timer', async () => {
		const run = await fixture.start(
			new NubraTrigger(),
			{ options: { ...FAST_OPTIONS, manualTimeoutSeconds: 5 } },
			{ mode: 'manual' },
		);
		await run.response.manualTriggerFunction?.();
		await fixture.sim.control.waitForSubscribers(1);
		await run.close();
		await fixture.sim.control.waitForDisconnect();
		expect(run.errors).toEqual([]);
	});

	test('closeFunction while the manual trigger function is still connecting ends it too', async () => {
		const { port, connected } = await silentServer();
		const run = await fixture.start(
			new NubraTrigger(),
			{ options: { ...FAST_OPTIONS, socket: 'explicit', socketUrl: `ws://127.0.0.1:${port}/ws` } },
			{ mode: 'manual' },
		);
		let settled = false;
		const manual = run.response.manualTriggerFunction?.().finally(() => {
			settled = true;
		});
		await connected;
		const started = Date.now();
		await run.close();
		await manual;
		expect(settled).toBe(true);
		expect(Date.now() - started).toBeLessThan(2_000);
		expect(run.errors).toEqual([]);
	});
});

describe('closeFunction', () => {
	test('is idempotent and bounded, and the simulator sees the socket go', async () => {
		const run = await fixture.start(new NubraTrigger(), { options: FAST_OPTIONS });
		const close = run.response.closeFunction;
		expect(close).toEqual(expect.any(Function));
		const started = Date.now();
		await Promise.all([close?.(), close?.()]);
		await close?.();
		expect(Date.now() - started).toBeLessThan(1_000);
		await fixture.sim.control.waitForDisconnect(1_000);
		expect(run.errors).toEqual([]);
	});

	test('is bounded while the feed is down and waiting to reconnect', async () => {
		const control = fixture.sim.control;
		const run = await fixture.start(new NubraTrigger(), {
			events: ['order', 'connection'],
			options: FAST_OPTIONS,
		});
		control.refuseConnections(100);
		control.dropAfter(0);
		await run.waitFor(
			() => run.connectionItems().some((i) => i.state === 'disconnected'),
			'the drop',
		);
		const started = Date.now();
		await run.response.closeFunction?.();
		expect(Date.now() - started).toBeLessThan(1_000);
		expect(run.errors).toEqual([]);
		expect(control.connections()).toEqual([]);
	});
});
