import type { OrderBook, OrderChange } from './book';
import type { SimulatorEmitter } from './events';
import type { SessionCounts, SessionStore } from './sessions';
import type { SubscriberHub } from './socket';
import type {
	ConnectionInfo,
	LedgerEntry,
	MalformedKind,
	NubraApiVersion,
	OrderSpec,
	OrderStep,
	ScenarioStep,
	SimOrder,
	SimulatorControl,
	SimulatorEvents,
} from './types';

/** How long the `waitFor…` helpers wait by default: well inside jest's 5 s test timeout. */
export const DEFAULT_WAIT_MS = 4_000;

export interface ControlParts {
	book: OrderBook;
	hub: SubscriberHub;
	sessions: SessionStore;
	emitter: SimulatorEmitter;
}

/**
 * The test-facing remote control. Every order state change goes through `applyStep`, which is
 * the one place that updates the book, fans the frame out and appends the ledger entry, so the
 * three can never disagree.
 */
export class Control implements SimulatorControl {
	readonly #parts: ControlParts;
	readonly #ledger: LedgerEntry[] = [];
	/** Timers of `play` and the waiters, each with what to do when the simulator closes. */
	readonly #pending = new Map<NodeJS.Timeout, () => void>();
	#closed = false;

	constructor(parts: ControlParts) {
		this.#parts = parts;
	}

	issueSession(): { authToken: string; sessionToken: string } {
		const authToken = this.#parts.sessions.issueAuthToken(undefined);
		return { authToken, sessionToken: this.#parts.sessions.issueSessionToken(authToken) };
	}

	expireSessions(): void {
		this.#parts.sessions.expireAll();
	}

	get sessionCounts(): SessionCounts {
		return this.#parts.sessions.counts;
	}

	sendInvalidToken(): void {
		this.#parts.hub.sendInvalidToken();
	}

	setApiVersion(version: NubraApiVersion): void {
		this.#parts.hub.setApiVersion(version);
	}

	placeOrder(spec?: Partial<OrderSpec>): SimOrder {
		return this.#parts.book.place(spec);
	}

	applyStep(orderId: string, step: OrderStep): LedgerEntry {
		const change = this.#parts.book.apply(orderId, step);
		const entry = ledgerEntry(this.#ledger.length + 1, change, this.#parts.hub.broadcast(change));
		this.#ledger.push(entry);
		this.#parts.emitter.emit('ledger', entry);
		return entry;
	}

	/**
	 * Plays the steps in order. With a rate, state changes are spaced on a fixed schedule from
	 * the start (so timer lateness does not accumulate); without one they go as fast as
	 * possible, yielding to the event loop after each so sockets and clients keep up.
	 * Resolves early, without error, when the simulator closes.
	 */
	async play(
		steps: readonly ScenarioStep[],
		options: { ratePerSecond?: number } = {},
	): Promise<void> {
		const ids = new Map<string, string>();
		const intervalMs =
			options.ratePerSecond && options.ratePerSecond > 0 ? 1000 / options.ratePerSecond : 0;
		const start = Date.now();
		let changes = 0;
		for (const scenarioStep of steps) {
			if (this.#closed) return;
			if (scenarioStep.op === 'place') {
				ids.set(scenarioStep.key, this.placeOrder(scenarioStep.spec).id);
				continue;
			}
			this.applyStep(ids.get(scenarioStep.key) ?? scenarioStep.key, scenarioStep.step);
			changes++;
			if (intervalMs > 0) await this.#delay(start + changes * intervalMs - Date.now());
			else await new Promise<void>((resolve) => setImmediate(resolve));
		}
	}

	get ledger(): readonly LedgerEntry[] {
		return this.#ledger;
	}

	orders(): SimOrder[] {
		return this.#parts.book.all();
	}

	get subscriberCount(): number {
		return this.#parts.hub.subscriberCount;
	}

	connections(): ConnectionInfo[] {
		return this.#parts.hub.connections();
	}

	waitForSubscribers(count: number, timeoutMs = DEFAULT_WAIT_MS): Promise<void> {
		return this.#waitFor(
			() => this.subscriberCount >= count,
			['subscribed'],
			timeoutMs,
			`${count} subscriber(s)`,
		);
	}

	/** Resolves once no websocket connection is open (at once if none is). */
	waitForDisconnect(timeoutMs = DEFAULT_WAIT_MS): Promise<void> {
		return this.#waitFor(
			() => this.connections().length === 0,
			['disconnected'],
			timeoutMs,
			'every connection to close',
		);
	}

	on<E extends keyof SimulatorEvents>(event: E, listener: SimulatorEvents[E]): () => void {
		return this.#parts.emitter.on(event, listener);
	}

	off<E extends keyof SimulatorEvents>(event: E, listener: SimulatorEvents[E]): void {
		this.#parts.emitter.off(event, listener);
	}

	dropAfter(frames: number): void {
		this.#parts.hub.dropAfter(frames);
	}

	halfOpen(): void {
		this.#parts.hub.halfOpen();
	}

	heal(): void {
		this.#parts.hub.heal();
	}

	sendMalformed(kind: MalformedKind): void {
		this.#parts.hub.sendMalformed(kind);
	}

	corruptNext(frames: number): void {
		this.#parts.hub.corruptNext(frames);
	}

	refuseConnections(count: number): void {
		this.#parts.hub.refuseConnections(count);
	}

	slowHandshake(ms: number): void {
		this.#parts.hub.slowHandshake(ms);
	}

	/** Stops `play` and fails pending waits, clearing every timer this object armed. */
	shutdown(): void {
		this.#closed = true;
		for (const [timer, onClose] of this.#pending) {
			clearTimeout(timer);
			onClose();
		}
		this.#pending.clear();
	}

	#delay(ms: number): Promise<void> {
		if (ms <= 0) return new Promise((resolve) => setImmediate(resolve));
		return new Promise((resolve) => {
			const timer = setTimeout(() => {
				this.#pending.delete(timer);
				resolve();
			}, ms);
			this.#pending.set(timer, resolve);
		});
	}

	#waitFor(
		condition: () => boolean,
		events: (keyof SimulatorEvents)[],
		timeoutMs: number,
		what: string,
	): Promise<void> {
		if (condition()) return Promise.resolve();
		if (this.#closed)
			return Promise.reject(new Error(`The simulator is closed; no longer waiting for ${what}`));
		return new Promise((resolve, reject) => {
			const unsubscribes: (() => void)[] = [];
			const finish = (error?: Error) => {
				clearTimeout(timer);
				this.#pending.delete(timer);
				for (const unsubscribe of unsubscribes) unsubscribe();
				if (error) reject(error);
				else resolve();
			};
			const timer = setTimeout(
				() => finish(new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`)),
				timeoutMs,
			);
			this.#pending.set(timer, () =>
				finish(new Error(`The simulator closed while waiting for ${what}`)),
			);
			for (const event of events) {
				unsubscribes.push(
					this.#parts.emitter.on(event, () => {
						if (condition()) finish();
					}),
				);
			}
		});
	}
}

function ledgerEntry(seq: number, change: OrderChange, deliveredTo: number[]): LedgerEntry {
	const { order } = change;
	const entry: LedgerEntry = {
		seq,
		orderId: order.id,
		kind: change.kind,
		status: order.status,
		filledQty: order.filledQty,
		orderQty: order.orderQty,
		orderPrice: order.orderPrice,
		request: order.request,
		responseType: order.responseType ?? 'ACCEPT',
		tag: order.spec.tag,
		displayName: order.spec.displayName,
		side: order.spec.side,
		exchange: order.spec.exchange,
		isBasket: order.isBasket,
		deliveredTo,
		at: change.at,
	};
	if (change.tradeQty !== undefined)
		Object.assign(entry, { tradeQty: change.tradeQty, tradePrice: change.tradePrice });
	if (change.leg)
		Object.assign(entry, { legRefId: change.leg.refId, legOrderId: change.leg.legOrderId });
	if (order.rejectionMsg !== undefined) entry.rejectionMsg = order.rejectionMsg;
	return entry;
}
