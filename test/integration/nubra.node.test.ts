import {
	NodeApiError,
	NodeOperationError,
	type IDataObject,
	type INodeParameters,
} from 'n8n-workflow';

import { nubraAccounts } from '../../client/accounts';
import { credentialsFromRecord } from '../../client/credentials';
import { tradingFor } from '../../client/trading';
import { Nubra } from '../../nodes/Nubra/Nubra.node';
import {
	simulatorCredentialFields,
	startSimulator,
	type LedgerEntry,
	type RequestInfo,
	type RunningSimulator,
} from '../../simulator';
import {
	credentialDatabase,
	executeContext,
	runNode,
	type ExecuteOptions,
} from '../helpers/execute-context';
import { waitFor } from '../helpers/wait';

/**
 * The Nubra node against the simulator over real HTTP on 127.0.0.1: every operation, and the
 * error paths (validation before any request, unknown ref_id, Nubra's refusals, 440, 429).
 */

const node = new Nubra();

describe('Nubra node against the simulator', () => {
	let sim: RunningSimulator;
	let requests: RequestInfo[];
	let credentials: ExecuteOptions['credentials'];

	beforeEach(async () => {
		sim = await startSimulator({ trading: { applyDelayMs: 20 } });
		requests = [];
		sim.control.on('request', (request) => requests.push(request));
		credentials = { ...simulatorCredentialFields(sim) };
	});
	afterEach(async () => {
		await sim.close();
	});

	const run = (parameters: INodeParameters, extra: Partial<ExecuteOptions> = {}) =>
		runNode(node, { parameters: { environment: 'custom', ...parameters }, credentials, ...extra });
	const json = async (parameters: INodeParameters, extra: Partial<ExecuteOptions> = {}) =>
		(await run(parameters, extra)).map((item) => item.json);
	const failure = async (
		parameters: INodeParameters,
		extra: Partial<ExecuteOptions> = {},
	): Promise<Error> => {
		try {
			await run(parameters, extra);
		} catch (error) {
			return error as Error;
		}
		throw new Error('expected the node to fail');
	};
	const tradingRequests = () => requests.filter((r) => r.path.startsWith('/sentinel/orders/'));
	const ledgerEntry = (predicate: (entry: LedgerEntry) => boolean, what: string) =>
		new Promise<LedgerEntry>((resolve, reject) => {
			const found = sim.control.ledger.find(predicate);
			if (found) return resolve(found);
			const timer = setTimeout(() => {
				off();
				reject(new Error(`Timed out waiting for ${what}`));
			}, 4_000);
			const off = sim.control.on('ledger', (entry) => {
				if (!predicate(entry)) return;
				clearTimeout(timer);
				off();
				resolve(entry);
			});
		});

	const limitBuy = (extra: INodeParameters = {}): INodeParameters => ({
		resource: 'order',
		operation: 'place',
		instrument: { __rl: true, mode: 'id', value: '2885' },
		side: 'BUY',
		quantity: 10,
		priceType: 'LIMIT',
		price: 2450.05,
		deliveryType: 'IDAY',
		...extra,
	});

	it('places a LIMIT order in paise with rupee twins; the book accepts it through the same path the socket follows', async () => {
		const [placed] = await json(limitBuy({ tag: 'loop-1' }));
		expect(placed).toMatchObject({
			placed: true,
			alreadyPlaced: false,
			tag: 'loop-1',
			orderPrice: 245_005,
			orderPriceRupees: 2450.05,
			orderQty: 10,
			side: 'BUY',
			refId: 2885,
			symbol: 'RELIANCE',
			message: 'order creation request pushed successfully',
		});
		const accepted = await ledgerEntry(
			(e) => e.orderId === placed.orderId && e.status === 'OPEN',
			'the accept',
		);
		expect(accepted).toMatchObject({ tag: 'loop-1', orderPrice: 245_005, displayName: 'RELIANCE' });
	});

	it('Validate Only checks margin against funds and places nothing', async () => {
		const [result] = await json(limitBuy({ validateOnly: true }));
		expect(result).toMatchObject({
			validateOnly: true,
			placed: false,
			valid: true,
			sufficientFunds: true,
		});
		// IDAY stock: 20 % of ₹24,500.50 = ₹4,900.10 margin, plus ₹20 + 0.1 % charges.
		expect((result.margin as IDataObject).totalMarginRupees).toBe(4900.1);
		expect((result.margin as IDataObject).totalFundsRequiredRupees).toBeCloseTo(
			4900.1 + 20 + 24.5,
			1,
		);
		expect(sim.trading.counts.create).toBe(0);
		expect(sim.control.orders()).toHaveLength(0);
	});

	it('a retried execution does not place a second order: the automatic tag finds the first', async () => {
		const first = await json(limitBuy(), { executionId: 'exec-42' });
		const retry = await json(limitBuy(), { executionId: 'exec-42' });
		const other = await json(limitBuy(), { executionId: 'exec-43' });
		expect(first[0]).toMatchObject({ placed: true });
		expect(first[0].tag).toMatch(/^n8n-[0-9a-f]{16}$/);
		expect(retry[0]).toMatchObject({
			placed: false,
			alreadyPlaced: true,
			orderId: first[0].orderId,
			tag: first[0].tag,
		});
		expect(other[0]).toMatchObject({ placed: true });
		expect(other[0].tag).not.toBe(first[0].tag);
		expect(sim.trading.counts.create).toBe(2);
	});

	it('an off-tick price fails before any request, naming the valid neighbours; Round to Tick rounds as told', async () => {
		const error = await failure(limitBuy({ price: 2450.03 }));
		expect(error).toBeInstanceOf(NodeOperationError);
		expect(error.message).toContain('not a multiple of its tick size ₹0.05');
		expect((error as NodeOperationError).description).toContain('₹2,450.00 or ₹2,450.05');
		expect(tradingRequests()).toHaveLength(0);

		const [up] = await json(limitBuy({ price: 2450.03, options: { roundToTick: 'up' } }));
		const [down] = await json(
			limitBuy({ price: 2450.03, tag: 'down-1', options: { roundToTick: 'down' } }),
		);
		expect([up.orderPrice, down.orderPrice]).toEqual([245_005, 245_000]);
	});

	it('a quantity off the lot size fails before any request and names the lot size', async () => {
		const error = await failure(
			limitBuy({
				instrument: { __rl: true, mode: 'id', value: '4200101' },
				quantity: 50,
				price: 120.5,
			}),
		);
		expect(error).toBeInstanceOf(NodeOperationError);
		expect(error.message).toBe(
			'Quantity 50 for NIFTY25DEC24000CE (NSE) is not a whole number of lots: the lot size is 75',
		);
		expect(tradingRequests()).toHaveLength(0);
	});

	it('an unknown ref_id fails with what to do, before any order request', async () => {
		const error = await failure(
			limitBuy({ instrument: { __rl: true, mode: 'id', value: '999999' } }),
		);
		expect(error.message).toBe(
			"ref_id 999999 is not in today's Nubra instrument master (NSE, BSE)",
		);
		expect((error as NodeOperationError).description).toContain('Instrument → Search');
		expect(tradingRequests()).toHaveLength(0);
	});

	it("Nubra's own refusal becomes a NodeApiError with its words and what to do", async () => {
		// An RMS rejection comes later, over the socket, as on Nubra; an unknown order is refused at once.
		sim.trading.rejectNext('RMS: Insufficient margin');
		const [placed] = await json(limitBuy({ tag: 'rejected-1' }));
		const rejected = await ledgerEntry(
			(e) => e.orderId === placed.orderId && e.status === 'REJECTED',
			'the rejection',
		);
		expect(rejected.rejectionMsg).toBe('RMS: Insufficient margin');
		const [got] = await json({
			resource: 'order',
			operation: 'get',
			orderId: String(placed.orderId),
		});
		expect(got).toMatchObject({
			bucket: 'rejected',
			status: 'REJECTED',
			rejectionMsg: 'RMS: Insufficient margin',
		});

		const error = await failure({ resource: 'order', operation: 'cancel', orderIds: '424242' });
		expect(error).toBeInstanceOf(NodeApiError);
		expect(error.message).toContain('Order 424242 not found');
		expect((error as NodeApiError).httpCode).toBe('400');
		expect((error as NodeApiError).description).toContain('Check the order id');
	});

	it('modifies price and quantity of a working order; the book and socket follow', async () => {
		const [placed] = await json(limitBuy({ tag: 'modify-1' }));
		await ledgerEntry((e) => e.orderId === placed.orderId && e.status === 'OPEN', 'the accept');
		const [modified] = await json({
			resource: 'order',
			operation: 'modify',
			orderId: String(placed.orderId),
			changes: { price: 2449.5, quantity: 20 },
		});
		expect(modified).toMatchObject({
			modifyRequested: true,
			message: 'order modify request pushed successfully',
			request: {
				orderId: Number(placed.orderId),
				qty: 20,
				entryPrice: 244_950,
				entryPriceRupees: 2449.5,
				priceType: 'LIMIT',
				validityType: 'DAY',
				deliveryType: 'IDAY',
			},
		});
		const change = await ledgerEntry(
			(e) => e.orderId === placed.orderId && e.request === 'MODIFY',
			'the modify',
		);
		expect(change).toMatchObject({ orderPrice: 244_950, orderQty: 20 });
	});

	it('cancels the unfilled rest of a partial fill; the cancel lock after a modify says to wait', async () => {
		const [placed] = await json(limitBuy({ tag: 'cancel-1' }));
		const orderId = String(placed.orderId);
		await ledgerEntry((e) => e.orderId === orderId && e.status === 'OPEN', 'the accept');
		sim.control.applyStep(orderId, { type: 'partialFill', qty: 4 });

		sim.trading.setCancelLock(60_000);
		await json({ resource: 'order', operation: 'modify', orderId, changes: { price: 2449 } });
		const locked = await failure({ resource: 'order', operation: 'cancel', orderIds: orderId });
		expect(locked).toBeInstanceOf(NodeApiError);
		expect(locked.message).toContain('Cancellation is temporarily unavailable');
		expect((locked as NodeApiError).description).toContain('Wait about 5 seconds');

		sim.trading.setCancelLock(0);
		await ledgerEntry((e) => e.orderId === orderId && e.request === 'MODIFY', 'the modify');
		const [cancelled] = await json({
			resource: 'order',
			operation: 'cancel',
			orderIds: ` ${orderId} `,
		});
		expect(cancelled).toMatchObject({ orderIds: [orderId], cancelRequested: true });
		const entry = await ledgerEntry(
			(e) => e.orderId === orderId && e.status === 'CANCELLED',
			'the cancel',
		);
		expect(entry).toMatchObject({ filledQty: 4, orderQty: 10 });
	});

	it('cancels only an exit trigger', async () => {
		const [placed] = await json(limitBuy({ tag: 'exit-1', exits: { stopLossTriggerPrice: 2400 } }));
		await ledgerEntry((e) => e.orderId === placed.orderId && e.status === 'OPEN', 'the accept');
		const [result] = await json({
			resource: 'order',
			operation: 'cancel',
			cancelWhat: 'exitTrigger',
			orderId: String(placed.orderId),
			exitTriggerKind: 'STOPLOSS',
		});
		expect(result).toMatchObject({ cancelRequested: true, exitTriggerKind: 'STOPLOSS' });
		expect(sim.trading.cancelledExitTriggers).toEqual([
			{ orderId: String(placed.orderId), kind: 'STOPLOSS' },
		]);
	});

	it('Get and Get Many read the order book with filters, Return All and Limit', async () => {
		const a = (await json(limitBuy({ tag: 'many-a' })))[0];
		await json(limitBuy({ tag: 'many-b' }));
		await json(limitBuy({ tag: 'many-c', priceType: 'MARKET' }));
		await ledgerEntry((e) => e.tag === 'many-c' && e.status === 'FILLED', 'the market fill');
		const [got] = await json({ resource: 'order', operation: 'get', orderId: String(a.orderId) });
		expect(got).toMatchObject({
			orderId: a.orderId,
			bucket: 'open',
			stratTags: ['many-a'],
			remainingQty: 10,
		});

		const all = await json({ resource: 'order', operation: 'getMany', returnAll: true });
		expect(all.map((o) => o.stratTags)).toEqual([['many-a'], ['many-b'], ['many-c']]);
		const executed = await json({
			resource: 'order',
			operation: 'getMany',
			returnAll: true,
			filters: { statuses: ['executed'] },
		});
		expect(executed).toHaveLength(1);
		expect(executed[0]).toMatchObject({ status: 'EXECUTED', filledPriceRupees: 2450 });
		const byTag = await json({
			resource: 'order',
			operation: 'getMany',
			filters: { tag: 'many-b' },
		});
		expect(byTag.map((o) => o.stratTags)).toEqual([['many-b']]);
		expect(await json({ resource: 'order', operation: 'getMany', limit: 2 })).toHaveLength(2);

		const missing = await failure({ resource: 'order', operation: 'get', orderId: '77' });
		expect(missing.message).toBe("Order 77 is not in today's Nubra order book");
	});

	it('Margin → Required, and positions, holdings and funds with rupee twins', async () => {
		const [margin] = await json({
			resource: 'margin',
			operation: 'required',
			instrument: { __rl: true, mode: 'id', value: '4200101' },
			quantity: 75,
			priceType: 'LIMIT',
			price: 120.5,
			deliveryType: 'CNC',
		});
		expect(margin).toMatchObject({ code: 1, totalMargin: 903_750, totalMarginRupees: 9037.5 });
		expect(sim.control.orders()).toHaveLength(0);

		await json(limitBuy({ tag: 'pos-1', priceType: 'MARKET', quantity: 3 }));
		await ledgerEntry((e) => e.tag === 'pos-1' && e.status === 'FILLED', 'the fill');
		const positions = await json({ resource: 'portfolio', operation: 'positions' });
		expect(positions).toEqual([
			expect.objectContaining({
				refId: 2885,
				netQty: 3,
				buyQty: 3,
				sellQty: 0,
				ltp: 245_000,
				ltpRupees: 2450,
				avgPriceRupees: 2450,
			}),
		]);
		const holdings = await json({ resource: 'portfolio', operation: 'holdings' });
		expect(holdings.map((h) => [h.symbol, h.quantity, h.avgPriceRupees])).toEqual([
			['INFY', 10, 1400],
			['TCS', 5, 3500],
		]);
		const [funds] = await json({ resource: 'portfolio', operation: 'funds' });
		expect(funds).toMatchObject({ startOfDayFundsRupees: 1_000_000, clientCode: 'SIM001' });
		// An intraday buy blocks 20 % of its value: 3 × ₹2,450 × 0.2.
		expect(funds.netMarginAvailableRupees).toBe(1_000_000 - 1470);
	});

	it('Instrument → Search and the list search find ref_ids from symbol, expiry, strike and option type', async () => {
		const found = await json({
			resource: 'instrument',
			operation: 'search',
			searchText: 'NIFTY',
			instrumentFilters: { expiry: '2025-12-30', strike: 24000, optionType: 'PE' },
		});
		expect(found).toEqual([
			expect.objectContaining({
				refId: 4_200_102,
				symbol: 'NIFTY25DEC24000PE',
				lotSize: 75,
				tickSizeRupees: 0.05,
				strikePriceRupees: 24000,
			}),
		]);
		const ctx = executeContext(node, { parameters: {}, credentials });
		const listed = await node.methods.listSearch.searchInstruments.call(
			ctx as unknown as Parameters<typeof node.methods.listSearch.searchInstruments>[0] &
				ThisParameterType<typeof node.methods.listSearch.searchInstruments>,
			'hdfcbank',
		);
		expect(listed.results[0]).toEqual({
			name: 'HDFCBANK · NSE',
			value: '1333',
			description: 'STOCK_HDFCBANK.NSECM',
		});
	});

	it('Continue On Fail: one output per item, the failing one carries the error, pairedItem intact', async () => {
		const prices = [2450.05, 2450.03, 2450.1];
		const out = await run(limitBuy(), {
			items: [{ n: 0 }, { n: 1 }, { n: 2 }],
			perItem: (i) => ({ price: prices[i], tag: `cof-${i}` }),
			continueOnFail: true,
		});
		expect(out.map((item) => item.pairedItem)).toEqual([{ item: 0 }, { item: 1 }, { item: 2 }]);
		expect(out[0].json.placed).toBe(true);
		expect(out[1].json).toMatchObject({ code: 'NUBRA_INVALID_ORDER' });
		expect(String(out[1].json.error)).toContain('not a multiple of its tick size');
		expect(out[2].json.orderPrice).toBe(245_010);
		expect(sim.trading.counts.create).toBe(2);
	});

	it('refuses to run when the credential is not the expected environment, before any request', async () => {
		const error = await failure({ ...limitBuy(), environment: 'production' });
		expect(error.message).toBe(
			'This node expects Nubra Production, but the credential is for Custom',
		);
		expect(requests).toHaveLength(0);
	});

	it('a 440 in the middle of calls causes one shared re-login, then every call succeeds', async () => {
		await json({ resource: 'portfolio', operation: 'funds' });
		expect(sim.control.sessionCounts.logins).toBe(1);
		sim.control.expireSessions();
		const results = await Promise.all([
			json({ resource: 'portfolio', operation: 'funds' }),
			json({ resource: 'portfolio', operation: 'positions' }),
			json({ resource: 'order', operation: 'getMany' }),
		]);
		expect(results[0][0]).toMatchObject({ clientCode: 'SIM001' });
		expect(sim.control.sessionCounts.logins).toBe(2);
		expect(requests.filter((r) => r.status === 440).length).toBeGreaterThanOrEqual(3);
	});

	it('puts no token, MPIN or TOTP secret in any item, error or log line', async () => {
		const logs: string[] = [];
		const seen: unknown[] = [];
		const database = credentialDatabase(credentials);
		const extra = { logs, database, continueOnFail: true };
		seen.push(await json(limitBuy({ tag: 'secret-1' }), extra));
		seen.push(await json({ resource: 'portfolio', operation: 'funds' }, extra));
		seen.push(await json(limitBuy({ price: 2450.03 }), extra));
		seen.push(await json({ resource: 'order', operation: 'cancel', orderIds: '424242' }, extra));
		sim.control.expireSessions();
		seen.push(await json({ resource: 'order', operation: 'getMany' }, extra));
		seen.push(
			await failure({ resource: 'order', operation: 'get', orderId: '1' }, { logs, database }).then(
				(e) => ({ message: e.message, description: (e as NodeApiError).description }),
			),
		);
		const session = JSON.parse(String(database.data.sharedSession)) as {
			sessionToken: string;
			authToken: string;
		};
		const text = JSON.stringify(seen) + logs.join('\n');
		expect(logs.length).toBeGreaterThan(0);
		for (const secret of [
			credentials.mpin,
			credentials.totpSecret,
			session.sessionToken,
			session.authToken,
		]) {
			expect(typeof secret === 'string' && secret.length >= 4).toBe(true);
			expect(text).not.toContain(secret as string);
		}
	});

	it('queues under its rate limit, waits out 429s, and says what to do when they do not stop', async () => {
		const account = nubraAccounts().account(credentialsFromRecord(credentials));
		const trading = tradingFor(account);
		// Client at 5/s against a server at 10/s: a burst of 12 queues (three windows) instead of failing.
		const started = Date.now();
		const margins = await Promise.all(
			Array.from({ length: 12 }, () =>
				json({
					...limitBuy(),
					resource: 'margin',
					operation: 'required',
					options: { maxRequestsPerSecond: 5 },
				}),
			),
		);
		expect(margins).toHaveLength(12);
		expect(Date.now() - started).toBeGreaterThanOrEqual(2_000);
		expect(sim.trading.counts.rateLimited).toBe(0);

		// A server stricter than the client: 429s are waited out and the call succeeds.
		sim.trading.setRateLimit(1);
		const pair = await Promise.all([
			json({ ...limitBuy(), resource: 'margin', operation: 'required' }),
			json({ ...limitBuy(), resource: 'margin', operation: 'required' }),
		]);
		expect(pair.flat()).toHaveLength(2);
		expect(sim.trading.counts.rateLimited).toBeGreaterThanOrEqual(1);

		// No retries left: a NodeApiError with the 429 and what to do.
		trading.configure({ rateLimitRetries: 0 });
		try {
			const settled = await Promise.allSettled([
				json({ ...limitBuy(), resource: 'margin', operation: 'required' }),
				json({ ...limitBuy(), resource: 'margin', operation: 'required' }),
			]);
			const refused = settled.filter((s): s is PromiseRejectedResult => s.status === 'rejected');
			expect(refused.length).toBeGreaterThanOrEqual(1);
			const error = refused[0].reason as Error;
			expect(error).toBeInstanceOf(NodeApiError);
			expect((error as NodeApiError).httpCode).toBe('429');
			expect((error as NodeApiError).description).toContain('Max Requests per Second');
		} finally {
			trading.configure({ rateLimitRetries: 3 });
		}
	}, 15_000);
});

describe('Nubra node with order ids beyond 2^53', () => {
	let sim: RunningSimulator;
	beforeAll(async () => {
		sim = await startSimulator({ bigIds: true, trading: { applyDelayMs: 10 } });
	});
	afterAll(async () => {
		await sim.close();
	});

	it('reads, modifies and cancels them exactly', async () => {
		const credentials = { ...simulatorCredentialFields(sim) };
		const json = async (parameters: INodeParameters) =>
			(
				await runNode(node, { parameters: { environment: 'custom', ...parameters }, credentials })
			).map((i) => i.json);
		const [placed] = await json({
			resource: 'order',
			operation: 'place',
			instrument: { __rl: true, mode: 'id', value: '3045' },
			side: 'SELL',
			quantity: 5,
			priceType: 'LIMIT',
			price: 802.35,
			deliveryType: 'CNC',
			tag: 'big-1',
		});
		const orderId = String(placed.orderId);
		expect(BigInt(orderId) > BigInt(Number.MAX_SAFE_INTEGER)).toBe(true);
		expect(sim.control.orders().map((o) => o.id)).toEqual([orderId]);
		await waitForStatus(sim, orderId, 'OPEN');

		await json({ resource: 'order', operation: 'modify', orderId, changes: { price: 802.4 } });
		await waitForBook(sim, () => sim.control.orders()[0].orderPrice === 80_240, 'the modify');
		const [got] = await json({ resource: 'order', operation: 'get', orderId });
		expect(got).toMatchObject({ orderId, intentOrderId: orderId, orderPriceRupees: 802.4 });
		await json({ resource: 'order', operation: 'cancel', orderIds: orderId });
		await waitForStatus(sim, orderId, 'CANCELLED');
	});
});

/** Waits for the simulator's book, re-checked after each ledger entry. */
function waitForBook(sim: RunningSimulator, condition: () => boolean, what: string): Promise<void> {
	return waitFor(condition, 4_000, what, (recheck) => sim.control.on('ledger', recheck));
}

function waitForStatus(sim: RunningSimulator, orderId: string, status: string): Promise<void> {
	return waitForBook(
		sim,
		() => sim.control.orders().find((o) => o.id === orderId)?.status === status,
		`${orderId} ${status}`,
	);
}
