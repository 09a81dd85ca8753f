import type WebSocket from 'ws';

import { backoffDelay } from '../backoff';
import { FrameDecoder, type DecodeOptions } from '../codec';
import {
	NUBRA_ERROR_CODES,
	NubraError,
	describeError,
	isNubraError,
	type NubraErrorCode,
} from '../errors';
import { redactSecrets, redactUrl, silentLogger, type NubraLogger } from '../logger';
import { snapshotRows, type SentinelOrderRow } from '../sentinel';
import type { NubraApiVersion, NubraEvent } from '../types';
import { startHeartbeat } from './heartbeat';
import { SessionReplacements } from './session-replacements';
import { openSubscribedSocket, resolveSocket } from './socket';
import type {
	ConnectionSettings,
	SocketChoice,
	StreamAuth,
	StreamSession,
	StreamStatus,
} from './types';

/** What the connection needs from each subscription it feeds. */
export interface ConnectionMember {
	/** Reads snapshots (baseline and catch-ups). */
	readonly catchUp: boolean;
	readonly includeMessage: boolean;
	readonly settings: ConnectionSettings;
	/** No baseline yet: wants the order book read before the socket opens. */
	readonly needsBaseline: boolean;
	baseline(rows: readonly SentinelOrderRow[], apiVersion: NubraApiVersion): void;
	/** A snapshot read starts; returns the window id to hand back with its rows. */
	beginCatchUp(): number;
	applyCatchUp(
		rows: readonly SentinelOrderRow[],
		apiVersion: NubraApiVersion,
		window: number,
		afterReconnect: boolean,
	): void;
	abandonCatchUp(window: number): void;
	/** `receivedAt` is shared by every member and event of the frame: never mutate it. */
	events(
		events: readonly NubraEvent[],
		message: Record<string, unknown> | undefined,
		receivedAt: Date,
		receivedAtMono: number,
	): void;
	status(status: StreamStatus): void;
}

export interface AccountConnectionOptions {
	auth: StreamAuth;
	/** The environment's socket, used when `/userinfo` announces none (or an empty one). */
	defaultSocketUrl: () => string | Promise<string>;
	/** The environment's order-service socket, for the order-service choice when none is announced. */
	defaultOrderServiceSocketUrl?: () => string | Promise<string>;
	socket?: SocketChoice;
	/** Verify TLS certificates (default true); a function is asked again before each connection. */
	rejectUnauthorized?: boolean | (() => boolean | Promise<boolean>);
	logger?: NubraLogger;
	random?: () => number;
	/** Called once the connection is closed for good (to forget it). */
	onClosed?: () => void;
	/**
	 * Asked before each reconnect: members whose credential now names another account are
	 * moved off this connection (they leave before the login).
	 */
	beforeReconnect?: () => Promise<void>;
}

export interface ConnectionStats {
	framesReceived: number;
	malformedFrames: number;
	unknownFrames: number;
	connections: number;
}

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

interface Waiting {
	member: ConnectionMember;
	/** An activation: a failed first connection fails it instead of retrying. */
	activation: boolean;
	resolve: () => void;
	reject: (error: unknown) => void;
}

const DEFAULTS = {
	heartbeatIntervalMs: 20_000,
	heartbeatTimeoutMs: 10_000,
	handshakeTimeoutMs: 15_000,
	reconnectInitialDelayMs: 1_000,
	reconnectMaxDelayMs: 30_000,
	maxReconnectAttempts: 50,
	maxFrameBytes: 1024 * 1024,
	sessionReplacedWindowMs: 10 * 60_000,
	sessionReplacedAlertAfter: 5,
	sessionReplacedMaxDelayMs: 60_000,
} satisfies Required<ConnectionSettings>;

const CLOSE_BOUND_MS = 3_000;

function subscriptionCount(count: number): string {
	return count === 1 ? '1 subscription' : `${count} subscriptions`;
}
/** Decode options, made once rather than per frame. */
const WITH_MESSAGE: DecodeOptions = Object.freeze({ includeMessage: true });
const WITHOUT_MESSAGE: DecodeOptions = Object.freeze({ includeMessage: false });
const MAX_UNKNOWN_TYPES_REPORTED = 20;

/**
 * The order socket of one account, shared by every subscription (trigger) on it: one login,
 * one socket, one decode per frame, one `/sentinel/orders` read per reconnect. Reconnects with
 * backoff, notices half-open sockets by their missing pongs, refreshes a refused session (the
 * one that failed, so a session already renewed elsewhere costs no login) and slows down when
 * another client keeps taking the account's session.
 */
export class AccountConnection {
	readonly #o: AccountConnectionOptions;
	readonly #logger: NubraLogger;
	readonly #random: () => number;
	readonly #decoder = new FrameDecoder();
	readonly #abort = new AbortController();
	readonly #timers = new Set<NodeJS.Timeout>();
	readonly #members = new Set<ConnectionMember>();
	/** The members as an array, for the per-frame loop (replaced, never mutated, on a change). */
	#receivers: readonly ConnectionMember[] = [];
	/** Whether any member wants the full decoded message. */
	#includeMessage = false;
	#readAt: Date | undefined;
	#readAtMono = 0;
	readonly #waiting: Waiting[] = [];
	readonly #paused = new Set<unknown>();
	readonly #unknownTypes = new Set<string>();
	readonly #replacements: SessionReplacements;
	readonly stats: ConnectionStats = {
		framesReceived: 0,
		malformedFrames: 0,
		unknownFrames: 0,
		connections: 0,
	};

	#socket: WebSocket | undefined;
	#session: StreamSession | undefined;
	#apiVersion: NubraApiVersion = 'v3';
	#live = false;
	/** The `connected` status of the live socket, told to members that join it. */
	#connectedStatus: StreamStatus | undefined;
	#everConnected = false;
	#catchUpGeneration = 0;
	#catchUpRunning = false;
	#catchUpAgain = false;
	#loop: Promise<void> | undefined;
	#closing: Promise<void> | undefined;

	constructor(options: AccountConnectionOptions) {
		this.#o = options;
		this.#logger = options.logger ?? silentLogger;
		this.#random = options.random ?? Math.random;
		this.#replacements = new SessionReplacements(() => this.#setting('sessionReplacedWindowMs'));
	}

	get closed(): boolean {
		return this.#abort.signal.aborted;
	}

	get memberCount(): number {
		return this.#members.size;
	}

	/** Whether the socket is subscribed now. */
	get live(): boolean {
		return this.#live;
	}

	/**
	 * Adds a subscription. Resolves once it receives events: at once (after its own baseline
	 * read) on a live socket, else when the socket subscribes. For an activation it rejects when
	 * the first connection of this socket fails, so a trigger can fail its activation; a member
	 * moved here from another feed waits through retries instead. Rejects when it gives up.
	 */
	join(member: ConnectionMember, activation = true): Promise<void> {
		if (this.closed) return Promise.reject(closedError());
		this.#members.add(member);
		this.#membersChanged();
		if (this.#live) {
			// Operators (and tests) can tell when every trigger of an account is live.
			this.#logger.info(
				`A subscription joined the live Nubra order feed; ${subscriptionCount(this.#members.size)} on this account`,
			);
			return this.#joinLive(member);
		}
		const waiting = new Promise<void>((resolve, reject) =>
			this.#waiting.push({ member, activation, resolve, reject }),
		);
		this.#loop ??= this.#run();
		return waiting;
	}

	/** Removes a subscription; the last one out closes the socket (bounded). */
	async leave(member: ConnectionMember): Promise<void> {
		if (!this.#members.delete(member)) return;
		this.#membersChanged();
		this.resume(member);
		const index = this.#waiting.findIndex((w) => w.member === member);
		if (index >= 0) this.#waiting.splice(index, 1)[0].reject(closedError());
		if (this.#members.size === 0) await this.close();
	}

	/** A member's queue is full: stop reading the socket until it drains ('pause' policy). */
	pause(member: unknown): void {
		this.#paused.add(member);
		this.#socket?.pause();
	}

	resume(member: unknown): void {
		if (!this.#paused.delete(member) || this.#paused.size > 0) return;
		this.#socket?.resume();
	}

	/** Idempotent and bounded: leaves no socket, timer or listener behind. */
	close(): Promise<void> {
		this.#closing ??= this.#shutdown();
		return this.#closing;
	}

	async #shutdown(): Promise<void> {
		this.#abort.abort();
		this.#live = false;
		for (const timer of this.#timers) clearTimeout(timer);
		this.#timers.clear();
		const socket = this.#socket;
		this.#socket = undefined;
		if (socket) {
			socket.removeAllListeners('message');
			socket.terminate();
		}
		this.#rejectWaiting(closedError());
		const loop = this.#loop ?? Promise.resolve();
		let bound: NodeJS.Timeout | undefined;
		await Promise.race([
			loop.catch(() => undefined),
			new Promise<void>((resolve) => {
				bound = setTimeout(resolve, CLOSE_BOUND_MS);
			}),
		]);
		clearTimeout(bound);
		this.#o.onClosed?.();
	}

	#membersChanged(): void {
		this.#receivers = [...this.#members];
		this.#includeMessage = this.#receivers.some((member) => member.includeMessage);
	}

	/** The strictest value any member asks for: the shortest timings, the most patience. */
	#setting<K extends keyof ConnectionSettings>(key: K): number {
		let value: number | undefined;
		for (const member of this.#members) {
			const asked = member.settings[key];
			if (asked === undefined) continue;
			if (value === undefined) value = asked;
			// 0 means "never give up", the most patient of all.
			else if (key === 'maxReconnectAttempts')
				value = asked === 0 || value === 0 ? 0 : Math.max(value, asked);
			else value = Math.min(value, asked);
		}
		return value ?? DEFAULTS[key];
	}

	#broadcast(status: StreamStatus): void {
		for (const member of [...this.#members]) {
			try {
				member.status(status);
			} catch (error) {
				this.#logger.error(`A Nubra status handler failed: ${describeError(error)}`);
			}
		}
	}

	#rejectWaiting(error: unknown): void {
		for (const waiting of this.#waiting.splice(0)) waiting.reject(error);
	}

	async #run(): Promise<void> {
		let attempt = 0;
		let refreshSession = false;
		while (!this.closed) {
			attempt++;
			this.#broadcast({ state: 'connecting', attempt });
			const end = await this.#connection(attempt, refreshSession);
			this.#live = false;
			if (this.closed) break;
			if (!this.#everConnected) {
				// The first attempt decides activations: fail them with the reason.
				const error =
					end.error ?? new NubraError(end.code ?? NUBRA_ERROR_CODES.UNREACHABLE, end.reason);
				for (const waiting of this.#waiting.filter((w) => w.activation)) {
					this.#waiting.splice(this.#waiting.indexOf(waiting), 1);
					this.#members.delete(waiting.member);
					this.#membersChanged();
					waiting.reject(error);
				}
				if (this.#members.size === 0) {
					void this.close();
					return;
				}
			}
			this.#broadcast({ state: 'disconnected', reason: end.reason, code: end.code });
			this.#logger.warn(`Nubra order feed disconnected: ${end.reason}`);
			if (end.wasHealthy) attempt = 0;
			refreshSession = end.refreshSession;
			const limit = this.#setting('maxReconnectAttempts');
			if (limit > 0 && attempt >= limit) {
				this.#giveUp(end, attempt);
				// Members keep it until they close; a new trigger gets a fresh connection.
				void this.close();
				return;
			}
			// The delay belongs to the attempt about to be made, as the status reports it.
			let inMs = backoffDelay(
				attempt + 1,
				{
					initialDelayMs: this.#setting('reconnectInitialDelayMs'),
					maxDelayMs: this.#setting('reconnectMaxDelayMs'),
				},
				this.#random,
			);
			if (refreshSession) inMs = Math.max(inMs, this.#sessionReplaced());
			this.#broadcast({ state: 'reconnecting', inMs, attempt: attempt + 1, reason: end.reason });
			await this.#sleep(inMs);
			if (this.#o.beforeReconnect && !this.closed) await this.#o.beforeReconnect();
		}
	}

	/**
	 * The session was ended from outside (another login to the account, or expiry). Logging in
	 * again at once is right the first time; a client that keeps taking the session back is
	 * not fought: the wait grows, and past a count within the window it is reported.
	 */
	#sessionReplaced(): number {
		const count = this.#replacements.record();
		const inMs = this.#replacements.delay(this.#setting('sessionReplacedMaxDelayMs'));
		this.#broadcast({ state: 'session-replaced', count, inMs });
		this.#logger.warn(
			`Nubra ended this session (another login to the account, or it expired); ${count} time(s) within ${Math.round(this.#setting('sessionReplacedWindowMs') / 60_000)} min, logging in again in ${inMs} ms`,
		);
		if (count === this.#setting('sessionReplacedAlertAfter')) {
			const error = new NubraError(
				NUBRA_ERROR_CODES.SESSION_CONTESTED,
				`Another client keeps logging in to this Nubra account: the session was ended ${count} times within ${Math.round(this.#setting('sessionReplacedWindowMs') / 60_000)} minutes`,
				{
					hint: 'Nubra allows one session per account, so every login elsewhere (the Nubra app or web on the same device id, a script, another n8n) ends this one. Stop the other client or give it another account; this trigger keeps logging in again, more slowly each time.',
				},
			);
			this.#logger.error(error.message);
			this.#broadcast({ state: 'session-contested', error });
		}
		return inMs;
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
		this.#rejectWaiting(error);
		this.#broadcast({ state: 'gave-up', error });
	}

	#catchUpMembers(): ConnectionMember[] {
		return [...this.#members].filter((member) => member.catchUp);
	}

	/** One connection from login to close. Never throws: failures become a ConnectionEnd. */
	async #connection(attempt: number, refreshSession: boolean): Promise<ConnectionEnd> {
		let subscribed = false;
		let heardFrom = false;
		try {
			const auth = this.#o.auth;
			let session = refreshSession
				? await auth.refresh('the socket said Invalid Token', this.#session)
				: await auth.getSession();
			this.#session = session;
			const { url, channel } = await resolveSocket(
				this.#o.socket ?? { kind: 'user' },
				auth,
				session,
				{ user: this.#o.defaultSocketUrl, orderService: this.#o.defaultOrderServiceSocketUrl },
			);
			await this.#baseline(session);
			// A 440 on /userinfo (or the baseline) renews the session inside the auth client:
			// subscribe with the renewed one, not the refused one (which earns an Invalid Token).
			session = await auth.getSession();
			this.#session = session;
			if (this.closed) return { reason: 'closed', refreshSession: false, wasHealthy: false };
			const verify = this.#o.rejectUnauthorized ?? true;
			const rejectUnauthorized = typeof verify === 'function' ? await verify() : verify;
			const socket = await openSubscribedSocket({
				url,
				channel,
				token: session.sessionToken,
				handshakeTimeoutMs: this.#setting('handshakeTimeoutMs'),
				maxFrameBytes: this.#setting('maxFrameBytes'),
				rejectUnauthorized,
				redact: (text) => this.#redact(text),
				onCreated: (created) => {
					this.#socket = created;
				},
			});
			if (this.closed) {
				socket.terminate();
				return { reason: 'closed', refreshSession: false, wasHealthy: false };
			}
			if (this.#paused.size > 0) socket.pause();
			this.stats.connections++;
			this.#live = true;
			this.#everConnected = true;
			subscribed = true;
			// The catch-up windows open before anyone hears of the subscription.
			const windows = this.#beginCatchUps();
			this.#connectedStatus = { state: 'connected', url: redactUrl(url), attempt };
			this.#broadcast(this.#connectedStatus);
			this.#logger.info(
				`Nubra order feed connected to ${redactUrl(url)}; ${subscriptionCount(this.#members.size)} on this account`,
			);
			for (const waiting of this.#waiting.splice(0)) waiting.resolve();
			return await new Promise<ConnectionEnd>((resolve) => {
				let ended = false;
				const onAbort = () => end({ reason: 'closed', refreshSession: false, wasHealthy: false });
				const end = (result: ConnectionEnd) => {
					if (ended) return;
					ended = true;
					this.#live = false;
					this.#abort.signal.removeEventListener('abort', onAbort);
					stopHeartbeat();
					socket.removeAllListeners();
					socket.on('error', () => undefined);
					socket.terminate();
					if (this.#socket === socket) this.#socket = undefined;
					resolve({ ...result, wasHealthy: subscribed && heardFrom });
				};
				const stopHeartbeat = startHeartbeat(
					socket,
					{
						intervalMs: this.#setting('heartbeatIntervalMs'),
						timeoutMs: this.#setting('heartbeatTimeoutMs'),
					},
					() => {
						heardFrom = true;
					},
					(reason) => end({ reason, refreshSession: false, wasHealthy: false }),
				);
				socket.on('message', (data: Buffer, isBinary: boolean) => {
					if (isBinary) {
						heardFrom = true;
						this.#onFrame(data);
						return;
					}
					// An Invalid Token answer is no sign of health: a socket that refuses every
					// subscription must not reset the attempt count.
					this.#onText(data.toString('utf8'), (result) => end(result));
					if (!ended) heardFrom = true;
				});
				socket.on('close', (code: number, reason: Buffer) => {
					const text = reason.length > 0 ? `: ${this.#redact(reason.toString('utf8'))}` : '';
					end({
						reason: `the server closed the connection (code ${code}${text})`,
						refreshSession: false,
						wasHealthy: false,
					});
				});
				socket.on('error', (error: Error & { code?: string }) => {
					const tooLarge = error.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH';
					if (tooLarge) {
						this.#warn(
							NUBRA_ERROR_CODES.FRAME_TOO_LARGE,
							`A frame larger than ${this.#setting('maxFrameBytes')} bytes was refused; reconnecting and catching up`,
						);
					}
					end({
						reason: tooLarge
							? 'a frame exceeded the maximum size'
							: this.#redact(describeError(error)),
						code: tooLarge ? NUBRA_ERROR_CODES.FRAME_TOO_LARGE : NUBRA_ERROR_CODES.UNREACHABLE,
						refreshSession: false,
						wasHealthy: false,
					});
				});
				this.#abort.signal.addEventListener('abort', onAbort, { once: true });
				if (windows.length > 0) void this.#catchUp(session, windows, true);
			});
		} catch (error) {
			const code = isNubraError(error) ? error.code : NUBRA_ERROR_CODES.UNREACHABLE;
			return {
				reason: this.#redact(describeError(error)),
				code,
				refreshSession: code === NUBRA_ERROR_CODES.AUTH_SESSION_EXPIRED,
				wasHealthy: false,
				error,
			};
		}
	}

	/**
	 * Members without a baseline take today's orders as history. Read before the socket opens,
	 * so the baseline cannot include changes made after the subscription; the catch-up that
	 * follows the subscription emits whatever moved in between. On failure the first catch-up
	 * becomes the baseline.
	 */
	async #baseline(session: StreamSession): Promise<void> {
		const members = this.#catchUpMembers().filter((member) => member.needsBaseline);
		if (members.length === 0) return;
		try {
			const rows = snapshotRows(await this.#o.auth.fetchSentinelOrders(session));
			if (this.closed) return;
			for (const member of members)
				if (this.#members.has(member)) member.baseline(rows, this.#apiVersion);
			this.#logger.debug(`Nubra catch-up baseline: ${rows.length} orders known`);
		} catch (error) {
			this.#logger.warn(`Nubra catch-up baseline failed: ${this.#redact(describeError(error))}`);
		}
	}

	#beginCatchUps(): Array<[ConnectionMember, number]> {
		this.#catchUpGeneration++;
		return this.#catchUpMembers().map((member) => [member, member.beginCatchUp()]);
	}

	/** One snapshot read for every member whose window is open; stale windows are skipped. */
	async #catchUp(
		session: StreamSession,
		windows: Array<[ConnectionMember, number]>,
		afterReconnect: boolean,
	): Promise<void> {
		const generation = this.#catchUpGeneration;
		this.#catchUpRunning = true;
		try {
			const rows = snapshotRows(await this.#o.auth.fetchSentinelOrders(session));
			if (this.closed) return;
			for (const [member, window] of windows) {
				if (this.#members.has(member))
					member.applyCatchUp(rows, this.#apiVersion, window, afterReconnect);
			}
		} catch (error) {
			for (const [member, window] of windows) member.abandonCatchUp(window);
			this.#logger.warn(`Nubra catch-up failed: ${this.#redact(describeError(error))}`);
		} finally {
			if (generation === this.#catchUpGeneration) {
				this.#catchUpRunning = false;
				if (this.#catchUpAgain) {
					this.#catchUpAgain = false;
					this.#catchUpAfterLoss();
				}
			}
		}
	}

	/** A subscription joins a live socket: its own read, and nobody else reconnects. */
	async #joinLive(member: ConnectionMember): Promise<void> {
		if (this.#connectedStatus !== undefined) member.status(this.#connectedStatus);
		const session = this.#session;
		if (!member.catchUp || session === undefined) return;
		const window = member.beginCatchUp();
		const read = (async () => {
			try {
				const rows = snapshotRows(await this.#o.auth.fetchSentinelOrders(session));
				if (this.#members.has(member)) member.applyCatchUp(rows, this.#apiVersion, window, false);
			} catch (error) {
				member.abandonCatchUp(window);
				this.#logger.warn(
					`Nubra catch-up for a joining trigger failed: ${this.#redact(describeError(error))}`,
				);
			}
		})();
		// Without a baseline, events before the read would be taken as news: wait for it.
		if (member.needsBaseline) await read;
	}

	/**
	 * A frame that could not be read may have carried an order update: read the order book again
	 * (on the same connection) so whatever it said is recovered. One catch-up at a time; frames
	 * lost while one is reading are covered by another right after it.
	 */
	#catchUpAfterLoss(): void {
		const session = this.#session;
		if (this.closed || !this.#live || session === undefined) return;
		if (this.#catchUpRunning) {
			this.#catchUpAgain = true;
			return;
		}
		const members = this.#catchUpMembers().filter((member) => !member.needsBaseline);
		if (members.length === 0) return;
		this.#catchUpGeneration++;
		void this.#catchUp(
			session,
			members.map((member) => [member, member.beginCatchUp()]),
			false,
		);
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

	/**
	 * When the frames being handled were read: one read from the socket carries a burst of them,
	 * handled in one task, so they share its time (taken once, forgotten when the task ends).
	 */
	#readTime(): void {
		if (this.#readAt !== undefined) return;
		this.#readAtMono = performance.now();
		this.#readAt = new Date();
		queueMicrotask(this.#forgetReadTime);
	}

	readonly #forgetReadTime = (): void => {
		this.#readAt = undefined;
	};

	#onFrame(data: Buffer): void {
		this.stats.framesReceived++;
		this.#readTime();
		const receivedAtMono = this.#readAtMono;
		let frame;
		try {
			frame = this.#decoder.decode(data, this.#includeMessage ? WITH_MESSAGE : WITHOUT_MESSAGE);
		} catch (error) {
			this.stats.malformedFrames++;
			this.#warn(
				NUBRA_ERROR_CODES.DECODE_MALFORMED,
				`A malformed frame of ${data.length} bytes was skipped: ${describeError(error)}; catching up from the order book`,
			);
			this.#catchUpAfterLoss();
			return;
		}
		if (frame.kind === 'unknown' || frame.kind === 'portfolio') {
			this.stats.unknownFrames++;
			this.#noteSkipped(frame.kind, frame.typeUrl);
			return;
		}
		this.#apiVersion = frame.kind;
		const receivedAt = this.#readAt as Date;
		// A member that leaves while a frame is handed out still sees that frame; a closed one ignores it.
		const receivers = this.#receivers;
		for (let i = 0; i < receivers.length; i++)
			receivers[i].events(frame.events, frame.message, receivedAt, receivedAtMono);
	}

	/**
	 * Portfolio frames are expected; a type never seen before may be a new kind of order update
	 * from Nubra: say so once per type, so an operator notices a protocol change.
	 */
	#noteSkipped(kind: 'unknown' | 'portfolio', typeUrl: string): void {
		if (
			kind === 'unknown' &&
			this.#unknownTypes.size < MAX_UNKNOWN_TYPES_REPORTED &&
			!this.#unknownTypes.has(typeUrl)
		) {
			this.#unknownTypes.add(typeUrl);
			this.#logger.warn(
				`Skipping frames of an unknown type (${this.#redact(typeUrl)}); if Nubra sends order updates in it, this package needs an update`,
			);
			return;
		}
		this.#logger.debug(`Skipped a ${kind} frame (${typeUrl})`);
	}

	#warn(code: NubraErrorCode, message: string): void {
		this.#logger.warn(message);
		this.#broadcast({ state: 'warning', code, message });
	}

	#redact(text: string): string {
		return redactSecrets(text, [this.#session?.sessionToken]);
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

function closedError(): NubraError {
	return new NubraError(
		NUBRA_ERROR_CODES.UNREACHABLE,
		'The Nubra order feed was closed before it connected',
		{
			hint: 'The trigger was stopped while it was still connecting; activate it again if that was not intended.',
		},
	);
}
