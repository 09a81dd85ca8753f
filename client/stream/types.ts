import type { NubraError, NubraErrorCode } from '../errors';
import type { EventPredicate } from '../filter';
import type { NubraLogger } from '../logger';
import type { OrderStateTracker } from '../tracker';
import type { NubraEvent } from '../types';

/** A session as the stream sees it: the object identity says which session failed. */
export interface StreamSession {
	sessionToken: string;
}

/** What the stream needs from the auth client (NubraAuthClient fits it). */
export interface StreamAuth {
	getSession(): Promise<StreamSession>;
	/**
	 * Mints a fresh session (Invalid Token, HTTP 440): verifypin first, full login after.
	 * `failed` names the refused session: when a newer one exists already, it is returned
	 * without a login.
	 */
	refresh(reason?: string, failed?: StreamSession): Promise<StreamSession>;
	userInfo(session: StreamSession): Promise<{ userWsUrl?: string; orderServiceWsUrl?: string }>;
	/** `GET /sentinel/orders`: the whole body or its `orders` object. */
	fetchSentinelOrders(session: StreamSession): Promise<unknown>;
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

/** Settings of the account's socket (shared by every subscription on it). */
export interface ConnectionSettings {
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
	/** Largest frame accepted, bytes (default 1 MiB). */
	maxFrameBytes?: number;
	/**
	 * Another login ending this session again and again within this window (default 10 min)
	 * slows the re-logins down and is reported: two clients must not fight over one account.
	 */
	sessionReplacedWindowMs?: number;
	/** Replacements within the window before it is reported as an error (default 5). */
	sessionReplacedAlertAfter?: number;
	/** Longest wait before logging in again after repeated replacements, ms (default 60 000). */
	sessionReplacedMaxDelayMs?: number;
}

/** Settings of one subscription (one trigger). */
export interface SubscriptionSettings {
	/** Read `/sentinel/orders` after each reconnect and emit what changed (default true). */
	catchUp?: boolean;
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
}

export interface NubraStreamOptions extends ConnectionSettings, SubscriptionSettings {
	auth: StreamAuth;
	/** The environment's socket, used when `/userinfo` announces none (or an empty one). */
	defaultSocketUrl: () => string | Promise<string>;
	socket?: SocketChoice;
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
	| { state: 'session-replaced'; count: number; inMs: number }
	| { state: 'session-contested'; error: NubraError }
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
