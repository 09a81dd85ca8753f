import { EQUITIES, OPTIONS, TICK_PAISE, type Instrument } from './instruments';
import {
	authenticateSession,
	error,
	type Reply,
	type Request,
	type RestContext,
	type Route,
} from './rest';
import type { OrderSpec, SimOrder, SimulatorControl } from './types';

/**
 * Nubra's trading REST API V3 for the simulator (nubra-rest.md §14): create, modify, cancel
 * and funds_required on `/sentinel/orders/*`, positions, holdings and funds, and the daily
 * instrument master. Orders go into the same book as scenario orders, through
 * `control.applyStep`, so every change they go through reaches the order-update socket.
 */

export interface TradingDeskOptions {
	/** Trading requests (create, modify, cancel, funds_required) per second before 429; 0 = no limit. Default 10 (Production). */
	opsPerSecond?: number;
	/** How long after the acknowledgement a create, modify or cancel takes effect (real Nubra: about 1–2 s). Default 100 ms. */
	applyDelayMs?: number;
	/** Cancels refused for this long after a modify ("Can't cancel this order right now"). Default 0: no lock. */
	cancelLockMs?: number;
	/** Start-of-day funds, paise. Default ₹10,00,000. */
	fundsPaise?: number;
}

export interface TradingDeskCounts {
	create: number;
	modify: number;
	cancel: number;
	margin: number;
	/** Requests answered 429. */
	rateLimited: number;
	/** Requests refused with 400 (validation, unknown order, cancel lock…). */
	refused: number;
}

/** What tests and the CLI can change on the trading endpoints. */
export interface TradingSimControl {
	/** 0 turns the limit off. */
	setRateLimit(opsPerSecond: number): void;
	setCancelLock(ms: number): void;
	setApplyDelay(ms: number): void;
	/** The next `count` orders created are rejected (over the socket) with this reason. */
	rejectNext(reason?: string, count?: number): void;
	setFunds(paise: number): void;
	readonly counts: TradingDeskCounts;
	/** Exit triggers cancelled on their own (`exitTriggerKind`), in order. */
	readonly cancelledExitTriggers: ReadonlyArray<{ orderId: string; kind: string }>;
	/** The master rows served by `/refdata/refdata/{date}`. */
	instruments(): RefdataRow[];
}

export interface RefdataRow {
	ref_id: number;
	token: number;
	stock_name: string;
	zanskar_name: string;
	asset: string;
	derivative_type: string;
	option_type: string;
	strike_price: number | null;
	expiry: number | null;
	lot_size: number;
	tick_size: number;
	asset_type: string;
	exchange: string;
	isin: string;
}

const VALIDITIES = new Set(['DAY', 'IOC', 'GTE']);
const EXIT_KINDS = new Set(['STOPLOSS', 'TARGET_PROFIT', 'TRAILING_STOP']);
const WORKING = new Set(['OPEN', 'PARTIALLY_FILLED', 'TRIGGERED']);
const LIVE = new Set(['PENDING', 'OPEN', 'PARTIALLY_FILLED', 'TRIGGERED']);
const TAG = /^[A-Za-z0-9-]+$/;
const EXPIRIES: Record<string, number> = { NIFTY: 20251230, BANKNIFTY: 20251230, SENSEX: 20251224 };
const MONTHS: Record<string, string> = { '20251230': '25DEC', '20251224': '25DEC' };

/** `NIFTY 25DEC 24000 CE` → its master row. */
function refdataRow(instrument: Instrument): RefdataRow {
	const option = instrument.derivativeType === 'OPT';
	const strike = option ? Number(instrument.displayName.split(' ')[2]) * 100 : null;
	const expiry = option ? (EXPIRIES[instrument.asset] ?? 20251230) : null;
	const symbol = option
		? `${instrument.asset}${MONTHS[String(expiry)] ?? ''}${(strike ?? 0) / 100}${instrument.optionType ?? ''}`
		: instrument.displayName;
	return {
		ref_id: instrument.refId,
		token: instrument.refId + 100_000,
		stock_name: symbol,
		zanskar_name: option
			? `OPT_${instrument.asset}_${expiry}_${instrument.optionType}_${strike}`
			: `STOCK_${instrument.asset}.${instrument.exchange}CM`,
		asset: instrument.asset,
		derivative_type: instrument.derivativeType,
		option_type: instrument.optionType ?? 'N/A',
		strike_price: strike,
		expiry,
		lot_size: instrument.lotSize,
		tick_size: TICK_PAISE,
		asset_type: option ? 'INDEX_FO' : 'STOCKS',
		exchange: instrument.exchange,
		isin: option ? 'N/A   ' : `INE${String(instrument.refId).padStart(9, '0')}`,
	};
}

const ALL_INSTRUMENTS: readonly Instrument[] = [...EQUITIES, ...OPTIONS];

const HOLDINGS = [
	{ refId: 1594, qty: 10, avgPrice: 140_000 },
	{ refId: 11536, qty: 5, avgPrice: 350_000 },
];

interface Parsed {
	instrument: Instrument;
	spec: Partial<OrderSpec>;
	/** Paise this order would block. */
	margin: number;
	value: number;
}

type Check<T> = { ok: true; value: T } | { ok: false; reply: Reply };

export class TradingDesk implements TradingSimControl {
	readonly #control: SimulatorControl;
	#opsPerSecond: number;
	#applyDelayMs: number;
	#cancelLockMs: number;
	#fundsPaise: number;
	readonly #opTimes: number[] = [];
	readonly #modifiedAt = new Map<string, number>();
	readonly #rejections: string[] = [];
	readonly #timers = new Set<NodeJS.Timeout>();
	readonly #exitCancels: { orderId: string; kind: string }[] = [];
	readonly counts: TradingDeskCounts = {
		create: 0,
		modify: 0,
		cancel: 0,
		margin: 0,
		rateLimited: 0,
		refused: 0,
	};
	#closed = false;

	constructor(control: SimulatorControl, options: TradingDeskOptions = {}) {
		this.#control = control;
		this.#opsPerSecond = options.opsPerSecond ?? 10;
		this.#applyDelayMs = options.applyDelayMs ?? 100;
		this.#cancelLockMs = options.cancelLockMs ?? 0;
		this.#fundsPaise = options.fundsPaise ?? 100_000_000;
	}

	setRateLimit(opsPerSecond: number): void {
		this.#opsPerSecond = opsPerSecond;
		this.#opTimes.length = 0;
	}

	setCancelLock(ms: number): void {
		this.#cancelLockMs = ms;
	}

	setApplyDelay(ms: number): void {
		this.#applyDelayMs = ms;
	}

	rejectNext(reason = 'RMS: Insufficient margin', count = 1): void {
		for (let i = 0; i < count; i++) this.#rejections.push(reason);
	}

	setFunds(paise: number): void {
		this.#fundsPaise = paise;
	}

	get cancelledExitTriggers(): ReadonlyArray<{ orderId: string; kind: string }> {
		return this.#exitCancels;
	}

	instruments(): RefdataRow[] {
		return ALL_INSTRUMENTS.map(refdataRow);
	}

	/** The rest handler's lookup for the paths this desk serves. */
	route(path: string): Route | undefined {
		if (/^\/refdata\/refdata\/\d{4}-\d{2}-\d{2}$/.test(path)) {
			return { method: 'GET', handler: (r, c) => authenticateSession(r, c) ?? this.#refdata(r) };
		}
		const routes: Record<string, Route> = {
			'/sentinel/orders/create': {
				method: 'POST',
				handler: (r, c) => this.#trading(r, c, 'create', () => this.#create(r)),
			},
			'/sentinel/orders/modify': {
				method: 'POST',
				handler: (r, c) => this.#trading(r, c, 'modify', () => this.#modify(r)),
			},
			'/sentinel/orders/cancel': {
				method: 'POST',
				handler: (r, c) => this.#trading(r, c, 'cancel', () => this.#cancel(r)),
			},
			'/sentinel/orders/funds_required': {
				method: 'POST',
				handler: (r, c) => this.#trading(r, c, 'margin', () => this.#fundsRequired(r)),
			},
			'/sentinel/portfolio/positions': {
				method: 'GET',
				handler: (r, c) => this.#read(r, c, () => this.#positions()),
			},
			'/sentinel/portfolio/holdings': {
				method: 'GET',
				handler: (r, c) => this.#read(r, c, () => this.#holdings()),
			},
			'/sentinel/portfolio/user_funds_and_margin': {
				method: 'GET',
				handler: (r, c) => this.#read(r, c, () => this.#funds()),
			},
		};
		return Object.hasOwn(routes, path) ? routes[path] : undefined;
	}

	/** Clears the timers of changes not yet applied. */
	close(): void {
		this.#closed = true;
		for (const timer of this.#timers) clearTimeout(timer);
		this.#timers.clear();
	}

	#read(request: Request, context: RestContext, answer: () => unknown): Reply {
		return authenticateSession(request, context) ?? { status: 200, body: answer() };
	}

	#trading(
		request: Request,
		context: RestContext,
		op: keyof TradingDeskCounts,
		answer: () => Reply,
	): Reply {
		const refused = authenticateSession(request, context);
		if (refused) return refused;
		if (this.#overLimit()) {
			this.counts.rateLimited++;
			return {
				...error(429, 'Too many requests: rate limit exceeded', ''),
				headers: { 'retry-after': '1' },
			};
		}
		this.counts[op]++;
		const reply = answer();
		if (reply.status === 400) this.counts.refused++;
		return reply;
	}

	/** A sliding one-second window over accepted trading requests. */
	#overLimit(): boolean {
		if (this.#opsPerSecond <= 0) return false;
		const now = Date.now();
		while (this.#opTimes.length > 0 && this.#opTimes[0] <= now - 1_000) this.#opTimes.shift();
		if (this.#opTimes.length >= this.#opsPerSecond) return true;
		this.#opTimes.push(now);
		return false;
	}

	#refdata(request: Request): Reply {
		const exchange = (request.query.get('exchange') ?? 'NSE').toUpperCase();
		if (exchange !== 'NSE' && exchange !== 'BSE' && exchange !== 'MCX') {
			return error(400, `Invalid exchange ${exchange}`, '');
		}
		const rows = this.instruments().filter((row) => row.exchange === exchange);
		return {
			status: 200,
			body: { exchange, is_trading_on: true, message: 'refdata', refdata: rows },
		};
	}

	#create(request: Request): Reply {
		const items = orderItems(request.body);
		if (!items.ok) return items.reply;
		const parsed: Parsed[] = [];
		for (const item of items.value) {
			const result = parseOrderItem(item);
			if (!result.ok) return result.reply;
			parsed.push(result.value);
		}
		const rows = parsed.map((p) => {
			const order = this.#control.placeOrder(p.spec);
			const rejection =
				this.#rejections.shift() ??
				(p.margin > this.#available() ? 'RMS: Insufficient margin' : undefined);
			const market = p.spec.priceType === 'MARKET';
			this.#later(() => {
				if (rejection !== undefined) {
					this.#control.applyStep(order.id, { type: 'reject', reason: rejection });
					return;
				}
				this.#control.applyStep(order.id, { type: 'accept' });
				// A market order fills at once, at the instrument's reference price.
				if (market) this.#control.applyStep(order.id, { type: 'fill' });
			});
			return createRow(order, p.instrument);
		});
		return {
			status: 201,
			body: int64Json({ message: 'order creation request pushed successfully', orders: rows }),
		};
	}

	#fundsRequired(request: Request): Reply {
		if (request.body.requestType !== undefined && request.body.requestType !== 'NEW') {
			return error(400, 'requestType must be NEW', '');
		}
		const items = orderItems(request.body);
		if (!items.ok) return items.reply;
		let margin = 0;
		let charges = 0;
		for (const item of items.value) {
			const result = parseOrderItem(item);
			if (!result.ok) return result.reply;
			margin += result.value.margin;
			charges += 2_000 + result.value.value * 0.001;
		}
		return {
			status: 200,
			body: {
				code: 1,
				totalFundsRequired: margin + Math.round(charges),
				marginInfo: { totalMargin: margin, message: '', maxAllowedQty: null, availableQty: null },
				brokerageInfo: {
					totalChargesFloat: charges,
					chargesFloat: {
						brokerage: 2_000 * items.value.length,
						other: charges - 2_000 * items.value.length,
					},
				},
				willDefaultBePlacedAsAmo: false,
				willBeAutoSliced: false,
				openOrders: this.#control.orders().filter((o) => LIVE.has(o.status)).length,
				tradingSlot: { startTime: '09:15', endTime: '15:30' },
			},
		};
	}

	#modify(request: Request): Reply {
		const items = orderItems(request.body);
		if (!items.ok) return items.reply;
		const changes: { id: string; price?: number; qty?: number }[] = [];
		for (const item of items.value) {
			const found = this.#workingOrder(item.orderId, 'modified');
			if (!found.ok) return found.reply;
			const order = found.value;
			const change: { id: string; price?: number; qty?: number } = { id: order.id };
			if (item.qty !== undefined) {
				if (!isPositiveInt(item.qty) || item.qty % order.spec.lotSize !== 0) {
					return error(
						400,
						`Invalid Quantity: ${String(item.qty)} is not a multiple of lot size ${order.spec.lotSize}`,
						'',
					);
				}
				if (item.qty <= order.filledQty) {
					return error(
						400,
						`Invalid Quantity: ${String(item.qty)} must exceed the filled quantity ${order.filledQty}`,
						'',
					);
				}
				if (item.qty !== order.orderQty) change.qty = item.qty;
			}
			if (item.entryPrice !== undefined) {
				if (!isPositiveInt(item.entryPrice) || item.entryPrice % TICK_PAISE !== 0) {
					return error(
						400,
						`Price rejected: entryPrice must be a positive multiple of tick size ${TICK_PAISE}`,
						'',
					);
				}
				change.price = item.entryPrice;
			}
			changes.push(change);
		}
		for (const change of changes) {
			this.#modifiedAt.set(change.id, Date.now());
			this.#later(() =>
				this.#control.applyStep(change.id, {
					type: 'modify',
					price: change.price,
					qty: change.qty,
				}),
			);
		}
		return { status: 200, body: { message: 'order modify request pushed successfully' } };
	}

	#cancel(request: Request): Reply {
		const body = request.body;
		if (body.exitTriggerKind !== undefined) {
			if (typeof body.exitTriggerKind !== 'string' || !EXIT_KINDS.has(body.exitTriggerKind)) {
				return error(400, 'exitTriggerKind must be STOPLOSS, TARGET_PROFIT or TRAILING_STOP', '');
			}
			const found = this.#workingOrder(body.orderId, 'changed');
			if (!found.ok) return found.reply;
			this.#exitCancels.push({ orderId: found.value.id, kind: body.exitTriggerKind });
			return { status: 200, body: { message: 'order cancellation request pushed successfully' } };
		}
		const items = orderItems(body);
		if (!items.ok) return items.reply;
		const ids: string[] = [];
		for (const item of items.value) {
			const id = orderIdText(item.orderId);
			const order = id === undefined ? undefined : this.#control.orders().find((o) => o.id === id);
			if (order === undefined) return error(400, `Order ${String(item.orderId)} not found`, '');
			if (!LIVE.has(order.status))
				return error(400, `Order ${order.id} is already ${order.status}`, '');
			if ((this.#modifiedAt.get(order.id) ?? -Infinity) + this.#cancelLockMs > Date.now()) {
				return error(
					400,
					'Cancellation is temporarily unavailable while the exchange request is being processed',
					'',
				);
			}
			ids.push(order.id);
		}
		for (const id of ids) this.#later(() => this.#control.applyStep(id, { type: 'cancel' }));
		return { status: 200, body: { message: 'order cancellation request pushed successfully' } };
	}

	#workingOrder(rawId: unknown, verb: string): Check<SimOrder> {
		const id = orderIdText(rawId);
		if (id === undefined) return { ok: false, reply: error(400, 'orderId must be an integer', '') };
		const order = this.#control.orders().find((o) => o.id === id);
		if (order === undefined) return { ok: false, reply: error(400, `Order ${id} not found`, '') };
		if (order.status === 'PENDING') {
			return {
				ok: false,
				reply: error(400, `Order ${id} is still being processed and cannot be ${verb} yet`, ''),
			};
		}
		if (!WORKING.has(order.status)) {
			return {
				ok: false,
				reply: error(400, `Order ${id} is ${order.status} and cannot be ${verb}`, ''),
			};
		}
		return { ok: true, value: order };
	}

	/** Runs a book change after the configured delay, as Nubra applies requests a little later. */
	#later(apply: () => void): void {
		if (this.#closed) return;
		const timer = setTimeout(() => {
			this.#timers.delete(timer);
			try {
				apply();
			} catch {
				// The order moved on first (filled, cancelled): a request does not undo that.
			}
		}, this.#applyDelayMs);
		this.#timers.add(timer);
	}

	/** Funds left after what working orders block and filled orders cost. */
	#available(): number {
		let used = 0;
		for (const order of this.#control.orders()) {
			if (order.isBasket) continue;
			const instrument = ALL_INSTRUMENTS.find((i) => i.refId === order.spec.refId);
			const rate = marginRate(order.spec.deliveryType, instrument);
			if (LIVE.has(order.status))
				used += Math.round((order.orderQty - order.filledQty) * order.orderPrice * rate);
			used +=
				Math.round(order.filledQty * order.avgPrice * rate) * (order.spec.side === 'BUY' ? 1 : 0);
		}
		return this.#fundsPaise - used;
	}

	#positions(): unknown {
		const byKey = new Map<
			string,
			{
				instrument: Instrument | undefined;
				order: SimOrder;
				buyQty: number;
				sellQty: number;
				buyValue: number;
				sellValue: number;
			}
		>();
		for (const order of this.#control.orders()) {
			if (order.isBasket || order.filledQty === 0) continue;
			const key = `${order.spec.refId}_${order.spec.deliveryType}`;
			const entry = byKey.get(key) ?? {
				instrument: ALL_INSTRUMENTS.find((i) => i.refId === order.spec.refId),
				order,
				buyQty: 0,
				sellQty: 0,
				buyValue: 0,
				sellValue: 0,
			};
			if (order.spec.side === 'BUY') {
				entry.buyQty += order.filledQty;
				entry.buyValue += order.filledQty * order.avgPrice;
			} else {
				entry.sellQty += order.filledQty;
				entry.sellValue += order.filledQty * order.avgPrice;
			}
			byKey.set(key, entry);
		}
		let totalPnl = 0;
		const positions = [...byKey.values()].map((p) => {
			const ltp = p.instrument?.referencePrice ?? p.order.orderPrice;
			const netQty = p.buyQty - p.sellQty;
			const pnl = Math.round(p.sellValue - p.buyValue + netQty * ltp);
			totalPnl += pnl;
			// The live server's short names (netQty, buyQty, sellQty, ltp), not the documented long ones.
			return {
				refId: p.order.spec.refId,
				symbol: p.instrument ? refdataRow(p.instrument).stock_name : p.order.spec.displayName,
				displayName: p.order.spec.displayName,
				exchange: p.order.spec.exchange,
				asset: p.order.spec.asset,
				derivativeType: p.order.spec.derivativeType,
				deliveryType: p.order.spec.deliveryType,
				orderSide: netQty >= 0 ? 'BUY' : 'SELL',
				netQty,
				buyQty: p.buyQty,
				sellQty: p.sellQty,
				ltp,
				avgPrice:
					netQty === 0
						? 0
						: Math.round(netQty > 0 ? p.buyValue / p.buyQty : p.sellValue / p.sellQty),
				avgBuyPrice: p.buyQty === 0 ? 0 : Math.round(p.buyValue / p.buyQty),
				avgSellPrice: p.sellQty === 0 ? 0 : Math.round(p.sellValue / p.sellQty),
				pnl,
				pnlChg: 0,
				status: netQty === 0 ? 'CLOSED' : 'OPEN',
			};
		});
		return {
			message: 'positions',
			portfolio: { clientCode: 'SIM001', positionStats: { totalPnl, totalPnlChg: 0 }, positions },
		};
	}

	#holdings(): unknown {
		const holdings = HOLDINGS.map((h) => {
			const instrument = ALL_INSTRUMENTS.find((i) => i.refId === h.refId) as Instrument;
			const invested = h.qty * h.avgPrice;
			const current = h.qty * instrument.referencePrice;
			return {
				refId: h.refId,
				symbol: instrument.displayName,
				exchange: instrument.exchange,
				asset: instrument.asset,
				quantity: h.qty,
				t1Qty: 0,
				avgPrice: h.avgPrice,
				prevClose: instrument.referencePrice,
				lastTradedPrice: instrument.referencePrice,
				investedValue: invested,
				currentValue: current,
				netPnl: current - invested,
				netPnlChg: Math.round(((current - invested) / invested) * 10_000) / 100,
				dayPnl: 0,
			};
		});
		const investedAmount = holdings.reduce((a, h) => a + h.investedValue, 0);
		const currentValue = holdings.reduce((a, h) => a + h.currentValue, 0);
		return {
			message: 'holdings',
			portfolio: {
				clientCode: 'SIM001',
				holdingStats: {
					investedAmount,
					currentValue,
					totalPnl: currentValue - investedAmount,
					totalPnlChg: 0,
					dayPnl: 0,
					dayPnlChg: 0,
				},
				holdings,
			},
		};
	}

	#funds(): unknown {
		const available = this.#available();
		return {
			message: 'portfolio and funds values fetched successfully',
			portFundsAndMargin: {
				clientCode: 'SIM001',
				startOfDayFunds: this.#fundsPaise,
				payInCredit: 0,
				payOutDebit: 0,
				totalMarginBlocked: this.#fundsPaise - available,
				netMarginAvailable: available,
				brokerage: 0,
			},
		};
	}
}

function marginRate(deliveryType: string, instrument: Instrument | undefined): number {
	if (instrument?.derivativeType === 'OPT') return 1;
	return deliveryType === 'IDAY' ? 0.2 : 1;
}

function isPositiveInt(value: unknown): value is number {
	return typeof value === 'number' && Number.isInteger(value) && value > 0;
}

function orderIdText(value: unknown): string | undefined {
	if (typeof value === 'number' && Number.isInteger(value)) return String(value);
	if (typeof value === 'string' && /^\d+$/.test(value)) return value;
	return undefined;
}

type Item = Record<string, unknown> & { orderId?: unknown; qty?: unknown; entryPrice?: unknown };

function orderItems(body: Record<string, unknown>): Check<Item[]> {
	const orders = body.orders;
	if (!Array.isArray(orders) || orders.length === 0) {
		return { ok: false, reply: error(400, 'orders must be a non-empty array', '') };
	}
	if (!orders.every((o) => o !== null && typeof o === 'object' && !Array.isArray(o))) {
		return { ok: false, reply: error(400, 'each order must be an object', '') };
	}
	return { ok: true, value: orders as Item[] };
}

function onTick(value: unknown): boolean {
	return isPositiveInt(value) && value % TICK_PAISE === 0;
}

/** The §14 rules for one create / funds_required item. */
function parseOrderItem(item: Item): Check<Parsed> {
	const refuse = (message: string): Check<Parsed> => ({
		ok: false,
		reply: error(400, message, ''),
	});
	if (item.isMultiLeg === true) {
		if (item.refId !== undefined)
			return refuse('refId must be absent for a strategy order; put instruments in legs');
		if (item.side !== 'BUY') return refuse('A strategy order must be sent with side BUY');
		return refuse('Strategy orders are not supported by the simulator');
	}
	const instrument = ALL_INSTRUMENTS.find((i) => i.refId === item.refId);
	if (instrument === undefined)
		return refuse(`Instrument not found for refId ${String(item.refId)}`);
	if (item.side !== 'BUY' && item.side !== 'SELL') return refuse('Invalid side: use BUY or SELL');
	if (item.deliveryType !== 'IDAY' && item.deliveryType !== 'CNC')
		return refuse('Invalid deliveryType: use IDAY or CNC');
	if (item.priceType !== 'LIMIT' && item.priceType !== 'MARKET')
		return refuse('Invalid priceType: use LIMIT or MARKET');
	if (typeof item.validityType !== 'string' || !VALIDITIES.has(item.validityType)) {
		return refuse('Invalid validityType: use DAY, IOC or GTE');
	}
	if (!isPositiveInt(item.qty) || item.qty % instrument.lotSize !== 0) {
		return refuse(
			`Invalid Quantity: ${String(item.qty)} is not a multiple of lot size ${instrument.lotSize}`,
		);
	}
	if (item.priceType === 'MARKET') {
		if (item.validityType !== 'IOC') return refuse('A MARKET order must have validityType IOC');
		if (item.entryPrice !== undefined) return refuse('A MARKET order must not carry entryPrice');
	} else if (!onTick(item.entryPrice)) {
		return refuse(
			`Price rejected: entryPrice must be a positive multiple of tick size ${TICK_PAISE} paise`,
		);
	}
	if (item.validityType === 'GTE') {
		if (item.deliveryType !== 'CNC') {
			return refuse(
				'Intraday orders cannot have an expiry beyond today. Use Delivery (CNC) instead.',
			);
		}
		if (typeof item.goodTillDate !== 'string')
			return refuse('goodTillDate is required with validityType GTE');
	}
	if (item.stratTags !== undefined) {
		const tags = item.stratTags;
		if (
			!Array.isArray(tags) ||
			tags.length !== 1 ||
			typeof tags[0] !== 'string' ||
			!TAG.test(tags[0])
		) {
			return refuse('stratTags must hold exactly one tag of letters, digits and hyphens');
		}
	}
	const trigger = entryTrigger(item.entryConfig);
	if (trigger === null)
		return refuse('Price rejected: entry trigger must be a positive multiple of the tick size');
	for (const value of exitPrices(item.exitConfig)) {
		if (!onTick(value))
			return refuse(
				'Price rejected: exit trigger and limit prices must be positive multiples of the tick size',
			);
	}
	const price =
		item.priceType === 'LIMIT' ? (item.entryPrice as number) : instrument.referencePrice;
	const value = item.qty * price;
	const spec: Partial<OrderSpec> = {
		displayName: instrument.displayName,
		exchange: instrument.exchange,
		refId: instrument.refId,
		lotSize: instrument.lotSize,
		asset: instrument.asset,
		derivativeType: instrument.derivativeType,
		optionType: instrument.optionType,
		side: item.side,
		qty: item.qty,
		price,
		tag: Array.isArray(item.stratTags) ? String(item.stratTags[0]) : '',
		priceType: item.priceType,
		deliveryType: item.deliveryType,
		// The book knows DAY and IOC; a good-till order rests like a DAY one here.
		validity: item.validityType === 'IOC' ? 'IOC' : 'DAY',
	};
	if (trigger !== undefined) spec.triggerPrice = trigger;
	const margin =
		item.side === 'SELL' && instrument.derivativeType === 'OPT'
			? Math.round(item.qty * Number(refdataRow(instrument).strike_price) * 0.15)
			: Math.round(value * marginRate(item.deliveryType, instrument));
	return { ok: true, value: { instrument, spec, margin, value } };
}

/** undefined: no trigger; null: a malformed one. */
function entryTrigger(config: unknown): number | undefined | null {
	if (config === undefined) return undefined;
	const ltp = (
		config as { triggers?: { ltp?: Record<string, { value?: unknown } | undefined> } } | null
	)?.triggers?.ltp;
	if (ltp === undefined) return undefined;
	const value =
		ltp.atOrAbove?.value ?? ltp.atOrBelow?.value ?? ltp.above?.value ?? ltp.below?.value;
	return onTick(value) ? (value as number) : null;
}

function exitPrices(config: unknown): unknown[] {
	if (config === null || typeof config !== 'object') return [];
	const { stoplossParams, targetParams } = config as Record<
		string,
		Record<string, { value?: unknown; disabled?: boolean }> | undefined
	>;
	const values: unknown[] = [];
	for (const params of [stoplossParams, targetParams]) {
		for (const [key, field] of Object.entries(params ?? {})) {
			if (key === 'stoplossTrailJump') continue;
			if (field && typeof field === 'object' && field.disabled !== true) values.push(field.value);
		}
	}
	return values;
}

function createRow(order: SimOrder, instrument: Instrument): Record<string, unknown> {
	const spec = order.spec;
	return {
		intentOrderId: BigInt(order.id),
		exchange: spec.exchange,
		status: 'OPEN',
		isMulti: false,
		legs: null,
		refId: spec.refId,
		refData: {
			refId: spec.refId,
			exchange: spec.exchange,
			asset: spec.asset,
			stockName: refdataRow(instrument).stock_name,
			displayName: spec.displayName,
			lotSize: spec.lotSize,
			tickSize: TICK_PAISE,
		},
		filledQty: 0,
		orderQty: order.orderQty,
		deliveryType: spec.deliveryType,
		priceType: spec.priceType,
		validityType: spec.validity,
		executionMode: 'ENTRY',
		stratTags: spec.tag ? [spec.tag] : [],
		ltp: instrument.referencePrice,
		orderPrice: order.orderPrice,
		timestamps: { intentCreatedAt: new Date(order.createdAt).toISOString(), sentToColoAt: null },
		intentOrderType: spec.triggerPrice ? 'TRIGGER' : 'REGULAR',
		side: spec.side,
	};
}

const INT64_MARK = '\u0001int64:';

/** JSON text with bigint ids as bare literals, as Nubra's backend writes int64. */
function int64Json(value: unknown): string {
	const text = JSON.stringify(value, (_key, item: unknown) =>
		typeof item === 'bigint' ? `${INT64_MARK}${item.toString()}` : item,
	);
	return text.replace(/"\\u0001int64:(-?\d+)"/g, '$1');
}
