import { startSimulator, type RunningSimulator } from '../../simulator';
import { DEVICE_ID, http, login } from '../helpers/simulator-client';

/**
 * The simulator's trading endpoints at the wire, with a plain HTTP client: the rules of
 * nubra-rest.md §14 that the node's own checks would otherwise hide.
 */
describe('simulator trading endpoints', () => {
	let sim: RunningSimulator;
	let headers: Record<string, string>;

	beforeEach(async () => {
		sim = await startSimulator({ trading: { applyDelayMs: 10 } });
		const { sessionToken } = await login(sim);
		headers = { authorization: `Bearer ${sessionToken}`, 'x-device-id': DEVICE_ID };
	});
	afterEach(async () => {
		await sim.close();
	});

	const item = (extra: Record<string, unknown> = {}) => ({
		refId: 2885,
		qty: 1,
		side: 'BUY',
		deliveryType: 'IDAY',
		priceType: 'LIMIT',
		validityType: 'DAY',
		isMultiLeg: false,
		executionMode: 'ENTRY',
		entryPrice: 127_000,
		...extra,
	});
	const create = (order: Record<string, unknown>) =>
		http(`${sim.restUrl}/sentinel/orders/create`, { headers, body: { orders: [order] } });

	it.each([
		[{ qty: 0 }, 'Invalid Quantity'],
		[{ refId: 4_200_101, qty: 50 }, 'Invalid Quantity: 50 is not a multiple of lot size 75'],
		[{ entryPrice: 127_003 }, 'Price rejected'],
		[{ priceType: 'MARKET' }, 'A MARKET order must have validityType IOC'],
		[{ priceType: 'MARKET', validityType: 'IOC' }, 'A MARKET order must not carry entryPrice'],
		[
			{ validityType: 'GTE', goodTillDate: '2026-12-31T00:00:00Z' },
			'Intraday orders cannot have an expiry beyond today',
		],
		[{ stratTags: ['a', 'b'] }, 'stratTags must hold exactly one tag'],
		[{ stratTags: ['no_underscores'] }, 'stratTags must hold exactly one tag'],
		[{ refId: 1 }, 'Instrument not found for refId 1'],
		[
			{ isMultiLeg: true, side: 'SELL', refId: undefined },
			'A strategy order must be sent with side BUY',
		],
		[
			{ exitConfig: { stoplossParams: { stoplossTriggerPrice: { value: 126_001 } } } },
			'exit trigger and limit prices',
		],
	])('refuses %j with 400 and the error body', async (extra, message) => {
		const reply = await create(item(extra));
		expect(reply.status).toBe(400);
		expect(String(reply.json.error)).toContain(message);
		expect(reply.json.nubra_error_code).toBe('');
		expect(sim.control.orders()).toHaveLength(0);
	});

	it('answers 201 with the row, books the order and opens it a moment later', async () => {
		const reply = await create(item({ stratTags: ['wire-1'] }));
		expect(reply.status).toBe(201);
		expect(reply.json.message).toBe('order creation request pushed successfully');
		const [row] = reply.json.orders as Record<string, unknown>[];
		expect(row).toMatchObject({
			status: 'OPEN',
			refId: 2885,
			orderPrice: 127_000,
			stratTags: ['wire-1'],
			refData: { stockName: 'RELIANCE', tickSize: 5 },
		});
		expect(sim.control.orders()[0].status).toBe('PENDING');
		await new Promise<void>((resolve) => {
			const off = sim.control.on('ledger', (entry) => {
				if (entry.status === 'OPEN') {
					off();
					resolve();
				}
			});
		});
		expect(sim.control.orders()[0].status).toBe('OPEN');
	});

	it('answers 429 with Retry-After above the set rate, and 440 to a stale token', async () => {
		sim.trading.setRateLimit(2);
		const statuses: number[] = [];
		for (let i = 0; i < 3; i++) {
			const response = await fetch(`${sim.restUrl}/sentinel/orders/funds_required`, {
				method: 'POST',
				headers: { ...headers, 'content-type': 'application/json' },
				body: JSON.stringify({ requestType: 'NEW', orders: [item()] }),
			});
			statuses.push(response.status);
			if (response.status === 429) expect(response.headers.get('retry-after')).toBe('1');
		}
		expect(statuses).toEqual([200, 200, 429]);
		expect(sim.trading.counts).toMatchObject({ margin: 2, rateLimited: 1 });

		sim.control.expireSessions();
		const stale = await http(`${sim.restUrl}/sentinel/portfolio/positions`, { headers });
		expect(stale.status).toBe(440);
	});

	it('serves the instrument master per exchange', async () => {
		const nse = await http(`${sim.restUrl}/refdata/refdata/2026-11-30?exchange=NSE`, { headers });
		const rows = nse.json.refdata as Record<string, unknown>[];
		expect(rows.every((r) => r.exchange === 'NSE')).toBe(true);
		expect(rows.find((r) => r.ref_id === 4_200_101)).toMatchObject({
			stock_name: 'NIFTY25DEC24000CE',
			strike_price: 2_400_000,
			expiry: 20251230,
			lot_size: 75,
			tick_size: 5,
			option_type: 'CE',
		});
		const bse = await http(`${sim.restUrl}/refdata/refdata/2026-11-30?exchange=BSE`, { headers });
		expect((bse.json.refdata as unknown[]).length).toBeGreaterThan(0);
	});
});
