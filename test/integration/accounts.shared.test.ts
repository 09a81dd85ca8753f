import { NubraAccounts } from '../../client/accounts';
import type { SessionStore, NubraSession } from '../../client/auth';
import { createNubraStream } from '../../client/connect';
import type { DeliveredEvent, OrderSubscription, StreamStatus } from '../../client/stream';
import { startSimulator, type RunningSimulator } from '../../simulator';
import { testNubraCredential } from '../../nodes/NubraTrigger/credentialTest';
import { RecordingLogger } from '../helpers/recording-logger';
import { simulatorCredentials } from '../helpers/simulator-credentials';
import {
	FAST_TIMINGS,
	fillOrdersNow,
	finalStatesDelivered,
	recoveredOrderIds,
	recordRequests,
} from '../helpers/stream-harness';
import { waitFor } from '../helpers/wait';

/**
 * Nubra allows one session per account: every consumer of one account in this process shares
 * one login and one socket. The simulator enforces the rule (its default), so a second login
 * anywhere would end the first session and show up here as Invalid Token and extra logins.
 */
const WAIT_MS = 8_000;
jest.setTimeout(20_000);

const snapshotReads = (requests: { path: string; status: number }[]) =>
	requests.filter((r) => r.path === '/sentinel/orders' && r.status === 200).length;

interface Consumer {
	stream: OrderSubscription;
	events: DeliveredEvent[];
	statuses: StreamStatus[];
	of<S extends StreamStatus['state']>(state: S): Extract<StreamStatus, { state: S }>[];
}

describe('one login and one socket per account, shared by every consumer', () => {
	let sim: RunningSimulator;
	let accounts: NubraAccounts;
	let consumers: Consumer[];
	let logger: RecordingLogger;

	beforeEach(async () => {
		sim = await startSimulator();
		accounts = new NubraAccounts();
		consumers = [];
		logger = new RecordingLogger();
	});
	afterEach(async () => {
		await Promise.all(consumers.map((c) => c.stream.close()));
		await sim.close();
	});

	async function consumer(
		options: Partial<Parameters<typeof createNubraStream>[0]> = {},
		credentials = () => simulatorCredentials(sim),
	): Promise<Consumer> {
		const stream = await createNubraStream({
			credentials,
			accounts,
			logger,
			...FAST_TIMINGS,
			...options,
		});
		const events: DeliveredEvent[] = [];
		const statuses: StreamStatus[] = [];
		stream.onEvent((event) => {
			events.push(event);
		});
		stream.onStatus((status) => statuses.push(status));
		const handle: Consumer = {
			stream,
			events,
			statuses,
			of: <S extends StreamStatus['state']>(state: S) =>
				statuses.filter((s): s is Extract<StreamStatus, { state: S }> => s.state === state),
		};
		consumers.push(handle);
		const first = sim.control.subscriberCount === 0;
		const { requests, stop } = recordRequests(sim);
		try {
			await stream.start();
			await sim.control.waitForSubscribers(1);
			// A first connection reads the book twice (baseline, then catch-up): let both land, so
			// orders placed by the test are not raced by them.
			if (first && options.catchUp !== false)
				await waitFor(() => snapshotReads(requests) >= 2, WAIT_MS, 'the first reads');
		} finally {
			stop();
		}
		return handle;
	}

	it('three consumers: 1 login, 1 socket, one decode per frame, each gets its own events exactly once', async () => {
		const all = await consumer();
		const buys = await consumer({ filter: (event) => event.side === 'ORDER_SIDE_BUY' });
		const noCatchUp = await consumer({ catchUp: false });
		expect(sim.control.sessionCounts).toEqual({ logins: 1, sessionsIssued: 1 });
		expect(sim.control.connections()).toHaveLength(1);

		const ids = fillOrdersNow(sim, 2);
		for (const side of ['BUY', 'SELL'] as const) {
			const order = sim.control.placeOrder({ side, qty: 5 });
			sim.control.applyStep(order.id, { type: 'accept' });
			ids.push(order.id);
		}
		await waitFor(
			() => finalStatesDelivered(sim, all.events) && finalStatesDelivered(sim, noCatchUp.events),
			WAIT_MS,
			'every fill',
		);
		const states = (c: Consumer) =>
			c.events.map((e) => `${String(e.event.order_id)}|${e.event.event}|${e.event.status}`);
		expect(new Set(states(all)).size).toBe(states(all).length);
		expect(states(noCatchUp)).toEqual(states(all));
		const isBuy = (e: DeliveredEvent) => e.event.side === 'ORDER_SIDE_BUY';
		expect(all.events.some(isBuy) && !all.events.every(isBuy)).toBe(true);
		await waitFor(
			() => buys.events.length === all.events.filter(isBuy).length,
			WAIT_MS,
			'the buys',
		);
		expect(states(buys)).toEqual(states({ ...all, events: all.events.filter(isBuy) }));
		expect(ids).toHaveLength(4);
		// Decoded once, counted once: the frames the socket carried, not three times as many.
		expect(all.stream.stats.framesReceived).toBe(sim.control.ledger.length);
		expect(buys.stream.connection).toBe(all.stream.connection);
	});

	it('a drop costs no login and one /sentinel/orders read for every consumer together', async () => {
		const a = await consumer();
		const b = await consumer();
		const c = await consumer();
		const { requests, stop } = recordRequests(sim);
		let missed: string[] = [];
		a.stream.onStatus((status) => {
			if (status.state === 'disconnected' && missed.length === 0) missed = fillOrdersNow(sim, 2);
		});
		sim.control.dropAfter(0);
		await waitFor(
			() => [a, b, c].every((x) => x.of('recovered').length === 1),
			WAIT_MS,
			'every consumer to recover',
		);
		stop();
		expect(snapshotReads(requests)).toBe(1);
		expect(requests.filter((r) => r.path === '/totp/login' || r.path === '/verifypin')).toEqual([]);
		expect(sim.control.sessionCounts.logins).toBe(1);
		for (const x of [a, b, c]) {
			expect(x.of('recovered')[0].count).toBe(missed.length);
			expect(recoveredOrderIds(x.events)).toEqual([...missed].sort());
		}
	});

	it('a forced session expiry costs one login in total, not one per consumer', async () => {
		const a = await consumer();
		const b = await consumer();
		sim.control.expireSessions();
		await waitFor(
			() => a.of('connected').length === 2 && b.of('connected').length === 2,
			WAIT_MS,
			'the reconnect',
		);
		expect(sim.control.sessionCounts.logins).toBe(2);
		fillOrdersNow(sim, 1);
		await waitFor(
			() => finalStatesDelivered(sim, a.events) && finalStatesDelivered(sim, b.events),
			WAIT_MS,
			'the fill after it',
		);
		expect(a.of('session-replaced')).toEqual([{ state: 'session-replaced', count: 1, inMs: 0 }]);
		expect(
			logger.lines.filter(
				(line) => line.level === 'info' && line.message === 'Nubra login succeeded',
			),
		).toHaveLength(2);
	});

	it('a consumer joining a live socket reads its own baseline; nobody reconnects; leaving disturbs nobody', async () => {
		const a = await consumer();
		const subscribed: number[] = [];
		sim.control.on('subscribed', (connection) => subscribed.push(connection.id));
		const { requests, stop } = recordRequests(sim);
		const history = fillOrdersNow(sim, 1);
		await waitFor(() => finalStatesDelivered(sim, a.events), WAIT_MS, 'a to hear the fill');
		const b = await consumer();
		stop();
		expect(subscribed).toEqual([]);
		expect(snapshotReads(requests)).toBe(1);
		// The order filled before b joined is history for b, news for a.
		expect(b.events).toEqual([]);
		expect(b.of('connected')).toHaveLength(1);
		// The log says how many subscriptions are live on the account, at connect and at each join.
		expect(
			logger.lines
				.filter((line) => line.level === 'info' && line.message.includes('on this account'))
				.map((line) => /(\d+) subscriptions? on this account/.exec(line.message)?.[1]),
		).toEqual(['1', '2']);

		await b.stream.close();
		const after = fillOrdersNow(sim, 1);
		await waitFor(
			() =>
				a.events.some((e) => String(e.event.order_id) === after[0] && e.event.status === 'FILLED'),
			WAIT_MS,
			'a after b left',
		);
		expect(sim.control.connections()).toHaveLength(1);
		expect(a.of('disconnected')).toEqual([]);
		expect(b.events.map((e) => String(e.event.order_id))).not.toContain(history[0]);

		const started = performance.now();
		await a.stream.close();
		await sim.control.waitForDisconnect(2_000);
		expect(performance.now() - started).toBeLessThan(2_000);
	});

	it('another client logging in again and again: logins stay bounded, replacements are reported once past the limit', async () => {
		const settings = {
			sessionReplacedWindowMs: 60_000,
			sessionReplacedAlertAfter: 3,
			sessionReplacedMaxDelayMs: 400,
		};
		const a = await consumer(settings);
		const b = await consumer(settings);
		// The other client: a full login every time the trigger has logged in again.
		let foreign = 0;
		for (let round = 0; round < 5; round++) {
			const before = a.of('connected').length;
			sim.control.issueSession();
			foreign++;
			await waitFor(
				() => a.of('connected').length > before,
				WAIT_MS,
				`the trigger back after foreign login ${round + 1}`,
			);
		}
		const ours = sim.control.sessionCounts.logins - foreign;
		// One login at start and one per replacement, shared by both consumers.
		expect(ours).toBe(1 + foreign);
		expect(a.of('session-replaced').map((s) => s.count)).toEqual([1, 2, 3, 4, 5]);
		const waits = a.of('session-replaced').map((s) => s.inMs);
		expect(waits[0]).toBe(0);
		expect(waits.slice(1).every((ms, i) => ms >= waits[i])).toBe(true);
		expect(Math.max(...waits)).toBeLessThanOrEqual(400);
		for (const x of [a, b]) {
			expect(x.of('session-contested')).toHaveLength(1);
			expect(x.of('session-contested')[0].error.code).toBe('NUBRA_SESSION_CONTESTED');
			expect(x.of('session-contested')[0].error.message).toMatch(/Another client keeps logging in/);
		}
	});

	it('the credential test on a live account checks its session: no login, the socket stays', async () => {
		const a = await consumer({ accounts: undefined });
		const result = await testNubraCredential({
			id: 'c1',
			name: 'Nubra',
			type: 'nubraApi',
			data: { ...simulatorCredentials(sim), allowUnauthorizedCerts: false } as never,
		});
		expect(result.status).toBe('OK');
		expect(result.message).toContain('No new login was made');
		expect(sim.control.sessionCounts.logins).toBe(1);
		fillOrdersNow(sim, 1);
		await waitFor(() => finalStatesDelivered(sim, a.events), WAIT_MS, 'the fill');
		expect(a.of('disconnected')).toEqual([]);
	});

	it('credentials of another device are another account: a socket each', async () => {
		await sim.close();
		sim = await startSimulator({ singleSession: false });
		await consumer();
		await consumer({}, () => simulatorCredentials(sim, { deviceId: 'second-device' }));
		expect(sim.control.connections()).toHaveLength(2);
		expect(accounts.size).toBe(2);
	});

	it('an edited credential moves its consumer to the new account at the next reconnect; the others stay', async () => {
		await sim.close();
		sim = await startSimulator({ singleSession: false });
		let deviceId = 'first-device';
		const a = await consumer({}, () => simulatorCredentials(sim, { deviceId: 'shared-device' }));
		const moving = await consumer({}, () => simulatorCredentials(sim, { deviceId }));
		expect(moving.stream.connection).not.toBe(a.stream.connection);
		await sim.control.waitForSubscribers(2);
		const before = moving.stream.connection;
		deviceId = 'shared-device';
		sim.control.dropAfter(0);
		await waitFor(
			() => moving.stream.connection !== before && moving.stream.connection.live,
			WAIT_MS,
			'the move',
		);
		expect(moving.stream.connection).toBe(a.stream.connection);
		expect(before.closed).toBe(true);
		await waitFor(() => sim.control.connections().length === 1, WAIT_MS, 'the old socket to close');
		fillOrdersNow(sim, 1);
		await waitFor(
			() => finalStatesDelivered(sim, moving.events) && finalStatesDelivered(sim, a.events),
			WAIT_MS,
			'the fill',
		);
	});
});

describe('a session shared beyond the process (the store)', () => {
	let sim: RunningSimulator;
	beforeEach(async () => {
		sim = await startSimulator();
	});
	afterEach(async () => {
		await sim.close();
	});

	/** Another process's view: a stored session and a login that writes it back. */
	function storeOf(
		other: NubraAccounts,
	): SessionStore & { saved: NubraSession | undefined; logins: number } {
		const account = () => other.account(simulatorCredentials(sim));
		const store = {
			saved: undefined as NubraSession | undefined,
			logins: 0,
			load: () => Promise.resolve(store.saved),
			login: async () => {
				store.logins++;
				store.saved = await account().auth.login();
				return store.saved;
			},
		};
		return store;
	}

	it('a second process adopts the stored session instead of logging in, and adopts a renewal made by another', async () => {
		const main = new NubraAccounts();
		const worker = new NubraAccounts();
		const store = storeOf(new NubraAccounts());
		const mainAccount = main.account(simulatorCredentials(sim));
		mainAccount.offerStore(store);
		const workerAccount = worker.account(simulatorCredentials(sim));
		workerAccount.offerStore(store);

		const first = await mainAccount.auth.getSession();
		expect(store.logins).toBe(1);
		expect((await workerAccount.auth.getSession()).sessionToken).toBe(first.sessionToken);
		await workerAccount.auth.fetchSentinelOrders();
		expect(sim.control.sessionCounts.logins).toBe(1);

		// The session ends; the main process renews it through the store; the worker's next
		// call meets a 440 and adopts the renewal instead of logging in again.
		sim.control.expireSessions();
		await mainAccount.auth.refresh('test', first);
		expect(store.logins).toBe(2);
		await workerAccount.auth.fetchSentinelOrders();
		expect(store.logins).toBe(2);
		expect(sim.control.sessionCounts.logins).toBe(2);
		expect(workerAccount.auth.currentSession?.sessionToken).toBe(store.saved?.sessionToken);
	});

	it('a store the host cannot read right now (n8n 2.41 outside an activation): no login through it, one direct login', async () => {
		const registry = new NubraAccounts();
		const account = registry.account(simulatorCredentials(sim));
		let attempts = 0;
		account.offerStore({
			load: () => Promise.reject(new Error('No bridge acquired for this context')),
			login: () => {
				attempts++;
				return Promise.reject(new Error('No bridge acquired for this context'));
			},
		});
		const first = await account.auth.getSession();
		sim.control.expireSessions();
		const renewed = await account.auth.refresh('test', first);
		expect(renewed.sessionToken).not.toBe(first.sessionToken);
		// A login through a store that cannot even be read could half-succeed: never tried.
		expect(attempts).toBe(0);
		expect(sim.control.sessionCounts.logins).toBe(2);
		await account.auth.fetchSentinelOrders();
	});

	it('a store whose login fails falls back to one direct login', async () => {
		const registry = new NubraAccounts();
		const account = registry.account(simulatorCredentials(sim));
		let attempts = 0;
		account.offerStore({
			load: () => Promise.resolve(undefined),
			login: () => {
				attempts++;
				return Promise.reject(new Error('the host refused'));
			},
		});
		await account.auth.getSession();
		expect(attempts).toBe(1);
		expect(sim.control.sessionCounts.logins).toBe(1);
		await account.auth.fetchSentinelOrders();
	});
});
