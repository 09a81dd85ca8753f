/**
 * The fill examples in the pinned n8n, fed by the simulator playing a scripted scenario:
 * - examples/webhook-on-partial-fills.json posts exactly the scenario's partial fills (its
 *   URL pointed at a local HTTP sink);
 * - examples/log-fills-google-sheets.json, its Google Sheets node swapped for an HTTP Request
 *   that posts the same column mapping (the same expressions) to the sink, records exactly
 *   the fills with the right rupee amounts, in fewer runs than rows (it batches fills);
 * - a simulator drop between frames loses and doubles nothing;
 * - the Slack and Google Sheets examples import as they are (type rewritten), every node type
 *   and version exists in the pinned n8n, and activation fails only for lack of credentials.
 */
import { startSimulator, type LedgerEntry, type RunningSimulator } from '../../simulator';
import {
	type HttpSink,
	N8nHttpError,
	type N8nInstance,
	type N8nSession,
	PACKAGE_DIST,
	type RecordedRequest,
	startHttpSink,
	startN8nWith,
	waitFor,
	waitForExecutions,
	waitForNubraSubscriptions,
} from '../../tools/n8n-host';
import {
	CUSTOM_TRIGGER_TYPE,
	forCustomExtensions,
	loadExample,
	nodeNamed,
	simulatorCredential,
	withSheetsAsHttp,
} from './fixtures/examples';
import {
	entriesOf,
	fills,
	partialFills,
	playOrder,
	playOrders,
	rupees,
	SPECS,
} from './fixtures/scenario';

jest.setTimeout(300_000);

const FILLS_PATH = '/fills';
const ROWS_PATH = '/sheet-rows';

function bodies(requests: RecordedRequest[]): Array<Record<string, unknown>> {
	return requests.map((request) => request.json as Record<string, unknown>);
}

/** What the webhook example posts for a fill (the trigger's item), reduced to comparable fields. */
function postedFill(body: Record<string, unknown>) {
	return {
		order_id: String(body.order_id),
		status: body.status,
		trade_qty: Number(body.trade_qty),
		trade_price: Number(body.trade_price),
		trade_price_rupees: Number(body.trade_price_rupees),
		display_name: body.display_name,
	};
}

function expectedFill(entry: LedgerEntry) {
	return {
		order_id: entry.orderId,
		status: entry.status,
		trade_qty: entry.tradeQty,
		trade_price: entry.tradePrice,
		trade_price_rupees: rupees(entry.tradePrice!),
		display_name: entry.displayName,
	};
}

/** A sheet row as the example's column mapping makes it. */
function sheetRow(body: Record<string, unknown>) {
	return {
		orderId: String(body['Order ID']),
		symbol: body.Symbol,
		side: body.Side,
		qty: Number(body['Fill Quantity']),
		rupees: Number(body['Fill Price (₹)']),
		tag: body.Tag,
		time: body.Time,
	};
}

function expectedRow(entry: LedgerEntry) {
	return {
		orderId: entry.orderId,
		symbol: entry.displayName,
		side: entry.side,
		qty: entry.tradeQty,
		rupees: rupees(entry.tradePrice!),
		tag: entry.tag,
		time: new Date(entry.at).toISOString(),
	};
}

const byKey = <T extends { order_id?: string; orderId?: string; trade_qty?: number; qty?: number }>(
	a: T,
	b: T,
) => JSON.stringify(a).localeCompare(JSON.stringify(b));

describe('fill examples in the pinned n8n, fed by the simulator', () => {
	let sim: RunningSimulator;
	let sink: HttpSink;
	let n8n: N8nInstance | undefined;
	let session: N8nSession;
	let webhookId: string;
	let rowsId: string;
	let slackId: string;
	let sheetsId: string;
	const played: LedgerEntry[] = [];
	/** Fills the trigger could only learn from a catch-up, as one trade per order. */
	const recoveredPosts: Array<ReturnType<typeof expectedFill>> = [];
	const recoveredRows: Array<ReturnType<typeof expectedRow>> = [];
	const slack = forCustomExtensions(loadExample('alert-on-rejection-slack'));
	const sheets = forCustomExtensions(loadExample('log-fills-google-sheets'));

	/** Both sinks hold exactly what the ledger says, and every run has finished. */
	async function expectSinksToMatchLedger(): Promise<void> {
		const expectedPosts = [...partialFills(played).map(expectedFill), ...recoveredPosts];
		const expectedRows = [...fills(played).map(expectedRow), ...recoveredRows];
		await sink.waitForCount(FILLS_PATH, expectedPosts.length);
		await sink.waitForCount(ROWS_PATH, expectedRows.length);
		// Every execution done: a doubled event would have been posted by now.
		await waitForExecutions(session, webhookId, expectedPosts.length);
		// The fills example batches: every row is posted, so every run has started; wait for them all to end.
		const rowRuns = await waitFor(
			async () => {
				const runs = await session.listExecutions(rowsId);
				return runs.every((run) => !['new', 'running', 'waiting'].includes(run.status))
					? runs
					: undefined;
			},
			{ timeoutMs: 60_000, intervalMs: 500, description: 'every run of the fills example to end' },
		);
		expect(bodies(sink.received(FILLS_PATH)).map(postedFill).sort(byKey)).toEqual(
			expectedPosts.sort(byKey),
		);
		expect(bodies(sink.received(ROWS_PATH)).map(sheetRow).sort(byKey)).toEqual(
			expectedRows.sort(byKey),
		);
		expect(await session.listExecutions(webhookId)).toHaveLength(expectedPosts.length);
		expect(rowRuns.length).toBeGreaterThan(0);
		expect(rowRuns.length).toBeLessThanOrEqual(expectedRows.length);
	}

	beforeAll(async () => {
		sim = await startSimulator();
		sink = await startHttpSink();
		const nubra = simulatorCredential(sim);
		const nubraRef = { nubraApi: { id: nubra.id, name: nubra.name } };

		const webhook = forCustomExtensions(loadExample('webhook-on-partial-fills'), nubraRef);
		nodeNamed(webhook, 'POST Fill').parameters.url = `${sink.url}${FILLS_PATH}`;
		const rows = withSheetsAsHttp(
			forCustomExtensions(loadExample('log-fills-google-sheets'), nubraRef),
			`${sink.url}${ROWS_PATH}`,
		);
		// The example files say `active: false` (importWorkflows then leaves them unpublished).
		let workflowIds: string[];
		({ n8n, session, workflowIds } = await startN8nWith({
			credentials: [nubra],
			workflows: [
				{ ...webhook, active: true },
				{ ...rows, active: true },
				{ ...slack, active: false },
				{ ...sheets, active: false },
			],
			customExtensionsDir: PACKAGE_DIST,
		}));
		[webhookId, rowsId, slackId, sheetsId] = workflowIds;
		console.log(`n8n ready in ${n8n.startupMs} ms (log ${n8n.logFile})`);
		// Both workflows use one credential: one login, one socket for both.
		await sim.control.waitForSubscribers(1, 60_000);
		await waitForNubraSubscriptions(n8n, 2);
	});

	afterAll(async () => {
		await n8n?.stop();
		await sink?.close();
		await sim?.close();
	});

	it('posts exactly the partial fills, and logs exactly the fills in rupees', async () => {
		const orders = playOrders(sim.control, [
			{
				spec: { ...SPECS.reliance, side: 'BUY', qty: 10, price: 245_035, tag: 'e2e-a1' },
				steps: [
					{ type: 'accept' },
					{ type: 'partialFill', qty: 4 },
					{ type: 'partialFill', qty: 3 },
					{ type: 'fill' },
				],
			},
			{
				spec: { ...SPECS.tcs, side: 'SELL', qty: 5, price: 390_055, tag: 'e2e-a2' },
				steps: [{ type: 'accept' }, { type: 'fill' }],
			},
			{
				spec: { ...SPECS.infy, side: 'BUY', qty: 8, price: 150_215, tag: 'e2e-a3' },
				steps: [
					{ type: 'accept' },
					{ type: 'partialFill', qty: 2 },
					{ type: 'modify', price: 150_490 },
					{ type: 'partialFill', qty: 2 },
					{ type: 'cancel' },
				],
			},
			{
				spec: { ...SPECS.sbin, side: 'BUY', qty: 100, price: 80_235, tag: 'e2e-a4' },
				steps: [{ type: 'reject', reason: 'RMS: Insufficient margin' }],
			},
			{
				spec: { ...SPECS.niftyCe, side: 'BUY', qty: 150, price: 12_045, tag: 'e2e-a5' },
				steps: [{ type: 'accept' }, { type: 'partialFill', qty: 75 }, { type: 'fill' }],
			},
			{
				spec: { ...SPECS.hdfc, side: 'SELL', qty: 20, price: 165_485, tag: 'e2e-a6' },
				steps: [{ type: 'accept' }, { type: 'cancel' }],
			},
		]);
		played.push(...entriesOf(orders));
		// The script's own arithmetic: 4 partial fills (RELIANCE 4+3, INFY 2+2) plus NIFTY 75;
		// 8 fills in all, INFY's second at the modified price.
		expect(partialFills(played)).toHaveLength(5);
		expect(fills(played)).toHaveLength(8);
		expect(fills(played).map((entry) => entry.tradePrice)).toContain(150_490);
		await expectSinksToMatchLedger();
		expect(sink.received(FILLS_PATH).every((request) => request.method === 'POST')).toBe(true);
		expect(sink.received(FILLS_PATH)[0].headers['content-type']).toMatch(/application\/json/);
	});

	it('loses and doubles nothing across a drop between frames', async () => {
		const order = playOrder(sim.control, {
			spec: { ...SPECS.relianceBse, side: 'SELL', qty: 9, price: 245_015, tag: 'e2e-drop' },
			steps: [],
		});
		// The shared socket is destroyed right after its next two frames.
		sim.control.dropAfter(2);
		played.push(sim.control.applyStep(order.id, { type: 'accept' }));
		played.push(sim.control.applyStep(order.id, { type: 'partialFill', qty: 3 }));
		await sim.control.waitForDisconnect(30_000);
		await sim.control.waitForSubscribers(1, 60_000);
		played.push(sim.control.applyStep(order.id, { type: 'partialFill', qty: 3 }));
		played.push(sim.control.applyStep(order.id, { type: 'fill' }));
		await expectSinksToMatchLedger();
	});

	it('logs fills made while the feed was down once, as one row with their total and average price', async () => {
		const order = playOrder(sim.control, {
			spec: { ...SPECS.tcs, side: 'BUY', qty: 12, price: 250_000, tag: 'e2e-missed' },
			steps: [{ type: 'accept' }, { type: 'partialFill', qty: 5 }],
		});
		played.push(...order.entries);
		await expectSinksToMatchLedger();

		// The workflows' socket goes and stays away while the order is modified and fills twice.
		sim.control.refuseConnections(1_000);
		sim.control.dropAfter(0);
		await waitFor(() => sim.control.subscriberCount === 0, {
			timeoutMs: 30_000,
			description: 'the socket to drop',
		});
		const missed = [
			sim.control.applyStep(order.id, { type: 'modify', price: 250_700 }),
			sim.control.applyStep(order.id, { type: 'partialFill', qty: 3 }),
			sim.control.applyStep(order.id, { type: 'modify', price: 251_300 }),
			sim.control.applyStep(order.id, { type: 'partialFill', qty: 2 }),
		];
		sim.control.refuseConnections(0);
		await sim.control.waitForSubscribers(1, 60_000);

		// 3 @ 2,507.00 and 2 @ 2,513.00 missed: 5 @ 2,509.40, still 10 of 12 filled.
		const last = missed[missed.length - 1];
		recoveredPosts.push({
			order_id: order.id,
			status: 'PARTIALLY_FILLED',
			trade_qty: 5,
			trade_price: 250_940,
			trade_price_rupees: 2_509.4,
			display_name: 'TCS',
		});
		recoveredRows.push({
			orderId: order.id,
			symbol: 'TCS',
			side: 'BUY',
			qty: 5,
			rupees: 2_509.4,
			tag: 'e2e-missed',
			time: new Date(last.at).toISOString(),
		});
		// Both catch-ups report the missed fills before the order fills live, so the rows are
		// known in advance (a live fill that overtook a catch-up would report them itself).
		await expectSinksToMatchLedger();
		played.push(sim.control.applyStep(order.id, { type: 'fill' }));
		await expectSinksToMatchLedger();
	});

	it('imports the Slack and Google Sheets examples with every node type known to the pinned n8n', async () => {
		for (const [id, original] of [
			[slackId, slack],
			[sheetsId, sheets],
		] as const) {
			const stored = await session.getWorkflow(id);
			expect(stored.nodes.map((node) => node.type).sort()).toEqual(
				original.nodes.map((node) => node.type).sort(),
			);
			expect(stored.nodes.map((node) => node.type)).toContain(CUSTOM_TRIGGER_TYPE);
			// What the editor asks for when it opens a workflow: one description per node type and
			// version (an unknown one makes the whole request fail).
			const descriptions = await session.request<
				Array<{ name: string; version: number | number[] }>
			>('POST', '/rest/node-types', {
				nodeInfos: original.nodes.map((node) => ({ name: node.type, version: node.typeVersion })),
			});
			// In request order, named without the package prefix.
			expect(descriptions).toHaveLength(original.nodes.length);
			original.nodes.forEach((node, index) => {
				const description = descriptions[index];
				expect(`${node.type.split('.')[0]}.${description.name}`).toBe(node.type);
				expect(([] as number[]).concat(description.version)).toContain(node.typeVersion);
			});
		}
		// The check has teeth: n8n refuses a type or a version it does not have.
		for (const nodeInfos of [
			[{ name: 'n8n-nodes-base.slackk', version: 2.4 }],
			[{ name: 'CUSTOM.nubraTriggerr', version: 1 }],
		]) {
			await expect(session.request('POST', '/rest/node-types', { nodeInfos })).rejects.toThrow();
		}
	});

	it('refuses to activate the Slack and Google Sheets examples only for their placeholder credentials', async () => {
		for (const id of [slackId, sheetsId]) {
			const error = await session.activateWorkflow(id).then(
				() => undefined,
				(reason: unknown) => reason,
			);
			expect(error).toBeInstanceOf(N8nHttpError);
			const message = (error as N8nHttpError).body;
			expect(message).not.toMatch(
				/unrecognized node type|unknown node type|node type .* (is )?not known|could not find/i,
			);
			// The trigger got as far as asking for its (placeholder) credential.
			expect(message).toMatch(
				/Credential with ID \\?"REPLACE_NUBRA_CRED\\?" does not exist for type \\?"nubraApi\\?"/,
			);
		}
		// Nothing new connected to the simulator, and the two fill workflows are untouched.
		expect(sim.control.subscriberCount).toBe(1);
		await expectSinksToMatchLedger();
	});
});
