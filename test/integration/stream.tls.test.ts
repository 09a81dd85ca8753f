/**
 * A custom endpoint behind TLS (a relay with a self-signed certificate): certificates are
 * verified unless the credential opts out with "Ignore SSL Issues", for REST and the socket.
 * The relay is a real TLS listener on 127.0.0.1 that pipes each connection to the simulator.
 */
import { readFileSync } from 'node:fs';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { join } from 'node:path';
import { createServer as createTlsServer, type Server as TlsServer } from 'node:tls';
import { generateScenario, startSimulator, type RunningSimulator } from '../../simulator';
import { compareWithLedger } from '../helpers/exactly-once';
import { nubraRejection } from '../helpers/rejection';
import { simulatorCredentials } from '../helpers/simulator-credentials';
import {
	finalStatesDelivered,
	startStreamAgainst,
	type StreamUnderTest,
} from '../helpers/stream-harness';
import { waitFor } from '../helpers/wait';

jest.setTimeout(15_000);

const TLS_FIXTURES = join(__dirname, '..', 'fixtures', 'tls');

interface TlsRelay {
	port: number;
	/** TLS handshakes completed, i.e. connections that reached the simulator. */
	secured: number;
	/** Cuts every relayed connection, as a relay restart would. */
	dropAll(): void;
	close(): Promise<void>;
}

async function startTlsRelay(targetPort: number): Promise<TlsRelay> {
	const sockets = new Set<Socket>();
	const relay: TlsRelay = {
		port: 0,
		secured: 0,
		dropAll: () => {
			for (const socket of sockets) socket.destroy();
		},
		close: async () => undefined,
	};
	const server: TlsServer = createTlsServer(
		{
			key: readFileSync(join(TLS_FIXTURES, 'key.pem')),
			cert: readFileSync(join(TLS_FIXTURES, 'cert.pem')),
		},
		(client) => {
			relay.secured++;
			const upstream = connect(targetPort, '127.0.0.1');
			for (const socket of [client, upstream]) {
				sockets.add(socket);
				socket.on('close', () => sockets.delete(socket));
				socket.on('error', () => undefined);
			}
			client.on('close', () => upstream.destroy());
			upstream.on('close', () => client.destroy());
			client.pipe(upstream).pipe(client);
		},
	);
	// A client that refuses the certificate aborts the handshake: expected here.
	server.on('tlsClientError', () => undefined);
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	relay.port = (server.address() as AddressInfo).port;
	relay.close = async () => {
		relay.dropAll();
		await new Promise<void>((resolve) => server.close(() => resolve()));
	};
	return relay;
}

describe('a custom endpoint behind TLS with a self-signed certificate', () => {
	let sim: RunningSimulator;
	let relay: TlsRelay;
	let t: StreamUnderTest | undefined;

	beforeEach(async () => {
		sim = await startSimulator();
		relay = await startTlsRelay(Number(new URL(sim.restUrl).port));
	});

	afterEach(async () => {
		await t?.stream.close();
		t = undefined;
		await relay.close();
		await sim.close();
	});

	const overTls = (allowUnauthorizedCerts: boolean, rest: 'tls' | 'plain' = 'tls') =>
		simulatorCredentials(sim, {
			restBaseUrl: rest === 'tls' ? `https://127.0.0.1:${relay.port}` : sim.restUrl,
			socketUrl: `wss://127.0.0.1:${relay.port}/ws`,
			allowUnauthorizedCerts,
		});

	it('refuses the REST login by default, before any secret is sent, and says how to proceed', async () => {
		const logins: string[] = [];
		const stop = sim.control.on('request', (request) => logins.push(request.path));
		t = await startStreamAgainst(sim, { credentials: () => overTls(false), noStart: true });
		const error = await nubraRejection(t.stream.start());
		stop();
		expect(error.code).toBe('NUBRA_UNREACHABLE');
		expect(error.message).toMatch(/self-signed certificate/);
		expect(error.hint).toContain('Ignore SSL Issues');
		expect(logins).toEqual([]);
		expect(relay.secured).toBe(0);
	});

	it('refuses the socket by default even when REST is plain HTTP', async () => {
		t = await startStreamAgainst(sim, {
			credentials: () => overTls(false, 'plain'),
			noStart: true,
			maxReconnectAttempts: 1,
		});
		const error = await nubraRejection(t.stream.start());
		expect(error.code).toBe('NUBRA_UNREACHABLE');
		expect(error.message).toMatch(
			/order socket at wss:\/\/127\.0\.0\.1:\d+\/ws: .*self-signed certificate/,
		);
		expect(error.hint).toContain('Ignore SSL Issues');
		expect(sim.control.subscriberCount).toBe(0);
		expect(relay.secured).toBe(0);
	});

	it('with Ignore SSL Issues logs in and streams over TLS, every update once', async () => {
		t = await startStreamAgainst(sim, { credentials: () => overTls(true) });
		// One TLS connection per REST request and one for the socket all reached the simulator.
		expect(relay.secured).toBeGreaterThanOrEqual(2);
		await sim.control.play(generateScenario({ seed: 41, orders: 12 }));
		const stream = t;
		await waitFor(
			() => finalStatesDelivered(sim, stream.events),
			4_000,
			'every final state over TLS',
		);
		expect(compareWithLedger(sim.control.ledger, stream.events)).toMatchObject({
			duplicates: [],
			invented: [],
			missingFinal: [],
		});
	});

	it('reads "Ignore SSL Issues" again on every reconnect', async () => {
		let allowUnauthorizedCerts = true;
		t = await startStreamAgainst(sim, {
			credentials: () => overTls(allowUnauthorizedCerts, 'plain'),
			maxReconnectAttempts: 0,
		});
		const stream = t;
		const connects = () => stream.statusesOf('connected').length;
		expect(connects()).toBe(1);

		allowUnauthorizedCerts = false;
		relay.dropAll();
		await waitFor(
			() =>
				stream.statuses.some((status) =>
					JSON.stringify(status).includes('self-signed certificate'),
				),
			4_000,
			'a reconnect refused for the certificate',
		);
		expect(connects()).toBe(1);

		allowUnauthorizedCerts = true;
		await waitFor(
			() => connects() === 2,
			4_000,
			'a reconnect once the credential allows the certificate',
		);
		await sim.control.play(generateScenario({ seed: 42, orders: 6 }));
		await waitFor(
			() => finalStatesDelivered(sim, stream.events),
			4_000,
			'updates after the reconnect',
		);
	});
});
