import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { ORDER_SERVICE_SOCKET_PATH, USER_SOCKET_PATH } from '../client/credentials';
import type { OrderChange } from './book';
import { encodeChange } from './encode';
import type { SimulatorEmitter } from './events';
import { malformedFrame } from './malformed';
import type { SessionStore } from './sessions';
import type { Channel, ConnectionInfo, MalformedKind, NubraApiVersion } from './types';

/** The second and third words of the subscribe command, per channel. */
const SUBSCRIBE_TOPICS: Record<Channel, string> = {
	user: 'notifications notification',
	'order-service': 'direct_intent notification',
};

export const INVALID_TOKEN_TEXT = 'Invalid Token';

interface Connection {
	id: number;
	ws: WebSocket;
	channel: Channel;
	apiVersion: NubraApiVersion;
	subscribed: boolean;
	/** The order-service socket carries the session token in its URL as well. */
	urlToken: string | undefined;
	sessionToken: string | undefined;
	halfOpen: boolean;
	/** Frames left before `dropAfter` cuts this connection; undefined when none is armed. */
	framesBeforeDrop: number | undefined;
	dropping: boolean;
	/** Order frames still to be sent cut in half (`corruptNext`). */
	framesToCorrupt: number;
}

export interface SubscriberHubOptions {
	sessions: SessionStore;
	emitter: SimulatorEmitter;
	/** Generation of subscriptions made from now on. */
	apiVersion: NubraApiVersion;
	maxFrameBytes: number | undefined;
	log: (line: string) => void;
}

/**
 * The websocket side: accepts upgrades on the user and order-service paths, runs the
 * `subscribe` handshake, fans state changes out in each connection's generation and applies the
 * socket faults. Pings are answered by hand so a half-open connection can stop answering them.
 */
export class SubscriberHub {
	readonly #options: SubscriberHubOptions;
	readonly #server: WebSocketServer;
	readonly #connections = new Map<number, Connection>();
	readonly #timers = new Set<NodeJS.Timeout>();
	#lastId = 0;
	#apiVersion: NubraApiVersion;
	#refusalsLeft = 0;
	#handshakeDelayMs = 0;

	constructor(options: SubscriberHubOptions) {
		this.#options = options;
		this.#apiVersion = options.apiVersion;
		this.#server = new WebSocketServer({
			noServer: true,
			autoPong: false,
			...(options.maxFrameBytes ? { maxPayload: options.maxFrameBytes } : {}),
		});
	}

	/** For `http.Server` 'upgrade'. */
	handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
		const url = new URL(request.url ?? '/', 'http://simulator.invalid');
		const channel: Channel | undefined =
			url.pathname === USER_SOCKET_PATH
				? 'user'
				: url.pathname === ORDER_SERVICE_SOCKET_PATH
					? 'order-service'
					: undefined;
		if (!channel) return rejectUpgrade(socket, 404, 'Not Found');
		if (this.#refusalsLeft > 0) {
			this.#refusalsLeft--;
			this.#options.log(`websocket upgrade refused with 503 (${this.#refusalsLeft} refusals left)`);
			return rejectUpgrade(socket, 503, 'Service Unavailable');
		}
		this.#server.handleUpgrade(request, socket, head, (ws) => {
			this.#accept(ws, channel, url.searchParams.get('token') ?? undefined);
		});
	}

	setApiVersion(version: NubraApiVersion): void {
		if (!['v1', 'v2', 'v3'].includes(version))
			throw new RangeError(`Unknown API version ${String(version)}`);
		this.#apiVersion = version;
	}

	get subscriberCount(): number {
		let count = 0;
		for (const connection of this.#connections.values()) if (connection.subscribed) count++;
		return count;
	}

	connections(): ConnectionInfo[] {
		return [...this.#connections.values()].map(info);
	}

	/** Sends the change to every subscriber that can receive it; returns their ids. */
	broadcast(change: OrderChange): number[] {
		const frames = new Map<NubraApiVersion, Uint8Array>();
		const delivered: number[] = [];
		for (const connection of this.#receivers()) {
			let frame = frames.get(connection.apiVersion);
			if (!frame) {
				frame = encodeChange(change, connection.apiVersion);
				frames.set(connection.apiVersion, frame);
			}
			this.#send(connection, frame);
			delivered.push(connection.id);
		}
		return delivered;
	}

	sendMalformed(kind: MalformedKind): void {
		const frame = malformedFrame(kind);
		for (const connection of this.#receivers()) connection.ws.send(frame);
	}

	corruptNext(frames: number): void {
		if (!Number.isInteger(frames) || frames < 0)
			throw new RangeError('corruptNext needs a whole number of frames');
		for (const connection of this.#connections.values()) {
			if (connection.subscribed) connection.framesToCorrupt = frames;
		}
	}

	/** Mid-stream `Invalid Token`: the subscriber's session ends and it gets no more frames. */
	sendInvalidToken(): void {
		for (const connection of [...this.#receivers()]) {
			connection.subscribed = false;
			connection.ws.send(INVALID_TOKEN_TEXT);
			if (connection.sessionToken) this.#options.sessions.revokeSession(connection.sessionToken);
		}
	}

	/**
	 * Nubra keeps one session per account: a socket subscribed with a token that a newer login
	 * (or an expiry) ended hears `Invalid Token` and is closed.
	 */
	endRevokedSubscriptions(): void {
		for (const connection of this.#connections.values()) {
			const token = connection.sessionToken;
			if (
				!connection.subscribed ||
				token === undefined ||
				this.#options.sessions.isLiveSession(token)
			)
				continue;
			connection.subscribed = false;
			this.#options.log(
				`connection ${connection.id}: session ended by a newer login or expiry, Invalid Token`,
			);
			if (connection.ws.readyState !== connection.ws.OPEN) continue;
			connection.ws.send(INVALID_TOKEN_TEXT, () => connection.ws.close(1008, INVALID_TOKEN_TEXT));
		}
	}

	dropAfter(frames: number): void {
		if (!Number.isInteger(frames) || frames < 0)
			throw new RangeError('dropAfter needs a whole number of frames');
		for (const connection of this.#connections.values()) {
			if (!connection.subscribed) continue;
			if (frames === 0) this.#drop(connection);
			else connection.framesBeforeDrop = frames;
		}
	}

	/** Only the connections open now go silent; a reconnect gets a healthy connection. */
	halfOpen(): void {
		for (const connection of this.#connections.values()) connection.halfOpen = true;
	}

	heal(): void {
		for (const connection of this.#connections.values()) connection.halfOpen = false;
	}

	refuseConnections(count: number): void {
		this.#refusalsLeft = Math.max(0, Math.floor(count));
	}

	slowHandshake(ms: number): void {
		this.#handshakeDelayMs = Math.max(0, ms);
	}

	async close(): Promise<void> {
		for (const timer of this.#timers) clearTimeout(timer);
		this.#timers.clear();
		const closed = [...this.#connections.values()].map(
			(connection) =>
				new Promise<void>((resolve) => {
					connection.ws.once('close', () => resolve());
					connection.ws.terminate();
				}),
		);
		await Promise.all(closed);
		await new Promise<void>((resolve) => this.#server.close(() => resolve()));
	}

	*#receivers(): Iterable<Connection> {
		for (const connection of this.#connections.values()) {
			if (
				connection.subscribed &&
				!connection.halfOpen &&
				!connection.dropping &&
				connection.ws.readyState === connection.ws.OPEN
			) {
				yield connection;
			}
		}
	}

	#send(connection: Connection, whole: Uint8Array): void {
		let frame = whole;
		if (connection.framesToCorrupt > 0) {
			connection.framesToCorrupt--;
			// Half the envelope: its length prefix promises more bytes than arrive.
			frame = whole.subarray(0, Math.floor(whole.length / 2));
		}
		if (connection.framesBeforeDrop === undefined) {
			connection.ws.send(frame);
			return;
		}
		connection.framesBeforeDrop--;
		if (connection.framesBeforeDrop > 0) {
			connection.ws.send(frame);
			return;
		}
		// Cut only once the frame has reached the socket, so the client does get it.
		connection.dropping = true;
		connection.ws.send(frame, () => this.#drop(connection));
	}

	#drop(connection: Connection): void {
		connection.dropping = true;
		this.#options.log(`connection ${connection.id}: TCP connection dropped (fault)`);
		connection.ws.terminate();
	}

	#accept(ws: WebSocket, channel: Channel, urlToken: string | undefined): void {
		const connection: Connection = {
			id: ++this.#lastId,
			ws,
			channel,
			apiVersion: this.#apiVersion,
			subscribed: false,
			urlToken,
			sessionToken: undefined,
			halfOpen: false,
			framesBeforeDrop: undefined,
			framesToCorrupt: 0,
			dropping: false,
		};
		this.#connections.set(connection.id, connection);
		this.#options.log(`connection ${connection.id} opened on the ${channel} socket`);
		ws.on('message', (data, isBinary) => {
			if (!isBinary && !connection.halfOpen) this.#onText(connection, rawToString(data));
		});
		ws.on('ping', (data) => {
			this.#options.emitter.emit('ping', info(connection));
			if (!connection.halfOpen) ws.pong(data);
		});
		ws.on('error', (error) => this.#options.log(`connection ${connection.id}: ${error.message}`));
		ws.on('close', (code) => {
			this.#connections.delete(connection.id);
			connection.subscribed = false;
			this.#options.log(`connection ${connection.id} closed (${code})`);
			this.#options.emitter.emit('disconnected', info(connection));
		});
	}

	#onText(connection: Connection, text: string): void {
		const [command, token, ...topics] = text.trim().split(/\s+/);
		if (command !== 'subscribe' || topics.join(' ') !== SUBSCRIBE_TOPICS[connection.channel]) {
			this.#options.log(
				`connection ${connection.id}: ignored a text frame that is not a subscribe`,
			);
			return;
		}
		if (this.#handshakeDelayMs === 0) {
			this.#subscribe(connection, token ?? '');
			return;
		}
		const timer = setTimeout(() => {
			this.#timers.delete(timer);
			if (this.#connections.has(connection.id)) this.#subscribe(connection, token ?? '');
		}, this.#handshakeDelayMs);
		this.#timers.add(timer);
	}

	#subscribe(connection: Connection, token: string): void {
		const urlTokenMatches = connection.urlToken === undefined || connection.urlToken === token;
		if (!urlTokenMatches || !this.#options.sessions.isLiveSession(token)) {
			this.#options.log(`connection ${connection.id}: subscribe refused, Invalid Token`);
			connection.ws.send(INVALID_TOKEN_TEXT);
			return;
		}
		connection.sessionToken = token;
		connection.apiVersion = this.#apiVersion;
		connection.subscribed = true;
		this.#options.log(`connection ${connection.id} subscribed (${connection.apiVersion})`);
		this.#options.emitter.emit('subscribed', info(connection));
	}
}

function info(connection: Connection): ConnectionInfo {
	return {
		id: connection.id,
		apiVersion: connection.apiVersion,
		subscribed: connection.subscribed,
		channel: connection.channel,
	};
}

function rawToString(data: RawData): string {
	if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
	return Buffer.from(data as ArrayBuffer).toString('utf8');
}

function rejectUpgrade(socket: Duplex, status: number, reason: string): void {
	socket.end(
		`HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(reason)}\r\n\r\n${reason}`,
	);
}
