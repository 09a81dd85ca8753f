import { decodeBase32 } from '../../client/totp';
import { OrderBook } from '../../simulator/book';
import { encodeChange } from '../../simulator/encode';
import {
	DEMO_TOTP_SECRET,
	expectedEvent,
	generateScenario,
	mulberry32,
	wireStatus,
	type LedgerEntry,
} from '../../simulator';
import { parseCliArgs } from '../../simulator/cli';
import { decodeFrame } from '../helpers/simulator-client';

describe('generateScenario', () => {
	it('is deterministic per seed and differs across seeds', () => {
		expect(generateScenario({ seed: 42, orders: 30 })).toEqual(
			generateScenario({ seed: 42, orders: 30 }),
		);
		expect(generateScenario({ seed: 42, orders: 30 })).not.toEqual(
			generateScenario({ seed: 43, orders: 30 }),
		);
	});

	it('places every order once, before its steps, and interleaves orders', () => {
		const steps = generateScenario({ seed: 5, orders: 50 });
		const placed = new Set<string>();
		let switches = 0;
		let previousKey = '';
		for (const step of steps) {
			if (step.op === 'place') {
				expect(placed.has(step.key)).toBe(false);
				placed.add(step.key);
			} else {
				expect(placed.has(step.key)).toBe(true);
				if (previousKey && previousKey !== step.key) switches++;
				previousKey = step.key;
			}
		}
		expect(placed.size).toBe(50);
		expect(switches).toBeGreaterThan(50);
	});

	it('covers every lifecycle with realistic instruments, prices in paise and tags', () => {
		const steps = generateScenario({ seed: 11, orders: 200 });
		const stepTypes = new Set(
			steps.flatMap((step) => (step.op === 'step' ? [step.step.type] : [])),
		);
		expect([...stepTypes].sort()).toEqual([
			'accept',
			'cancel',
			'expire',
			'fill',
			'modify',
			'partialFill',
			'reject',
			'trigger',
			'unsolicitedCancel',
		]);
		const specs = steps.flatMap((step) => (step.op === 'place' ? [step.spec] : []));
		const names = specs.map((spec) => spec.displayName ?? '');
		expect(names).toEqual(expect.arrayContaining(['RELIANCE', 'TCS', 'INFY', 'HDFCBANK', 'SBIN']));
		expect(names.some((name) => /^(NIFTY|BANKNIFTY|SENSEX) 25DEC \d+ (CE|PE)$/.test(name))).toBe(
			true,
		);
		expect(new Set(specs.map((spec) => spec.exchange))).toEqual(new Set(['NSE', 'BSE']));
		for (const spec of specs) {
			expect(Number.isInteger(spec.price)).toBe(true);
			expect((spec.price ?? 0) % 5).toBe(0);
			expect((spec.qty ?? 0) % (spec.lotSize ?? 1)).toBe(0);
		}
		const baskets = specs.filter((spec) => spec.legs);
		expect(baskets.length).toBeGreaterThan(0);
		for (const basket of baskets) expect(basket.legs?.length).toBeGreaterThanOrEqual(2);
		expect(specs.map((spec) => spec.tag)).toEqual(expect.arrayContaining(['momentum-1', 'hedge']));
		const reasons = steps.flatMap((step) =>
			step.op === 'step' && step.step.type === 'reject' ? [step.step.reason] : [],
		);
		expect(reasons).toContain('RMS: Insufficient margin');
	});

	it('honours the mix', () => {
		const steps = generateScenario({
			seed: 1,
			orders: 20,
			mix: {
				fill: 0,
				partialFill: 0,
				cancel: 0,
				modify: 0,
				stopLoss: 0,
				expire: 0,
				unsolicitedCancel: 0,
				basket: 0,
				reject: 1,
			},
		});
		expect(
			steps
				.filter((step) => step.op === 'step')
				.every((step) => step.op === 'step' && step.step.type === 'reject'),
		).toBe(true);
	});

	it('mulberry32 repeats per seed', () => {
		const a = mulberry32(9);
		const b = mulberry32(9);
		expect([a(), a(), a()]).toEqual([b(), b(), b()]);
	});
});

describe('OrderBook', () => {
	it('numbers ordinary ids from 1000001 and big ids above 2^53', () => {
		expect(new OrderBook(false).place().id).toBe('1000001');
		expect(BigInt(new OrderBook(true).place().id)).toBeGreaterThan(2n ** 53n);
	});

	it('refuses steps that make no sense for the state', () => {
		const book = new OrderBook(false);
		const order = book.place();
		expect(() => book.apply(order.id, { type: 'fill' })).toThrow(RangeError);
		book.apply(order.id, { type: 'accept' });
		expect(() => book.apply(order.id, { type: 'accept' })).toThrow(/needs PENDING/);
		book.apply(order.id, { type: 'fill' });
		expect(() => book.apply(order.id, { type: 'cancel' })).toThrow(/FILLED/);
		expect(() => book.apply('404', { type: 'accept' })).toThrow(/No order/);
		expect(() => book.place({ qty: 10, lotSize: 75 })).toThrow(/whole lots/);
	});

	it('derives partial fills, average price and a modify that always changes the state', () => {
		const book = new OrderBook(false);
		const order = book.place({ qty: 10, price: 1000 });
		book.apply(order.id, { type: 'accept' });
		const partial = book.apply(order.id, { type: 'partialFill' });
		expect(partial).toMatchObject({
			kind: 'trade',
			tradeQty: 5,
			order: { status: 'PARTIALLY_FILLED', filledQty: 5 },
		});
		const modified = book.apply(order.id, { type: 'modify', price: 1000 });
		expect(modified.order).toMatchObject({
			request: 'MODIFY',
			orderPrice: 1005,
			status: 'PARTIALLY_FILLED',
		});
		const filled = book.apply(order.id, { type: 'fill' });
		expect(filled.order).toMatchObject({ status: 'FILLED', filledQty: 10, avgPrice: 1003 });
		expect(BigInt(filled.timestampNs)).toBeGreaterThan(BigInt(partial.timestampNs));
	});
});

describe('encodeChange', () => {
	it('encodes each generation without a socket, through the shared schema', () => {
		const book = new OrderBook(false);
		const order = book.place();
		const change = book.apply(order.id, { type: 'accept' });
		expect(decodeFrame(encodeChange(change, 'v1')).message).toMatchObject({
			order_status: wireStatus('OPEN', 'v1'),
		});
		expect(decodeFrame(encodeChange(change, 'v2')).message).toMatchObject({
			execution_status: 'EXECUTION_STATUS_OPEN',
		});
		expect(decodeFrame(encodeChange(change, 'v3')).suffix).toBe('NubraToClientIntentUpdate');
	});

	it('says what a decoder derives per generation for a ledger entry', () => {
		const book = new OrderBook(false);
		const legs = [
			{
				displayName: 'NIFTY 25DEC 24000 CE',
				exchange: 'NSE',
				refId: 1,
				lotSize: 75,
				asset: 'NIFTY',
				derivativeType: 'OPT',
				side: 'BUY',
				qty: 75,
				price: 100,
			},
			{
				displayName: 'NIFTY 25DEC 24000 PE',
				exchange: 'NSE',
				refId: 2,
				lotSize: 75,
				asset: 'NIFTY',
				derivativeType: 'OPT',
				side: 'BUY',
				qty: 75,
				price: 100,
			},
		] as const;
		const basket = book.place({ legs: legs.map((leg) => ({ ...leg })) });
		const accepted = book.apply(basket.id, { type: 'accept' });
		const entry = {
			kind: accepted.kind,
			status: accepted.order.status,
			orderId: basket.id,
		} as LedgerEntry;
		expect(expectedEvent(entry, 'v1')).toEqual({
			event: 'basket',
			status: 'OPEN',
			orderId: basket.id,
		});
		expect(expectedEvent(entry, 'v3')).toEqual({
			event: 'order',
			status: 'OPEN',
			orderId: basket.id,
		});
		const expired = { ...entry, kind: 'order', status: 'EXPIRED' } as LedgerEntry;
		expect(expectedEvent(expired, 'v2').status).toBe('CANCELLED');
		expect(expectedEvent(expired, 'v3').status).toBe('EXPIRED');
		expect(expectedEvent({ ...entry, kind: 'trade', legOrderId: '77' }, 'v1').orderId).toBe('77');
	});

	it('maps statuses that a generation lacks onto the nearest wire value', () => {
		expect(wireStatus('EXPIRED', 'v1')).toBe('ORDER_STATUS_CANCELLED');
		expect(wireStatus('PARTIALLY_FILLED', 'v2')).toBe('EXECUTION_STATUS_OPEN');
		expect(wireStatus('FILLED', 'v3')).toBe('INTENT_ORDER_STATUS_EXECUTED');
	});
});

it('the demo TOTP secret is valid base32', () => {
	expect(decodeBase32(DEMO_TOTP_SECRET)).toHaveLength(20);
});

describe('simulator CLI arguments', () => {
	it('reads every flag and defaults to a forever scenario on v3', () => {
		expect(parseCliArgs([])).toMatchObject({
			port: 8787,
			apiVersion: 'v3',
			ratePerSecond: 5,
			seed: 1,
			orders: undefined,
			severalSessions: false,
		});
		expect(
			parseCliArgs([
				'--port',
				'0',
				'--api',
				'v1',
				'--rate',
				'0',
				'--seed',
				'9',
				'--orders',
				'12',
				'--big-ids',
				'--several-sessions',
				'--quiet',
			]),
		).toEqual({
			host: '127.0.0.1',
			port: 0,
			apiVersion: 'v1',
			ratePerSecond: 0,
			seed: 9,
			orders: 12,
			bigIds: true,
			severalSessions: true,
			quiet: true,
		});
		expect(parseCliArgs(['--orders', '3', '--forever']).orders).toBeUndefined();
	});

	it.each([
		[['--api', 'v4'], /v1, v2 or v3/],
		[['--rate', 'fast'], /--rate must be a number/],
		[['--port'], /needs a value/],
		[['--verbose'], /Unknown option/],
	])('rejects %j', (argv, message) => {
		expect(() => parseCliArgs(argv)).toThrow(message);
	});
});
