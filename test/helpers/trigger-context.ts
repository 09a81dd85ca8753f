import {
	createEmptyRunExecutionData,
	type ICredentialDataDecryptedObject,
	type IDataObject,
	type INode,
	type INodeExecutionData,
	type INodeParameters,
	type INodeType,
	type IRun,
	type ITriggerFunctions,
	type ITriggerResponse,
	type Logger,
	type NodeParameterValueType,
	type WorkflowActivateMode,
	type WorkflowExecuteMode,
} from 'n8n-workflow';

import {
	startSimulator,
	type RequestInfo,
	type RunningSimulator,
	type SimulatorEvents,
	type SimulatorOptions,
} from '../../simulator';
import { nodeUnderTest } from './node-under-test';
import { simulatorCredentials } from './simulator-credentials';
import { waitFor } from './wait';

/**
 * A realistic `ITriggerFunctions` for node-level tests, in the spirit of n8n's own
 * `testTriggerNode` (which returns `{ emit, close, manualTriggerFunction }`).
 *
 * What it imitates from the pinned n8n:
 * - parameters are resolved as the `Workflow` constructor does (`NodeHelpers.getNodeParameters`
 *   with defaults): top-level parameters get their declared defaults, a collection keeps only
 *   the keys that were set, and options hidden by `displayOptions` are dropped;
 * - `getNodeParameter` reads a (dotted) path, falls back, and throws "Could not get parameter"
 *   when neither exists (n8n-core `NodeExecutionContext._getNodeParameter`);
 * - in manual mode, after `trigger()` resolves, `emit`/`emitError`/`saveFailedExecution` are
 *   replaced and a `manualTriggerResponse` promise is attached, exactly as n8n-core's
 *   `TriggersAndPollers.runTrigger` does. A node that captured `this.emit` early would miss it.
 *
 * Every `emit` and `emitError` is recorded (before and after the swap), log lines too, and the
 * waits are event-driven with a deadline.
 */

export interface LogLine {
	level: 'error' | 'warn' | 'info' | 'debug';
	message: string;
}

export interface TriggerContextOptions {
	/** The node's parameters as a workflow JSON would hold them (unset keys absent). */
	parameters: INodeParameters;
	/** Decrypted credential data for `nubraApi`; replace it with {@link TriggerRun.setCredentials}. */
	credentials: ICredentialDataDecryptedObject;
	/** 'trigger' for an active workflow (default), 'manual' for "Listen for test event". */
	mode?: Extract<WorkflowExecuteMode, 'trigger' | 'manual'>;
	activationMode?: WorkflowActivateMode;
	/** The workflow's static data of this node; kept by reference, so a second run can reuse it. */
	staticData?: IDataObject;
	/** Whether the runs `emit` starts finish (default) or never do, as a run stuck on a slow node. */
	runsFinish?: boolean;
}

type Waiter = () => void;

function finishedRun(): IRun {
	const now = new Date();
	return {
		data: createEmptyRunExecutionData(),
		mode: 'trigger',
		startedAt: now,
		stoppedAt: now,
		storedAt: 'db',
		status: 'success',
	};
}

/** What one `trigger()` call produced and the handles to drive and observe it. */
export interface TriggerRun {
	ctx: ITriggerFunctions;
	node: INode;
	response: ITriggerResponse;
	/** Each `emit` call's data, in order. */
	emits: INodeExecutionData[][][];
	errors: Error[];
	logs: LogLine[];
	staticData: IDataObject;
	/** The JSON of every emitted item, in order. */
	items(): IDataObject[];
	/** Items of Nubra order/trade/basket updates (not connection events). */
	updates(): IDataObject[];
	/** Connection-event items. */
	connectionItems(): IDataObject[];
	setCredentials(data: ICredentialDataDecryptedObject): void;
	waitFor(condition: () => boolean, what: string, timeoutMs?: number): Promise<void>;
	/** Calls `closeFunction` (if any); safe to call more than once. */
	close(): Promise<void>;
}

const DEFAULT_WAIT_MS = 8_000;

/** Short timings so reconnects and heartbeats happen in about a second (the minimum). */
export const FAST_OPTIONS: INodeParameters = {
	heartbeatIntervalSeconds: 1,
	heartbeatTimeoutSeconds: 1,
	reconnectMaxDelaySeconds: 1,
};

function readPath(source: IDataObject, path: string): unknown {
	let value: unknown = source;
	for (const key of path.split('.')) {
		if (value === null || typeof value !== 'object') return undefined;
		value = (value as Record<string, unknown>)[key];
	}
	return value;
}

/**
 * Builds the context, calls `trigger()` like n8n, and (in manual mode) swaps the emitters
 * afterwards. Rejects when `trigger()` rejects, as activation would fail.
 */
export async function runTrigger(
	nodeType: INodeType,
	options: TriggerContextOptions,
): Promise<TriggerRun> {
	if (!nodeType.trigger) throw new Error('The node type has no trigger()');
	const mode = options.mode ?? 'trigger';
	let credentials = options.credentials;
	const staticData = options.staticData ?? {};
	const emits: INodeExecutionData[][][] = [];
	const errors: Error[] = [];
	const logs: LogLine[] = [];
	const waiters = new Set<Waiter>();
	const notify = () => {
		for (const waiter of [...waiters]) waiter();
	};

	const node = nodeUnderTest(nodeType, options.parameters, {
		id: 'b6c1c3f0-0000-4000-8000-00000000n0de',
		name: 'Nubra Trigger',
		type: 'n8n-nodes-nubra.nubraTrigger',
	});

	const record = (level: LogLine['level']) => (message: string) => {
		logs.push({ level, message });
	};
	const logger: Logger = {
		error: record('error'),
		warn: record('warn'),
		info: record('info'),
		debug: record('debug'),
	};

	const recordEmit = (data: INodeExecutionData[][]) => {
		emits.push(data);
		notify();
	};
	const recordError = (error: Error) => {
		errors.push(error);
		notify();
	};

	/** The members this node uses; everything else answers "not used by this node". */
	const implemented: Pick<
		ITriggerFunctions,
		| 'emit'
		| 'emitError'
		| 'saveFailedExecution'
		| 'getNodeParameter'
		| 'getNode'
		| 'getCredentials'
		| 'getMode'
		| 'getActivationMode'
		| 'getWorkflowStaticData'
		| 'logger'
	> = {
		emit: (data, _responsePromise, donePromise) => {
			recordEmit(data);
			// As if the run finished at once (n8n resolves it when the execution is done).
			if (options.runsFinish !== false) donePromise?.resolve(finishedRun());
		},
		emitError: (error) => recordError(error),
		saveFailedExecution: (error) => recordError(error),
		getNodeParameter: (name: string, fallback?: unknown): NodeParameterValueType | object => {
			const value = readPath(node.parameters, name) ?? fallback;
			if (value === undefined) throw new Error(`Could not get parameter "${name}"`);
			// n8n hands out resolved copies, so a node cannot change the stored parameters.
			return structuredClone(value) as NodeParameterValueType | object;
		},
		getNode: () => node,
		getCredentials: async <T extends object = ICredentialDataDecryptedObject>(type: string) => {
			if (type !== 'nubraApi') throw new Error(`Node does not have credentials of type "${type}"`);
			return structuredClone(credentials) as T;
		},
		getMode: () => mode,
		getActivationMode: () => options.activationMode ?? (mode === 'manual' ? 'manual' : 'activate'),
		getWorkflowStaticData: (type: string) => {
			if (type !== 'node') throw new Error('This node only uses node static data');
			return staticData;
		},
		logger,
	};
	// The rest of ITriggerFunctions (helpers, getWorkflow, …) is not used by this node: any
	// call throws, so a future use shows up as a failing test instead of a silent undefined.
	const ctx = new Proxy(implemented, {
		get(target, key, receiver) {
			if (typeof key === 'symbol' || key in target) return Reflect.get(target, key, receiver);
			return () => {
				throw new Error(`ITriggerFunctions.${key} is not used by this node`);
			};
		},
	}) as unknown as ITriggerFunctions; // the one cast: a partial context stands in for n8n's

	const response = await nodeType.trigger.call(ctx);
	if (response === undefined) throw new Error('trigger() returned no response');

	if (mode === 'manual') {
		// As n8n-core TriggersAndPollers.runTrigger: swap the emitters after trigger() returned.
		response.manualTriggerResponse = new Promise<INodeExecutionData[][]>((resolve, reject) => {
			ctx.emit = (data) => {
				recordEmit(data);
				resolve(data);
			};
			ctx.emitError = (error) => {
				recordError(error);
				reject(error);
			};
			ctx.saveFailedExecution = (error) => {
				recordError(error);
				reject(error);
			};
		});
		// A test that only checks the emitted items must not see an unhandled rejection.
		response.manualTriggerResponse.catch(() => undefined);
	}

	let closing: Promise<void> | undefined;
	const items = () =>
		emits.flatMap((data) => data.flatMap((output) => output.map((item) => item.json)));
	return {
		ctx,
		node,
		response,
		emits,
		errors,
		logs,
		staticData,
		items,
		updates: () => items().filter((item) => item.event !== 'connection'),
		connectionItems: () => items().filter((item) => item.event === 'connection'),
		setCredentials: (data) => {
			credentials = data;
		},
		waitFor: (condition, what, timeoutMs = DEFAULT_WAIT_MS) =>
			waitFor(
				condition,
				timeoutMs,
				() =>
					`${what} (${emits.length} emits, ${errors.length} errors: ${errors.map((e) => e.message).join('; ')})`,
				(recheck) => {
					waiters.add(recheck);
					return () => {
						waiters.delete(recheck);
					};
				},
			),
		close: () => {
			closing ??= response.closeFunction ? response.closeFunction() : Promise.resolve();
			return closing;
		},
	};
}

/**
 * Starts triggers and closes whatever a test left open, so a failing assertion never leaks a
 * socket into the next test.
 */
export class TriggerPool {
	readonly #runs: TriggerRun[] = [];

	async start(nodeType: INodeType, options: TriggerContextOptions): Promise<TriggerRun> {
		const run = await runTrigger(nodeType, options);
		this.#runs.push(run);
		return run;
	}

	async closeAll(): Promise<void> {
		const runs = this.#runs.splice(0);
		await Promise.all(runs.map((run) => run.close().catch(() => undefined)));
	}
}

/** A simulator, the triggers started against it, and what it was asked over REST. */
export interface NodeFixture {
	sim: RunningSimulator;
	requests: RequestInfo[];
	/**
	 * Runs `trigger()` against the simulator. In trigger mode it also waits until the socket
	 * is subscribed and, unless catch-up is off, the first order snapshot (the baseline) was
	 * served: an order placed before that could be taken as history, which is not under test.
	 */
	start(
		nodeType: INodeType,
		parameters: INodeParameters,
		extra?: Partial<TriggerContextOptions> & { waitMs?: number },
	): Promise<TriggerRun>;
	/** Resolves once `condition` holds, re-checked on every simulator event of the given kinds. */
	until(
		condition: () => boolean,
		what: string,
		events?: (keyof SimulatorEvents)[],
		timeoutMs?: number,
	): Promise<void>;
	close(): Promise<void>;
}

/**
 * A fresh fixture for each test of the calling file: started in `beforeEach`, closed in
 * `afterEach`. The object returned always stands for the running test's fixture.
 */
export function nodeFixtureForEachTest(options: SimulatorOptions = {}): NodeFixture {
	let current: NodeFixture | undefined;
	const fixture = (): NodeFixture => {
		if (!current) throw new Error('the node fixture exists only while a test runs');
		return current;
	};
	beforeEach(async () => {
		current = await startNodeFixture(options);
	});
	afterEach(async () => {
		await current?.close();
		current = undefined;
	});
	return {
		get sim() {
			return fixture().sim;
		},
		get requests() {
			return fixture().requests;
		},
		start: (...args) => fixture().start(...args),
		until: (...args) => fixture().until(...args),
		close: () => fixture().close(),
	};
}

export async function startNodeFixture(options: SimulatorOptions = {}): Promise<NodeFixture> {
	const sim = await startSimulator(options);
	const pool = new TriggerPool();
	const requests: RequestInfo[] = [];
	let subscriptions = 0;
	sim.control.on('request', (request) => requests.push(request));
	sim.control.on('subscribed', () => subscriptions++);
	const snapshots = () =>
		requests.filter((r) => r.path === '/sentinel/orders' && r.status === 200).length;

	const until: NodeFixture['until'] = (
		condition,
		what,
		events = ['subscribed', 'disconnected', 'request', 'ledger', 'ping'],
		timeoutMs = DEFAULT_WAIT_MS,
	) =>
		waitFor(condition, timeoutMs, what, (recheck) => {
			const unsubscribes = events.map((event) => sim.control.on(event, recheck));
			return () => {
				for (const unsubscribe of unsubscribes) unsubscribe();
			};
		});

	return {
		sim,
		requests,
		until,
		start: async (nodeType, parameters, { waitMs, ...extra } = {}) => {
			const subscribedBefore = subscriptions;
			const snapshotsBefore = snapshots();
			// Triggers of one account share its socket: a later one joins the live subscription.
			const joinsLiveSocket = sim.control.subscriberCount > 0;
			const run = await pool.start(nodeType, {
				parameters,
				credentials: simulatorCredentials(sim),
				...extra,
			});
			if ((extra.mode ?? 'trigger') === 'manual') return run;
			await until(
				() => joinsLiveSocket || subscriptions > subscribedBefore,
				'the trigger to subscribe',
				undefined,
				waitMs,
			);
			const options = (parameters.options ?? {}) as IDataObject;
			if (options.catchUp !== false) {
				await until(
					() => snapshots() > snapshotsBefore,
					'the baseline snapshot',
					undefined,
					waitMs,
				);
			}
			return run;
		},
		close: async () => {
			await pool.closeAll();
			await sim.close();
		},
	};
}
