import WebSocket from 'ws';
import { loadNubraSchema, TYPE_SUFFIXES } from '../../client/schema';
import { totp } from '../../client/totp';
import type { NubraApiVersion, RunningSimulator } from '../../simulator';

/**
 * A plain client for the simulator tests: raw HTTP, a raw `ws` socket and a small decoder of
 * its own (the product decoder is tested separately; these tests must not depend on it).
 */

export interface HttpResult {
	status: number;
	text: string;
	json: Record<string, unknown>;
}

export async function http(
	url: string,
	options: { method?: string; headers?: Record<string, string>; body?: unknown } = {},
): Promise<HttpResult> {
	const response = await fetch(url, {
		method: options.method ?? (options.body === undefined ? 'GET' : 'POST'),
		headers: { 'content-type': 'application/json', ...options.headers },
		body: options.body === undefined ? undefined : JSON.stringify(options.body),
	});
	const text = await response.text();
	let json: Record<string, unknown> = {};
	try {
		json = JSON.parse(text) as Record<string, unknown>;
	} catch {
		// Left empty: the tests that care assert on `text`.
	}
	return { status: response.status, text, json };
}

export const DEVICE_ID = 'sim-test-device';

/** The TOTP login of section 2: phone + TOTP, then MPIN. */
export async function login(
	sim: RunningSimulator,
	deviceId = DEVICE_ID,
): Promise<{ authToken: string; sessionToken: string }> {
	const { phone, mpin, totpSecret } = sim.credentials;
	const first = await http(`${sim.restUrl}/totp/login`, {
		headers: { 'x-device-id': deviceId },
		body: { phone, totp: Number(totp(totpSecret)), otp: '' },
	});
	if (first.status !== 201) throw new Error(`totp/login answered ${first.status}`);
	const authToken = String(first.json.auth_token);
	const second = await http(`${sim.restUrl}/verifypin`, {
		headers: { 'x-device-id': deviceId, authorization: `Bearer ${authToken}` },
		body: { pin: mpin },
	});
	if (second.status !== 200) throw new Error(`verifypin answered ${second.status}`);
	return { authToken, sessionToken: String(second.json.session_token) };
}

export type Received = { binary: true; data: Buffer } | { binary: false; text: string };

/** A recording websocket client whose waits are event-driven, never timed sleeps. */
export class RecordingSocket {
	readonly received: Received[] = [];
	readonly ws: WebSocket;
	readonly opened: Promise<void>;
	readonly closed: Promise<{ code: number }>;
	#listeners = new Set<() => void>();

	constructor(url: string, options: WebSocket.ClientOptions = {}) {
		this.ws = new WebSocket(url, options);
		this.opened = new Promise((resolve, reject) => {
			this.ws.once('open', () => resolve());
			this.ws.once('error', reject);
			this.ws.once('unexpected-response', (_request, response) =>
				reject(new Error(`HTTP ${response.statusCode}`)),
			);
		});
		this.closed = new Promise((resolve) => this.ws.once('close', (code) => resolve({ code })));
		// An expected failure (a refused upgrade) must not surface as an unhandled rejection.
		this.opened.catch(() => undefined);
		this.ws.on('error', () => undefined);
		this.ws.on('message', (data, isBinary) => {
			const buffer = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
			this.received.push(
				isBinary
					? { binary: true, data: buffer }
					: { binary: false, text: buffer.toString('utf8') },
			);
			for (const listener of this.#listeners) listener();
		});
	}

	get frames(): Buffer[] {
		return this.received.flatMap((item) => (item.binary ? [item.data] : []));
	}

	get texts(): string[] {
		return this.received.flatMap((item) => (item.binary ? [] : [item.text]));
	}

	async subscribe(token: string, topics = 'notifications notification'): Promise<void> {
		await this.opened;
		this.ws.send(`subscribe ${token} ${topics}`);
	}

	/** Resolves once at least `count` messages (binary or text) have arrived. */
	waitForMessages(count: number, timeoutMs = 4_000): Promise<void> {
		if (this.received.length >= count) return Promise.resolve();
		return new Promise((resolve, reject) => {
			const check = () => {
				if (this.received.length < count) return;
				clearTimeout(timer);
				this.#listeners.delete(check);
				resolve();
			};
			const timer = setTimeout(() => {
				this.#listeners.delete(check);
				reject(new Error(`Got ${this.received.length} of ${count} messages`));
			}, timeoutMs);
			this.#listeners.add(check);
		});
	}

	close(): Promise<{ code: number }> {
		if (this.ws.readyState === WebSocket.CONNECTING || this.ws.readyState === WebSocket.OPEN)
			this.ws.terminate();
		return this.closed;
	}
}

/**
 * Sockets subscribed to one simulator, each with its own session and in the API generation it
 * was opened in (the simulator encodes per socket in the generation set when it subscribed).
 */
export class GenerationSockets {
	readonly #sockets: RecordingSocket[] = [];

	constructor(private readonly sim: RunningSimulator) {}

	/** A socket on a new session, in `version`, once the simulator counts it subscribed. */
	async subscribe(version: NubraApiVersion): Promise<RecordingSocket> {
		this.sim.control.setApiVersion(version);
		const socket = new RecordingSocket(this.sim.wsUrl);
		this.#sockets.push(socket);
		await socket.subscribe(this.sim.control.issueSession().sessionToken);
		await this.sim.control.waitForSubscribers(this.#sockets.length);
		return socket;
	}

	async closeAll(): Promise<void> {
		await Promise.all(this.#sockets.splice(0).map((socket) => socket.close()));
	}
}

export interface DecodedFrame {
	typeUrl: string;
	suffix: string;
	message: Record<string, unknown>;
}

/** Any → Any → message, with int64 as strings and enums as names. */
export function decodeFrame(frame: Uint8Array): DecodedFrame {
	const schema = loadNubraSchema();
	const outer = schema.any.decode(frame) as unknown as { value: Uint8Array };
	const inner = schema.any.decode(outer.value) as unknown as {
		type_url: string;
		value: Uint8Array;
	};
	const suffix = inner.type_url.split(/[/.]/).pop() ?? '';
	const type =
		suffix === TYPE_SUFFIXES.v1
			? schema.order
			: suffix === TYPE_SUFFIXES.v2
				? schema.executions
				: suffix === TYPE_SUFFIXES.v3
					? schema.intentUpdate
					: undefined;
	if (!type) return { typeUrl: inner.type_url, suffix, message: {} };
	const message = type.toObject(type.decode(inner.value), {
		longs: String,
		enums: String,
		arrays: false,
	});
	return { typeUrl: inner.type_url, suffix, message };
}
