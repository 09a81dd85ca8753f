/**
 * Batch Events in the pinned n8n, with examples/log-fills-google-sheets.json (its Sheets node
 * swapped for an HTTP Request posting the same columns to a local sink):
 * - a burst of fills reaches the sink exactly once in a few runs, not one run per fill;
 * - unpublishing in the middle of a batch runs the batch before the trigger closes;
 * - n8n killed (SIGKILL) in the middle of a batch: the fills waiting in it are caught up from
 *   the order book on the next start, exactly once; a graceful stop then runs the batch they
 *   are in before n8n exits.
 * A second copy of the example holds its batches for 10 minutes, so its rows can only come
 * from a close; the example as shipped (2 s) runs beside it and must stay exactly-once too.
 * Both share the account's one socket, which hands each frame to both in the same turn: once
 * the shipped copy has written a fill, the held copy has it in its batch.
 */
import { rmSync } from 'node:fs';

import { startSimulator, type LedgerEntry, type RunningSimulator } from '../../simulator';
import {
	type HttpSink,
	type N8nInstance,
	type N8nSession,
	PACKAGE_DIST,
	startHttpSink,
	startN8nWith,
	type StartedN8n,
	type StartN8nWithOptions,
	waitFor,
} from '../../tools/n8n-host';
import {
	forCustomExtensions,
	loadExample,
	nodeNamed,
	simulatorCredential,
	withSheetsAsHttp,
} from './fixtures/examples';
import { fills, playOrders, rupees, type ScriptedOrder, SPECS } from './fixtures/scenario';

jest.setTimeout(400_000);

const SHIPPED_PATH = '/rows-shipped';
const HELD_PATH = '/rows-held';
const INSTRUMENTS = [
	SPECS.reliance,
	SPECS.tcs,
	SPECS.infy,
	SPECS.hdfc,
	SPECS.sbin,
	SPECS.relianceBse,
];

/** `count` orders, each accepted then filled in one go (one fill per order). */
function filledOrders(count: number, tag: string): ScriptedOrder[] {
	return Array.from({ length: count }, (_, n) => ({
		spec: {
			...INSTRUMENTS[n % INSTRUMENTS.length],
			side: n % 3 === 0 ? 'SELL' : 'BUY',
			qty: 1 + (n % 9),
			price: 100_005 + n * 5,
			tag,
		},
		steps: [{ type: 'accept' }, { type: 'fill' }],
	}));
}

/** A sheet row reduced to what a live and a caught-up fill both tell exactly. */
function rowKey(body: Record<string, unknown>): string {
	return `${String(body['Order ID'])}|${String(body.Symbol)}|${String(body.Side)}|${Number(body['Fill Quantity'])}|${Number(body['Fill Price (₹)'])}`;
}

function expectedKey(entry: LedgerEntry): string {
	return `${entry.orderId}|${entry.displayName}|${entry.side}|${entry.tradeQty}|${rupees(entry.tradePrice!)}`;
}

describe('Batch Events in the pinned n8n: the fills example', () => {
	let sim: RunningSimulator;
	let sink: HttpSink;
	let n8n: N8nInstance | undefined;
	let session: N8nSession;
	let userFolder: string | undefined;
	let shippedId: string;
	let heldId: string;
	const played: LedgerEntry[] = [];

	function rows(path: string): string[] {
		return sink
			.received(path)
			.map((request) => rowKey(request.json as Record<string, unknown>))
			.sort();
	}

	function expectedRows(): string[] {
		return fills(played).map(expectedKey).sort();
	}

	async function runsOf(workflowId: string) {
		return await waitFor(
			async () => {
				const runs = await session.listExecutions(workflowId);
				return runs.every((run) => !['new', 'running', 'waiting'].includes(run.status))
					? runs
					: undefined;
			},
			{ timeoutMs: 60_000, intervalMs: 500, description: `every run of ${workflowId} to end` },
		);
	}

	/** Starts n8n on a folder it keeps, so that the test can start it again on the same database. */
	async function start(options: StartN8nWithOptions): Promise<StartedN8n> {
		const started = await startN8nWith({
			...options,
			customExtensionsDir: PACKAGE_DIST,
			userFolder,
			keepUserFolder: true,
		});
		({ n8n, session, userFolder } = started);
		console.log(`n8n ready in ${started.n8n.startupMs} ms (log ${started.n8n.logFile})`);
		return started;
	}

	beforeAll(async () => {
		sim = await startSimulator();
		sink = await startHttpSink();
		const nubra = simulatorCredential(sim);
		const nubraRef = { nubraApi: { id: nubra.id, name: nubra.name } };
		const shipped = withSheetsAsHttp(
			forCustomExtensions(loadExample('log-fills-google-sheets'), nubraRef),
			`${sink.url}${SHIPPED_PATH}`,
		);
		const shippedOptions = nodeNamed(shipped, 'Nubra Trigger').parameters.options as Record<
			string,
			unknown
		>;
		expect(shippedOptions).toMatchObject({
			batchEvents: true,
			batchMaxEvents: 500,
			batchMaxWaitSeconds: 2,
		});
		const held = withSheetsAsHttp(
			forCustomExtensions(loadExample('log-fills-google-sheets'), nubraRef),
			`${sink.url}${HELD_PATH}`,
		);
		held.name = 'Fills held for 10 minutes';
		nodeNamed(held, 'Nubra Trigger').parameters.options = {
			...shippedOptions,
			batchMaxWaitSeconds: 600,
		};
		const { workflowIds } = await start({
			credentials: [nubra],
			workflows: [
				{ ...shipped, active: true },
				{ ...held, active: true },
			],
		});
		[shippedId, heldId] = workflowIds;
		await sim.control.waitForSubscribers(1, 60_000);
	});

	afterAll(async () => {
		await n8n?.stop();
		if (userFolder) rmSync(userFolder, { recursive: true, force: true });
		await sink?.close();
		await sim?.close();
	});

	it('a burst of fills reaches the sink exactly once, in a few runs', async () => {
		played.push(
			...playOrders(sim.control, filledOrders(150, 'burst')).flatMap((order) => order.entries),
		);
		expect(fills(played)).toHaveLength(150);
		await sink.waitForCount(SHIPPED_PATH, 150);
		const runs = await runsOf(shippedId);
		expect(rows(SHIPPED_PATH)).toEqual(expectedRows());
		expect(runs.every((run) => run.status === 'success')).toBe(true);
		// 150 fills in well under 2 s: one run, two if the burst straddles a window.
		expect(runs.length).toBeGreaterThanOrEqual(1);
		expect(runs.length).toBeLessThanOrEqual(3);
	});

	it('unpublishing in the middle of a batch runs it before the trigger closes: nothing lost', async () => {
		// The shipped copy wrote every fill, so the held copy has them all, in a batch that would
		// wait 10 minutes.
		expect(sink.received(HELD_PATH)).toHaveLength(0);
		expect(await session.listExecutions(heldId)).toHaveLength(0);
		await session.deactivateWorkflow(heldId);
		// The close started the run and waited for it: the rows are there when unpublishing returns.
		expect(rows(HELD_PATH)).toEqual(expectedRows());
		expect(await runsOf(heldId)).toHaveLength(1);
	});

	it('n8n killed mid-batch: the fills waiting in it are caught up on the next start, once; a graceful stop runs that batch', async () => {
		await session.activateWorkflow(heldId);
		played.push(
			...playOrders(sim.control, filledOrders(30, 'before-kill')).flatMap((order) => order.entries),
		);
		// The shipped copy's run of these fills is over (killing n8n cuts no run short), and the
		// held copy holds them.
		await sink.waitForCount(SHIPPED_PATH, 180);
		await runsOf(shippedId);
		expect(rows(HELD_PATH)).toHaveLength(150);

		// SIGKILL: no close function runs, so the 30 fills waiting in the held batch die with n8n.
		process.kill(-n8n!.pid, 'SIGKILL');
		await waitFor(() => n8n!.hasExited(), { timeoutMs: 30_000, description: 'n8n to die' });
		await n8n!.stop();
		await waitFor(() => sim.control.subscriberCount === 0, {
			timeoutMs: 30_000,
			description: 'both sockets to close',
		});
		// And while n8n is down, more fills.
		played.push(
			...playOrders(sim.control, filledOrders(10, 'while-down')).flatMap((order) => order.entries),
		);

		await start({ owner: { existing: true } });
		await sim.control.waitForSubscribers(1, 60_000);
		// The shipped copy catches up and writes within its 2 s window.
		await sink.waitForCount(SHIPPED_PATH, 190);
		await runsOf(shippedId);
		expect(rows(SHIPPED_PATH)).toEqual(expectedRows());

		// The held copy has caught up too, into a batch that would wait 10 minutes: a graceful
		// stop runs it (n8n waits for the run) before n8n exits.
		await n8n!.waitForLog('Nubra catch-up recovered 40 order updates', 30_000);
		expect(rows(HELD_PATH)).toHaveLength(150);
		await n8n!.stop();
		expect(n8n!.hasExited()).toBe(true);
		expect(rows(HELD_PATH)).toEqual(expectedRows());
		expect(rows(SHIPPED_PATH)).toEqual(expectedRows());
	});
});
