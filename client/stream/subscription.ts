import {
	NUBRA_ERROR_CODES,
	NubraError,
	describeError,
	isNubraError,
	type NubraErrorCode,
} from '../errors';
import type { EventPredicate } from '../filter';
import { redactSecrets, silentLogger, type NubraLogger } from '../logger';
import type { SentinelOrderRow } from '../sentinel';
import { OrderStateTracker, stateKey } from '../tracker';
import type { NubraApiVersion, NubraEvent } from '../types';
import { CatchUpState } from './catch-up';
import type { AccountConnection, ConnectionMember } from './connection';
import { LiveDelivery } from './delivered';
import { DeliveryQueue } from './delivery-queue';
import type {
	ConnectionSettings,
	DeliveredEvent,
	EventHandler,
	StatusHandler,
	StreamStats,
	StreamStatus,
	SubscriptionSettings,
} from './types';

export interface OrderSubscriptionOptions extends SubscriptionSettings, ConnectionSettings {
	logger?: NubraLogger;
	/** Told once, when `close()` begins. */
	onClosed?: () => void;
}

/**
 * One consumer of an account's order feed (one trigger): its own filter, dedup memory,
 * catch-up diff and delivery queue, on a connection it may share with others. The connection
 * can change underneath (`moveTo`) when the consumer's credential names another account.
 */
export class OrderSubscription implements ConnectionMember {
	readonly catchUp: boolean;
	readonly includeMessage: boolean;
	readonly settings: ConnectionSettings;
	readonly #filter: EventPredicate | undefined;
	readonly #catchUpState: CatchUpState;
	readonly #logger: NubraLogger;
	readonly #onClosed: (() => void) | undefined;
	readonly #queue: DeliveryQueue;
	readonly #statusHandlers: StatusHandler[] = [];
	readonly #own = {
		eventsFiltered: 0,
		duplicatesSuppressed: 0,
		recoveredEvents: 0,
		droppedEvents: 0,
	};
	/** Connections this subscription has been on, counted by their `connected` statuses. */
	#connectedCount = 0;
	#connection: AccountConnection;
	#started = false;
	#closing: Promise<void> | undefined;

	constructor(connection: AccountConnection, options: OrderSubscriptionOptions = {}) {
		this.#connection = connection;
		this.catchUp = options.catchUp ?? true;
		this.includeMessage = options.includeMessage ?? false;
		this.settings = options;
		this.#filter = options.filter;
		this.#catchUpState = new CatchUpState(options.tracker ?? new OrderStateTracker());
		this.#logger = options.logger ?? silentLogger;
		this.#onClosed = options.onClosed;
		const overflow = options.overflow ?? 'pause';
		this.#queue = new DeliveryQueue({
			limit: options.queueLimit ?? 10_000,
			overflow,
			onFull: () => this.#connection.pause(this),
			onDrained: () => this.#connection.resume(this),
			onDropped: (count) => {
				this.#own.droppedEvents += count;
				this.#warn(
					NUBRA_ERROR_CODES.QUEUE_OVERFLOW,
					`${count} event(s) dropped: the workflow is slower than the order feed (overflow policy "${overflow}")`,
				);
			},
			onHandlerError: (error) =>
				this.#logger.error(
					`A Nubra event handler failed: ${redactSecrets(describeError(error), [])}`,
				),
		});
	}

	get stats(): Readonly<StreamStats> {
		const connection = this.#connection.stats;
		return {
			framesReceived: connection.framesReceived,
			malformedFrames: connection.malformedFrames,
			unknownFrames: connection.unknownFrames,
			connections: connection.connections,
			eventsDelivered: this.#queue.delivered,
			...this.#own,
		};
	}

	get tracker(): OrderStateTracker {
		return this.#catchUpState.tracker;
	}

	get connection(): AccountConnection {
		return this.#connection;
	}

	get closed(): boolean {
		return this.#closing !== undefined;
	}

	get needsBaseline(): boolean {
		return this.catchUp && !this.#catchUpState.hasBaseline;
	}

	onEvent(handler: EventHandler): this {
		this.#queue.addHandler(handler);
		return this;
	}

	onStatus(handler: StatusHandler): this {
		this.#statusHandlers.push(handler);
		return this;
	}

	/**
	 * Joins the connection. Resolves once events flow; rejects (and closes this subscription)
	 * when the connection's first attempt fails, so a caller can fail activation with the reason.
	 */
	async start(): Promise<void> {
		if (this.#started) throw new Error('start() was already called');
		this.#started = true;
		try {
			await this.#connection.join(this);
		} catch (error) {
			await this.close();
			throw error;
		}
	}

	/**
	 * Continues on another connection (the credential now names another account). The catch-up
	 * that follows the new subscription reports what changed in between.
	 */
	async moveTo(connection: AccountConnection): Promise<void> {
		if (this.closed || connection === this.#connection) return;
		const previous = this.#connection;
		this.#connection = connection;
		await previous.leave(this);
		await connection.join(this, false);
	}

	/** The feed cannot continue (e.g. the edited credential cannot log in): report it as given up. */
	fail(error: unknown): void {
		const nubraError = isNubraError(error)
			? error
			: new NubraError(NUBRA_ERROR_CODES.UNREACHABLE, describeError(error), { cause: error });
		this.#emitStatus({ state: 'gave-up', error: nubraError });
	}

	/** Idempotent and bounded: leaves the connection, which closes when it was the last. */
	close(): Promise<void> {
		this.#closing ??= (async () => {
			this.#onClosed?.();
			this.#queue.close();
			await this.#connection.leave(this);
		})();
		return this.#closing;
	}

	// ConnectionMember: called by the connection.

	baseline(rows: readonly SentinelOrderRow[], apiVersion: NubraApiVersion): void {
		this.#catchUpState.baseline(rows, apiVersion);
	}

	beginCatchUp(): number {
		return this.#catchUpState.begin();
	}

	abandonCatchUp(window: number): void {
		this.#catchUpState.abandon(window);
	}

	applyCatchUp(
		rows: readonly SentinelOrderRow[],
		apiVersion: NubraApiVersion,
		window: number,
		afterReconnect: boolean,
	): void {
		if (this.closed) return;
		const result = this.#catchUpState.apply(rows, apiVersion, window);
		if (result === null) return;
		if (result.baseline) {
			this.#logger.debug(`Nubra catch-up baseline: ${rows.length} orders known`);
			return;
		}
		for (const delivered of result.events) {
			this.#own.recoveredEvents++;
			this.#deliver(delivered);
		}
		const count = result.recovered;
		// The catch-up right after the first baseline, or after a lost frame, is routine: only
		// report it when it found news.
		if (count > 0 || (afterReconnect && this.#connectedCount > 1))
			this.#emitStatus({ state: 'recovered', count });
		if (count > 0) this.#logger.info(`Nubra catch-up recovered ${count} order updates`);
	}

	events(
		events: readonly NubraEvent[],
		message: Record<string, unknown> | undefined,
		receivedAt: Date,
		receivedAtMono: number,
	): void {
		if (this.closed) return;
		const withMessage = this.includeMessage ? message : undefined;
		const state = this.#catchUpState;
		for (const event of events) {
			const missed = state.missedBefore(event);
			if (missed !== null) {
				this.#own.recoveredEvents++;
				this.#deliver({
					event: missed,
					recovered: true,
					receivedAt,
					dedupKey: stateKey(missed),
					receivedAtMono,
				});
			}
			if (!state.observe(event)) {
				this.#own.duplicatesSuppressed++;
				continue;
			}
			this.#deliver(new LiveDelivery(event, receivedAt, receivedAtMono, withMessage));
		}
	}

	status(status: StreamStatus): void {
		if (status.state === 'connected') this.#connectedCount++;
		this.#emitStatus(status);
	}

	#deliver(delivered: DeliveredEvent): void {
		if (this.#filter && !this.#filter(delivered.event)) {
			this.#own.eventsFiltered++;
			return;
		}
		this.#queue.push(delivered);
	}

	#warn(code: NubraErrorCode, message: string): void {
		this.#logger.warn(message);
		this.#emitStatus({ state: 'warning', code, message });
	}

	#emitStatus(status: StreamStatus): void {
		for (const handler of this.#statusHandlers) {
			try {
				handler(status);
			} catch (error) {
				this.#logger.error(`A Nubra status handler failed: ${describeError(error)}`);
			}
		}
	}
}
