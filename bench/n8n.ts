/**
 * A burst into an active workflow in the pinned n8n (test/e2e/n8n-host), through the Nubra
 * Trigger and, as the baseline, through n8n's own Webhook trigger hit as many times. Uses the
 * e2e harness (test/e2e/harness) as it stands, loaded from its TypeScript sources.
 */
import { existsSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { randomUUID } from 'node:crypto';

import { generateScenario, simulatorCredentialFields, startSimulator, type LedgerEntry, type RunningSimulator } from '../simulator';
import { registerTypeScript } from './ts-require';

/** The part of the e2e harness the bench uses; test/chaos/harness-contract.ts checks it still fits. */
export interface BenchHarness {
	PACKAGE_DIST: string;
	N8N_BIN: string;
	pinnedN8nVersion(): string;
	createUserFolder(): string;
	importCredentials(
		userFolder: string,
		credentials: Array<{ id?: string; name: string; type: string; data: Record<string, unknown> }>,
	): Promise<Array<{ id: string; name: string }>>;
	importWorkflows(userFolder: string, workflows: BenchWorkflow[]): Promise<string[]>;
	startN8n(options: {
		customExtensionsDir: string | string[];
		userFolder?: string;
		env?: Record<string, string>;
	}): Promise<{ baseUrl: string; startupMs: number; logFile: string; stop(): Promise<void> }>;
	setupOwner(baseUrl: string): Promise<{ session: { createApiKey(label?: string): Promise<string> } }>;
	N8nPublicApi: new (baseUrl: string, apiKey: string) => {
		request<T>(method: string, path: string, body?: unknown): Promise<T>;
	};
}

interface BenchWorkflow {
	name: string;
	nodes: Array<{
		name: string;
		type: string;
		typeVersion: number;
		position: [number, number];
		parameters: Record<string, unknown>;
		credentials?: Record<string, { id: string; name: string }>;
		webhookId?: string;
	}>;
	connections: Record<string, { main: Array<Array<{ node: string; type: 'main'; index: number }>> }>;
}

export interface N8nRow {
	trigger: string;
	/** Events published (ledger entries) or webhook calls made. */
	sent: number;
	executions: number;
	lost: number;
	doubled: number;
	/** Executions that did not end in success. */
	failed: number;
	/** From the first event sent to the last execution stopped. */
	drainMs: number;
	/** Executions ÷ (last stop − first start). */
	executionsPerSecond: number;
}

export interface N8nResult {
	n8nVersion: string;
	events: number;
	startupMs: number;
	rows: N8nRow[];
	notes: string[];
}

interface ExecutionListItem {
	id: string;
	status: string;
	startedAt: string | null;
	stoppedAt: string | null;
	data?: {
		resultData?: {
			runData?: Record<string, Array<{ data?: { main?: Array<Array<{ json: Record<string, unknown> }> | null> } }>>;
		};
	};
}

const PACKAGE_ROOT = resolve(__dirname, '..', '..');
const HARNESS_INDEX = join(PACKAGE_ROOT, 'test', 'e2e', 'harness', 'index.ts');
const NODE_FILE = join(PACKAGE_ROOT, 'dist', 'nodes', 'NubraTrigger', 'NubraTrigger.node.js');
/** Give up waiting for executions when their number has not moved for this long. */
const STALL_MS = 60_000;
const DRAIN_DEADLINE_MS = 15 * 60_000;
const WEBHOOK_CONCURRENCY = 16;

function loadHarness(): BenchHarness {
	registerTypeScript();
	// eslint-disable-next-line @typescript-eslint/no-require-imports
	return require(HARNESS_INDEX) as BenchHarness;
}

function pause(ms: number): Promise<void> {
	return new Promise((resolve) => setTimeout(resolve, ms));
}

type PublicApi = InstanceType<BenchHarness['N8nPublicApi']>;

/** Every execution of a workflow (cursor pages of 250), optionally with data. */
async function allExecutions(api: PublicApi, workflowId: string, includeData: boolean): Promise<ExecutionListItem[]> {
	const executions: ExecutionListItem[] = [];
	let cursor: string | undefined;
	for (let page = 0; page < 1_000; page++) {
		const query = new URLSearchParams({ workflowId, limit: '250', includeData: String(includeData) });
		if (cursor) query.set('cursor', cursor);
		const body = await api.request<{ data: ExecutionListItem[]; nextCursor?: string | null }>(
			'GET',
			`/executions?${query.toString()}`,
		);
		executions.push(...body.data);
		if (!body.nextCursor || body.data.length === 0) break;
		cursor = body.nextCursor;
	}
	return executions;
}

/**
 * Polls until `expected` executions have finished, or their number stalls (some were lost) or
 * the deadline passes. Returns them with data.
 */
async function drain(api: PublicApi, workflowId: string, expected: number, log: (line: string) => void): Promise<ExecutionListItem[]> {
	const deadline = Date.now() + DRAIN_DEADLINE_MS;
	let lastCount = -1;
	let lastChange = Date.now();
	for (;;) {
		const executions = await allExecutions(api, workflowId, false);
		const busy = executions.filter((e) => ['new', 'running', 'waiting'].includes(e.status)).length;
		if (executions.length !== lastCount) {
			lastCount = executions.length;
			lastChange = Date.now();
			log(`n8n: ${executions.length}/${expected} executions, ${busy} still running`);
		}
		if (busy === 0 && executions.length >= expected) break;
		if (Date.now() - lastChange > STALL_MS || Date.now() > deadline) break;
		await pause(1_000);
	}
	return await allExecutions(api, workflowId, true);
}

function triggerItems(execution: ExecutionListItem, node: string): Array<Record<string, unknown>> {
	const runs = execution.data?.resultData?.runData?.[node];
	return (runs?.[0]?.data?.main?.[0] ?? []).map((item) => item.json);
}

function summarise(
	trigger: string,
	sent: number,
	startedAtMs: number,
	executions: readonly ExecutionListItem[],
	expectedKeys: readonly string[],
	keyOf: (execution: ExecutionListItem) => string[],
): N8nRow {
	const seen = new Map<string, number>();
	for (const execution of executions) for (const key of keyOf(execution)) seen.set(key, (seen.get(key) ?? 0) + 1);
	const stops = executions.map((e) => Date.parse(e.stoppedAt ?? '')).filter(Number.isFinite);
	const starts = executions.map((e) => Date.parse(e.startedAt ?? '')).filter(Number.isFinite);
	const lastStop = stops.length > 0 ? Math.max(...stops) : startedAtMs;
	const firstStart = starts.length > 0 ? Math.min(...starts) : startedAtMs;
	return {
		trigger,
		sent,
		executions: executions.length,
		lost: expectedKeys.filter((key) => !seen.has(key)).length,
		doubled: [...seen.values()].filter((count) => count > 1).length,
		failed: executions.filter((e) => e.status !== 'success').length,
		drainMs: lastStop - startedAtMs,
		executionsPerSecond: lastStop > firstStart ? (executions.length * 1000) / (lastStop - firstStart) : 0,
	};
}

function ledgerKey(entry: LedgerEntry): string {
	return `${entry.orderId}|${entry.status}|${entry.filledQty}|${entry.orderQty}|${entry.orderPrice}`;
}

function itemKey(item: Record<string, unknown>): string {
	const n = (value: unknown) => Number(value ?? 0);
	return `${String(item.order_id)}|${String(item.status)}|${n(item.filled_qty)}|${n(item.order_qty)}|${n(item.order_price)}`;
}

/** Plays scenario steps until at least `events` state changes are in the ledger. */
async function burst(sim: RunningSimulator, events: number): Promise<void> {
	const steps = generateScenario({ seed: 99, orders: Math.ceil(events / 2) });
	let changes = 0;
	const cut = steps.findIndex((step) => step.op === 'step' && ++changes >= events);
	await sim.control.play(cut === -1 ? steps : steps.slice(0, cut + 1));
}

async function webhookBurst(url: string, count: number): Promise<void> {
	let next = 0;
	const worker = async () => {
		while (next < count) {
			const seq = next++;
			const response = await fetch(url, {
				method: 'POST',
				headers: { 'content-type': 'application/json' },
				body: JSON.stringify({ seq }),
			});
			await response.arrayBuffer();
			if (response.status !== 200) throw new Error(`webhook call ${seq} answered ${response.status}`);
		}
	};
	await Promise.all(Array.from({ length: WEBHOOK_CONCURRENCY }, worker));
}

export async function measureN8n(options: { events: number; log: (line: string) => void }): Promise<N8nResult | { skipped: string }> {
	if (!existsSync(HARNESS_INDEX)) return { skipped: `the e2e harness is missing (${HARNESS_INDEX})` };
	if (!existsSync(NODE_FILE)) return { skipped: `the node is not built (${NODE_FILE}): run npm run build` };
	const harness = loadHarness();
	if (!existsSync(harness.N8N_BIN)) return { skipped: 'the pinned n8n is not installed: run node scripts/ensure-n8n.js' };
	const { log } = options;
	const sim = await startSimulator({});
	const userFolder = harness.createUserFolder();
	let n8n: Awaited<ReturnType<BenchHarness['startN8n']>> | undefined;
	try {
		const [credential] = await harness.importCredentials(userFolder, [
			{
				name: 'Nubra simulator (bench)',
				type: 'nubraApi',
				data: simulatorCredentialFields(sim),
			},
		]);
		const webhookPath = `bench-${randomUUID().slice(0, 8)}`;
		const noOp = (x: number) => ({ name: 'Done', type: 'n8n-nodes-base.noOp', typeVersion: 1, position: [x, 0] as [number, number], parameters: {} });
		const [nubraWorkflowId, webhookWorkflowId] = await harness.importWorkflows(userFolder, [
			{
				name: 'Bench: Nubra burst',
				nodes: [
					{
						name: 'Nubra Trigger',
						type: 'CUSTOM.nubraTrigger',
						typeVersion: 1,
						position: [0, 0],
						parameters: { events: ['order', 'trade', 'basket'], options: { includeMetadata: true } },
						credentials: { nubraApi: { id: credential.id, name: credential.name } },
					},
					noOp(200),
				],
				connections: { 'Nubra Trigger': { main: [[{ node: 'Done', type: 'main', index: 0 }]] } },
			},
			{
				name: 'Bench: Webhook burst (baseline)',
				nodes: [
					{
						name: 'Webhook',
						type: 'n8n-nodes-base.webhook',
						typeVersion: 2,
						position: [0, 0],
						webhookId: randomUUID(),
						parameters: { httpMethod: 'POST', path: webhookPath, responseMode: 'onReceived', options: {} },
					},
					noOp(200),
				],
				connections: { Webhook: { main: [[{ node: 'Done', type: 'main', index: 0 }]] } },
			},
		]);
		log('n8n: workflows imported and published; starting n8n');
		n8n = await harness.startN8n({ customExtensionsDir: harness.PACKAGE_DIST, userFolder });
		log(`n8n: ready in ${n8n.startupMs} ms (log ${n8n.logFile})`);
		const { session } = await harness.setupOwner(n8n.baseUrl);
		const api = new harness.N8nPublicApi(n8n.baseUrl, await session.createApiKey());
		await sim.control.waitForSubscribers(1, 60_000);

		const rows: N8nRow[] = [];
		const nubraStart = Date.now();
		await burst(sim, options.events);
		const ledger = [...sim.control.ledger];
		log(`n8n: ${ledger.length} Nubra events published in ${Date.now() - nubraStart} ms`);
		const nubraExecutions = await drain(api, nubraWorkflowId, ledger.length, log);
		rows.push(
			summarise('Nubra Trigger (this package)', ledger.length, nubraStart, nubraExecutions, ledger.map(ledgerKey), (e) =>
				triggerItems(e, 'Nubra Trigger').map(itemKey),
			),
		);

		const webhookStart = Date.now();
		await webhookBurst(`${n8n.baseUrl}/webhook/${webhookPath}`, ledger.length);
		log(`n8n: ${ledger.length} webhook calls answered in ${Date.now() - webhookStart} ms`);
		const webhookExecutions = await drain(api, webhookWorkflowId, ledger.length, log);
		rows.push(
			summarise(
				`Webhook (built-in, ${WEBHOOK_CONCURRENCY} concurrent callers)`,
				ledger.length,
				webhookStart,
				webhookExecutions,
				ledger.map((_entry, seq) => String(seq)),
				(e) => triggerItems(e, 'Webhook').map((item) => String((item.body as { seq?: unknown } | undefined)?.seq)),
			),
		);
		return {
			n8nVersion: harness.pinnedN8nVersion(),
			events: ledger.length,
			startupMs: n8n.startupMs,
			rows,
			notes: [
				'Both workflows: trigger → No Operation; n8n regular mode, SQLite, executions saved.',
				'Lost/doubled: Nubra items matched to the simulator ledger by order|status|filled|qty|price; webhook items by seq.',
			],
		};
	} finally {
		// stop() removes the user folder; before n8n started, it is ours to remove.
		if (n8n) await n8n.stop();
		else rmSync(userFolder, { recursive: true, force: true });
		await sim.close();
	}
}
