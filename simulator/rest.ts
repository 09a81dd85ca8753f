import type { IncomingMessage, ServerResponse } from 'node:http';
import { quoteUnsafeIntegers } from '../client/http';
import { verifyTotp } from '../client/totp';
import type { SimulatorEmitter } from './events';
import type { SessionStore, TokenCheck } from './sessions';
import { sentinelOrders } from './sentinel';
import type { SimOrder } from './types';

/** The OTP the simulator "sends" by SMS. */
export const DEMO_OTP = '123456';
export const SIM_USER_ID = 700_001;

const MAX_BODY_BYTES = 64 * 1024;

export interface RestContext {
	sessions: SessionStore;
	phone: string;
	mpin: string;
	totpSecret: string;
	orders: () => SimOrder[];
	envInfo: () => { user_ws_url: string; market_ws_url: string; order_service_ws_url: string };
	emitter: SimulatorEmitter;
	log: (line: string) => void;
	/** Routes served besides the login and snapshot ones (the trading desk's), by path. */
	extraRoute?: (path: string) => Route | undefined;
}

export interface Reply {
	status: number;
	/** A JSON value, or already-serialised JSON text (the order snapshot keeps int64 literals). */
	body: unknown;
	headers?: Record<string, string>;
}

export interface Request {
	method: string;
	path: string;
	query: URLSearchParams;
	headers: IncomingMessage['headers'];
	body: Record<string, unknown>;
}

export type Handler = (request: Request, context: RestContext) => Reply;
export interface Route {
	method: string;
	handler: Handler;
}

export const error = (status: number, message: string, code: string): Reply => ({
	status,
	body: { error: message, nubra_error_code: code },
});

const ROUTES: Record<string, Route> = {
	'/sendphoneotp': { method: 'POST', handler: sendPhoneOtp },
	'/verifyphoneotp': { method: 'POST', handler: verifyPhoneOtp },
	'/totp/login': { method: 'POST', handler: totpLogin },
	'/verifypin': { method: 'POST', handler: verifyPin },
	'/userinfo': { method: 'GET', handler: userInfo },
	'/sentinel/orders': { method: 'GET', handler: orderSnapshot },
	'/logout': { method: 'POST', handler: logout },
};

/** The `http.Server` request listener for Nubra's login and order-snapshot endpoints. */
export function createRestHandler(
	context: RestContext,
): (req: IncomingMessage, res: ServerResponse) => void {
	return (req, res) => {
		void respond(req, res, context);
	};
}

async function respond(
	req: IncomingMessage,
	res: ServerResponse,
	context: RestContext,
): Promise<void> {
	const url = new URL(req.url ?? '/', 'http://simulator.invalid');
	const method = req.method ?? 'GET';
	let reply: Reply;
	try {
		const route = ROUTES[url.pathname] ?? context.extraRoute?.(url.pathname);
		const text = await readBody(req);
		if (!route) reply = error(404, 'Not found', 'NOT_FOUND');
		else if (route.method !== method)
			reply = error(405, 'Method not allowed', 'METHOD_NOT_ALLOWED');
		else {
			const body = parseBody(text);
			reply = body
				? route.handler(
						{ method, path: url.pathname, query: url.searchParams, headers: req.headers, body },
						context,
					)
				: error(400, 'Request body is not a JSON object', 'BAD_REQUEST');
		}
	} catch (caught) {
		reply =
			caught instanceof BodyTooLargeError
				? error(413, 'Request body too large', 'BAD_REQUEST')
				: error(500, 'Internal error in the simulator', 'INTERNAL');
	}
	const text = typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body);
	res.writeHead(reply.status, {
		...reply.headers,
		'content-type': 'application/json',
		'content-length': Buffer.byteLength(text),
	});
	res.end(text);
	context.log(`${method} ${url.pathname} -> ${reply.status}`);
	context.emitter.emit('request', { method, path: url.pathname, status: reply.status });
}

function sendPhoneOtp(request: Request, context: RestContext): Reply {
	if (request.body.phone !== context.phone)
		return error(400, 'Phone number is not registered', 'PHONE_NOT_REGISTERED');
	return {
		status: 200,
		body: {
			temp_token: context.sessions.issueTempToken(),
			next: 'VERIFY_MOBILE',
			attempts_left: 3,
			expiry: 300,
			message: 'OTP sent',
		},
	};
}

function verifyPhoneOtp(request: Request, context: RestContext): Reply {
	const deviceId = header(request, 'x-device-id');
	if (!deviceId) return missingDeviceId();
	const tempToken = header(request, 'x-temp-token') ?? '';
	if (!context.sessions.isTempToken(tempToken))
		return error(440, 'OTP session expired, request a new OTP', 'OTP_SESSION_EXPIRED');
	if (request.body.phone !== context.phone || String(request.body.otp) !== DEMO_OTP) {
		return error(401, 'Invalid OTP', 'INVALID_OTP');
	}
	context.sessions.consumeTempToken(tempToken);
	return {
		status: 201,
		body: { auth_token: context.sessions.issueAuthToken(deviceId), next: 'ENTER_MPIN' },
	};
}

function totpLogin(request: Request, context: RestContext): Reply {
	const deviceId = header(request, 'x-device-id');
	if (!deviceId) return missingDeviceId();
	const { phone, totp } = request.body;
	const code =
		typeof totp === 'number'
			? totp
			: typeof totp === 'string' && /^\d{1,6}$/.test(totp)
				? totp
				: undefined;
	if (code === undefined)
		return error(400, 'totp must be the 6-digit code as an integer', 'BAD_REQUEST');
	if (phone !== context.phone || !verifyTotp(context.totpSecret, code))
		return error(401, 'Invalid TOTP', 'INVALID_TOTP');
	return {
		status: 201,
		body: { auth_token: context.sessions.issueAuthToken(deviceId), next: 'ENTER_MPIN' },
	};
}

function verifyPin(request: Request, context: RestContext): Reply {
	const refused = authenticate(request, (token, deviceId) =>
		context.sessions.checkAuthToken(token, deviceId),
	);
	if (refused) return refused;
	if (String(request.body.pin ?? '') !== context.mpin)
		return error(401, 'Invalid MPIN', 'INVALID_MPIN');
	return {
		status: 200,
		body: {
			session_token: context.sessions.issueSessionToken(bearer(request) ?? ''),
			next: 'DASHBOARD',
			userId: SIM_USER_ID,
			message: 'Login successful',
		},
	};
}

function userInfo(request: Request, context: RestContext): Reply {
	const refused = authenticateSession(request, context);
	if (refused) return refused;
	return {
		status: 200,
		body: {
			userId: SIM_USER_ID,
			env_info: context.envInfo(),
			version_info: { status: 'ok' },
		},
	};
}

function orderSnapshot(request: Request, context: RestContext): Reply {
	const refused = authenticateSession(request, context);
	if (refused) return refused;
	const list = (name: string) =>
		request.query
			.get(name)
			?.split(',')
			.map((item) => item.trim())
			.filter(Boolean);
	return {
		status: 200,
		body: sentinelOrders(context.orders(), {
			intentOrderIds: list('intentOrderId'),
			stratTags: list('stratTags'),
		}),
	};
}

function logout(request: Request, context: RestContext): Reply {
	const refused = authenticate(request, (token, deviceId) => {
		const asAuth = context.sessions.checkAuthToken(token, deviceId);
		return asAuth.ok ? asAuth : context.sessions.checkSessionToken(token, deviceId);
	});
	if (refused) return refused;
	context.sessions.revokeLogin(bearer(request) ?? '');
	return { status: 200, body: { message: 'Logged out' } };
}

export function authenticateSession(request: Request, context: RestContext): Reply | undefined {
	return authenticate(request, (token, deviceId) =>
		context.sessions.checkSessionToken(token, deviceId),
	);
}

/** Device id first (400), then the bearer token (401 when absent, 440 when not usable). */
function authenticate(
	request: Request,
	check: (token: string, deviceId: string) => TokenCheck,
): Reply | undefined {
	const deviceId = header(request, 'x-device-id');
	if (!deviceId) return missingDeviceId();
	const token = bearer(request);
	if (!token)
		return error(401, 'Authorization header with a Bearer token is required', 'UNAUTHORIZED');
	const result = check(token, deviceId);
	if (result.ok) return undefined;
	switch (result.reason) {
		// Nubra's 440 does not always say why; an unknown token gets the bare form.
		case 'unknown':
			return { status: 440, body: { message: 'Session is not valid' } };
		case 'expired':
			return error(440, 'Session expired, please log in again', 'SESSION_EXPIRED');
		case 'device-mismatch':
			return error(
				440,
				'Device changed during the session, please log in again',
				'DEVICE_MISMATCH',
			);
	}
}

function missingDeviceId(): Reply {
	return error(400, 'x-device-id header is required', 'DEVICE_ID_REQUIRED');
}

function header(request: Request, name: string): string | undefined {
	const value = request.headers[name];
	const first = Array.isArray(value) ? value[0] : value;
	return first ? first : undefined;
}

function bearer(request: Request): string | undefined {
	return /^Bearer\s+(\S+)$/i.exec(header(request, 'authorization') ?? '')?.[1];
}

function parseBody(text: string): Record<string, unknown> | undefined {
	if (text.trim() === '') return {};
	try {
		// Order ids beyond 2^53 stay exact (as decimal text), as a Java or Go backend reads them.
		const value: unknown = JSON.parse(quoteUnsafeIntegers(text));
		return typeof value === 'object' && value !== null && !Array.isArray(value)
			? (value as Record<string, unknown>)
			: undefined;
	} catch {
		return undefined;
	}
}

class BodyTooLargeError extends RangeError {}

async function readBody(req: IncomingMessage): Promise<string> {
	const chunks: Buffer[] = [];
	let size = 0;
	for await (const chunk of req) {
		const buffer = chunk as Buffer;
		size += buffer.length;
		if (size > MAX_BODY_BYTES) throw new BodyTooLargeError();
		chunks.push(buffer);
	}
	return Buffer.concat(chunks).toString('utf8');
}
