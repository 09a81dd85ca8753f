/**
 * The Nubra node in the pinned n8n with the simulator: the closed loop and the node's examples.
 * - A workflow places an order with the Nubra node (webhook → Nubra Place); the trigger workflow
 *   hears its OPEN and its partial fill exactly once; examples/cancel-rest-of-partial-fill.json
 *   (its Wait shortened) cancels what was left. One login for the account throughout.
 * - examples/positions-funds-to-sheets-daily.json, its Sheets nodes swapped for HTTP Requests
 *   with the same columns, writes the simulator's positions and funds in rupees.
 * - The examples' node types and versions, the Nubra tool included, exist in the pinned n8n.
 * - The session kept in the credential: a login by the node is stored by n8n (preAuthentication
 *   run by n8n-core, written to its database), and a new n8n process on the same database uses
 *   it instead of logging in; one login in all.
 */
import { rmSync } from 'node:fs';

import { startSimulator, type RunningSimulator } from '../../simulator';
import {
	type HttpSink,
	type N8nInstance,
	type N8nSession,
	PACKAGE_DIST,
	startHttpSink,
	startN8nWith,
	waitFor,
	waitForExecutions,
	type WorkflowJson,
	waitForNubraSubscriptions,
} from '../../tools/n8n-host';
import {
	forCustomExtensions,
	loadExample,
	nodeNamed,
	simulatorCredential,
} from './fixtures/examples';
import {
	chainWorkflow,
	CUSTOM_NODE_TYPE,
	type CredentialRef,
	nubraNode,
	nubraTriggerNode,
	postJsonNode,
	webhookNode,
	withSheetsNodeAsHttp,
} from './fixtures/workflows';

jest.setTimeout(300_000);

const PACKAGE_NODE_TYPE = 'n8n-nodes-nubra.nubra';
const PACKAGE_TOOL_TYPE = 'n8n-nodes-nubra.nubraTool';
const CUSTOM_TOOL_TYPE = 'CUSTOM.nubraTool';
const EVENTS_PATH = '/events';

/** The trigger rewrite of the shared fixture, plus the Nubra node and tool; every Nubra node on the simulator. */
function forSimulator(workflow: WorkflowJson, credential: CredentialRef): WorkflowJson {
	const rewritten = forCustomExtensions(workflow, { nubraApi: credential });
	for (const node of rewritten.nodes) {
		if (node.type === PACKAGE_NODE_TYPE) node.type = CUSTOM_NODE_TYPE;
		if (node.type === PACKAGE_TOOL_TYPE) node.type = CUSTOM_TOOL_TYPE;
		if (node.type === CUSTOM_NODE_TYPE || node.type === CUSTOM_TOOL_TYPE)
			node.parameters.environment = 'custom';
	}
	return rewritten;
}

describe('the Nubra node in the pinned n8n, with the simulator', () => {
	let sim: RunningSimulator;
	let sink: HttpSink;
	let n8n: N8nInstance | undefined;
	let session: N8nSession;
	let eventsId: string;
	let cancelId: string;
	let placeId: string;
	let dailyId: string;
	const examples = {
		cancel: loadExample('cancel-rest-of-partial-fill'),
		daily: loadExample('positions-funds-to-sheets-daily'),
		agent: loadExample('ai-agent-nubra-read-only'),
	};

	beforeAll(async () => {
		sim = await startSimulator({ trading: { applyDelayMs: 50 } });
		sink = await startHttpSink();
		const credential = simulatorCredential(sim);
		const nubraRef = { id: credential.id, name: credential.name };

		const events = chainWorkflow('Nubra events to sink', [
			nubraTriggerNode(
				{ events: ['order', 'trade'], options: { addRupeeAmounts: true } },
				nubraRef,
			),
			postJsonNode('POST Event', `${sink.url}${EVENTS_PATH}`),
		]);

		const cancel = forSimulator(examples.cancel, nubraRef);
		// Seconds instead of minutes; under 65 s n8n waits in memory.
		nodeNamed(cancel, 'Wait 5 Minutes').parameters = { amount: 2, unit: 'seconds' };

		const place = chainWorkflow('Place an order from a webhook', [
			webhookNode('place-order'),
			nubraNode(
				'Place Order',
				{
					resource: 'order',
					operation: 'place',
					instrument: { __rl: true, mode: 'id', value: '2885' },
					side: 'BUY',
					quantity: '={{ $json.body.quantity }}',
					priceType: 'LIMIT',
					price: '={{ $json.body.price }}',
					deliveryType: 'IDAY',
					tag: '={{ $json.body.tag }}',
				},
				nubraRef,
			),
		]);

		const daily = forSimulator(examples.daily, nubraRef);
		withSheetsNodeAsHttp(daily, 'Append Positions', `${sink.url}/positions`);
		withSheetsNodeAsHttp(daily, 'Append Funds', `${sink.url}/funds`);

		const started = await startN8nWith({
			credentials: [credential],
			workflows: [
				{ ...events, active: true },
				{ ...cancel, active: true },
				{ ...place, active: true },
				{ ...daily, active: false },
			],
			customExtensionsDir: PACKAGE_DIST,
		});
		({ n8n, session } = started);
		[eventsId, cancelId, placeId, dailyId] = started.workflowIds;
		await sim.control.waitForSubscribers(1, 60_000);
		// Two triggers (events, cancel) share the socket.
		await waitForNubraSubscriptions(n8n, 2);
	});

	afterAll(async () => {
		await n8n?.stop();
		await sink?.close();
		await sim?.close();
	});

	const eventsFor = (orderId: string) =>
		sink
			.received(EVENTS_PATH)
			.map((request) => request.json as Record<string, unknown>)
			.filter((event) => String(event.order_id) === orderId);

	it('closes the loop: placed by the node, heard by the trigger, the rest cancelled by the example, on one login', async () => {
		const response = await fetch(`${n8n?.baseUrl}/webhook/place-order`, {
			method: 'POST',
			headers: { 'content-type': 'application/json' },
			body: JSON.stringify({ price: 2450.05, quantity: 10, tag: 'loop-1' }),
		});
		expect(response.status).toBe(200);
		const placed = (await response.json()) as Record<string, unknown>;
		expect(placed).toMatchObject({
			placed: true,
			tag: 'loop-1',
			orderPrice: 245_005,
			orderPriceRupees: 2450.05,
			orderQty: 10,
		});
		const orderId = String(placed.orderId);

		await waitFor(() => eventsFor(orderId).some((e) => e.status === 'OPEN'), {
			description: 'the OPEN at the trigger',
		});
		sim.control.applyStep(orderId, { type: 'partialFill', qty: 4 });

		await waitFor(
			() => sim.control.orders().find((o) => o.id === orderId)?.status === 'CANCELLED',
			{
				description: 'the example to cancel the rest',
				timeoutMs: 60_000,
			},
		);
		await waitFor(() => eventsFor(orderId).some((e) => e.status === 'CANCELLED'), {
			description: 'the CANCELLED at the trigger',
		});
		// OPEN, the partial fill and CANCELLED: three trigger runs, all finished; nothing doubled.
		await waitForExecutions(session, eventsId, 3);
		const [cancelRun] = await waitForExecutions(session, cancelId, 1);
		expect(cancelRun.status).toBe('success');

		const events = eventsFor(orderId);
		expect(events.map((e) => [e.event, e.status])).toEqual([
			['order', 'OPEN'],
			['trade', 'PARTIALLY_FILLED'],
			['order', 'CANCELLED'],
		]);
		expect(events[1]).toMatchObject({ trade_qty: 4, trade_price_rupees: 2450.05 });
		const order = sim.control.orders().find((o) => o.id === orderId);
		expect(order).toMatchObject({ status: 'CANCELLED', filledQty: 4, orderQty: 10 });
		expect(await session.listExecutions(eventsId)).toHaveLength(3);
		expect(await session.listExecutions(cancelId)).toHaveLength(1);
		expect(await session.listExecutions(placeId)).toHaveLength(1);
		expect(sim.trading.counts).toMatchObject({ create: 1, cancel: 1 });
		// The trigger's socket and every Nubra node call shared one session.
		expect(sim.control.sessionCounts.logins).toBe(1);
	});

	it('writes positions and funds in rupees (the daily Sheets example, Sheets swapped for HTTP)', async () => {
		const { executionId } = await session.runWorkflowManually(dailyId, 'Every Trading Day 15:35');
		expect(executionId).toBeDefined();
		const [position] = await sink.waitForCount('/positions', 1);
		const [funds] = await sink.waitForCount('/funds', 1);
		// The loop above left 4 RELIANCE bought at ₹2,450.05, valued at ₹2,450.
		expect(position.json).toMatchObject({
			Symbol: 'RELIANCE',
			Exchange: 'NSE',
			Product: 'IDAY',
			'Net Quantity': 4,
			'Average Price (₹)': 2450.05,
			'LTP (₹)': 2450,
			'P&L (₹)': -0.2,
		});
		expect(funds.json).toMatchObject({ 'Start of Day (₹)': 1_000_000 });
		expect(Number((funds.json as Record<string, unknown>)['Margin Available (₹)'])).toBeLessThan(
			1_000_000,
		);
		expect(sim.control.sessionCounts.logins).toBe(1);
	});

	it('knows every node type and version of the three examples, the Nubra tool included', async () => {
		for (const example of Object.values(examples)) {
			// Tool variants are generated at load time and only listed in the editor's type list (below).
			const nodes = forSimulator(example, { id: 'x', name: 'x' }).nodes.filter(
				(node) => node.type !== CUSTOM_TOOL_TYPE,
			);
			const descriptions = await session.request<
				Array<{ name: string; version: number | number[] }>
			>('POST', '/rest/node-types', {
				nodeInfos: nodes.map((node) => ({ name: node.type, version: node.typeVersion })),
			});
			expect(descriptions).toHaveLength(nodes.length);
			nodes.forEach((node, index) => {
				expect(`${node.type.split('.')[0]}.${descriptions[index].name}`).toBe(node.type);
				expect(([] as number[]).concat(descriptions[index].version)).toContain(node.typeVersion);
			});
		}
		// The editor's list of node types: n8n made the Nubra node into an AI tool (usableAsTool).
		const listed = (await (await session.fetch('GET', '/types/nodes.json')).json()) as Array<{
			name: string;
			version: number | number[];
			outputs: unknown;
			properties: Array<{ name: string }>;
		}>;
		const tool = listed.find((type) => type.name === CUSTOM_TOOL_TYPE);
		expect(tool).toBeDefined();
		expect(tool?.outputs).toEqual(['ai_tool']);
		expect(tool?.properties.map((p) => p.name)).toEqual(
			expect.arrayContaining(['toolDescription', 'descriptionType', 'resource', 'operation']),
		);
		// The agent example gives its tools read-only operations only.
		const operations = examples.agent.nodes
			.filter((n) => n.type === PACKAGE_TOOL_TYPE)
			.map((n) => n.parameters.operation);
		expect(operations.sort()).toEqual(['funds', 'getMany', 'positions', 'search']);
	});
});

describe('the session kept in the credential, across n8n processes', () => {
	let sim: RunningSimulator;
	let n8n: N8nInstance | undefined;
	let userFolder: string | undefined;

	const funds = async (): Promise<Record<string, unknown>> => {
		const response = await fetch(`${n8n?.baseUrl}/webhook/nubra-funds`, { method: 'POST' });
		expect(response.status).toBe(200);
		return (await response.json()) as Record<string, unknown>;
	};

	beforeAll(async () => {
		sim = await startSimulator();
		const stored = simulatorCredential(sim, 'Nubra (stored session)');
		const credential = { ...stored, data: { ...stored.data, deviceId: 'n8n-e2e-stored' } };
		const workflow = chainWorkflow('Funds over a webhook', [
			webhookNode('nubra-funds'),
			nubraNode('Get Funds', { resource: 'portfolio', operation: 'funds' }, credential),
		]);
		({ n8n, userFolder } = await startN8nWith({
			credentials: [credential],
			workflows: [{ ...workflow, active: true }],
			customExtensionsDir: PACKAGE_DIST,
			keepUserFolder: true,
		}));
	});

	afterAll(async () => {
		await n8n?.stop();
		if (userFolder) rmSync(userFolder, { recursive: true, force: true });
		await sim?.close();
	});

	it('a new n8n process uses the session the first one stored in the credential', async () => {
		expect(await funds()).toMatchObject({ clientCode: 'SIM001', startOfDayFundsRupees: 1_000_000 });
		expect(sim.control.sessionCounts).toEqual({ logins: 1, sessionsIssued: 1 });

		// Another process on the same database (as a queue-mode worker would be): no login.
		await n8n?.stop();
		({ n8n } = await startN8nWith({
			customExtensionsDir: PACKAGE_DIST,
			userFolder,
			keepUserFolder: true,
			owner: { existing: true },
		}));
		expect(await funds()).toMatchObject({ clientCode: 'SIM001' });
		expect(sim.control.sessionCounts).toEqual({ logins: 1, sessionsIssued: 1 });
	});
});
