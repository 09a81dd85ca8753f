import WebSocket from 'ws';

import { backoffDelay } from './backoff';
import { FrameDecoder } from './codec';
import { NUBRA_ERROR_CODES, NubraError, isNubraError, type NubraErrorCode } from './errors';
import type { EventPredicate } from './filter';
import { CERTIFICATE_HINT, isCertificateError } from './http';
import { redactSecrets, redactUrl, silentLogger, type NubraLogger } from './logger';
import { asRecoveredFill, missedFillsBeforeLive, normaliseSnapshotRow, snapshotRows } from './snapshot';
import { OrderStateTracker, orderKey, stateKey } from './tracker';
import type { NubraApiVersion, NubraEvent } from './types';

/** What the stream needs from the auth client (NubraAuthClient fits it). */
export interface StreamAuth {
	getSession(): Promise<{ sessionToken: string }>;
	/** Mints a fresh session (Invalid Token, HTTP 440): verifypin first, full login after. */
	refresh(reason?: string): Promise<{ sessionToken: string }>;
	userInfo(session: { sessionToken: string }): Promise<{ userWsUrl?: string; orderServiceWsUrl?: string }>;
	/** `GET /sentinel/orders`: the whole body or its `orders` object. */
	fetchSentinelOrders(session: { sessionToken: string }): Promise<unknown>;
}

/**
 * Which socket to read: the documented user socket announced by `/userinfo`, the
 * order-service socket seen in SDK 0.5 (`?token=` + `direct_intent`), or a fixed URL.
 */
export type SocketChoice =
	| { kind: 'user' }
	| { kind: 'order-service' }
	| { kind: 'explicit'; url: string; channel?: 'user' | 'order-service' };

/** What to do when events arrive faster than the handler takes them. */
export type OverflowPolicy = 'pause' | 'drop-oldest' | 'drop-newest';

export interface NubraStreamOptions {
	auth: StreamAuth;
	/** The environment's socket, used when `/userinfo` announces none (or an empty one). */
	defaultSocketUrl: () => string | Promise<string>;
	socket?: SocketChoice;
	/** Ping interval, ms (default 20 000, as the official SDK). */
	heartbeatIntervalMs?: number;
	/** No pong within this after a ping means the connection is dead, ms (default 10 000). */
	heartbeatTimeoutMs?: number;
	/** Websocket opening handshake deadline, ms (default 15 000). */
	handshakeTimeoutMs?: number;
	/** First reconnect delay, ms (default 1 000). */
	reconnectInitialDelayMs?: number;
	/** Reconnect delay cap, ms (default 30 000). */
	reconnectMaxDelayMs?: number;
	/** Consecutive failed attempts before giving up; 0 = never (default 50). */
	maxReconnectAttempts?: number;
	/** Read `/sentinel/orders` after each reconnect and emit what changed (default true). */
	catchUp?: boolean;
	/** Largest frame accepted, bytes (default 1 MiB). */
	maxFrameBytes?: number;
	/** Events held while the handler is busy (default 10 000). */
	queueLimit?: number;
	/** Default 'pause': stop reading the socket until the queue drains, so nothing is lost. */
	overflow?: OverflowPolicy;
	/** Only events passing this reach the handler (all are still tracked for deduplication). */
	filter?: EventPredicate;
	/** Also hand over the full decoded message with each live event. */
	includeMessage?: boolean;
	/** Remembered order states; pass a restored one to catch up across restarts. */
	tracker?: OrderStateTracker;
	/** Verify TLS certificates (default true); a function is asked again before each connection. */
	rejectUnauthorized?: boolean | (() => boolean | Promise<boolean>);
	logger?: NubraLogger;
	random?: () => number;
}

export interface DeliveredEvent {
	event: NubraEvent;
	/** True when the event comes from the catch-up snapshot, not from the socket. */
	recovered: boolean;
	receivedAt: Date;
	/** Stable for the same order state: see `stateKey`. */
	dedupKey: string;
	/** The full decoded message (live events, with `includeMessage`). */
	message?: Record<string, unknown>;
	/** `performance.now()` when the frame was read (for latency measurement). */
	receivedAtMono: number;
}

export type StreamStatus =
	| { state: 'connecting'; attempt: number }
	| { state: 'connected'; url: string; attempt: number }
	| { state: 'disconnected'; reason: string; code?: NubraErrorCode }
	| { state: 'reconnecting'; inMs: number; attempt: number; reason: string }
	| { state: 'recovered'; count: number }
	| { state: 'gave-up'; error: NubraError }
	| { state: 'warning'; code: NubraErrorCode; message: string };

export interface StreamStats {
	framesReceived: number;
	eventsDelivered: number;
	eventsFiltered: number;
	duplicatesSuppressed: number;
	malformedFrames: number;
	unknownFrames: number;
	recoveredEvents: number;
	connections: number;
	droppedEvents: number;
}

export type EventHandler = (delivered: DeliveredEvent) => void | Promise<void>;
export type StatusHandler = (status: StreamStatus) => void;

/** How one connection ended, and what the loop should do next. */
interface ConnectionEnd {
	reason: string;
	code?: NubraErrorCode;
	/** The session is bad (Invalid Token): refresh before reconnecting. */
	refreshSession: boolean;
	/** The connection worked (subscribed and heard from): the attempt counter starts over. */
	wasHealthy: boolean;
	error?: unknown;
}

const SUBSCRIBE_CHANNELS = {
	user: 'notifications notification',
	'order-service': 'direct_intent notification',
} as const;

const CLOSE_BOUND_MS = 3_000;
const MAX_UNKNOWN_TYPES_REPORTED = 20;

interface LiveDuringCatchUp {
	ids: Set<string>;
	/** Recovered fills delivered from live updates (they count towards the catch-up's news). */
	recovered: number;
}

const SOCKET_UNREACHABLE_HINT =
	'Check the environment or socket URL in the credential and the network from this n8n host.';

function describe(error: unknown): string {
	if (isNubraError(error)) return error.message;
	return error instanceof Error ? error.message : String(error);
}

/**
 * The order-update stream: subscribes, decodes, deduplicates, filters and hands events to
 * one handler in arrival order; reconnects with backoff, notices half-open sockets by their
 * missing pongs, refreshes expired sessions, and catches up from `/sentinel/orders` after
 * every reconnect. No n8n in here: the trigger node only wires it up.
 */
export class NubraStream {
	readonly #o: Required<
		Omit<NubraStreamOptions, 'filter' | 'tracker' | 'logger' | 'random' | 'socket'>
	>;
	readonly #socketChoice: SocketChoice;
	readonly #filter: EventPredicate | undefined;
	readonly #tracker: OrderStateTracker;
	readonly #logger: NubraLogger;
	readonly #random: () => number;
	readonly #decoder = new FrameDecoder();
	readonly #abort = new AbortController();
	readonly #timers = new Set<NodeJS.Timeout>();
	readonly #eventHandlers: EventHandler[] = [];
	readonly #statusHandlers: StatusHandler[] = [];
	readonly #queue: DeliveredEvent[] = [];
	readonly #stats: StreamStats = {
		framesReceived: 0,
		eventsDelivered: 0,
		eventsFiltered: 0,
		duplicatesSuppressed: 0,
		malformedFrames: 0,
		unknownFrames: 0,
		recoveredEvents: 0,
		connections: 0,
		droppedEvents: 0,
	};

	#socket: WebSocket | undefined;
	/**
	 * Orders the current connection has spoken of. Every change after the subscription comes
	 * on the socket, so for these a snapshot can only repeat or contradict (if it is older than
	 * the frames that overtook it) what the socket said: the catch-up leaves them alone, and
	 * the fills their first frame shows were missed are reported from the frame instead.
	 * Collected only until that connection's catch-up is done, so it stays small.
	 */
	#liveOrders: LiveDuringCatchUp | undefined;
	/** A frame was lost while a catch-up was already reading: read once more after it. */
	#catchUpAgain = false;
	/** Unknown frame types already reported. */
	readonly #unknownTypes = new Set<string>();
	#pumping = false;
	#paused = false;
	#sessionToken: string | undefined;
	#apiVersion: NubraApiVersion = 'v3';
	#hasBaseline: boolean;
	#loop: Promise<void> | undefined;
	#closing: Promise<void> | undefined;

	constructor(options: NubraStreamOptions) {
		this.#o = {
			auth: options.auth,
			defaultSocketUrl: options.defaultSocketUrl,
			heartbeatIntervalMs: options.heartbeatIntervalMs ?? 20_000,
			heartbeatTimeoutMs: options.heartbeatTimeoutMs ?? 10_000,
			handshakeTimeoutMs: options.handshakeTimeoutMs ?? 15_000,
			reconnectInitialDelayMs: options.reconnectInitialDelayMs ?? 1_000,
			reconnectMaxDelayMs: options.reconnectMaxDelayMs ?? 30_000,
			maxReconnectAttempts: options.maxReconnectAttempts ?? 50,
			catchUp: options.catchUp ?? true,
			maxFrameBytes: options.maxFrameBytes ?? 1024 * 1024,
			queueLimit: options.queueLimit ?? 10_000,
			overflow: options.overflow ?? 'pause',
			includeMessage: options.includeMessage ?? false,
			rejectUnauthorized: options.rejectUnauthorized ?? true,
		};
		this.#socketChoice = options.socket ?? { kind: 'user' };
		this.#filter = options.filter;
		this.#tracker = options.tracker ?? new OrderStateTracker();
		// A tracker restored from a previous run already knows the orders: catch up at once.
		this.#hasBaseline = this.#tracker.restored || this.#tracker.size > 0;
		this.#logger = options.logger ?? silentLogger;
		this.#random = options.random ?? Math.random;
	}

	get stats(): Readonly<StreamStats> {
		return this.#stats;
	}

	get tracker(): OrderStateTracker {
		return this.#tracker;
	}

	get closed(): boolean {
		return this.#abort.signal.aborted;
	}

	onEvent(handler: EventHandler): this {
		this.#eventHandlers.push(handler);
		return this;
	}

	onStatus(handler: StatusHandler): this {
		this.#statusHandlers.push(handler);
		return this;
	}

	/**
	 * Connects and subscribes. Resolves once the first subscription is sent; rejects (and
	 * closes the stream) when that first attempt fails, so a caller can fail activation with
	 * the reason. Later failures reconnect on their own and are reported as statuses.
	 */
	async start(): Promise<void> {
		if (this.#loop) throw new Error('NubraStream.start() was already called');
		let settle!: { resolve: () => void; reject: (error: unknown) => void };
		const firstConnection = new Promise<void>((resolve, reject) => {
			settle = { resolve, reject };
		});
		this.#loop = this.#run(settle);
		try {
			await firstConnection;
		} catch (error) {
			await this.close();
			throw error;
		}
	}

	/** Idempotent and bounded: leaves no socket, timer or listener behind. */
	close(): Promise<void> {
		this.#closing ??= this.#shutdown();
		return this.#closing;
	}

	async #shutdown(): Promise<void> {
		this.#abort.abort();
		for (const timer of this.#timers) clearTimeout(timer);
		this.#timers.clear();
		const socket = this.#socket;
		this.#socket = undefined;
		if (socket) {
			socket.removeAllListeners('message');
			socket.terminate();
		}
		const loop = this.#loop ?? Promise.resolve();
		let bound: NodeJS.Timeout | undefined;
		await Promise.race([
			loop.catch(() => undefined),
			new Promise<void>((resolve) => {
				bound = setTimeout(resolve, CLOSE_BOUND_MS);
			}),
		]);
		clearTimeout(bound);
		this.#queue.length = 0;
	}

	async #run(first: { resolve: () => void; reject: (error: unknown) => void }): Promise<void> {
		let started = false;
		let attempt = 0;
		let refreshSession = false;
		while (!this.closed) {
			attempt++;
			this.#status({ state: 'connecting', attempt });
			const end = await this.#connection(attempt, refreshSession, () => {
				if (!started) {
					started = true;
					first.resolve();
				}
			});
			if (this.closed) break;
			if (!started) {
				first.reject(end.error ?? new NubraError(end.code ?? NUBRA_ERROR_CODES.UNREACHABLE, end.reason));
				return;
			}
			this.#status({ state: 'disconnected', reason: end.reason, code: end.code });
			this.#logger.warn(`Nubra order feed disconnected: ${end.reason}`);
			if (end.wasHealthy) attempt = 0;
			refreshSession = end.refreshSession;
			const limit = this.#o.maxReconnectAttempts;
			if (limit > 0 && attempt >= limit) {
				this.#giveUp(end, attempt);
				return;
			}
			// The delay belongs to the attempt about to be made, as the status reports it.
			const inMs = backoffDelay(attempt + 1, {
				initialDelayMs: this.#o.reconnectInitialDelayMs,
				maxDelayMs: this.#o.reconnectMaxDelayMs,
			}, this.#random);
			this.#status({ state: 'reconnecting', inMs, attempt: attempt + 1, reason: end.reason });
			await this.#sleep(inMs);
		}
		// Closed before the first connection was made: start() must not wait forever.
		if (!started) {
			first.reject(
				new NubraError(NUBRA_ERROR_CODES.UNREACHABLE, 'The Nubra order feed was closed before it connected', {
					hint: 'The trigger was stopped while it was still connecting; activate it again if that was not intended.',
				}),
			);
		}
	}

	#giveUp(end: ConnectionEnd, attempts: number): void {
		const hint = isNubraError(end.error) && end.error.hint ? ` ${end.error.hint}` : '';
		const error = new NubraError(
			NUBRA_ERROR_CODES.STREAM_GAVE_UP,
			`The Nubra order feed could not be restored after ${attempts} attempts. Last error: ${end.reason}`,
			{
				hint: `Check the credential and that Nubra is reachable from this n8n host, then reactivate the workflow.${hint}`,
				cause: end.error,
			},
		);
		this.#logger.error(error.message);
		this.#status({ state: 'gave-up', error });
	}

	/** One connection from login to close. Never throws: failures become a ConnectionEnd. */
	async #connection(
		attempt: number,
		refreshSession: boolean,
		onSubscribed: () => void,
	): Promise<ConnectionEnd> {
		let subscribed = false;
		let heardFrom = false;
		try {
			const auth = this.#o.auth;
			let session = refreshSession
				? await auth.refresh('the socket said Invalid Token')
				: await auth.getSession();
			this.#sessionToken = session.sessionToken;
			const { url, channel } = await this.#resolveSocket(session);
			if (this.#o.catchUp && !this.#hasBaseline) await this.#baseline(session);
			// A 440 on /userinfo (or the baseline) renews the session inside the auth client:
			// subscribe with the renewed one, not the refused one (which earns an Invalid Token).
			session = await auth.getSession();
			this.#sessionToken = session.sessionToken;
			if (this.closed) return { reason: 'closed', refreshSession: false, wasHealthy: false };
			const verify = this.#o.rejectUnauthorized;
			const rejectUnauthorized = typeof verify === 'function' ? await verify() : verify;
			const socket = await this.#open(url, channel, session.sessionToken, rejectUnauthorized);
			const liveOrders: LiveDuringCatchUp = { ids: new Set(), recovered: 0 };
			this.#liveOrders = this.#o.catchUp ? liveOrders : undefined;
			this.#catchUpAgain = false;
			this.#stats.connections++;
			this.#status({ state: 'connected', url: redactUrl(url), attempt });
			this.#logger.info(`Nubra order feed connected to ${redactUrl(url)}`);
			subscribed = true;
			onSubscribed();
			return await new Promise<ConnectionEnd>((resolve) => {
				let ended = false;
				const onAbort = () => end({ reason: 'closed', refreshSession: false, wasHealthy: false });
				const end = (result: ConnectionEnd) => {
					if (ended) return;
					ended = true;
					this.#abort.signal.removeEventListener('abort', onAbort);
					stopHeartbeat();
					socket.removeAllListeners();
					socket.on('error', () => undefined);
					socket.terminate();
					if (this.#socket === socket) this.#socket = undefined;
					resolve({ ...result, wasHealthy: subscribed && heardFrom });
				};
				const stopHeartbeat = this.#heartbeat(socket, () => {
					heardFrom = true;
				}, (reason) => end({ reason, refreshSession: false, wasHealthy: false }));
				socket.on('message', (data: Buffer, isBinary: boolean) => {
					if (isBinary) {
						heardFrom = true;
						this.#onFrame(data);
						return;
					}
					// An Invalid Token answer is no sign of health: counted as one, a socket that
					// refuses every subscription reset the attempt count each time, and the stream
					// never gave up.
					this.#onText(data.toString('utf8'), (result) => end(result));
					if (!ended) heardFrom = true;
				});
				socket.on('close', (code: number, reason: Buffer) => {
					const text = reason.length > 0 ? `: ${this.#redact(reason.toString('utf8'))}` : '';
					end({ reason: `the server closed the connection (code ${code}${text})`, refreshSession: false, wasHealthy: false });
				});
				socket.on('error', (error: Error & { code?: string }) => {
					const tooLarge = error.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH';
					if (tooLarge) {
						this.#warn(
							NUBRA_ERROR_CODES.FRAME_TOO_LARGE,
							`A frame larger than ${this.#o.maxFrameBytes} bytes was refused; reconnecting and catching up`,
						);
					}
					end({
						reason: tooLarge ? 'a frame exceeded the maximum size' : this.#redact(describe(error)),
						code: tooLarge ? NUBRA_ERROR_CODES.FRAME_TOO_LARGE : NUBRA_ERROR_CODES.UNREACHABLE,
						refreshSession: false,
						wasHealthy: false,
					});
				});
				this.#abort.signal.addEventListener('abort', onAbort, { once: true });
				if (this.#o.catchUp) this.#runCatchUp(session, liveOrders, true);
			});
		} catch (error) {
			const code = isNubraError(error) ? error.code : NUBRA_ERROR_CODES.UNREACHABLE;
			return {
				reason: this.#redact(describe(error)),
				code,
				refreshSession: code === NUBRA_ERROR_CODES.AUTH_SESSION_EXPIRED,
				wasHealthy: false,
				error,
			};
		}
	}

	async #resolveSocket(
		session: { sessionToken: string },
	): Promise<{ url: string; channel: 'user' | 'order-service' }> {
		const choice = this.#socketChoice;
		if (choice.kind === 'explicit') return { url: choice.url, channel: choice.channel ?? 'user' };
		const info = await this.#o.auth.userInfo(session);
		const fallback = await this.#o.defaultSocketUrl();
		if (choice.kind === 'order-service') {
			if (info.orderServiceWsUrl) return { url: info.orderServiceWsUrl, channel: 'order-service' };
			// UAT announces an empty order-service URL: never connect to ''. The fallback is the
			// user socket, which only understands the user socket's subscribe.
		}
		return { url: info.userWsUrl || fallback, channel: 'user' };
	}

	#open(
		url: string,
		channel: 'user' | 'order-service',
		token: string,
		rejectUnauthorized: boolean,
	): Promise<WebSocket> {
		const target =
			channel === 'order-service'
				? `${url}${url.includes('?') ? '&' : '?'}token=${encodeURIComponent(token)}`
				: url;
		return new Promise<WebSocket>((resolve, reject) => {
			const socket = new WebSocket(target, {
				handshakeTimeout: this.#o.handshakeTimeoutMs,
				maxPayload: this.#o.maxFrameBytes,
				rejectUnauthorized,
				perMessageDeflate: false,
			});
			this.#socket = socket;
			const fail = (reason: string, hint = SOCKET_UNREACHABLE_HINT) => {
				socket.removeAllListeners();
				socket.on('error', () => undefined);
				socket.terminate();
				if (this.#socket === socket) this.#socket = undefined;
				reject(
					new NubraError(
						NUBRA_ERROR_CODES.UNREACHABLE,
						`Could not open the Nubra order socket at ${redactUrl(url)}: ${this.#redact(reason)}`,
						{ hint },
					),
				);
			};
			socket.once('error', (error) =>
				fail(describe(error), isCertificateError(error) ? CERTIFICATE_HINT : SOCKET_UNREACHABLE_HINT),
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

	/**
	 * Pings every interval; a ping whose pong does not come within the timeout means the
	 * connection is half-open, so it is ended. Returns the function that stops it.
	 */
	#heartbeat(socket: WebSocket, onPong: () => void, onDead: (reason: string) => void): () => void {
		let pongDeadline: NodeJS.Timeout | undefined;
		const armDeadline = () => {
			pongDeadline = setTimeout(() => {
				// Reading is paused for backpressure ('pause' policy): the pong may be sitting unread
				// in the socket. Calling that half-open tore down a healthy connection under a slow
				// workflow and lost the updates only the socket carries. Wait until reading resumes.
				if (socket.isPaused) return armDeadline();
				onDead(
					`no pong within ${this.#o.heartbeatTimeoutMs} ms of a ping: the connection is half-open`,
				);
			}, this.#o.heartbeatTimeoutMs);
		};
		const interval = setInterval(() => {
			if (pongDeadline !== undefined) return;
			armDeadline();
			try {
				socket.ping();
			} catch (error) {
				onDead(`ping failed: ${describe(error)}`);
			}
		}, this.#o.heartbeatIntervalMs);
		socket.on('pong', () => {
			clearTimeout(pongDeadline);
			pongDeadline = undefined;
			onPong();
		});
		return () => {
			clearInterval(interval);
			clearTimeout(pongDeadline);
		};
	}

	#onText(text: string, end: (result: ConnectionEnd) => void): void {
		const safe = this.#redact(text).slice(0, 500);
		if (text.trim() === 'Invalid Token') {
			this.#logger.warn('Nubra rejected the session token on the socket; refreshing the session');
			end({
				reason: 'the server said Invalid Token',
				code: NUBRA_ERROR_CODES.AUTH_SESSION_EXPIRED,
				refreshSession: true,
				wasHealthy: false,
			});
			return;
		}
		if (/error|exception|failed/i.test(text)) {
			this.#warn(NUBRA_ERROR_CODES.SERVER_ERROR_MESSAGE, `Nubra sent an error message: ${safe}`);
			return;
		}
		this.#logger.debug(`Nubra socket message: ${safe}`);
	}

	#onFrame(data: Buffer): void {
		this.#stats.framesReceived++;
		const receivedAtMono = performance.now();
		let frame;
		try {
			frame = this.#decoder.decode(data, { includeMessage: this.#o.includeMessage });
		} catch (error) {
			this.#stats.malformedFrames++;
			this.#warn(
				NUBRA_ERROR_CODES.DECODE_MALFORMED,
				`A malformed frame of ${data.length} bytes was skipped: ${describe(error)}; catching up from the order book`,
			);
			this.#catchUpAfterLoss();
			return;
		}
		if (frame.kind === 'unknown' || frame.kind === 'portfolio') {
			this.#stats.unknownFrames++;
			this.#noteSkipped(frame.kind, frame.typeUrl);
			return;
		}
		this.#apiVersion = frame.kind;
		for (const event of frame.events) {
			const live = this.#liveOrders;
			if (live !== undefined) this.#firstLiveDuringCatchUp(live, event);
			const dedupKey = this.#tracker.observeLive(event);
			if (dedupKey === null) {
				this.#stats.duplicatesSuppressed++;
				continue;
			}
			this.#deliver({
				event,
				recovered: false,
				receivedAt: new Date(),
				dedupKey,
				message: frame.message,
				receivedAtMono,
			});
		}
	}

	/**
	 * First connection of a fresh activation: today's existing orders are history, not news.
	 * Read before the socket opens, so the baseline cannot include changes made after the
	 * subscription; the catch-up that follows the subscription emits whatever moved in between.
	 * A baseline read after subscribing would swallow every change made while a first
	 * connection that dropped early was down. On failure the first catch-up becomes the baseline.
	 */
	async #baseline(session: { sessionToken: string }): Promise<void> {
		try {
			const rows = snapshotRows(await this.#o.auth.fetchSentinelOrders(session));
			if (this.closed || this.#hasBaseline) return;
			this.#applyBaseline(rows);
		} catch (error) {
			this.#logger.warn(`Nubra catch-up baseline failed: ${this.#redact(describe(error))}`);
		}
	}

	#applyBaseline(rows: ReturnType<typeof snapshotRows>): void {
		for (const row of rows) {
			const event = normaliseSnapshotRow(row, this.#apiVersion);
			if (event.order_id !== null) this.#tracker.baseline(event);
		}
		this.#hasBaseline = true;
		this.#logger.debug(`Nubra catch-up baseline: ${rows.length} orders known`);
	}

	/**
	 * The catch-up skips orders the socket spoke of meanwhile: report here the fills such an
	 * update shows were made while the socket was down (none before the first baseline).
	 */
	#firstLiveDuringCatchUp(live: LiveDuringCatchUp, event: NubraEvent): void {
		const id = orderKey(event);
		if (live.ids.has(id)) return;
		live.ids.add(id);
		if (!this.#hasBaseline) return;
		const missed = missedFillsBeforeLive(event, this.#tracker.knownFill(id));
		if (missed === null) return;
		live.recovered++;
		this.#stats.recoveredEvents++;
		this.#deliver({
			event: missed,
			recovered: true,
			receivedAt: new Date(),
			dedupKey: stateKey(missed),
			receivedAtMono: performance.now(),
		});
	}

	/**
	 * Portfolio frames are expected; a type never seen before may be a new kind of order update
	 * from Nubra: say so once per type, so an operator notices a protocol change.
	 */
	#noteSkipped(kind: 'unknown' | 'portfolio', typeUrl: string): void {
		if (kind === 'unknown' && this.#unknownTypes.size < MAX_UNKNOWN_TYPES_REPORTED && !this.#unknownTypes.has(typeUrl)) {
			this.#unknownTypes.add(typeUrl);
			this.#logger.warn(
				`Skipping frames of an unknown type (${this.#redact(typeUrl)}); if Nubra sends order updates in it, this package needs an update`,
			);
			return;
		}
		this.#logger.debug(`Skipped a ${kind} frame (${typeUrl})`);
	}

	/**
	 * A frame that could not be read may have carried an order update: read the order book again
	 * (on the same connection) so whatever it said is recovered. One catch-up at a time; frames
	 * lost while one is reading are covered by another right after it.
	 */
	#catchUpAfterLoss(): void {
		if (!this.#o.catchUp || !this.#hasBaseline || this.closed) return;
		const token = this.#sessionToken;
		if (token === undefined) return;
		if (this.#liveOrders !== undefined) {
			this.#catchUpAgain = true;
			return;
		}
		const live: LiveDuringCatchUp = { ids: new Set(), recovered: 0 };
		this.#liveOrders = live;
		this.#runCatchUp({ sessionToken: token }, live, false);
	}

	/** Runs a catch-up in the background; `live` is already the current #liveOrders. */
	#runCatchUp(session: { sessionToken: string }, live: LiveDuringCatchUp, afterReconnect: boolean): void {
		void this.#catchUp(session, live, afterReconnect)
			.catch((error: unknown) => {
				this.#logger.warn(`Nubra catch-up failed: ${this.#redact(describe(error))}`);
			})
			.finally(() => {
				// A newer connection owns #liveOrders now: its own catch-up covers everything.
				if (this.#liveOrders !== live) return;
				this.#liveOrders = undefined;
				if (this.#catchUpAgain) {
					this.#catchUpAgain = false;
					this.#catchUpAfterLoss();
				}
			});
	}

	async #catchUp(session: { sessionToken: string }, liveOrders: LiveDuringCatchUp, afterReconnect: boolean): Promise<void> {
		const body = await this.#o.auth.fetchSentinelOrders(session);
		if (this.closed) return;
		const rows = snapshotRows(body);
		if (!this.#hasBaseline) {
			this.#applyBaseline(rows);
			return;
		}
		let count = liveOrders.recovered;
		for (const row of rows) {
			const snapshotEvent = normaliseSnapshotRow(row, this.#apiVersion);
			if (snapshotEvent.order_id === null) continue;
			const id = orderKey(snapshotEvent);
			if (liveOrders.ids.has(id)) continue;
			const event = asRecoveredFill(snapshotEvent, this.#tracker.knownFill(id));
			const dedupKey = this.#tracker.observeRecovered(event);
			if (dedupKey === null) continue;
			count++;
			this.#stats.recoveredEvents++;
			this.#deliver({
				event,
				recovered: true,
				receivedAt: new Date(),
				dedupKey,
				receivedAtMono: performance.now(),
			});
		}
		// The catch-up right after the first baseline, or after a lost frame, is routine: only
		// report it when it found news.
		if (count > 0 || (afterReconnect && this.#stats.connections > 1)) this.#status({ state: 'recovered', count });
		if (count > 0) this.#logger.info(`Nubra catch-up recovered ${count} order updates`);
	}

	#deliver(delivered: DeliveredEvent): void {
		if (this.#filter && !this.#filter(delivered.event)) {
			this.#stats.eventsFiltered++;
			return;
		}
		if (this.#queue.length >= this.#o.queueLimit) {
			if (this.#o.overflow === 'drop-newest') return this.#dropped(1);
			if (this.#o.overflow === 'drop-oldest') {
				this.#queue.shift();
				this.#dropped(1);
			} else if (!this.#paused && this.#socket) {
				this.#paused = true;
				this.#socket.pause();
			}
		}
		this.#queue.push(delivered);
		if (!this.#pumping) void this.#pump();
	}

	#dropped(count: number): void {
		this.#stats.droppedEvents += count;
		this.#warn(
			NUBRA_ERROR_CODES.QUEUE_OVERFLOW,
			`${count} event(s) dropped: the workflow is slower than the order feed (overflow policy "${this.#o.overflow}")`,
		);
	}

	/** Hands queued events to the handlers one at a time, in arrival order. */
	async #pump(): Promise<void> {
		this.#pumping = true;
		try {
			while (this.#queue.length > 0 && !this.closed) {
				const delivered = this.#queue.shift() as DeliveredEvent;
				this.#stats.eventsDelivered++;
				for (const handler of this.#eventHandlers) {
					try {
						const result = handler(delivered);
						if (result !== undefined) await result;
					} catch (error) {
						this.#logger.error(`A Nubra event handler failed: ${this.#redact(describe(error))}`);
					}
				}
				if (this.#paused && this.#queue.length <= this.#o.queueLimit / 2) {
					this.#paused = false;
					this.#socket?.resume();
				}
			}
		} finally {
			this.#pumping = false;
		}
	}

	#warn(code: NubraErrorCode, message: string): void {
		this.#logger.warn(message);
		this.#status({ state: 'warning', code, message });
	}

	#status(status: StreamStatus): void {
		for (const handler of this.#statusHandlers) {
			try {
				handler(status);
			} catch (error) {
				this.#logger.error(`A Nubra status handler failed: ${describe(error)}`);
			}
		}
	}

	#redact(text: string): string {
		return redactSecrets(text, [this.#sessionToken]);
	}

	#sleep(ms: number): Promise<void> {
		return new Promise<void>((resolve) => {
			if (this.closed) return resolve();
			const timer = setTimeout(() => {
				this.#timers.delete(timer);
				this.#abort.signal.removeEventListener('abort', onAbort);
				resolve();
			}, ms);
			const onAbort = () => {
				clearTimeout(timer);
				this.#timers.delete(timer);
				resolve();
			};
			this.#timers.add(timer);
			this.#abort.signal.addEventListener('abort', onAbort, { once: true });
		});
	}
}
