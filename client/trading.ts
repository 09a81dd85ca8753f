import { createHash } from 'node:crypto';
import type { NubraAccount } from './accounts';
import type { AuthorizedRequestOptions, NubraSession } from './auth';
import type { NubraEnvironment } from './credentials';
import { NUBRA_ERROR_CODES, NubraError, isNubraError } from './errors';
import type { HttpMethod } from './http';
import { InstrumentMaster, type NubraInstrument } from './instruments';
import { SENTINEL_BUCKETS, type SentinelBucket, type SentinelOrderRow } from './sentinel';
import { RateLimiter, defaultSleep } from './rateLimit';
import { checkQuantity, priceToPaise, withRupeeTwins, type TickRounding } from './units';

/**
 * Nubra's trading REST API V3 (`/sentinel/orders/*`, `/sentinel/portfolio/*`, `/refdata`),
 * framework-free. Every call goes through the account's one auth client, so the action node
 * shares the trigger's session and its single-flight refresh; trading calls wait their turn
 * under the account's rate limit and ride out a 429 instead of failing.
 */

export type OrderSide = 'BUY' | 'SELL';
export type DeliveryType = 'IDAY' | 'CNC';
export type PriceType = 'LIMIT' | 'MARKET';
export type ValidityType = 'DAY' | 'IOC' | 'GTE';
export type ExitTriggerKind = 'STOPLOSS' | 'TARGET_PROFIT' | 'TRAILING_STOP';

/** An order as a person enters it: prices in rupees, quantity in units. */
export interface OrderInput {
	refId: number;
	side: OrderSide;
	quantity: number;
	priceType: PriceType;
	/** Rupees; LIMIT only. */
	price?: number;
	deliveryType: DeliveryType;
	/** Default DAY for LIMIT; MARKET is always IOC. */
	validity?: ValidityType;
	/** ISO date or date-time; required with GTE. */
	goodTillDate?: string;
	/** Rupees: the order enters when the LTP reaches it (at or above for BUY, at or below for SELL). */
	entryTriggerPrice?: number;
	stopLossTriggerPrice?: number;
	stopLossLimitPrice?: number;
	/** Trailing stop step, as Nubra's `stoplossTrailJump` (its unit is not documented; sent as given). */
	trailingStopJump?: number;
	targetTriggerPrice?: number;
	targetLimitPrice?: number;
	/** One tag: letters, digits and hyphens. */
	tag?: string;
}

/** What Nubra's V3 create and funds_required take as one item (prices in paise). */
export interface OrderItem {
	refId: number;
	qty: number;
	side: OrderSide;
	deliveryType: DeliveryType;
	priceType: PriceType;
	validityType: ValidityType;
	isMultiLeg: false;
	executionMode: 'ENTRY' | 'ENTRY_AND_EXIT';
	entryPrice?: number;
	goodTillDate?: string;
	entryConfig?: {
		triggers: { ltp: { atOrAbove?: { value: number }; atOrBelow?: { value: number } } };
	};
	exitConfig?: {
		stoplossParams?: {
			stoplossTriggerPrice: { value: number };
			stoplossLimitPrice: { value: number } | { disabled: true };
			stoplossTrailJump?: number;
		};
		targetParams?: {
			targetProfitTriggerPrice: { value: number };
			targetProfitLimitPrice: { value: number } | { disabled: true };
		};
	};
	stratTags?: string[];
}

/** An order id for a request body: a number while exact, a `bigint` beyond 2^53 (sent as a bare literal). */
export function orderIdValue(id: string): number | bigint {
	const n = Number(id);
	return Number.isSafeInteger(n) ? n : BigInt(id);
}

export const TAG_PATTERN = /^[A-Za-z0-9-]{1,50}$/;

function invalid(message: string, hint: string): NubraError {
	return new NubraError(NUBRA_ERROR_CODES.INVALID_ORDER, message, { hint });
}

function isoDate(value: string, field: string): string {
	const parsed = new Date(value);
	if (value.trim() === '' || Number.isNaN(parsed.getTime())) {
		throw invalid(
			`${field} "${value}" is not a date`,
			'Give a date such as 2026-12-31 or an ISO date-time.',
		);
	}
	return parsed.toISOString();
}

/**
 * Checks an order against Nubra's rules and the instrument's tick and lot, and builds the V3
 * item. Every rule that Nubra would refuse is refused here first, with what to do.
 */
export function buildOrderItem(
	input: OrderInput,
	instrument: NubraInstrument,
	rounding: TickRounding,
): OrderItem {
	const symbol = `${instrument.symbol} (${instrument.exchange})`;
	const price = (rupees: number, field: string) =>
		priceToPaise(rupees, instrument.tickSize, rounding, { field, symbol });
	const qty = checkQuantity(input.quantity, instrument.lotSize, symbol);
	const validity: ValidityType = input.priceType === 'MARKET' ? 'IOC' : (input.validity ?? 'DAY');
	if (input.priceType === 'MARKET' && input.validity !== undefined && input.validity !== 'IOC') {
		throw invalid(
			`A MARKET order must be IOC, not ${input.validity}`,
			'Use a LIMIT order for DAY or good-till (GTE) validity.',
		);
	}
	const item: OrderItem = {
		refId: instrument.refId,
		qty,
		side: input.side,
		deliveryType: input.deliveryType,
		priceType: input.priceType,
		validityType: validity,
		isMultiLeg: false,
		executionMode: 'ENTRY',
	};
	let entry: number | undefined;
	if (input.priceType === 'LIMIT') {
		if (input.price === undefined) {
			throw invalid(
				`A LIMIT order for ${symbol} needs a price`,
				'Enter the limit price in rupees, or use a MARKET order.',
			);
		}
		entry = price(input.price, 'Price');
		item.entryPrice = entry;
	}
	if (validity === 'GTE') {
		if (input.deliveryType !== 'CNC') {
			throw invalid(
				'A good-till (GTE) order must use delivery (CNC)',
				'Intraday orders cannot last beyond today: set Delivery Type to Delivery (CNC) or Validity to Day.',
			);
		}
		if (input.goodTillDate === undefined || input.goodTillDate === '') {
			throw invalid(
				'A good-till (GTE) order needs a Good Till Date',
				'Set Good Till Date (no later than the contract expiry for F&O).',
			);
		}
		item.goodTillDate = isoDate(input.goodTillDate, 'Good Till Date');
	}
	if (input.entryTriggerPrice !== undefined) {
		const trigger = price(input.entryTriggerPrice, 'Entry Trigger Price');
		item.entryConfig = {
			triggers: {
				ltp:
					input.side === 'BUY'
						? { atOrAbove: { value: trigger } }
						: { atOrBelow: { value: trigger } },
			},
		};
	}
	addExits(item, input, entry, price);
	if (input.tag !== undefined && input.tag !== '') {
		if (!TAG_PATTERN.test(input.tag)) {
			throw invalid(
				`Tag "${input.tag}" is not allowed`,
				'Nubra takes one tag of letters, digits and hyphens (no spaces, underscores, colons or plus signs), at most 50 characters.',
			);
		}
		item.stratTags = [input.tag];
	}
	return item;
}

function addExits(
	item: OrderItem,
	input: OrderInput,
	entry: number | undefined,
	price: (rupees: number, field: string) => number,
): void {
	const hasStop = input.stopLossTriggerPrice !== undefined;
	const hasTarget = input.targetTriggerPrice !== undefined;
	if (
		!hasStop &&
		(input.stopLossLimitPrice !== undefined || input.trailingStopJump !== undefined)
	) {
		throw invalid(
			'A stop-loss limit or trailing jump needs a Stop-Loss Trigger Price',
			'Set Stop-Loss Trigger Price too.',
		);
	}
	if (!hasTarget && input.targetLimitPrice !== undefined) {
		throw invalid(
			'A target limit price needs a Target Trigger Price',
			'Set Target Trigger Price too.',
		);
	}
	if (!hasStop && !hasTarget) return;
	// For a BUY: stop limit ≤ stop trigger < entry < target trigger, target limit ≤ target trigger; mirrored for SELL.
	const buy = input.side === 'BUY';
	const beyond = (a: number, b: number) => (buy ? a < b : a > b);
	const orEqual = (a: number, b: number) => a === b || beyond(a, b);
	const exitConfig: NonNullable<OrderItem['exitConfig']> = {};
	if (input.stopLossTriggerPrice !== undefined) {
		const trigger = price(input.stopLossTriggerPrice, 'Stop-Loss Trigger Price');
		if (entry !== undefined && !beyond(trigger, entry)) {
			throw invalid(
				`The stop-loss trigger must be ${buy ? 'below' : 'above'} the entry price for a ${input.side} order`,
				`Set Stop-Loss Trigger Price ${buy ? 'below' : 'above'} Price.`,
			);
		}
		const limit =
			input.stopLossLimitPrice === undefined
				? undefined
				: price(input.stopLossLimitPrice, 'Stop-Loss Limit Price');
		if (limit !== undefined && !orEqual(limit, trigger)) {
			throw invalid(
				`The stop-loss limit must be at or ${buy ? 'below' : 'above'} its trigger for a ${input.side} order`,
				'Move Stop-Loss Limit Price past the trigger, or leave it empty for a market exit.',
			);
		}
		exitConfig.stoplossParams = {
			stoplossTriggerPrice: { value: trigger },
			stoplossLimitPrice: limit === undefined ? { disabled: true } : { value: limit },
		};
		if (input.trailingStopJump !== undefined) {
			if (!(input.trailingStopJump > 0)) {
				throw invalid(
					'Trailing Stop Jump must be positive',
					'Enter the trailing step, or leave it empty.',
				);
			}
			exitConfig.stoplossParams.stoplossTrailJump = input.trailingStopJump;
		}
	}
	if (input.targetTriggerPrice !== undefined) {
		const trigger = price(input.targetTriggerPrice, 'Target Trigger Price');
		if (entry !== undefined && !beyond(entry, trigger)) {
			throw invalid(
				`The target trigger must be ${buy ? 'above' : 'below'} the entry price for a ${input.side} order`,
				`Set Target Trigger Price ${buy ? 'above' : 'below'} Price.`,
			);
		}
		const limit =
			input.targetLimitPrice === undefined
				? undefined
				: price(input.targetLimitPrice, 'Target Limit Price');
		if (limit !== undefined && !orEqual(limit, trigger)) {
			throw invalid(
				`The target limit must be at or ${buy ? 'below' : 'above'} its trigger for a ${input.side} order`,
				'Move Target Limit Price, or leave it empty for a market exit.',
			);
		}
		exitConfig.targetParams = {
			targetProfitTriggerPrice: { value: trigger },
			targetProfitLimitPrice: limit === undefined ? { disabled: true } : { value: limit },
		};
	}
	item.exitConfig = exitConfig;
	item.executionMode = 'ENTRY_AND_EXIT';
}

/** Changes to a working order; prices in rupees. Unset fields keep their values. */
export interface ModifyInput {
	quantity?: number;
	price?: number;
	/** Switches a LIMIT order to MARKET (which is then IOC) or back. */
	priceType?: PriceType;
}

/** The V3 modify item: Nubra's single-modify page requires the four type fields, so they are always sent. */
export function buildModifyItem(
	order: SentinelOrderRow,
	changes: ModifyInput,
	instrument: NubraInstrument,
	rounding: TickRounding,
): Record<string, unknown> {
	const symbol = `${instrument.symbol} (${instrument.exchange})`;
	const id = order.intentOrderId;
	if (
		changes.quantity === undefined &&
		changes.price === undefined &&
		changes.priceType === undefined
	) {
		throw invalid(
			`Nothing to modify on order ${String(id)}`,
			'Set a new Quantity, Price or Price Type.',
		);
	}
	const priceType = changes.priceType ?? (order.priceType === 'MARKET' ? 'MARKET' : 'LIMIT');
	const item: Record<string, unknown> = {
		orderId: orderIdValue(String(id)),
		qty:
			changes.quantity === undefined
				? order.orderQty
				: checkQuantity(changes.quantity, instrument.lotSize, symbol),
		deliveryType: order.deliveryType ?? 'IDAY',
		priceType,
		validityType:
			priceType === 'MARKET'
				? 'IOC'
				: order.validityType === 'IOC'
					? 'DAY'
					: (order.validityType ?? 'DAY'),
		executionMode: 'ENTRY',
	};
	if (priceType === 'LIMIT') {
		if (changes.price !== undefined) {
			item.entryPrice = priceToPaise(changes.price, instrument.tickSize, rounding, {
				field: 'Price',
				symbol,
			});
		} else if (order.orderPrice !== undefined && Number(order.orderPrice) > 0) {
			item.entryPrice = Number(order.orderPrice);
		} else {
			throw invalid(
				`Order ${String(id)} becomes a LIMIT order and needs a price`,
				'Set Price in rupees.',
			);
		}
	} else if (changes.price !== undefined) {
		throw invalid(
			'A MARKET order takes no price',
			'Leave Price empty, or set Price Type to Limit.',
		);
	}
	return item;
}

/** Which paise fields get rupee twins, per kind of row. */
export const ORDER_PAISE_FIELDS = ['orderPrice', 'filledPrice', 'entryPrice', 'ltp'] as const;
export const POSITION_PAISE_FIELDS = [
	'ltp',
	'avgPrice',
	'avgBuyPrice',
	'avgSellPrice',
	'pnl',
] as const;
export const HOLDING_PAISE_FIELDS = [
	'avgPrice',
	'prevClose',
	'ltp',
	'investedValue',
	'currentValue',
	'netPnl',
	'dayPnl',
	'marginBenefit',
] as const;
export const MARGIN_PAISE_FIELDS = ['totalFundsRequired', 'totalMargin', 'totalCharges'] as const;

/** An order row with rupee twins, its instrument named at the top level, and `orderId` for chaining. */
export function shapeOrderRow(
	row: SentinelOrderRow,
	bucket?: SentinelBucket,
): Record<string, unknown> {
	const out = withRupeeTwins(row, ORDER_PAISE_FIELDS);
	out.orderId = String(row.intentOrderId);
	if (row.refId === undefined && Array.isArray(row.legs) && row.legs.length === 1) {
		// A single order can come back as a one-leg multi order with the instrument on its leg.
		const leg = row.legs[0];
		if (leg.refId !== undefined) out.refId = leg.refId;
	}
	const refData = row.refData;
	out.symbol = refData?.displayName ?? refData?.stockName ?? null;
	out.remainingQty =
		typeof row.orderQty === 'number' && typeof row.filledQty === 'number'
			? Math.max(0, row.orderQty - row.filledQty)
			: null;
	if (bucket !== undefined) out.bucket = bucket;
	return out;
}

function num(value: unknown): number | undefined {
	const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
	return typeof n === 'number' && Number.isFinite(n) ? n : undefined;
}

/**
 * A position row under one set of names. Nubra documents `netQuantity`, `buyQuantity`,
 * `sellQuantity`, `lastTradedPrice`; the live server has been seen sending `netQty`, `buyQty`,
 * `sellQty`, `ltp`. Both are read; the short names win.
 */
export function shapePosition(row: Record<string, unknown>): Record<string, unknown> {
	const out: Record<string, unknown> = { ...row };
	out.netQty = num(row.netQty) ?? num(row.netQuantity) ?? null;
	out.buyQty = num(row.buyQty) ?? num(row.buyQuantity) ?? null;
	out.sellQty = num(row.sellQty) ?? num(row.sellQuantity) ?? null;
	out.ltp = num(row.ltp) ?? num(row.lastTradedPrice) ?? null;
	return withRupeeTwins(out, POSITION_PAISE_FIELDS);
}

export function shapeHolding(row: Record<string, unknown>): Record<string, unknown> {
	const out: Record<string, unknown> = { ...row };
	out.quantity = num(row.quantity) ?? num(row.qty) ?? null;
	out.ltp = num(row.ltp) ?? num(row.lastTradedPrice) ?? null;
	return withRupeeTwins(out, HOLDING_PAISE_FIELDS);
}

/** Every number in the funds object is paise (Nubra: `netMarginAvailable` can be negative). */
export function shapeFunds(funds: Record<string, unknown>): Record<string, unknown> {
	const moneyFields = Object.keys(funds).filter(
		(key) => key !== 'clientCode' && num(funds[key]) !== undefined,
	);
	return withRupeeTwins(funds, moneyFields);
}

export function shapeMargin(body: Record<string, unknown>): Record<string, unknown> {
	const marginInfo = record(body.marginInfo);
	const brokerage = record(body.brokerageInfo);
	const flat: Record<string, unknown> = {
		...body,
		totalMargin: marginInfo?.totalMargin ?? null,
		totalCharges:
			num(brokerage?.totalChargesFloat) === undefined
				? null
				: Math.round(num(brokerage?.totalChargesFloat) as number),
	};
	return withRupeeTwins(flat, MARGIN_PAISE_FIELDS);
}

function record(value: unknown): Record<string, unknown> | undefined {
	return value !== null && typeof value === 'object' && !Array.isArray(value)
		? (value as Record<string, unknown>)
		: undefined;
}

/** Default trading requests per second: Nubra allows 10 on Production and 100 on UAT. */
export function defaultOpsPerSecond(environment: NubraEnvironment): number {
	return environment === 'uat' ? 100 : 10;
}

/**
 * An idempotency tag for one item of one execution: the same across n8n's Retry On Fail
 * (same execution, node and item), different for every new execution.
 */
export function automaticTag(executionId: string, nodeName: string, itemIndex: number): string {
	const digest = createHash('sha256')
		.update(`${executionId}\u0000${nodeName}\u0000${itemIndex}`)
		.digest('hex');
	return `n8n-${digest.slice(0, 16)}`;
}

export interface TradingOptions {
	/** Trading requests (create, modify, cancel, margin) per second; default by environment. */
	opsPerSecond?: number;
	/** How often a 429 is waited out before giving up; default 3 (waits of 1 s, 2 s, 4 s). */
	rateLimitRetries?: number;
	/** Exchanges whose masters are searched for a `ref_id`; default NSE then BSE. */
	exchanges?: readonly string[];
	sleep?: (ms: number) => Promise<void>;
	now?: () => number;
}

export type OrderBuckets = Record<SentinelBucket, SentinelOrderRow[]>;

/** Result of an order creation: Nubra's row for it and the message. */
export interface PlacedOrder {
	row: SentinelOrderRow;
	message: string;
}

/** The auth surface the trading client needs (the account's `NubraAuthClient`). */
export interface TradingAuth {
	getSession(): Promise<NubraSession>;
	authorizedRequest(
		method: HttpMethod,
		path: string,
		options?: AuthorizedRequestOptions,
	): Promise<unknown>;
}

/**
 * One per account in the process (see {@link tradingFor}): the rate limit is the account's,
 * shared by every workflow and item that trades on it here.
 */
export class NubraTrading {
	readonly instruments: InstrumentMaster;
	readonly limiter: RateLimiter;
	readonly #auth: TradingAuth;
	readonly #sleep: (ms: number) => Promise<void>;
	#retries: number;
	#exchanges: readonly string[];

	constructor(auth: TradingAuth, environment: NubraEnvironment, options: TradingOptions = {}) {
		this.#auth = auth;
		this.#sleep = options.sleep ?? defaultSleep;
		this.#retries = options.rateLimitRetries ?? 3;
		this.#exchanges = options.exchanges ?? ['NSE', 'BSE'];
		this.limiter = new RateLimiter({
			perWindow: options.opsPerSecond ?? defaultOpsPerSecond(environment),
			sleep: this.#sleep,
			now: options.now,
		});
		this.instruments = new InstrumentMaster({
			now: options.now,
			fetch: (exchange, date) =>
				this.#request('GET', `/refdata/refdata/${date}`, { query: { exchange } }, false),
		});
	}

	/** Applies per-run settings (the node's options) to this shared client. */
	configure(
		options: Pick<TradingOptions, 'opsPerSecond' | 'rateLimitRetries' | 'exchanges'>,
	): void {
		if (options.opsPerSecond !== undefined) this.limiter.perWindow = options.opsPerSecond;
		if (options.rateLimitRetries !== undefined) this.#retries = options.rateLimitRetries;
		if (options.exchanges !== undefined && options.exchanges.length > 0)
			this.#exchanges = options.exchanges;
	}

	get exchanges(): readonly string[] {
		return this.#exchanges;
	}

	instrument(refId: number): Promise<NubraInstrument> {
		return this.instruments.get(refId, this.#exchanges);
	}

	async placeOrder(item: OrderItem): Promise<PlacedOrder> {
		let answer: unknown;
		try {
			answer = await this.#request(
				'POST',
				'/sentinel/orders/create',
				{ body: { orders: [item] } },
				true,
			);
		} catch (error) {
			// No answer is not a refusal: the order may have reached Nubra.
			if (isNubraError(error) && error.code === NUBRA_ERROR_CODES.UNREACHABLE) {
				const tag = item.stratTags?.[0];
				throw new NubraError(error.code, error.message, {
					cause: error,
					hint:
						tag === undefined
							? 'The order may have reached Nubra. Check Order → Get Many before placing it again.'
							: `The order may have reached Nubra. Retrying is safe: Place first looks for an order tagged "${tag}" (n8n: Settings → Retry On Fail, Wait Between Tries 5000 ms).`,
				});
			}
			throw error;
		}
		const body = record(answer);
		const rows = Array.isArray(body?.orders) ? body.orders : [];
		const row = record(rows[0]);
		if (row === undefined || row.intentOrderId === undefined) {
			throw new NubraError(
				NUBRA_ERROR_CODES.UNEXPECTED_RESPONSE,
				'Nubra accepted the order but sent no order row back',
				{
					hint: 'Look the order up with Order → Get Many (by its tag) before placing it again.',
				},
			);
		}
		return {
			row: row as SentinelOrderRow,
			message: typeof body?.message === 'string' ? body.message : '',
		};
	}

	/** `POST /sentinel/orders/funds_required`: margin and charges; nothing is placed. */
	async marginRequired(item: OrderItem): Promise<Record<string, unknown>> {
		const body = await this.#request(
			'POST',
			'/sentinel/orders/funds_required',
			{ body: { requestType: 'NEW', orders: [item] } },
			true,
		);
		return record(body) ?? {};
	}

	async modifyOrder(item: Record<string, unknown>): Promise<string> {
		return messageOf(
			await this.#request('POST', '/sentinel/orders/modify', { body: { orders: [item] } }, true),
		);
	}

	/** Cancels whole orders (bulk); each id must be a working order's `intentOrderId`. */
	async cancelOrders(orderIds: readonly (number | bigint)[]): Promise<string> {
		const body = { orders: orderIds.map((orderId) => ({ orderId })) };
		return messageOf(await this.#request('POST', '/sentinel/orders/cancel', { body }, true));
	}

	/** Drops only one exit trigger (stop-loss, target or trailing stop); the order stays live. */
	async cancelExitTrigger(orderId: number | bigint, kind: ExitTriggerKind): Promise<string> {
		return messageOf(
			await this.#request(
				'POST',
				'/sentinel/orders/cancel',
				{ body: { orderId, exitTriggerKind: kind } },
				true,
			),
		);
	}

	/** `GET /sentinel/orders`: the whole trading day (no paging), optionally by ids and tags. */
	async orders(
		filter: { orderIds?: readonly string[]; tags?: readonly string[] } = {},
	): Promise<OrderBuckets> {
		const query: Record<string, string> = {};
		if (filter.orderIds?.length) query.intentOrderId = filter.orderIds.join(',');
		if (filter.tags?.length) query.stratTags = filter.tags.join(',');
		const body = record(await this.#request('GET', '/sentinel/orders', { query }, false));
		const orders = record(body?.orders);
		if (orders === undefined) {
			throw new NubraError(
				NUBRA_ERROR_CODES.UNEXPECTED_RESPONSE,
				'Nubra answered GET /sentinel/orders without an orders object',
				{
					hint: 'Check that the credential points to the Nubra REST API (V3).',
				},
			);
		}
		const buckets = {} as OrderBuckets;
		for (const bucket of SENTINEL_BUCKETS) {
			const rows = orders[bucket];
			// A missing bucket is an empty one (Nubra leaves some out).
			buckets[bucket] = Array.isArray(rows)
				? rows.filter((row): row is SentinelOrderRow => record(row) !== undefined)
				: [];
		}
		return buckets;
	}

	/**
	 * Today's orders carrying `tag`. Nubra documents the filter as a list of *existing* tags; in
	 * case it refuses one it has not seen yet, the whole day is read and filtered here instead.
	 */
	async ordersTagged(
		tag: string,
	): Promise<Array<{ row: SentinelOrderRow; bucket: SentinelBucket }>> {
		let buckets: OrderBuckets;
		try {
			buckets = await this.orders({ tags: [tag] });
		} catch (error) {
			if (!(isNubraError(error) && error.code === NUBRA_ERROR_CODES.REQUEST_REFUSED)) throw error;
			buckets = await this.orders();
		}
		return SENTINEL_BUCKETS.flatMap((bucket) =>
			buckets[bucket]
				.filter((row) => row.stratTags?.includes(tag) ?? false)
				.map((row) => ({ row, bucket })),
		);
	}

	/** One order by id, with its bucket, or undefined when today's book does not have it. */
	async order(
		orderId: string,
	): Promise<{ row: SentinelOrderRow; bucket: SentinelBucket } | undefined> {
		const buckets = await this.orders({ orderIds: [orderId] });
		for (const bucket of SENTINEL_BUCKETS) {
			const row = buckets[bucket].find((r) => String(r.intentOrderId) === orderId);
			if (row !== undefined) return { row, bucket };
		}
		return undefined;
	}

	async positions(): Promise<{
		portfolio: Record<string, unknown>;
		rows: Record<string, unknown>[];
	}> {
		return this.#portfolio('/sentinel/portfolio/positions', 'positions');
	}

	async holdings(): Promise<{
		portfolio: Record<string, unknown>;
		rows: Record<string, unknown>[];
	}> {
		return this.#portfolio('/sentinel/portfolio/holdings', 'holdings');
	}

	async funds(): Promise<Record<string, unknown>> {
		const body = record(
			await this.#request('GET', '/sentinel/portfolio/user_funds_and_margin', {}, false),
		);
		// V3 says portFundsAndMargin; V2 said port_funds_and_margin.
		const funds = record(body?.portFundsAndMargin) ?? record(body?.port_funds_and_margin);
		if (funds === undefined) {
			throw new NubraError(
				NUBRA_ERROR_CODES.UNEXPECTED_RESPONSE,
				'Nubra answered the funds request without portFundsAndMargin',
				{
					hint: 'Check that the credential points to the Nubra REST API (V3).',
				},
			);
		}
		return funds;
	}

	async #portfolio(path: string, key: 'positions' | 'holdings') {
		const body = record(await this.#request('GET', path, {}, false));
		const portfolio = record(body?.portfolio) ?? {};
		const list = portfolio[key];
		const rows = Array.isArray(list)
			? list.map(record).filter((r): r is Record<string, unknown> => r !== undefined)
			: [];
		return { portfolio, rows };
	}

	/**
	 * One REST call. Trading calls queue for the account's rate limit; a 429 is waited out
	 * (1 s, 2 s, 4 s…) and retried, since Nubra processed nothing; Nubra's refusals become
	 * `NUBRA_REQUEST_REFUSED` with its words.
	 */
	async #request(
		method: HttpMethod,
		path: string,
		options: AuthorizedRequestOptions,
		trading: boolean,
	): Promise<unknown> {
		for (let attempt = 0; ; attempt++) {
			let session: NubraSession | undefined;
			if (trading) {
				// The session first (a login can take a while), so a slot is spent when the request leaves.
				session = await this.#auth.getSession();
				await this.limiter.acquire();
			}
			try {
				return await this.#auth.authorizedRequest(method, path, { ...options, session });
			} catch (error) {
				if (!isNubraError(error) || error.httpStatus === undefined) throw error;
				if (error.httpStatus === 429) {
					if (attempt < this.#retries) {
						await this.#sleep(1_000 * 2 ** attempt);
						continue;
					}
					throw new NubraError(NUBRA_ERROR_CODES.RATE_LIMITED, error.message, {
						httpStatus: 429,
						hint: `Nubra kept rate-limiting after ${this.#retries} retries. Lower Options → Max Requests per Second (Nubra allows 10 per second on Production), or spread the items over time.`,
					});
				}
				if (
					error.httpStatus >= 400 &&
					error.httpStatus < 500 &&
					error.httpStatus !== 401 &&
					error.httpStatus !== 440
				) {
					throw new NubraError(NUBRA_ERROR_CODES.REQUEST_REFUSED, error.message, {
						httpStatus: error.httpStatus,
						hint: refusalHint(path, error.message),
					});
				}
				throw error;
			}
		}
	}
}

function refusalHint(path: string, message: string): string {
	if (/cancel/i.test(path) && /right now|temporarily unavailable|being processed/i.test(message)) {
		return 'The order was modified moments ago and the exchange is still processing it. Wait about 5 seconds and cancel again (n8n: Settings → Retry On Fail, wait 5000 ms).';
	}
	if (/quantity/i.test(message))
		return 'Check the quantity: it counts units, in whole lots of the instrument.';
	if (/price/i.test(message))
		return "Check the price: it must be on the instrument's tick and inside the day's price band.";
	if (/order/i.test(path) && /not found|no order|unknown order|invalid order/i.test(message)) {
		return 'Check the order id: use the orderId of an order placed today on the same environment (Order → Get Many lists them).';
	}
	if (/ip address/i.test(message))
		return "Register this n8n host's IP address with Nubra (static IP rule for API orders).";
	return 'Nubra refused the request; its message above says why. Fix the field it names and run again.';
}

function messageOf(body: unknown): string {
	const message = record(body)?.message;
	return typeof message === 'string' ? message : '';
}

const TRADING_PART = 'trading';

/** The account's trading client in this process, created on first use. */
export function tradingFor(account: NubraAccount, options: TradingOptions = {}): NubraTrading {
	let trading = account.parts.get(TRADING_PART) as NubraTrading | undefined;
	if (trading === undefined) {
		trading = new NubraTrading(account.auth, account.credentials.environment, options);
		account.parts.set(TRADING_PART, trading);
	}
	return trading;
}
