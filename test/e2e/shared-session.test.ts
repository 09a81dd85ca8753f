/**
 * Six workflows on one Nubra credential in the pinned n8n (the demo's three and the three
 * examples, Sheets and Slack swapped for a local HTTP sink), against a simulator that keeps
 * Nubra's one-session rule: a login ends the account's other sessions. The workflows share one
 * login and one socket, so nothing here may cost a login per workflow:
 * - each workflow gets each of its events exactly once (checked against the ledger);
 * - 1 login and 1 socket at start; a drop costs no login and one order-book read; a forced
 *   expiry costs one login in total; unpublishing one workflow disturbs none of the others;
 * - another client logging in every few seconds for a minute leads to a bounded number of
 *   logins, `session-replaced` connection items, and a failed execution that says why.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import {
	startSimulator,
	type LedgerEntry,
	type RequestInfo,
	type RunningSimulator,
} from '../../simulator';
import {
	type HttpSink,
	type N8nInstance,
	type N8nSession,
	PACKAGE_DIST,
	startHttpSink,
	startN8nWith,
	waitFor,
	waitForExecutions,
	waitForNubraSubscriptions,
} from '../../tools/n8n-host';
import {
	forCustomExtensions,
	loadDemoWorkflow,
	loadExample,
	nodeNamed,
	simulatorCredential,
	withSheetsAsHttp,
	withSlackAsHttp,
} from './fixtures/examples';
import {
	entriesOf,
	fills,
	partialFills,
	playOrders,
	rejections,
	SPECS,
	type ScriptedOrder,
} from './fixtures/scenario';

jest.setTimeout(600_000);

const PATHS = {
	demoPartialFills: '/partial-fills',
	connection: '/connection',
	webhook: '/fills',
	rows: '/sheet-rows',
	slack: '/slack',
} as const;

/** A small burst: partial fills, full fills and a rejection. */
function burst(tag: string): ScriptedOrder[] {
	return [
		{
			spec: { ...SPECS.reliance, side: 'BUY', qty: 10, price: 245_035, tag: `${tag}-1` },
			steps: [{ type: 'accept' }, { type: 'partialFill', qty: 4 }, { type: 'fill' }],
		},
		{
			spec: { ...SPECS.tcs, side: 'SELL', qty: 5, price: 390_055, tag: `${tag}-2` },
			steps: [{ type: 'accept' }, { type: 'fill' }],
		},
		{
			spec: { ...SPECS.sbin, side: 'BUY', qty: 100, price: 80_235, tag: `${tag}-3` },
			steps: [{ type: 'reject', reason: 'RMS: Insufficient margin' }],
		},
	];
}

describe('six workflows on one Nubra account share one login and one socket', () => {
	let sim: RunningSimulator;
	let sink: HttpSink;
	let n8n: N8nInstance | undefined;
	let session: N8nSession;
	let outputDir: string;
	const ids: Record<
		'demoFills' | 'rejectionsFile' | 'connection' | 'webhook' | 'rows' | 'slack',
		string
	> = {
		demoFills: '',
		rejectionsFile: '',
		connection: '',
		webhook: '',
		rows: '',
		slack: '',
	};
	const played: LedgerEntry[] = [];
	const requests: RequestInfo[] = [];
	/** Workflows unpublished by a test: they must receive nothing afterwards. */
	const stoppedAt = new Map<string, number>();

	const logins = () => sim.control.sessionCounts.logins;
	const rejectionLines = () => {
		const file = join(outputDir, 'rejections.jsonl');
		if (!existsSync(file)) return [];
		return readFileSync(file, 'utf8')
			.split('\n')
			.filter((line) => line.trim() !== '')
			.map((line) => JSON.parse(line) as { order_id: string });
	};
	const orderIds = (bodies: unknown[]) =>
		bodies.map((body) => String((body as { order_id: unknown }).order_id)).sort();

	/** Every workflow holds exactly what the ledger says it should (and the stopped one no more). */
	async function expectEachWorkflowExactlyOnce(): Promise<void> {
		const upTo = (workflow: keyof typeof ids, entries: LedgerEntry[]) => {
			const stopped = stoppedAt.get(ids[workflow]);
			return stopped === undefined ? entries : entries.filter((entry) => entry.seq <= stopped);
		};
		const expected = {
			demoFills: partialFills(played),
			webhook: upTo('webhook', partialFills(played)),
			rows: fills(played),
			slack: rejections(played),
			rejectionsFile: rejections(played),
		};
		await sink.waitForCount(PATHS.demoPartialFills, expected.demoFills.length);
		await sink.waitForCount(PATHS.webhook, expected.webhook.length);
		await sink.waitForCount(PATHS.rows, expected.rows.length);
		await sink.waitForCount(PATHS.slack, expected.slack.length);
		await waitFor(() => rejectionLines().length >= expected.rejectionsFile.length, {
			timeoutMs: 60_000,
			description: 'the rejections file',
		});
		// Every execution finished: a doubled event would have been delivered by now.
		await waitForExecutions(session, ids.demoFills, expected.demoFills.length);
		// The fills example batches (fewer runs than rows): every row is in, so every run started.
		await waitFor(
			async () => {
				const runs = await session.listExecutions(ids.rows);
				return runs.every((run) => !['new', 'running', 'waiting'].includes(run.status))
					? runs
					: undefined;
			},
			{ timeoutMs: 60_000, intervalMs: 500, description: 'every run of the fills example to end' },
		);
		await waitForExecutions(session, ids.slack, expected.slack.length);
		await waitForExecutions(session, ids.rejectionsFile, expected.rejectionsFile.length);
		const body = (path: string) => sink.received(path).map((request) => request.json);
		const idsOf = (entries: LedgerEntry[]) => entries.map((entry) => entry.orderId).sort();
		expect(orderIds(body(PATHS.demoPartialFills))).toEqual(idsOf(expected.demoFills));
		expect(orderIds(body(PATHS.webhook))).toEqual(idsOf(expected.webhook));
		expect(
			body(PATHS.rows)
				.map((row) => String((row as Record<string, unknown>)['Order ID']))
				.sort(),
		).toEqual(idsOf(expected.rows));
		expect(orderIds(body(PATHS.slack))).toEqual(idsOf(expected.slack));
		expect(
			rejectionLines()
				.map((line) => String(line.order_id))
				.sort(),
		).toEqual(idsOf(expected.rejectionsFile));
	}

	const connectionItems = (state: string) =>
		sink
			.received(PATHS.connection)
			.filter((request) => (request.json as { state?: string }).state === state);
	const snapshotReads = (from: number) =>
		requests
			.slice(from)
			.filter((request) => request.path === '/sentinel/orders' && request.status === 200).length;

	beforeAll(async () => {
		sim = await startSimulator();
		sim.control.on('request', (request) => requests.push(request));
		sink = await startHttpSink();
		outputDir = mkdtempSync(join(tmpdir(), 'nubra-e2e-out-'));
		const nubra = simulatorCredential(sim);
		const nubraRef = { nubraApi: { id: nubra.id, name: nubra.name } };
		const places = { httpSink: sink.url, outputDir };

		const webhook = forCustomExtensions(loadExample('webhook-on-partial-fills'), nubraRef);
		nodeNamed(webhook, 'POST Fill').parameters.url = `${sink.url}${PATHS.webhook}`;
		const workflows = {
			demoFills: forCustomExtensions(
				loadDemoWorkflow('partial-fills-to-http-sink', places),
				nubraRef,
			),
			rejectionsFile: forCustomExtensions(loadDemoWorkflow('rejections-to-file', places), nubraRef),
			connection: forCustomExtensions(
				loadDemoWorkflow('connection-events-to-http-sink', places),
				nubraRef,
			),
			webhook,
			rows: withSheetsAsHttp(
				forCustomExtensions(loadExample('log-fills-google-sheets'), nubraRef),
				`${sink.url}${PATHS.rows}`,
			),
			slack: withSlackAsHttp(
				forCustomExtensions(loadExample('alert-on-rejection-slack'), nubraRef),
				`${sink.url}${PATHS.slack}`,
			),
		};
		const names = Object.keys(workflows) as Array<keyof typeof workflows>;
		let imported: string[];
		({
			n8n,
			session,
			workflowIds: imported,
		} = await startN8nWith({
			credentials: [nubra],
			workflows: names.map((name) => ({ ...workflows[name], active: true })),
			customExtensionsDir: PACKAGE_DIST,
			env: { N8N_RESTRICT_FILE_ACCESS_TO: outputDir },
		}));
		names.forEach((name, index) => {
			ids[name] = imported[index];
		});
		await sim.control.waitForSubscribers(1, 60_000);
		await waitForNubraSubscriptions(n8n, names.length);
		await waitFor(async () => (await session.activeWorkflowIds()).length === names.length, {
			timeoutMs: 60_000,
			description: 'all six workflows to be active',
		});
	});

	afterAll(async () => {
		await n8n?.stop();
		if (outputDir) rmSync(outputDir, { recursive: true, force: true });
		await sink?.close();
		await sim?.close();
	});

	it('one login and one socket at start; each workflow gets each of its events exactly once', async () => {
		expect(logins()).toBe(1);
		expect(sim.control.connections()).toHaveLength(1);
		played.push(...entriesOf(playOrders(sim.control, burst('e2e-shared-a'))));
		await expectEachWorkflowExactlyOnce();
		expect(logins()).toBe(1);
		expect(sim.control.connections()).toHaveLength(1);
		expect(connectionItems('connected')).toHaveLength(1);
	});

	it('a drop costs no login and one /sentinel/orders read for all six', async () => {
		const mark = requests.length;
		const connected = connectionItems('connected').length;
		sim.control.dropAfter(0);
		await sink.waitForCount(PATHS.connection, sink.received(PATHS.connection).length + 1);
		await waitFor(
			() => connectionItems('connected').length > connected && sim.control.subscriberCount === 1,
			{
				timeoutMs: 60_000,
				description: 'the reconnect',
			},
		);
		played.push(...entriesOf(playOrders(sim.control, burst('e2e-shared-b'))));
		await expectEachWorkflowExactlyOnce();
		expect(logins()).toBe(1);
		expect(snapshotReads(mark)).toBe(1);
		expect(requests.slice(mark).filter((request) => request.path === '/totp/login')).toEqual([]);
	});

	it('a forced session expiry costs one login in total, not one per workflow', async () => {
		const connected = connectionItems('connected').length;
		sim.control.expireSessions();
		await waitFor(
			() => connectionItems('connected').length > connected && sim.control.subscriberCount === 1,
			{
				timeoutMs: 60_000,
				description: 'the reconnect after the expiry',
			},
		);
		expect(logins()).toBe(2);
		expect(connectionItems('session-replaced')).toHaveLength(1);
		played.push(...entriesOf(playOrders(sim.control, burst('e2e-shared-c'))));
		await expectEachWorkflowExactlyOnce();
		expect(logins()).toBe(2);
	});

	it('unpublishing one workflow leaves the others connected and delivering', async () => {
		const disconnects = connectionItems('disconnected').length;
		await session.deactivateWorkflow(ids.webhook);
		stoppedAt.set(ids.webhook, sim.control.ledger.length);
		played.push(...entriesOf(playOrders(sim.control, burst('e2e-shared-d'))));
		await expectEachWorkflowExactlyOnce();
		expect(connectionItems('disconnected')).toHaveLength(disconnects);
		expect(sim.control.connections()).toHaveLength(1);
		expect(logins()).toBe(2);
	});

	it('another client logging in every 3 s for a minute: bounded logins, session-replaced items, a failed execution that says why', async () => {
		const before = logins();
		const replacedBefore = connectionItems('session-replaced').length;
		let foreign = 0;
		const started = Date.now();
		while (Date.now() - started < 60_000) {
			sim.control.issueSession();
			foreign++;
			await waitFor(() => Date.now() - started >= foreign * 3_000, {
				intervalMs: 100,
				timeoutMs: 5_000,
			});
		}
		const ours = logins() - before - foreign;
		console.log(
			`foreign logins ${foreign}, the workflows' own ${ours}, session-replaced ${connectionItems('session-replaced').length - replacedBefore}`,
		);
		// Without backoff the triggers would take the session back after each of the 20; with it
		// they log in at 0, 2, 4, 8, 16 … s after each replacement.
		expect(ours).toBeGreaterThanOrEqual(2);
		expect(ours).toBeLessThanOrEqual(10);
		// Each of those logins followed one replacement; the last replacement may still be waiting.
		const replaced = connectionItems('session-replaced').length - replacedBefore;
		expect(replaced).toBeGreaterThanOrEqual(ours);
		expect(replaced).toBeLessThanOrEqual(ours + 1);
		const failed = await waitFor(
			async () => {
				const executions = await session.listExecutions(ids.connection);
				const errors = executions.filter((execution) => execution.status === 'error');
				return errors.length > 0 ? errors : undefined;
			},
			{ timeoutMs: 60_000, description: 'a failed execution for the contested session' },
		);
		const detail = await session.request<unknown>('GET', `/rest/executions/${failed[0].id}`);
		expect(JSON.stringify(detail)).toMatch(/Another client keeps logging in to this Nubra account/);

		// Once the other client stops, the workflows come back by themselves and deliver.
		await waitFor(() => sim.control.subscriberCount === 1, {
			timeoutMs: 90_000,
			description: 'the triggers back',
		});
		played.push(...entriesOf(playOrders(sim.control, burst('e2e-shared-e'))));
		await expectEachWorkflowExactlyOnce();
	});
});
