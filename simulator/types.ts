import type { SessionCounts } from './sessions';
import type { TradingDeskOptions, TradingSimControl } from './trading';
import type { NubraApiVersion, NubraRequest, NubraStatus } from '../client/types';

export type { NubraApiVersion, NubraRequest, NubraStatus };

export type Exchange = 'NSE' | 'BSE';
export type Side = 'BUY' | 'SELL';
export type DerivativeType = 'STOCK' | 'OPT' | 'FUT' | 'INDEX';

/**
 * Generation-neutral response type of one state change. Each generation spells it its own way
 * (V1/V2 `ORDER_*`, V3 `INTENT_ORDER_RESPONSE_TYPE_*`); see `encode.ts` for the tables.
 * A user cancel is `ACCEPT` with request `CANCEL`, as V3 sends it.
 */
export type SimResponseType =
	'ACCEPT' | 'REJECT' | 'FILLED' | 'TRIGGERED' | 'UNSOLICITED_CANCEL' | 'EXPIRED';

export interface InstrumentSpec {
	displayName: string;
	exchange: Exchange;
	/** Nubra instrument id (`ref_id`). */
	refId: number;
	lotSize: number;
	asset: string;
	derivativeType: DerivativeType;
	optionType?: 'CE' | 'PE';
}

export interface LegSpec extends InstrumentSpec {
	side: Side;
	/** Units, a multiple of `lotSize`. */
	qty: number;
	/** Paise. */
	price: number;
}

export interface OrderSpec extends InstrumentSpec {
	side: Side;
	qty: number;
	/** Limit price in paise. */
	price: number;
	tag: string;
	priceType: 'LIMIT' | 'MARKET';
	deliveryType: 'CNC' | 'IDAY';
	validity: 'DAY' | 'IOC';
	/** Paise; makes the order a stop-loss order that `trigger` can fire. */
	triggerPrice?: number;
	/** Two to four legs make a strategy (basket) order; the top-level instrument names it. */
	legs?: LegSpec[];
}

export interface SimLeg extends LegSpec {
	/** The leg's own order id (V1 sends leg fills as `Order` frames with this `order_id`). */
	legOrderId: string;
	exchangeOrderId: string;
	filledQty: number;
	avgPrice: number;
}

export interface SimOrder {
	/** int64 as decimal text: `bigIds` ids exceed 2^53. Also the V3 `intent_order_id` and V1 `basket_id`. */
	id: string;
	exchangeOrderId: string;
	spec: OrderSpec;
	isBasket: boolean;
	legs: SimLeg[];
	status: NubraStatus;
	request: NubraRequest;
	/** Undefined until the first state change (a freshly placed order has sent nothing). */
	responseType: SimResponseType | undefined;
	orderQty: number;
	orderPrice: number;
	filledQty: number;
	avgPrice: number;
	rejectionMsg: string | undefined;
	/** Whether the stop-loss fired; V3 reports it in `exit_triggers` until the order ends. */
	triggered: boolean;
	createdAt: number;
	updatedAt: number;
}

export type OrderStep =
	| { type: 'accept' }
	/** Default: half of what is left, in whole lots; reaching the order quantity fills it. */
	| { type: 'partialFill'; qty?: number }
	| { type: 'fill' }
	| { type: 'reject'; reason?: string }
	| { type: 'cancel' }
	| { type: 'modify'; price?: number; qty?: number }
	| { type: 'trigger' }
	| { type: 'expire' }
	| { type: 'unsolicitedCancel' };

/**
 * One scenario step. Orders are named by a scenario-local `key` because ids are only known once
 * the simulator places them; a `step` whose key was never placed in the same `play` is taken to
 * be an order id already in the book.
 */
export type ScenarioStep =
	| { op: 'place'; key: string; spec: Partial<OrderSpec> }
	| { op: 'step'; key: string; step: OrderStep };

export type LedgerKind = 'order' | 'trade' | 'basket';

export interface LedgerEntry {
	seq: number;
	orderId: string;
	/** `trade` when the change carries a fill, else `basket` for strategy orders, else `order`. */
	kind: LedgerKind;
	status: NubraStatus;
	filledQty: number;
	orderQty: number;
	orderPrice: number;
	tradeQty?: number;
	tradePrice?: number;
	/** For a strategy-order fill: the leg that traded. */
	legRefId?: number;
	legOrderId?: string;
	request: NubraRequest;
	responseType: SimResponseType;
	rejectionMsg?: string;
	tag: string;
	displayName: string;
	side: Side;
	exchange: Exchange;
	isBasket: boolean;
	/** Connection ids that were sent this change's frame. */
	deliveredTo: number[];
	/** Epoch milliseconds. */
	at: number;
}

export type Channel = 'user' | 'order-service';

export interface ConnectionInfo {
	id: number;
	apiVersion: NubraApiVersion;
	subscribed: boolean;
	channel: Channel;
}

export interface RequestInfo {
	method: string;
	/** Path without the query string. */
	path: string;
	status: number;
}

export interface SimulatorEvents {
	subscribed: (connection: ConnectionInfo) => void;
	disconnected: (connection: ConnectionInfo) => void;
	ping: (connection: ConnectionInfo) => void;
	request: (request: RequestInfo) => void;
	ledger: (entry: LedgerEntry) => void;
}

export type MalformedKind =
	'garbage' | 'truncated' | 'oversize' | 'unknown-type' | 'portfolio' | 'text-error' | 'text-info';

export interface ScenarioMix {
	fill?: number;
	partialFill?: number;
	reject?: number;
	cancel?: number;
	modify?: number;
	stopLoss?: number;
	expire?: number;
	unsolicitedCancel?: number;
	basket?: number;
}

export interface ScenarioOptions {
	seed: number;
	/** How many orders the scenario places. */
	orders: number;
	/** Relative weights of the lifecycles; missing keys take the defaults. */
	mix?: ScenarioMix;
}

export interface SimulatorOptions {
	/** Default '127.0.0.1'. */
	host?: string;
	/** Default 0: an ephemeral port. */
	port?: number;
	phone?: string;
	mpin?: string;
	/** Base32; default {@link DEMO_TOTP_SECRET}. */
	totpSecret?: string;
	/** Default 7 h. */
	sessionTokenTtlMs?: number;
	/** Default 24 h. */
	authTokenTtlMs?: number;
	/** Frame generation for new subscriptions; default 'v3'. */
	apiVersion?: NubraApiVersion;
	/** `/userinfo` `env_info.order_service_ws_url`; '' reproduces UAT's empty value. */
	orderServiceWsUrl?: string;
	/** `/userinfo` `env_info.user_ws_url`; default the simulator's own `/ws`. */
	userWsUrl?: string;
	/**
	 * Accepted for the contract; the simulator itself draws no random numbers (ids are
	 * sequential, scenarios come from `generateScenario({ seed })`), so it changes nothing yet.
	 */
	seed?: number;
	/** Largest incoming websocket message accepted (ws `maxPayload`). */
	maxFrameBytes?: number;
	/**
	 * Whether a new login ends every earlier session of the account, as Nubra does (default
	 * true): REST answers 440 to the old tokens, and sockets subscribed with them hear
	 * `Invalid Token` and are closed. False lets several sessions live side by side.
	 */
	singleSession?: boolean;
	/** Whether order ids start above 2^53, so int64 precision can be tested (default false). */
	bigIds?: boolean;
	/** Receives diagnostic lines; never given a token, MPIN or secret. */
	log?: (line: string) => void;
	/** The trading endpoints: rate limit (default 10/s), apply delay, cancel lock, funds. */
	trading?: TradingDeskOptions;
}

export interface SimulatorControl {
	/** A valid login without REST, for "pasted session token" tests; bound to the first device id used. */
	issueSession(): { authToken: string; sessionToken: string };
	/**
	 * Every current auth and session token stops working: REST 440, subscribe `Invalid Token`,
	 * and sockets subscribed with them hear `Invalid Token` and are closed.
	 */
	expireSessions(): void;
	/** Logins and session tokens so far, to count what a client cost the account. */
	readonly sessionCounts: SessionCounts;
	/** `Invalid Token` to every live subscriber now; their session tokens end, auth tokens stay. */
	sendInvalidToken(): void;
	/** Generation of subscriptions made from now on; live ones keep theirs. */
	setApiVersion(version: NubraApiVersion): void;

	/** Books a PENDING order and sends nothing; its first frame comes with `accept` or `reject`. */
	placeOrder(spec?: Partial<OrderSpec>): SimOrder;
	/** One state change: book, one frame per live subscriber, one ledger entry (returned). */
	applyStep(orderId: string, step: OrderStep): LedgerEntry;
	play(steps: readonly ScenarioStep[], options?: { ratePerSecond?: number }): Promise<void>;
	readonly ledger: readonly LedgerEntry[];
	/** Copies of the book: changing them changes nothing. */
	orders(): SimOrder[];

	readonly subscriberCount: number;
	connections(): ConnectionInfo[];
	waitForSubscribers(count: number, timeoutMs?: number): Promise<void>;
	/** Resolves once no websocket connection is open (at once when none is). */
	waitForDisconnect(timeoutMs?: number): Promise<void>;
	/** Returns the matching unsubscribe. */
	on<E extends keyof SimulatorEvents>(event: E, listener: SimulatorEvents[E]): () => void;
	off<E extends keyof SimulatorEvents>(event: E, listener: SimulatorEvents[E]): void;

	/** Each current subscriber's TCP connection is destroyed right after its next `frames` frames. */
	dropAfter(frames: number): void;
	/** The connections open now stop getting frames and pongs, TCP staying up; new ones are healthy. */
	halfOpen(): void;
	heal(): void;
	/** A frame no ledger entry describes, to every live subscriber. */
	sendMalformed(kind: MalformedKind): void;
	/**
	 * The next `frames` order frames each current subscriber gets arrive cut in half: real
	 * changes (in the ledger) that the client cannot decode.
	 */
	corruptNext(frames: number): void;
	/** The next `count` websocket upgrades get HTTP 503. */
	refuseConnections(count: number): void;
	/** Subscribes are accepted `ms` late (0 restores). */
	slowHandshake(ms: number): void;
}

export interface RunningSimulator {
	restUrl: string;
	wsUrl: string;
	orderServiceWsUrl: string;
	credentials: { phone: string; mpin: string; totpSecret: string };
	control: SimulatorControl;
	/** The trading endpoints' settings and counters (create, modify, cancel, margin, 429s). */
	trading: TradingSimControl;
	close(): Promise<void>;
}
