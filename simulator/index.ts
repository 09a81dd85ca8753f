import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ORDER_SERVICE_SOCKET_PATH, USER_SOCKET_PATH } from '../client/credentials';
import { OrderBook } from './book';
import { Control } from './control';
import { SimulatorEmitter } from './events';
import { createRestHandler } from './rest';
import { SessionStore } from './sessions';
import { SubscriberHub } from './socket';
import { TradingDesk } from './trading';
import type { RunningSimulator, SimulatorOptions } from './types';

export * from './types';
export { generateScenario, mulberry32, DEFAULT_MIX } from './scenario';
export { expectedEvent, wireStatus, wireResponseType } from './encode';
export { DEMO_OTP } from './rest';
export { INVALID_TOKEN_TEXT } from './socket';
export { ONE_MIB } from './malformed';
export type { OrderChange } from './book';
export type {
	RefdataRow,
	TradingDeskCounts,
	TradingDeskOptions,
	TradingSimControl,
} from './trading';

/** The demo TOTP secret: a local fake's, printed by the CLI on purpose. Base32, 160 bits. */
export const DEMO_TOTP_SECRET = 'NUBRASIMULATORDEMOSECRET234567AB';
export const DEMO_PHONE = '9876543210';
export const DEMO_MPIN = '2468';

const HOUR_MS = 60 * 60 * 1000;

/**
 * The fields of a "Nubra API" credential (Custom environment, TOTP login) that log in to a
 * running simulator: what tests, the demo and the bench put in their credentials.
 */
export function simulatorCredentialFields(sim: Pick<RunningSimulator, 'restUrl' | 'credentials'>) {
	return {
		environment: 'custom' as const,
		restBaseUrl: sim.restUrl,
		authentication: 'totp' as const,
		phone: sim.credentials.phone,
		mpin: sim.credentials.mpin,
		totpSecret: sim.credentials.totpSecret,
	};
}

/**
 * Starts a local Nubra on one port: the REST login and snapshot endpoints, the user socket at
 * `/ws` and the order-service socket at `/oms-socket-latest/ws`.
 */
export async function startSimulator(options: SimulatorOptions = {}): Promise<RunningSimulator> {
	const host = options.host ?? '127.0.0.1';
	const log = options.log ?? (() => undefined);
	const credentials = {
		phone: options.phone ?? DEMO_PHONE,
		mpin: options.mpin ?? DEMO_MPIN,
		totpSecret: options.totpSecret ?? DEMO_TOTP_SECRET,
	};
	let onRevoked = (): void => undefined;
	const sessions = new SessionStore({
		sessionTokenTtlMs: options.sessionTokenTtlMs ?? 7 * HOUR_MS,
		authTokenTtlMs: options.authTokenTtlMs ?? 24 * HOUR_MS,
		singleSession: options.singleSession ?? true,
		onRevoked: () => onRevoked(),
	});
	const emitter = new SimulatorEmitter();
	const book = new OrderBook(options.bigIds ?? false);
	const hub = new SubscriberHub({
		sessions,
		emitter,
		apiVersion: options.apiVersion ?? 'v3',
		maxFrameBytes: options.maxFrameBytes,
		log,
	});
	onRevoked = () => hub.endRevokedSubscriptions();
	const control = new Control({ book, hub, sessions, emitter });
	const trading = new TradingDesk(control, options.trading);

	const urls = { rest: '', ws: '', orderService: '' };
	const server = createServer(
		createRestHandler({
			sessions,
			...credentials,
			orders: () => book.all(),
			envInfo: () => ({
				user_ws_url: options.userWsUrl ?? urls.ws,
				market_ws_url: urls.ws.replace(/\/ws$/, '/market/ws'),
				order_service_ws_url: options.orderServiceWsUrl ?? urls.orderService,
			}),
			emitter,
			log,
			extraRoute: (path) => trading.route(path),
		}),
	);
	server.on('upgrade', (request, socket, head) => hub.handleUpgrade(request, socket, head));
	await listen(server, options.port ?? 0, host);

	const { port } = server.address() as AddressInfo;
	const urlHost =
		host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
	urls.rest = `http://${urlHost}:${port}`;
	urls.ws = `ws://${urlHost}:${port}${USER_SOCKET_PATH}`;
	urls.orderService = `ws://${urlHost}:${port}${ORDER_SERVICE_SOCKET_PATH}`;
	log(`Nubra simulator listening on ${urls.rest}`);

	let closing: Promise<void> | undefined;
	return {
		restUrl: urls.rest,
		wsUrl: urls.ws,
		orderServiceWsUrl: urls.orderService,
		credentials,
		control,
		trading,
		close: () => {
			closing ??= (async () => {
				trading.close();
				control.shutdown();
				await hub.close();
				server.closeAllConnections();
				await new Promise<void>((resolve) => server.close(() => resolve()));
				emitter.removeAll();
				log('Nubra simulator closed');
			})();
			return closing;
		},
	};
}

function listen(server: Server, port: number, host: string): Promise<void> {
	return new Promise((resolve, reject) => {
		server.once('error', reject);
		server.listen(port, host, () => {
			server.off('error', reject);
			resolve();
		});
	});
}
