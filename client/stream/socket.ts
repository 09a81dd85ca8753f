import WebSocket from 'ws';

import { NUBRA_ERROR_CODES, NubraError, describeError } from '../errors';
import { CERTIFICATE_HINT, isCertificateError } from '../http';
import { redactUrl } from '../logger';
import type { SocketChoice, StreamAuth, StreamSession } from './types';

export type SocketChannel = 'user' | 'order-service';

const SUBSCRIBE_CHANNELS: Record<SocketChannel, string> = {
	user: 'notifications notification',
	'order-service': 'direct_intent notification',
};

const SOCKET_UNREACHABLE_HINT =
	'Check the environment or socket URL in the credential and the network from this n8n host.';

/** Where to connect when `/userinfo` announces no socket (or an empty one, as UAT does). */
export interface DefaultSocketUrls {
	user: () => string | Promise<string>;
	/** The environment's order-service socket (`/oms-socket-latest/ws`); without it, the user socket. */
	orderService?: () => string | Promise<string>;
}

/** The socket URL and the channel whose subscribe it understands. */
export async function resolveSocket(
	choice: SocketChoice,
	auth: StreamAuth,
	session: StreamSession,
	defaults: DefaultSocketUrls,
): Promise<{ url: string; channel: SocketChannel }> {
	if (choice.kind === 'explicit') return { url: choice.url, channel: choice.channel ?? 'user' };
	const info = await auth.userInfo(session);
	if (choice.kind === 'order-service') {
		if (info.orderServiceWsUrl) return { url: info.orderServiceWsUrl, channel: 'order-service' };
		// Never connect to '': UAT announces an empty order-service URL, so the environment's
		// documented path is used; without one, the user socket (with the user subscribe).
		if (defaults.orderService)
			return { url: await defaults.orderService(), channel: 'order-service' };
	}
	return { url: info.userWsUrl || (await defaults.user()), channel: 'user' };
}

export interface OpenSocketOptions {
	url: string;
	channel: SocketChannel;
	token: string;
	handshakeTimeoutMs: number;
	maxFrameBytes: number;
	rejectUnauthorized: boolean;
	/** Scrubs secrets from text quoted in errors. */
	redact: (text: string) => string;
	/** Told the socket as soon as it exists, so a close can terminate a handshake in progress. */
	onCreated: (socket: WebSocket) => void;
}

/** Opens the socket and sends the subscribe command; rejects with a NubraError that says where. */
export function openSubscribedSocket(options: OpenSocketOptions): Promise<WebSocket> {
	const { url, channel, token } = options;
	const target =
		channel === 'order-service'
			? `${url}${url.includes('?') ? '&' : '?'}token=${encodeURIComponent(token)}`
			: url;
	return new Promise<WebSocket>((resolve, reject) => {
		const socket = new WebSocket(target, {
			handshakeTimeout: options.handshakeTimeoutMs,
			maxPayload: options.maxFrameBytes,
			rejectUnauthorized: options.rejectUnauthorized,
			perMessageDeflate: false,
		});
		options.onCreated(socket);
		const fail = (reason: string, hint = SOCKET_UNREACHABLE_HINT) => {
			socket.removeAllListeners();
			socket.on('error', () => undefined);
			socket.terminate();
			reject(
				new NubraError(
					NUBRA_ERROR_CODES.UNREACHABLE,
					`Could not open the Nubra order socket at ${redactUrl(url)}: ${options.redact(reason)}`,
					{ hint },
				),
			);
		};
		socket.once('error', (error) =>
			fail(
				describeError(error),
				isCertificateError(error) ? CERTIFICATE_HINT : SOCKET_UNREACHABLE_HINT,
			),
		);
		socket.once('unexpected-response', (_request, response) =>
			fail(`HTTP ${response.statusCode ?? '?'} on the websocket upgrade`),
		);
		socket.once('close', (code) => fail(`closed during the handshake (code ${code})`));
		socket.once('open', () => {
			socket.removeAllListeners();
			socket.send(`subscribe ${token} ${SUBSCRIBE_CHANNELS[channel]}`);
			resolve(socket);
		});
	});
}
