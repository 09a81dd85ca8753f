/**
 * A burst into an active workflow in a pinned n8n host (tools/n8n-host), through the Nubra
 * Trigger and, as the baseline, through n8n's own Webhook trigger hit as many times.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';

import { generateScenario, simulatorCredentialFields, startSimulator, type LedgerEntry, type RunningSimulator } from '../simulator';
import { n8nHost, N8nPublicApi, PACKAGE_DIST, startN8nWith, type StartedN8n, type WorkflowJson } from '../tools/n8n-host';

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

const NODE_FILE = join(PACKAGE_DIST, 'nodes', 'NubraTrigger', 'NubraTrigger.node.js');
/** Give up waiting for executions when their number has not moved for this long. */
const STALL_MS = 60_000;
const DRAIN_DEADLINE_MS = 15 * 60_000;
const WEBHOOK_CONCURRENCY = 16;

function pause(ms: number): Promise<void> {
	return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Every execution of a workflow (cursor pages of 250), optionally with data. */
async function allExecutions(api: N8nPublicApi, workflowId: string, includeData: boolean): Promise<ExecutionListItem[]> {
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
async function drain(api: N8nPublicApi, workflowId: string, expected: number, log: (line: string) => void): Promise<ExecutionListItem[]> {
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

/** The two workflows every run measures: the Nubra Trigger and the Webhook baseline, each → No Operation. */
function benchWorkflows(credential: { id: string; name: string }, webhookPath: string): WorkflowJson[] {
	const noOp = { name: 'Done', type: 'n8n-nodes-base.noOp', typeVersion: 1, position: [200, 0] as [number, number], parameters: {} };
	return [
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
				noOp,
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
				noOp,
			],
			connections: { Webhook: { main: [[{ node: 'Done', type: 'main', index: 0 }]] } },
		},
	];
}

export async function measureN8n(options: { events: number; log: (line: string) => void }): Promise<N8nResult | { skipped: string }> {
	if (!existsSync(NODE_FILE)) return { skipped: `the node is not built (${NODE_FILE}): run npm run build` };
	const host = n8nHost();
	if (!existsSync(host.n8nBin)) return { skipped: `${host.label} is not installed: run node scripts/ensure-n8n.js` };
	const { log } = options;
	const sim = await startSimulator({});
	let started: StartedN8n | undefined;
	try {
		const webhookPath = `bench-${randomUUID().slice(0, 8)}`;
		log(`n8n: starting ${host.label} with the bench workflows`);
		started = await startN8nWith({
			host,
			credentials: [{ name: 'Nubra simulator (bench)', type: 'nubraApi', data: simulatorCredentialFields(sim) }],
			workflows: ([credential]) => benchWorkflows(credential, webhookPath),
			customExtensionsDir: PACKAGE_DIST,
		});
		const { n8n, session } = started;
		const [nubraWorkflowId, webhookWorkflowId] = started.workflowIds;
		log(`n8n: ready in ${n8n.startupMs} ms (log ${n8n.logFile})`);
		const api = new N8nPublicApi(n8n.baseUrl, await session.createApiKey());
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
			n8nVersion: host.n8nVersion,
			events: ledger.length,
			startupMs: n8n.startupMs,
			rows,
			notes: [
				'Both workflows: trigger → No Operation; n8n regular mode, SQLite, executions saved.',
				'Lost/doubled: Nubra items matched to the simulator ledger by order|status|filled|qty|price; webhook items by seq.',
			],
		};
	} finally {
		await started?.n8n.stop();
		await sim.close();
	}
}
