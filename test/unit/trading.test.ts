import { NUBRA_ERROR_CODES, NubraError } from '../../client/errors';
import { stringifyJson } from '../../client/http';
import {
	InstrumentMaster,
	expiryNumber,
	istDate,
	parseInstrumentRow,
	type NubraInstrument,
} from '../../client/instruments';
import { RateLimiter } from '../../client/rateLimit';
import {
	NubraTrading,
	automaticTag,
	orderIdValue,
	buildModifyItem,
	buildOrderItem,
	defaultOpsPerSecond,
	shapeFunds,
	shapeOrderRow,
	shapePosition,
	type OrderInput,
} from '../../client/trading';
import { checkQuantity, formatRupees, priceToPaise } from '../../client/units';

const RELIANCE: NubraInstrument = {
	refId: 2885,
	symbol: 'RELIANCE',
	exchange: 'NSE',
	lotSize: 1,
	tickSize: 5,
};
const NIFTY_CE: NubraInstrument = {
	refId: 4_200_101,
	symbol: 'NIFTY25DEC24000CE',
	exchange: 'NSE',
	lotSize: 75,
	tickSize: 5,
	derivativeType: 'OPT',
	optionType: 'CE',
	strikePrice: 2_400_000,
	expiry: 20251230,
};

function caught(fn: () => unknown): NubraError {
	try {
		fn();
	} catch (error) {
		if (error instanceof NubraError) return error;
		throw error;
	}
	throw new Error('expected a NubraError');
}

const price = (rupees: number, rounding: 'none' | 'nearest' | 'up' | 'down' = 'none', tick = 5) =>
	priceToPaise(rupees, tick, rounding, { field: 'Price', symbol: 'RELIANCE (NSE)' });

describe('rupees to paise on the tick', () => {
	it('converts exact rupee prices without floating-point drift', () => {
		expect(price(245.05)).toBe(24_505);
		expect(price(0.1)).toBe(10);
		expect(price(1270)).toBe(127_000);
		expect(price(24505.35)).toBe(2_450_535);
		expect(price(2.3, 'none', 10)).toBe(230);
	});

	it('refuses an off-tick price and names the two nearest valid ones', () => {
		const error = caught(() => price(245.03));
		expect(error.code).toBe(NUBRA_ERROR_CODES.INVALID_ORDER);
		expect(error.message).toBe(
			'Price ₹245.03 for RELIANCE (NSE) is not a multiple of its tick size ₹0.05',
		);
		expect(error.hint).toContain('₹245.00 or ₹245.05');
		expect(error.hint).toContain('Round to Tick');
		// A fraction of a paisa is off every tick too.
		expect(caught(() => price(245.051)).code).toBe(NUBRA_ERROR_CODES.INVALID_ORDER);
	});

	it('rounds only when told, in the direction it is told', () => {
		expect([price(245.03, 'nearest'), price(245.03, 'up'), price(245.03, 'down')]).toEqual([
			24_505, 24_505, 24_500,
		]);
		expect([price(245.02, 'nearest'), price(245.021, 'up'), price(245.049, 'down')]).toEqual([
			24_500, 24_505, 24_500,
		]);
		// On-tick prices stay where they are whatever the rounding.
		expect(price(245.05, 'up')).toBe(24_505);
		expect(caught(() => price(0.02, 'down')).message).toContain('rounds to ₹0');
	});

	it('refuses zero, negative and non-numbers', () => {
		for (const bad of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
			expect(caught(() => price(bad)).message).toContain('must be a positive number of rupees');
		}
	});

	it('formats rupees the Indian way', () => {
		expect(formatRupees(12_345_678)).toBe('₹1,23,456.78');
	});
});

describe('quantities in whole lots', () => {
	it('accepts whole lots and names the lot size otherwise', () => {
		expect(checkQuantity(150, 75, 'NIFTY')).toBe(150);
		const error = caught(() => checkQuantity(100, 75, 'NIFTY'));
		expect(error.message).toBe(
			'Quantity 100 for NIFTY is not a whole number of lots: the lot size is 75',
		);
		expect(error.hint).toContain('e.g. 75 or 150');
		expect(caught(() => checkQuantity(50, 75, 'NIFTY')).hint).toContain('e.g. 75');
		expect(caught(() => checkQuantity(2.5, 1, 'RELIANCE')).message).toContain(
			'positive whole number',
		);
		expect(caught(() => checkQuantity(0, 1, 'RELIANCE')).message).toContain(
			'positive whole number',
		);
	});
});

describe('building a V3 order item', () => {
	const base: OrderInput = {
		refId: 2885,
		side: 'BUY',
		quantity: 10,
		priceType: 'LIMIT',
		price: 2450.05,
		deliveryType: 'IDAY',
	};

	it('builds the minimal limit order in paise', () => {
		expect(buildOrderItem({ ...base, tag: 'n8n-demo' }, RELIANCE, 'none')).toEqual({
			refId: 2885,
			qty: 10,
			side: 'BUY',
			deliveryType: 'IDAY',
			priceType: 'LIMIT',
			validityType: 'DAY',
			isMultiLeg: false,
			executionMode: 'ENTRY',
			entryPrice: 245_005,
			stratTags: ['n8n-demo'],
		});
	});

	it('makes MARKET orders IOC without a price, and refuses other validities', () => {
		const item = buildOrderItem(
			{ ...base, priceType: 'MARKET', price: undefined },
			RELIANCE,
			'none',
		);
		expect(item).toMatchObject({ priceType: 'MARKET', validityType: 'IOC' });
		expect(item).not.toHaveProperty('entryPrice');
		expect(
			caught(() =>
				buildOrderItem({ ...base, priceType: 'MARKET', validity: 'DAY' }, RELIANCE, 'none'),
			).message,
		).toBe('A MARKET order must be IOC, not DAY');
	});

	it('requires CNC and a date for good-till orders', () => {
		expect(
			caught(() =>
				buildOrderItem({ ...base, validity: 'GTE', goodTillDate: '2026-12-31' }, RELIANCE, 'none'),
			).hint,
		).toContain('Delivery (CNC)');
		expect(
			caught(() =>
				buildOrderItem({ ...base, validity: 'GTE', deliveryType: 'CNC' }, RELIANCE, 'none'),
			).message,
		).toContain('needs a Good Till Date');
		expect(
			buildOrderItem(
				{ ...base, validity: 'GTE', deliveryType: 'CNC', goodTillDate: '2026-12-31' },
				RELIANCE,
				'none',
			).goodTillDate,
		).toBe('2026-12-31T00:00:00.000Z');
	});

	it('refuses tags Nubra refuses', () => {
		for (const tag of ['my_tag', 'two words', 'a:b', 'x+y', 'a'.repeat(51)]) {
			expect(caught(() => buildOrderItem({ ...base, tag }, RELIANCE, 'none')).message).toBe(
				`Tag "${tag}" is not allowed`,
			);
		}
	});

	it('builds stop-loss, target and trailing exits and checks their order around the entry', () => {
		const item = buildOrderItem(
			{
				...base,
				price: 2450,
				stopLossTriggerPrice: 2400,
				stopLossLimitPrice: 2395,
				trailingStopJump: 5,
				targetTriggerPrice: 2550,
			},
			RELIANCE,
			'none',
		);
		expect(item.executionMode).toBe('ENTRY_AND_EXIT');
		expect(item.exitConfig).toEqual({
			stoplossParams: {
				stoplossTriggerPrice: { value: 240_000 },
				stoplossLimitPrice: { value: 239_500 },
				stoplossTrailJump: 5,
			},
			targetParams: {
				targetProfitTriggerPrice: { value: 255_000 },
				targetProfitLimitPrice: { disabled: true },
			},
		});
		expect(
			caught(() =>
				buildOrderItem({ ...base, price: 2450, stopLossTriggerPrice: 2500 }, RELIANCE, 'none'),
			).message,
		).toBe('The stop-loss trigger must be below the entry price for a BUY order');
		expect(
			caught(() =>
				buildOrderItem(
					{ ...base, side: 'SELL', price: 2450, targetTriggerPrice: 2500 },
					RELIANCE,
					'none',
				),
			).message,
		).toBe('The target trigger must be below the entry price for a SELL order');
		expect(
			caught(() =>
				buildOrderItem(
					{ ...base, price: 2450, stopLossTriggerPrice: 2400, stopLossLimitPrice: 2405 },
					RELIANCE,
					'none',
				),
			).message,
		).toBe('The stop-loss limit must be at or below its trigger for a BUY order');
		expect(
			caught(() => buildOrderItem({ ...base, stopLossLimitPrice: 2400 }, RELIANCE, 'none')).message,
		).toContain('needs a Stop-Loss Trigger Price');
	});

	it('puts an entry trigger on the side that makes it a stop order', () => {
		expect(
			buildOrderItem({ ...base, entryTriggerPrice: 2460 }, RELIANCE, 'none').entryConfig,
		).toEqual({
			triggers: { ltp: { atOrAbove: { value: 246_000 } } },
		});
		expect(
			buildOrderItem({ ...base, side: 'SELL', entryTriggerPrice: 2440 }, RELIANCE, 'none')
				.entryConfig,
		).toEqual({
			triggers: { ltp: { atOrBelow: { value: 244_000 } } },
		});
	});

	it('checks lots and ticks of derivatives', () => {
		expect(
			buildOrderItem(
				{ ...base, refId: NIFTY_CE.refId, quantity: 150, price: 120.5 },
				NIFTY_CE,
				'none',
			).qty,
		).toBe(150);
		expect(
			caught(() => buildOrderItem({ ...base, quantity: 100, price: 120.5 }, NIFTY_CE, 'none'))
				.message,
		).toContain('the lot size is 75');
	});
});

describe('building a modify item', () => {
	const row = {
		intentOrderId: 1_000_123,
		orderQty: 10,
		filledQty: 4,
		orderPrice: 245_005,
		priceType: 'LIMIT',
		validityType: 'DAY',
		deliveryType: 'CNC',
	};

	it('always sends the four type fields and keeps what does not change', () => {
		expect(buildModifyItem(row, { price: 2449 }, RELIANCE, 'none')).toEqual({
			orderId: 1_000_123,
			qty: 10,
			deliveryType: 'CNC',
			priceType: 'LIMIT',
			validityType: 'DAY',
			executionMode: 'ENTRY',
			entryPrice: 244_900,
		});
		expect(buildModifyItem(row, { quantity: 20 }, RELIANCE, 'none')).toMatchObject({
			qty: 20,
			entryPrice: 245_005,
		});
	});

	it('refuses an empty change, an off-tick price and a price on a MARKET modify', () => {
		expect(caught(() => buildModifyItem(row, {}, RELIANCE, 'none')).message).toBe(
			'Nothing to modify on order 1000123',
		);
		expect(caught(() => buildModifyItem(row, { price: 2449.01 }, RELIANCE, 'none')).code).toBe(
			NUBRA_ERROR_CODES.INVALID_ORDER,
		);
		expect(
			caught(() => buildModifyItem(row, { priceType: 'MARKET', price: 2449 }, RELIANCE, 'none'))
				.message,
		).toBe('A MARKET order takes no price');
		expect(buildModifyItem(row, { priceType: 'MARKET' }, RELIANCE, 'none')).toMatchObject({
			priceType: 'MARKET',
			validityType: 'IOC',
		});
	});
});

describe('output shapes', () => {
	it('adds rupee twins, the order id as text and what is left to fill', () => {
		const shaped = shapeOrderRow({
			intentOrderId: '9007199254741001',
			orderPrice: 245_005,
			filledPrice: 0,
			orderQty: 10,
			filledQty: 4,
			refData: { displayName: 'RELIANCE' },
		});
		expect(shaped).toMatchObject({
			orderId: '9007199254741001',
			orderPriceRupees: 2450.05,
			filledPriceRupees: 0,
			remainingQty: 6,
			symbol: 'RELIANCE',
		});
	});

	it('takes a single order that comes back as a one-leg multi order', () => {
		expect(shapeOrderRow({ intentOrderId: 5, isMulti: true, legs: [{ refId: 2885 }] }).refId).toBe(
			2885,
		);
	});

	it('reads both spellings of position fields', () => {
		const documented = shapePosition({
			netQuantity: -75,
			buyQuantity: 0,
			sellQuantity: 75,
			lastTradedPrice: 12_050,
			avgPrice: 12_100,
		});
		const live = shapePosition({
			netQty: -75,
			buyQty: 0,
			sellQty: 75,
			ltp: 12_050,
			avgPrice: 12_100,
		});
		for (const row of [documented, live]) {
			expect(row).toMatchObject({
				netQty: -75,
				buyQty: 0,
				sellQty: 75,
				ltp: 12_050,
				ltpRupees: 120.5,
				avgPriceRupees: 121,
			});
		}
	});

	it('twins every money field of funds, including a negative margin', () => {
		expect(
			shapeFunds({ clientCode: 'C1', netMarginAvailable: -54_000_000, startOfDayFunds: 100 }),
		).toEqual({
			clientCode: 'C1',
			netMarginAvailable: -54_000_000,
			netMarginAvailableRupees: -540_000,
			startOfDayFunds: 100,
			startOfDayFundsRupees: 1,
		});
	});
});

describe('retries and limits', () => {
	it('gives the same automatic tag to a retry and a new one to a new execution', () => {
		const tag = automaticTag('41', 'Place order', 0);
		expect(tag).toMatch(/^n8n-[0-9a-f]{16}$/);
		expect(automaticTag('41', 'Place order', 0)).toBe(tag);
		expect(
			new Set([
				automaticTag('42', 'Place order', 0),
				automaticTag('41', 'Place order', 1),
				automaticTag('41', 'Other', 0),
			]).has(tag),
		).toBe(false);
	});

	it('defaults to 10 requests per second except on UAT', () => {
		expect([
			defaultOpsPerSecond('production'),
			defaultOpsPerSecond('uat'),
			defaultOpsPerSecond('custom'),
		]).toEqual([10, 100, 10]);
	});

	it('queues callers first come, first served within N per window', async () => {
		let now = 0;
		const slept: number[] = [];
		const limiter = new RateLimiter({
			perWindow: 3,
			now: () => now,
			sleep: async (ms) => {
				slept.push(ms);
				now += ms;
			},
		});
		const starts: number[] = [];
		const order: number[] = [];
		await Promise.all(
			Array.from({ length: 7 }, (_, i) =>
				limiter.acquire().then(() => {
					starts.push(now);
					order.push(i);
				}),
			),
		);
		expect(order).toEqual([0, 1, 2, 3, 4, 5, 6]);
		expect(starts).toEqual([0, 0, 0, 1000, 1000, 1000, 2000]);
		limiter.perWindow = 0;
		expect(limiter.perWindow).toBe(1);
	});
});

describe('instrument master', () => {
	it('is tolerant of the fields the reference leaves open', () => {
		expect(
			parseInstrumentRow(
				{
					ref_id: '2885',
					stock_name: 'RELIANCE',
					option_type: 'N/A',
					strike_price: null,
					expiry: 0,
					lot_size: 1,
					tick_size: 5,
					isin: 'N/A   ',
				},
				'NSE',
			),
		).toEqual({ refId: 2885, symbol: 'RELIANCE', exchange: 'NSE', lotSize: 1, tickSize: 5 });
		expect(parseInstrumentRow({ ref_id: 7, nubra_name: 'FUT_GOLD_20261204' }, 'MCX')).toMatchObject(
			{
				symbol: 'FUT_GOLD_20261204',
				nubraName: 'FUT_GOLD_20261204',
				lotSize: 1,
				tickSize: 1,
			},
		);
		expect(parseInstrumentRow({ stock_name: 'NOID' }, 'NSE')).toBeUndefined();
		expect([expiryNumber('2025-12-30'), expiryNumber('20251230'), expiryNumber('soon')]).toEqual([
			20251230,
			20251230,
			undefined,
		]);
	});

	it('loads each exchange once per IST day, single-flight, and searches it', async () => {
		let now = Date.UTC(2026, 10, 30, 18, 0); // 23:30 IST on 30 November
		const fetched: string[] = [];
		const master = new InstrumentMaster({
			now: () => now,
			fetch: async (exchange, date) => {
				fetched.push(`${exchange}@${date}`);
				return {
					refdata: [
						{
							ref_id: 1333,
							stock_name: 'HDFCBANK',
							asset: 'HDFCBANK',
							derivative_type: 'STOCK',
							lot_size: 1,
							tick_size: 5,
						},
						{
							ref_id: 9,
							stock_name: 'HDFCBANK26DECFUT',
							asset: 'HDFCBANK',
							derivative_type: 'FUT',
							expiry: 20261231,
							lot_size: 550,
							tick_size: 10,
						},
					],
				};
			},
		});
		expect(istDate(now)).toBe('2026-11-30');
		await Promise.all([master.rows('NSE'), master.rows('nse'), master.find(1333, ['NSE'])]);
		expect(fetched).toEqual(['NSE@2026-11-30']);
		const found = await master.search({ text: 'hdfcbank' }, ['NSE']);
		expect(found.map((i) => i.symbol)).toEqual(['HDFCBANK', 'HDFCBANK26DECFUT']);
		expect(
			(await master.search({ text: 'hdfc', derivativeType: 'fut' }, ['NSE'])).map((i) => i.lotSize),
		).toEqual([550]);
		now += 60 * 60 * 1000; // 00:30 IST: a new trading day, a new master
		await master.rows('NSE');
		expect(fetched).toEqual(['NSE@2026-11-30', 'NSE@2026-12-01']);
		const unknown = await master.get(42, ['NSE']).catch((error: unknown) => error as NubraError);
		expect(unknown).toMatchObject({ code: NUBRA_ERROR_CODES.UNKNOWN_INSTRUMENT });
	});
});

describe('looking up orders by tag', () => {
	const row = (id: number, tags: string[]) => ({ intentOrderId: id, stratTags: tags });

	it('reads the whole day and filters locally when Nubra refuses a tag filter', async () => {
		const asked: string[] = [];
		const auth = {
			getSession: async () => ({
				sessionToken: 's',
				deviceId: 'd',
				restBaseUrl: 'http://127.0.0.1:1',
				obtainedAt: 0,
			}),
			authorizedRequest: async (
				_method: string,
				path: string,
				options?: { query?: Record<string, string> },
			) => {
				asked.push(`${path}?${new URLSearchParams(options?.query ?? {}).toString()}`);
				if (options?.query?.stratTags) {
					throw new NubraError(NUBRA_ERROR_CODES.UNEXPECTED_RESPONSE, 'HTTP 400: unknown tag', {
						httpStatus: 400,
					});
				}
				return { orders: { open: [row(1, ['other'])], executed: [row(2, ['wanted'])] } };
			},
		};
		const trading = new NubraTrading(auth, 'custom');
		const found = await trading.ordersTagged('wanted');
		expect(found).toEqual([{ row: row(2, ['wanted']), bucket: 'executed' }]);
		expect(asked).toEqual(['/sentinel/orders?stratTags=wanted', '/sentinel/orders?']);
	});
});

describe('a create that gets no answer', () => {
	it('says the order may have been placed and how a retry stays safe', async () => {
		const auth = {
			getSession: async () => ({
				sessionToken: 's',
				deviceId: 'd',
				restBaseUrl: 'http://127.0.0.1:1',
				obtainedAt: 0,
			}),
			authorizedRequest: async () => {
				throw new NubraError(
					NUBRA_ERROR_CODES.UNREACHABLE,
					'Could not reach Nubra at 127.0.0.1:1 (timed out)',
				);
			},
		};
		const trading = new NubraTrading(auth, 'custom');
		const item = buildOrderItem(
			{
				refId: 2885,
				side: 'BUY',
				quantity: 1,
				priceType: 'LIMIT',
				price: 2450,
				deliveryType: 'IDAY',
				tag: 'sig-7',
			},
			RELIANCE,
			'none',
		);
		const error = await trading.placeOrder(item).then(
			() => {
				throw new Error('expected the create to fail');
			},
			(caughtError: unknown) => caughtError as NubraError,
		);
		expect(error).toMatchObject({
			code: NUBRA_ERROR_CODES.UNREACHABLE,
			message: 'Could not reach Nubra at 127.0.0.1:1 (timed out)',
		});
		expect(error.hint).toContain('may have reached Nubra');
		expect(error.hint).toContain('"sig-7"');
	});
});

describe('order ids beyond 2^53', () => {
	it('go out as exact bare integers', () => {
		expect(orderIdValue('1000123')).toBe(1_000_123);
		expect(orderIdValue('9007199254741001')).toBe(9_007_199_254_741_001n);
		expect(
			stringifyJson({ orders: [{ orderId: orderIdValue('9007199254741001') }], note: 'x' }),
		).toBe('{"orders":[{"orderId":9007199254741001}],"note":"x"}');
		expect(stringifyJson({ a: 1 })).toBe('{"a":1}');
	});
});
