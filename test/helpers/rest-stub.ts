import { randomBytes, randomUUID } from 'node:crypto';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { verifyTotp } from '../../client/totp';

/**
 * A scriptable Nubra REST stand-in on 127.0.0.1 for the auth unit tests: real HTTP, but
 * each route can be replaced by a test to answer any status. The default routes follow the
 * protocol reference (docs section 2): 201 from /totp/login, 401 for a wrong TOTP or MPIN,
 * 440 for an unknown or expired token.
 *
 * How to extend: `stub.route('GET /path', (request) => ({ status, body }))`; a handler may
 * return 'hang' (never answer) or 'destroy' (drop the connection).
 */

export interface StubRequest {
	method: string;
	path: string;
	query: URLSearchParams;
	headers: http.IncomingHttpHeaders;
	body: unknown;
	bearer: string | undefined;
}

export type StubReply = { status: number; body?: unknown; text?: string } | 'hang' | 'destroy';
export type StubHandler = (request: StubRequest) => StubReply | Promise<StubReply>;

export const STUB_ACCOUNT = {
	phone: '9876543210',
	mpin: '482619',
	totpSecret: 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP',
} as const;

export interface RestStub {
	url: string;
	requests: StubRequest[];
	/** Live tokens; tests may clear them to expire everything at once. */
	authTokens: Set<string>;
	sessionTokens: Set<string>;
	route(key: string, handler: StubHandler): void;
	/** Restores the default route for `key`. */
	reset(key: string): void;
	count(key: string): number;
	/** Resolves once `predicate` holds for some request, now or later. */
	waitForRequest(predicate: (request: StubRequest) => boolean): Promise<StubRequest>;
	close(): Promise<void>;
}

function newToken(): string {
	return randomBytes(24).toString('hex');
}

export async function startRestStub(
	account: { phone: string; mpin: string; totpSecret: string } = STUB_ACCOUNT,
): Promise<RestStub> {
	const authTokens = new Set<string>();
	const sessionTokens = new Set<string>();
	const requests: StubRequest[] = [];
	const waiters: { predicate: (r: StubRequest) => boolean; resolve: (r: StubRequest) => void }[] =
		[];

	const sessionGuarded =
		(answer: (request: StubRequest) => StubReply): StubHandler =>
		(request) =>
			request.bearer !== undefined && sessionTokens.has(request.bearer)
				? answer(request)
				: { status: 440, body: { error: 'Session expired', nubra_error_code: '' } };

	const defaults: Record<string, StubHandler> = {
		'POST /totp/login': (request) => {
			const body = (request.body ?? {}) as { phone?: unknown; totp?: unknown };
			const code = typeof body.totp === 'number' ? body.totp : -1;
			if (body.phone !== account.phone || !verifyTotp(account.totpSecret, code)) {
				return { status: 401, body: { error: 'Invalid TOTP', nubra_error_code: '' } };
			}
			const authToken = randomUUID();
			authTokens.add(authToken);
			return { status: 201, body: { auth_token: authToken, next: 'ENTER_MPIN' } };
		},
		'POST /verifypin': (request) => {
			if (request.bearer === undefined || !authTokens.has(request.bearer)) {
				return { status: 440, body: { error: 'Token expired', nubra_error_code: '' } };
			}
			if ((request.body as { pin?: unknown } | undefined)?.pin !== account.mpin) {
				return { status: 401, body: { error: 'Invalid MPIN', nubra_error_code: '' } };
			}
			const sessionToken = newToken();
			sessionTokens.add(sessionToken);
			return { status: 200, body: { session_token: sessionToken, next: 'DASHBOARD', userId: 42 } };
		},
		'GET /userinfo': sessionGuarded(() => ({
			status: 200,
			body: {
				env_info: {
					user_ws_url: 'ws://127.0.0.1:1/ws',
					order_service_ws_url: '',
					market_ws_url: '',
				},
				version_info: { status: 'OK' },
			},
		})),
		'GET /sentinel/orders': sessionGuarded(() => ({
			status: 200,
			body: {
				orders: { open: [], executed: [], cancelled: [], expired: [], rejected: [], gtt: [] },
			},
		})),
		'POST /logout': () => ({ status: 200, body: {} }),
	};
	const routes = new Map<string, StubHandler>(Object.entries(defaults));

	const server = http.createServer((req, res) => {
		const chunks: Buffer[] = [];
		req.on('data', (chunk: Buffer) => chunks.push(chunk));
		req.on('end', () => {
			void (async () => {
				const url = new URL(req.url ?? '/', 'http://stub');
				const raw = Buffer.concat(chunks).toString('utf8');
				let body: unknown;
				try {
					body = raw === '' ? undefined : (JSON.parse(raw) as unknown);
				} catch {
					body = raw;
				}
				const authorization = req.headers.authorization;
				const request: StubRequest = {
					method: req.method ?? 'GET',
					path: url.pathname,
					query: url.searchParams,
					headers: req.headers,
					body,
					bearer: authorization?.startsWith('Bearer ') ? authorization.slice(7) : undefined,
				};
				requests.push(request);
				for (const waiter of waiters.filter((w) => w.predicate(request))) {
					waiters.splice(waiters.indexOf(waiter), 1);
					waiter.resolve(request);
				}
				const handler = routes.get(`${request.method} ${request.path}`);
				const reply: StubReply = handler
					? await handler(request)
					: { status: 404, text: 'Not Found' };
				if (reply === 'hang') return;
				if (reply === 'destroy') {
					req.socket.destroy();
					return;
				}
				if (reply.text !== undefined) {
					res.writeHead(reply.status, { 'content-type': 'text/html' }).end(reply.text);
				} else if (reply.body === undefined) {
					res.writeHead(reply.status).end();
				} else {
					res
						.writeHead(reply.status, { 'content-type': 'application/json' })
						.end(JSON.stringify(reply.body));
				}
			})();
		});
	});
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	const { port } = server.address() as AddressInfo;

	return {
		url: `http://127.0.0.1:${port}`,
		requests,
		authTokens,
		sessionTokens,
		route: (key, handler) => routes.set(key, handler),
		reset: (key) => {
			const handler = defaults[key];
			if (handler) routes.set(key, handler);
			else routes.delete(key);
		},
		count: (key) => requests.filter((r) => `${r.method} ${r.path}` === key).length,
		waitForRequest: (predicate) => {
			const seen = requests.find(predicate);
			if (seen) return Promise.resolve(seen);
			return new Promise((resolve) => waiters.push({ predicate, resolve }));
		},
		close: () =>
			new Promise<void>((resolve) => {
				server.closeAllConnections();
				server.close(() => resolve());
			}),
	};
}
