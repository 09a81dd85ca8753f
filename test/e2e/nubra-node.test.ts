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
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';

import { startSimulator, type RunningSimulator } from '../../simulator';
import {
	connect,
	createUserFolder,
	DEFAULT_OWNER,
	importCredentials,
	importWorkflows,
	type N8nInstance,
	N8nSession,
	n8nId,
	PACKAGE_DIST,
	setupOwner,
	startN8n,
	waitFor,
	waitForExecutions,
	type WorkflowJson,
	type HttpSink,
	startHttpSink,
} from '../../tools/n8n-host';
import {
	CUSTOM_TRIGGER_TYPE,
	EXAMPLES_DIR,
	forCustomExtensions,
	nodeNamed,
	simulatorCredential,
} from './fixtures/examples';

jest.setTimeout(300_000);

const PACKAGE_NODE_TYPE = 'n8n-nodes-nubra.nubra';
const CUSTOM_NODE_TYPE = 'CUSTOM.nubra';
const PACKAGE_TOOL_TYPE = 'n8n-nodes-nubra.nubraTool';
const CUSTOM_TOOL_TYPE = 'CUSTOM.nubraTool';
const EVENTS_PATH = '/events';

function loadNodeExample(name: string): WorkflowJson {
	return JSON.parse(readFileSync(join(EXAMPLES_DIR, `${name}.json`), 'utf8')) as WorkflowJson;
}

/** The trigger rewrite of the shared fixture, plus the Nubra node and tool; every Nubra node on the simulator. */
function forSimulator(
	workflow: WorkflowJson,
	credential: { id: string; name: string },
): WorkflowJson {
	const rewritten = forCustomExtensions(workflow, { nubraApi: credential });
	for (const node of rewritten.nodes) {
		if (node.type === PACKAGE_NODE_TYPE) node.type = CUSTOM_NODE_TYPE;
		if (node.type === PACKAGE_TOOL_TYPE) node.type = CUSTOM_TOOL_TYPE;
		if (node.type === CUSTOM_NODE_TYPE || node.type === CUSTOM_TOOL_TYPE)
			node.parameters.environment = 'custom';
	}
	return rewritten;
}

/** A Google Sheets append node replaced by an HTTP Request posting the same columns. */
function sheetsAsHttp(workflow: WorkflowJson, name: string, url: string): void {
	const sheets = nodeNamed(workflow, name);
	const columns = (sheets.parameters.columns as { value: Record<string, string> }).value;
	sheets.type = 'n8n-nodes-base.httpRequest';
	sheets.typeVersion = 4.4;
	delete sheets.credentials;
	sheets.parameters = {
		method: 'POST',
		url,
		sendBody: true,
		contentType: 'json',
		specifyBody: 'keypair',
		bodyParameters: {
			parameters: Object.entries(columns).map(([key, value]) => ({ name: key, value })),
		},
		options: {},
	};
}

describe('the Nubra node in the pinned n8n, with the simulator', () => {
	let sim: RunningSimulator;
	let sink: HttpSink;
	let n8n: N8nInstance | undefined;
	let session: N8nSession;
	let userFolder: string | undefined;
	let eventsId: string;
	let cancelId: string;
	let placeId: string;
	let dailyId: string;
	const examples = {
		cancel: loadNodeExample('cancel-rest-of-partial-fill'),
		daily: loadNodeExample('positions-funds-to-sheets-daily'),
		agent: loadNodeExample('ai-agent-nubra-read-only'),
	};

	beforeAll(async () => {
		sim = await startSimulator({ trading: { applyDelayMs: 50 } });
		sink = await startHttpSink();
		userFolder = createUserFolder();
		const [credential] = await importCredentials(userFolder, [simulatorCredential(sim)]);
		const nubraRef = { id: credential.id, name: credential.name };

		const events: WorkflowJson = {
			id: n8nId(),
			name: 'Nubra events to sink',
			nodes: [
				{
					name: 'Nubra Trigger',
					type: CUSTOM_TRIGGER_TYPE,
					typeVersion: 1,
					position: [0, 0],
					parameters: { events: ['order', 'trade'], options: { addRupeeAmounts: true } },
					credentials: { nubraApi: nubraRef },
				},
				{
					name: 'POST Event',
					type: 'n8n-nodes-base.httpRequest',
					typeVersion: 4.4,
					position: [240, 0],
					parameters: {
						method: 'POST',
						url: `${sink.url}${EVENTS_PATH}`,
						sendBody: true,
						contentType: 'json',
						specifyBody: 'json',
						jsonBody: '={{ JSON.stringify($json) }}',
						options: {},
					},
				},
			],
			connections: connect([['Nubra Trigger', 'POST Event']]),
			settings: { executionOrder: 'v1' },
		};

		const cancel = forSimulator(examples.cancel, nubraRef);
		// Seconds instead of minutes; under 65 s n8n waits in memory.
		nodeNamed(cancel, 'Wait 5 Minutes').parameters = { amount: 2, unit: 'seconds' };

		const place: WorkflowJson = {
			id: n8nId(),
			name: 'Place an order from a webhook',
			nodes: [
				{
					name: 'Webhook',
					type: 'n8n-nodes-base.webhook',
					typeVersion: 2,
					position: [0, 0],
					webhookId: n8nId(),
					parameters: {
						httpMethod: 'POST',
						path: 'place-order',
						responseMode: 'lastNode',
						options: {},
					},
				},
				{
					name: 'Place Order',
					type: CUSTOM_NODE_TYPE,
					typeVersion: 1,
					position: [240, 0],
					parameters: {
						environment: 'custom',
						resource: 'order',
						operation: 'place',
						instrument: { __rl: true, mode: 'id', value: '2885' },
						side: 'BUY',
						quantity: '={{ $json.body.quantity }}',
						priceType: 'LIMIT',
						price: '={{ $json.body.price }}',
						deliveryType: 'IDAY',
						tag: '={{ $json.body.tag }}',
						options: {},
					},
					credentials: { nubraApi: nubraRef },
				},
			],
			connections: connect([['Webhook', 'Place Order']]),
			settings: { executionOrder: 'v1' },
		};

		const daily = forSimulator(examples.daily, nubraRef);
		sheetsAsHttp(daily, 'Append Positions', `${sink.url}/positions`);
		sheetsAsHttp(daily, 'Append Funds', `${sink.url}/funds`);

		[eventsId, cancelId, placeId, dailyId] = await importWorkflows(userFolder, [
			{ ...events, active: true },
			{ ...cancel, active: true },
			{ ...place, active: true },
			{ ...daily, active: false },
		]);
		n8n = await startN8n({ customExtensionsDir: PACKAGE_DIST, userFolder });
		userFolder = undefined;
		({ session } = await setupOwner(n8n.baseUrl));
		await sim.control.waitForSubscribers(1, 60_000);
	});

	afterAll(async () => {
		await n8n?.stop();
		if (userFolder) rmSync(userFolder, { recursive: true, force: true });
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
	let userFolder: string;

	const funds = async (): Promise<Record<string, unknown>> => {
		const response = await fetch(`${n8n?.baseUrl}/webhook/nubra-funds`, { method: 'POST' });
		expect(response.status).toBe(200);
		return (await response.json()) as Record<string, unknown>;
	};

	beforeAll(async () => {
		sim = await startSimulator();
		userFolder = createUserFolder();
		const [credential] = await importCredentials(userFolder, [
			{
				...simulatorCredential(sim, 'Nubra (stored session)'),
				data: { ...simulatorCredential(sim).data, deviceId: 'n8n-e2e-stored' },
			},
		]);
		const workflow: WorkflowJson = {
			id: n8nId(),
			name: 'Funds over a webhook',
			nodes: [
				{
					name: 'Webhook',
					type: 'n8n-nodes-base.webhook',
					typeVersion: 2,
					position: [0, 0],
					webhookId: n8nId(),
					parameters: {
						httpMethod: 'POST',
						path: 'nubra-funds',
						responseMode: 'lastNode',
						options: {},
					},
				},
				{
					name: 'Get Funds',
					type: CUSTOM_NODE_TYPE,
					typeVersion: 1,
					position: [240, 0],
					parameters: {
						environment: 'custom',
						resource: 'portfolio',
						operation: 'funds',
						options: {},
					},
					credentials: { nubraApi: { id: credential.id, name: credential.name } },
				},
			],
			connections: connect([['Webhook', 'Get Funds']]),
			settings: { executionOrder: 'v1' },
		};
		await importWorkflows(userFolder, [{ ...workflow, active: true }]);
		n8n = await startN8n({ customExtensionsDir: PACKAGE_DIST, userFolder, keepUserFolder: true });
		await setupOwner(n8n.baseUrl);
	});

	afterAll(async () => {
		await n8n?.stop();
		rmSync(userFolder, { recursive: true, force: true });
		await sim?.close();
	});

	it('a new n8n process uses the session the first one stored in the credential', async () => {
		expect(await funds()).toMatchObject({ clientCode: 'SIM001', startOfDayFundsRupees: 1_000_000 });
		expect(sim.control.sessionCounts).toEqual({ logins: 1, sessionsIssued: 1 });

		// Another process on the same database (as a queue-mode worker would be): no login.
		await n8n?.stop();
		n8n = await startN8n({ customExtensionsDir: PACKAGE_DIST, userFolder, keepUserFolder: true });
		const session = new N8nSession(n8n.baseUrl);
		await session.login(DEFAULT_OWNER.email, DEFAULT_OWNER.password);
		expect(await funds()).toMatchObject({ clientCode: 'SIM001' });
		expect(sim.control.sessionCounts).toEqual({ logins: 1, sessionsIssued: 1 });
	});
});
