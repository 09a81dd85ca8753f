/**
 * A burst into an active workflow in a pinned n8n host (tools/n8n-host), through the Nubra
 * Trigger and, as the baseline, through n8n's own Webhook trigger hit as many times.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';

import { generateScenario, simulatorCredentialFields, startSimulator, type LedgerEntry, type RunningSimulator } from '../simulator';
import { n8nHost, N8nPublicApi, type N8nSession, PACKAGE_DIST, startN8nWith, startQueueMode, type WorkflowJson } from '../tools/n8n-host';

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

async function allExecutions(api: N8nPublicApi, workflowId: string, includeData: boolean): Promise<ExecutionListItem[]> {
	return await api.allExecutions({ workflowId, includeData });
}

/** How many of the workflow's executions n8n counts, all of them and the ones still in progress. */
async function executionCounts(session: N8nSession, workflowId: string): Promise<{ all: number; busy: number }> {
	const count = async (filter: Record<string, unknown>): Promise<number> => {
		const query = new URLSearchParams({ limit: '1', filter: JSON.stringify({ workflowId, ...filter }) });
		const page = await session.request<{ count: number }>('GET', `/rest/executions?${query.toString()}`);
		return page.count;
	};
	const [all, busy] = await Promise.all([count({}), count({ status: ['new', 'running', 'waiting'] })]);
	return { all, busy };
}

/**
 * Waits until n8n counts `expected` executions and none in progress (the editor's count: the
 * public API lists only ended executions), or their number stalls, or the deadline passes.
 * Returns them with data.
 */
async function drain(
	api: N8nPublicApi,
	session: N8nSession,
	workflowId: string,
	expected: number,
	log: (line: string) => void,
): Promise<{ executions: ExecutionListItem[]; counted: number }> {
	const deadline = Date.now() + DRAIN_DEADLINE_MS;
	let lastCount = -1;
	let lastChange = Date.now();
	for (;;) {
		// The count without a status filter is of ended executions.
		const { all: ended, busy } = await executionCounts(session, workflowId);
		if (ended !== lastCount) {
			lastCount = ended;
			lastChange = Date.now();
			log(`n8n: ${ended}/${expected} executions ended, ${busy} in progress`);
		}
		if (busy === 0 && ended >= expected) break;
		if (Date.now() - lastChange > STALL_MS || Date.now() > deadline) break;
		await pause(1_000);
	}
	return { executions: await allExecutions(api, workflowId, true), counted: lastCount };
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

export type N8nMode = 'regular' | 'queue';

/** What one mode needs from a running setup: the URL, an API key, and how to stop it. */
interface RunningSetup {
	baseUrl: string;
	apiKey: string;
	startupMs: number;
	workflowIds: string[];
	session: N8nSession;
	stop(): Promise<void>;
}

const QUEUE_WORKERS = 2;

async function startSetup(mode: N8nMode, sim: RunningSimulator, webhookPath: string): Promise<RunningSetup> {
	const host = n8nHost();
	const common = {
		host,
		credentials: [{ name: 'Nubra simulator (bench)', type: 'nubraApi', data: simulatorCredentialFields(sim) }],
		workflows: ([credential]: Array<{ id: string; name: string }>) => benchWorkflows(credential, webhookPath),
		customExtensionsDir: PACKAGE_DIST,
	};
	const started = Date.now();
	if (mode === 'regular') {
		const { n8n, session, workflowIds } = await startN8nWith(common);
		return { baseUrl: n8n.baseUrl, apiKey: await session.createApiKey(), startupMs: n8n.startupMs, workflowIds, session, stop: () => n8n.stop() };
	}
	const queue = await startQueueMode({ ...common, workers: QUEUE_WORKERS });
	return {
		baseUrl: queue.main.n8n.baseUrl,
		apiKey: await queue.main.session.createApiKey(),
		startupMs: Date.now() - started,
		workflowIds: queue.main.workflowIds,
		session: queue.main.session,
		stop: () => queue.stop(),
	};
}

/** Both bursts (Nubra Trigger, then the Webhook baseline) into one mode; a fresh simulator and n8n. */
async function measureMode(
	mode: N8nMode,
	events: number,
	log: (line: string) => void,
): Promise<{ rows: N8nRow[]; startupMs: number; events: number; notes: string[] }> {
	const sim = await startSimulator({});
	let setup: RunningSetup | undefined;
	try {
		const webhookPath = `bench-${randomUUID().slice(0, 8)}`;
		log(`n8n ${mode}: starting ${n8nHost().label}${mode === 'queue' ? ` (main + ${QUEUE_WORKERS} workers, Redis, PostgreSQL)` : ' (SQLite)'}`);
		setup = await startSetup(mode, sim, webhookPath);
		const [nubraWorkflowId, webhookWorkflowId] = setup.workflowIds;
		log(`n8n ${mode}: ready in ${setup.startupMs} ms`);
		const api = new N8nPublicApi(setup.baseUrl, setup.apiKey);
		await sim.control.waitForSubscribers(1, 60_000);

		const rows: N8nRow[] = [];
		const nubraStart = Date.now();
		await burst(sim, events);
		const ledger = [...sim.control.ledger];
		log(`n8n ${mode}: ${ledger.length} Nubra events published in ${Date.now() - nubraStart} ms`);
		const { executions: nubraExecutions, counted: nubraCounted } = await drain(api, setup.session, nubraWorkflowId, ledger.length, log);
		rows.push(
			summarise(`${mode}: Nubra Trigger (this package)`, ledger.length, nubraStart, nubraExecutions, ledger.map(ledgerKey), (e) =>
				triggerItems(e, 'Nubra Trigger').map(itemKey),
			),
		);

		const webhookStart = Date.now();
		await webhookBurst(`${setup.baseUrl}/webhook/${webhookPath}`, ledger.length);
		log(`n8n ${mode}: ${ledger.length} webhook calls answered in ${Date.now() - webhookStart} ms`);
		const { executions: webhookExecutions, counted: webhookCounted } = await drain(api, setup.session, webhookWorkflowId, ledger.length, log);
		rows.push(
			summarise(
				`${mode}: Webhook (built-in, ${WEBHOOK_CONCURRENCY} concurrent callers)`,
				ledger.length,
				webhookStart,
				webhookExecutions,
				ledger.map((_entry, seq) => String(seq)),
				(e) => triggerItems(e, 'Webhook').map((item) => String((item.body as { seq?: unknown } | undefined)?.seq)),
			),
		);
		const notes = [
			[nubraCounted, nubraExecutions.length, 'Nubra'],
			[webhookCounted, webhookExecutions.length, 'webhook'],
		]
			.filter(([counted, listed]) => counted !== listed)
			.map(
				([counted, listed, what]) =>
					`${mode}: n8n counted ${counted} ${what} executions ended; its public API listing (used to match items, so "lost") returned ${listed}.`,
			);
		return { rows, startupMs: setup.startupMs, events: ledger.length, notes };
	} finally {
		await setup?.stop();
		await sim.close();
	}
}

/** The same burst into regular mode and into queue mode, each beside n8n's Webhook trigger as the baseline. */
export async function measureN8n(options: { events: number; log: (line: string) => void; modes?: N8nMode[] }): Promise<N8nResult | { skipped: string }> {
	if (!existsSync(NODE_FILE)) return { skipped: `the node is not built (${NODE_FILE}): run npm run build` };
	const host = n8nHost();
	if (!existsSync(host.n8nBin)) return { skipped: `${host.label} is not installed: run node scripts/ensure-n8n.js` };
	const rows: N8nRow[] = [];
	const modeNotes: string[] = [];
	let startupMs = 0;
	let events = 0;
	for (const mode of options.modes ?? (['regular', 'queue'] as const)) {
		const measured = await measureMode(mode, options.events, options.log);
		rows.push(...measured.rows);
		modeNotes.push(...measured.notes);
		if (mode === 'regular') startupMs = measured.startupMs;
		events = measured.events;
	}
	return {
		n8nVersion: host.label,
		events,
		startupMs,
		rows,
		notes: [
			'Every workflow: trigger → No Operation, executions saved. regular: one n8n process, SQLite.',
			`queue: main + ${QUEUE_WORKERS} workers (default concurrency), Redis and PostgreSQL on this machine; the trigger runs on the main.`,
			'Lost/doubled: Nubra items matched to the simulator ledger by order|status|filled|qty|price; webhook items by seq.',
			...modeNotes,
		],
	};
}
