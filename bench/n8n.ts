/**
 * Bursts into active workflows in a pinned n8n host (tools/n8n-host), in regular mode and in
 * queue mode (main + workers, Redis, PostgreSQL): through the Nubra Trigger one execution per
 * event, the same burst with Batch Events, and as the baseline n8n's own Webhook trigger hit as
 * many times. In regular mode also a burst into a destination that allows 60 requests a minute
 * (like Google Sheets), with and without batching: rows lost and delayed. Every Nubra workflow
 * is active throughout and filters on its burst's tag, so one burst reaches one workflow.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';

import {
	generateScenario,
	simulatorCredentialFields,
	startSimulator,
	type LedgerEntry,
	type RunningSimulator,
} from '../simulator';
import {
	n8nHost,
	N8nPublicApi,
	PACKAGE_DIST,
	startN8nWith,
	startQueueMode,
	type WorkflowJson,
} from '../tools/n8n-host';
import { startRateLimitedSink, type RateLimitedSink } from './rate-limited-sink';

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
	/** Events (webhook calls) carried by the executions ÷ drain time: end to end. */
	eventsPerSecond: number;
}

/** One workflow writing each execution's events to the rate-limited sink in one request. */
export interface RateLimitedRow {
	trigger: string;
	events: number;
	executions: number;
	/** Requests the sink accepted and refused (429). */
	requestsAccepted: number;
	requestsRefused: number;
	/** Events whose row the sink accepted; the rest are lost (no retries configured). */
	rowsWritten: number;
	rowsLost: number;
	/** From the event's change in the simulator to the sink accepting its row. */
	delayMedianMs: number;
	delayMaxMs: number;
}

export type N8nMode = 'regular' | 'queue';

export interface N8nResult {
	n8nVersion: string;
	events: number;
	startupMs: number;
	/** Every mode's rows, labelled with the mode. */
	rows: N8nRow[];
	/** Regular mode's rows by name, for `--json` readers. */
	perEvent: N8nRow;
	batched: N8nRow & { maxEvents: number; maxWaitSeconds: number };
	webhook: N8nRow;
	rateLimited: { limitPerMinute: number; rows: RateLimitedRow[] };
	notes: string[];
}

interface ExecutionListItem {
	id: string;
	status: string;
	startedAt: string | null;
	stoppedAt: string | null;
	data?: {
		resultData?: {
			runData?: Record<
				string,
				Array<{ data?: { main?: Array<Array<{ json: Record<string, unknown> }> | null> } }>
			>;
		};
	};
}

const NODE_FILE = join(PACKAGE_DIST, 'nodes', 'NubraTrigger', 'NubraTrigger.node.js');
const QUEUE_WORKERS = 2;
/** Give up waiting for executions when their number has not moved for this long. */
const STALL_MS = 60_000;
const DRAIN_DEADLINE_MS = 15 * 60_000;
const WEBHOOK_CONCURRENCY = 16;
const BATCH = { maxEvents: 100, maxWaitSeconds: 1 };
/** The destination's quota, as Google Sheets' writes per minute per user. */
const SINK_LIMIT_PER_MINUTE = 60;
/** Without an expected count, executions are done when none ran and none started for this long. */
const QUIET_MS = 3_000;
const TAGS = {
	perEvent: 'bench-each',
	batched: 'bench-batched',
	sinkPerEvent: 'bench-sink-each',
	sinkBatched: 'bench-sink-batched',
};

function pause(ms: number): Promise<void> {
	return new Promise((resolve) => setTimeout(resolve, ms));
}

async function allExecutions(
	api: N8nPublicApi,
	workflowId: string,
	includeData: boolean,
): Promise<ExecutionListItem[]> {
	return await api.allExecutions({ workflowId, includeData });
}

/**
 * Polls until `expected` executions have finished (without `expected`: until none is running
 * and none started for QUIET_MS), or their number stalls (some were lost) or the deadline
 * passes. Returns them with data.
 */
async function drain(
	api: N8nPublicApi,
	workflowId: string,
	expected: number | undefined,
	log: (line: string) => void,
): Promise<ExecutionListItem[]> {
	const deadline = Date.now() + DRAIN_DEADLINE_MS;
	let lastCount = -1;
	let lastChange = Date.now();
	for (;;) {
		let executions: ExecutionListItem[];
		try {
			executions = await allExecutions(api, workflowId, false);
		} catch (error) {
			// A loaded n8n may drop a poll while thousands of executions run: poll again, within the deadline.
			if (Date.now() > deadline) throw error;
			log(
				`n8n: polling executions failed (${error instanceof Error ? error.message : String(error)}); retrying`,
			);
			await pause(2_000);
			continue;
		}
		const busy = executions.filter((e) => ['new', 'running', 'waiting'].includes(e.status)).length;
		if (executions.length !== lastCount) {
			lastCount = executions.length;
			lastChange = Date.now();
			log(`n8n: ${executions.length}/${expected ?? '?'} executions, ${busy} still running`);
		}
		if (busy === 0 && expected !== undefined && executions.length >= expected) break;
		if (
			busy === 0 &&
			expected === undefined &&
			executions.length > 0 &&
			Date.now() - lastChange > QUIET_MS
		)
			break;
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
	let carried = 0;
	for (const execution of executions) {
		for (const key of keyOf(execution)) {
			seen.set(key, (seen.get(key) ?? 0) + 1);
			carried++;
		}
	}
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
		executionsPerSecond:
			lastStop > firstStart ? (executions.length * 1000) / (lastStop - firstStart) : 0,
		eventsPerSecond: lastStop > startedAtMs ? (carried * 1000) / (lastStop - startedAtMs) : 0,
	};
}

function ledgerKey(entry: LedgerEntry): string {
	return `${entry.orderId}|${entry.status}|${entry.filledQty}|${entry.orderQty}|${entry.orderPrice}`;
}

function itemKey(item: Record<string, unknown>): string {
	const n = (value: unknown) => Number(value ?? 0);
	return `${String(item.order_id)}|${String(item.status)}|${n(item.filled_qty)}|${n(item.order_qty)}|${n(item.order_price)}`;
}

/**
 * Plays scenario steps until at least `events` state changes are in the ledger, every order
 * tagged `tag`. Returns the ledger entries of this burst.
 */
async function burst(sim: RunningSimulator, events: number, tag: string): Promise<LedgerEntry[]> {
	const steps = generateScenario({ seed: 99, orders: Math.ceil(events / 2) }).map((step) =>
		step.op === 'place' ? { ...step, spec: { ...step.spec, tag } } : step,
	);
	let changes = 0;
	const cut = steps.findIndex((step) => step.op === 'step' && ++changes >= events);
	const before = sim.control.ledger.length;
	await sim.control.play(cut === -1 ? steps : steps.slice(0, cut + 1));
	return sim.control.ledger.slice(before);
}

function median(values: number[]): number {
	if (values.length === 0) return 0;
	const sorted = [...values].sort((a, b) => a - b);
	return sorted[Math.floor(sorted.length / 2)];
}

/** What the rate-limited sink made of one workflow's burst. */
function rateLimitedRow(
	trigger: string,
	ledger: readonly LedgerEntry[],
	executions: readonly ExecutionListItem[],
	sink: RateLimitedSink,
	path: string,
): RateLimitedRow {
	const changedAt = new Map(ledger.map((entry) => [ledgerKey(entry), entry.at]));
	const record = sink.record(path);
	const written = new Set<string>();
	const delays: number[] = [];
	for (const { row, at } of record.accepted) {
		const key = itemKey(row);
		const changed = changedAt.get(key);
		if (changed === undefined || written.has(key)) continue;
		written.add(key);
		delays.push(at - changed);
	}
	return {
		trigger,
		events: ledger.length,
		executions: executions.length,
		requestsAccepted: record.acceptedRequests,
		requestsRefused: record.refusedRequests,
		rowsWritten: written.size,
		rowsLost: ledger.length - written.size,
		delayMedianMs: median(delays),
		delayMaxMs: delays.length > 0 ? Math.max(...delays) : 0,
	};
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
			if (response.status !== 200)
				throw new Error(`webhook call ${seq} answered ${response.status}`);
		}
	};
	await Promise.all(Array.from({ length: WEBHOOK_CONCURRENCY }, worker));
}

type WorkflowNode = WorkflowJson['nodes'][number];

/** A throwaway n8n in one mode, with the bench workflows published. */
interface RunningSetup {
	baseUrl: string;
	apiKey: string;
	startupMs: number;
	workflowIds: string[];
	stop(): Promise<void>;
}

async function startSetup(
	mode: N8nMode,
	sim: RunningSimulator,
	workflows: (credential: { id: string; name: string }) => WorkflowJson[],
): Promise<RunningSetup> {
	const common = {
		host: n8nHost(),
		credentials: [
			{ name: 'Nubra simulator (bench)', type: 'nubraApi', data: simulatorCredentialFields(sim) },
		],
		workflows: ([credential]: Array<{ id: string; name: string }>) => workflows(credential),
		customExtensionsDir: PACKAGE_DIST,
	};
	const started = Date.now();
	if (mode === 'regular') {
		const { n8n, session, workflowIds } = await startN8nWith(common);
		return {
			baseUrl: n8n.baseUrl,
			apiKey: await session.createApiKey(),
			startupMs: n8n.startupMs,
			workflowIds,
			stop: () => n8n.stop(),
		};
	}
	const queue = await startQueueMode({ ...common, workers: QUEUE_WORKERS });
	return {
		baseUrl: queue.main.n8n.baseUrl,
		apiKey: await queue.main.session.createApiKey(),
		startupMs: Date.now() - started,
		workflowIds: queue.main.workflowIds,
		stop: () => queue.stop(),
	};
}

interface ModeResult {
	perEvent: N8nRow;
	batched: N8nRow;
	webhook: N8nRow;
	rateLimited: RateLimitedRow[];
	startupMs: number;
}

/** Every burst into one mode; a fresh simulator, sink and n8n. */
async function measureMode(
	mode: N8nMode,
	events: number,
	log: (line: string) => void,
): Promise<ModeResult> {
	const sim = await startSimulator({});
	const sink = await startRateLimitedSink({ limit: SINK_LIMIT_PER_MINUTE, windowMs: 60_000 });
	let setup: RunningSetup | undefined;
	try {
		const webhookPath = `bench-${randomUUID().slice(0, 8)}`;
		const noOp = (x: number): WorkflowNode => ({
			name: 'Done',
			type: 'n8n-nodes-base.noOp',
			typeVersion: 1,
			position: [x, 0],
			parameters: {},
		});
		const batchOptions = {
			batchEvents: true,
			batchMaxEvents: BATCH.maxEvents,
			batchMaxWaitSeconds: BATCH.maxWaitSeconds,
		};
		const chain = (first: string, ...rest: string[]): WorkflowJson['connections'] => {
			const connections: WorkflowJson['connections'] = {};
			[first, ...rest].forEach((name, index, names) => {
				if (index < names.length - 1)
					connections[name] = { main: [[{ node: names[index + 1], type: 'main', index: 0 }]] };
			});
			return connections;
		};
		const workflows = (credential: { id: string; name: string }): WorkflowJson[] => {
			const nubraTrigger = (
				tag: string,
				extraOptions: Record<string, unknown> = {},
			): WorkflowNode => ({
				name: 'Nubra Trigger',
				type: 'CUSTOM.nubraTrigger',
				typeVersion: 1,
				position: [0, 0],
				parameters: {
					events: ['order', 'trade', 'basket'],
					filters: { tags: [tag] },
					options: { includeMetadata: true, ...extraOptions },
				},
				credentials: { nubraApi: { id: credential.id, name: credential.name } },
			});
			/** Trigger → Aggregate → one POST of all the execution's rows, as Sheets appends them. */
			const toRateLimitedSink = (
				name: string,
				tag: string,
				path: string,
				extraOptions: Record<string, unknown>,
			): WorkflowJson => ({
				name,
				nodes: [
					nubraTrigger(tag, extraOptions),
					{
						name: 'Aggregate',
						type: 'n8n-nodes-base.aggregate',
						typeVersion: 1,
						position: [200, 0],
						parameters: {
							aggregate: 'aggregateAllItemData',
							destinationFieldName: 'rows',
							include: 'specifiedFields',
							fieldsToInclude: 'order_id, status, filled_qty, order_qty, order_price',
						},
					},
					{
						name: 'Append Rows',
						type: 'n8n-nodes-base.httpRequest',
						typeVersion: 4.4,
						position: [400, 0],
						parameters: {
							method: 'POST',
							url: `${sink.url}${path}`,
							sendBody: true,
							contentType: 'json',
							specifyBody: 'json',
							jsonBody: '={{ JSON.stringify({ rows: $json.rows }) }}',
							options: {},
						},
					},
				],
				connections: chain('Nubra Trigger', 'Aggregate', 'Append Rows'),
			});
			return [
				{
					name: 'Bench: Nubra burst, one execution per event',
					nodes: [nubraTrigger(TAGS.perEvent), noOp(200)],
					connections: chain('Nubra Trigger', 'Done'),
				},
				{
					name: 'Bench: Nubra burst, batched',
					nodes: [nubraTrigger(TAGS.batched, batchOptions), noOp(200)],
					connections: chain('Nubra Trigger', 'Done'),
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
							parameters: {
								httpMethod: 'POST',
								path: webhookPath,
								responseMode: 'onReceived',
								options: {},
							},
						},
						noOp(200),
					],
					connections: chain('Webhook', 'Done'),
				},
				toRateLimitedSink(
					'Bench: 60/min destination, one execution per event',
					TAGS.sinkPerEvent,
					'/per-event',
					{},
				),
				toRateLimitedSink(
					'Bench: 60/min destination, batched',
					TAGS.sinkBatched,
					'/batched',
					batchOptions,
				),
			];
		};
		log(
			`n8n ${mode}: starting ${n8nHost().label}${mode === 'queue' ? ` (main + ${QUEUE_WORKERS} workers, Redis, PostgreSQL)` : ' (SQLite)'}`,
		);
		setup = await startSetup(mode, sim, workflows);
		const [perEventId, batchedId, webhookWorkflowId, sinkPerEventId, sinkBatchedId] =
			setup.workflowIds;
		log(`n8n ${mode}: ready in ${setup.startupMs} ms`);
		const api = new N8nPublicApi(setup.baseUrl, setup.apiKey);
		// Every Nubra workflow shares the account's one socket.
		await sim.control.waitForSubscribers(1, 60_000);

		const nubraBurst = async (
			label: string,
			workflowId: string,
			tag: string,
			oneExecutionPerEvent: boolean,
		): Promise<N8nRow> => {
			const startedAt = Date.now();
			const ledger = await burst(sim, events, tag);
			log(
				`n8n ${mode}: ${ledger.length} Nubra events (${label}) published in ${Date.now() - startedAt} ms`,
			);
			const executions = await drain(
				api,
				workflowId,
				oneExecutionPerEvent ? ledger.length : undefined,
				log,
			);
			return summarise(
				`${mode}: ${label}`,
				ledger.length,
				startedAt,
				executions,
				ledger.map(ledgerKey),
				(e) => triggerItems(e, 'Nubra Trigger').map(itemKey),
			);
		};
		const perEvent = await nubraBurst(
			'Nubra Trigger, one execution per event',
			perEventId,
			TAGS.perEvent,
			true,
		);
		const batched = await nubraBurst(
			`Nubra Trigger, Batch Events (${BATCH.maxEvents} events or ${BATCH.maxWaitSeconds} s)`,
			batchedId,
			TAGS.batched,
			false,
		);

		const webhookStart = Date.now();
		await webhookBurst(`${setup.baseUrl}/webhook/${webhookPath}`, perEvent.sent);
		log(`n8n ${mode}: ${perEvent.sent} webhook calls answered in ${Date.now() - webhookStart} ms`);
		const webhookExecutions = await drain(api, webhookWorkflowId, perEvent.sent, log);
		const webhook = summarise(
			`${mode}: Webhook (built-in, ${WEBHOOK_CONCURRENCY} concurrent callers)`,
			perEvent.sent,
			webhookStart,
			webhookExecutions,
			Array.from({ length: perEvent.sent }, (_entry, seq) => String(seq)),
			(e) =>
				triggerItems(e, 'Webhook').map((item) =>
					String((item.body as { seq?: unknown } | undefined)?.seq),
				),
		);
		if (mode !== 'regular')
			return { perEvent, batched, webhook, rateLimited: [], startupMs: setup.startupMs };

		// The same burst, one after the other, into a destination allowing 60 requests a minute
		// (each workflow its own path, so its own quota).
		const rateLimitedBurst = async (
			label: string,
			workflowId: string,
			tag: string,
			path: string,
			oneExecutionPerEvent: boolean,
		) => {
			const startedAt = Date.now();
			const ledger = await burst(sim, events, tag);
			log(
				`n8n: ${ledger.length} Nubra events for the ${SINK_LIMIT_PER_MINUTE}/min destination (${label}) published in ${Date.now() - startedAt} ms`,
			);
			const executions = await drain(
				api,
				workflowId,
				oneExecutionPerEvent ? ledger.length : undefined,
				log,
			);
			return rateLimitedRow(label, ledger, executions, sink, path);
		};
		const rateLimited = [
			await rateLimitedBurst(
				'one execution per event',
				sinkPerEventId,
				TAGS.sinkPerEvent,
				'/per-event',
				true,
			),
			await rateLimitedBurst(
				`Batch Events (${BATCH.maxEvents} events or ${BATCH.maxWaitSeconds} s)`,
				sinkBatchedId,
				TAGS.sinkBatched,
				'/batched',
				false,
			),
		];
		return { perEvent, batched, webhook, rateLimited, startupMs: setup.startupMs };
	} finally {
		await setup?.stop();
		await sink.close();
		await sim.close();
	}
}

/**
 * The bursts into regular mode and into queue mode, each beside n8n's Webhook trigger under the
 * same setup as the baseline.
 */
export async function measureN8n(options: {
	events: number;
	log: (line: string) => void;
	modes?: N8nMode[];
}): Promise<N8nResult | { skipped: string }> {
	if (!existsSync(NODE_FILE))
		return { skipped: `the node is not built (${NODE_FILE}): run npm run build` };
	const host = n8nHost();
	if (!existsSync(host.n8nBin))
		return { skipped: `${host.label} is not installed: run node scripts/ensure-n8n.js` };
	const modes = options.modes ?? (['regular', 'queue'] as const);
	const results = new Map<N8nMode, ModeResult>();
	for (const mode of modes) results.set(mode, await measureMode(mode, options.events, options.log));
	const main = results.get('regular') ?? (results.values().next().value as ModeResult);
	return {
		n8nVersion: host.label,
		events: main.perEvent.sent,
		startupMs: main.startupMs,
		rows: [...results.values()].flatMap((r) => [r.perEvent, r.batched, r.webhook]),
		perEvent: main.perEvent,
		batched: { ...main.batched, maxEvents: BATCH.maxEvents, maxWaitSeconds: BATCH.maxWaitSeconds },
		webhook: main.webhook,
		rateLimited: { limitPerMinute: SINK_LIMIT_PER_MINUTE, rows: main.rateLimited },
		notes: [
			'Throughput workflows: trigger → No Operation, executions saved. regular: one n8n process, SQLite.',
			`queue: main + ${QUEUE_WORKERS} workers (default concurrency), Redis and PostgreSQL on this machine; the trigger runs on the main.`,
			'events/s: events carried by executions ÷ (last execution stopped − first event sent), end to end.',
			'Lost/doubled: Nubra items matched to the simulator ledger by order|status|filled|qty|price; webhook items by seq.',
			`Rate-limited destination (regular mode): trigger → Aggregate → one HTTP POST per execution (as the Sheets node appends an execution's items in one request), ${SINK_LIMIT_PER_MINUTE} requests a minute, 429 beyond; no retries, so a refused row is lost.`,
		],
	};
}
