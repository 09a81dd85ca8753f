import {
	createDeferredPromise,
	NodeConnectionTypes,
	NodeOperationError,
	type ICredentialsDecrypted,
	type ICredentialTestFunctions,
	type IDataObject,
	type IDeferredPromise,
	type INodeExecutionData,
	type INodeCredentialTestResult,
	type INodeType,
	type INodeTypeDescription,
	type ITriggerFunctions,
	type ITriggerResponse,
	type IRun,
} from 'n8n-workflow';

import type { SessionStore } from '../../client/auth';
import { EventBatcher } from '../../client/batcher';
import { createNubraStream } from '../../client/connect';
import { credentialsFromRecord, type NubraCredentials } from '../../client/credentials';
import { isNubraError } from '../../client/errors';
import { compileEventFilter } from '../../client/filter';
import { shapeConnectionItem, shapeEventItem } from '../../client/shape';
import type { DeliveredEvent, OrderSubscription, StreamStatus } from '../../client/stream';
import { OrderStateTracker, type TrackerSnapshot } from '../../client/tracker';
import { n8nSessionStore } from '../shared/n8nSessionStore';
import { testNubraCredential } from './credentialTest';
import { triggerProperties } from './description';
import { getSettings, type TriggerSettings } from './settings';

const STATIC_DATA_KEY = 'nubraOrderStates';
/**
 * How long closing waits for the run of the batch it flushed. n8n's shutdown waits only for
 * runs already registered, so the close must not return before that one is.
 */
const CLOSE_FLUSH_TIMEOUT_MS = 10_000;

function toNodeError(ctx: Pick<ITriggerFunctions, 'getNode'>, error: unknown): NodeOperationError {
	if (error instanceof NodeOperationError) return error;
	if (isNubraError(error)) {
		const nodeError = new NodeOperationError(ctx.getNode(), error.message, {
			description: error.hint,
		});
		// n8n replaces a message that mentions ECONNREFUSED, ENOTFOUND and the like with a generic
		// sentence ("The service refused the connection…"); keep which host or socket it was.
		if (nodeError.message !== error.message) {
			nodeError.description =
				error.hint === undefined ? error.message : `${error.message}. ${error.hint}`;
		}
		return nodeError;
	}
	return new NodeOperationError(
		ctx.getNode(),
		error instanceof Error ? error.message : String(error),
	);
}

/**
 * The account's session kept in the credential, so queue-mode workers (the Nubra node) use the
 * session this process logged in with instead of ending it. Needs n8n's authenticated requests
 * and a saved credential; without them the trigger logs in by itself.
 */
function sessionStoreOf(ctx: ITriggerFunctions): SessionStore | undefined {
	const helpers = ctx.helpers as Partial<ITriggerFunctions['helpers']>;
	if (typeof helpers.httpRequestWithAuthentication !== 'function') return undefined;
	if (!ctx.getNode().credentials?.nubraApi?.id) return undefined;
	return n8nSessionStore(ctx);
}

/** n8n 2.8+ records a failed execution and keeps the trigger; older hosts only have emitError. */
function reportWithoutStopping(ctx: ITriggerFunctions, error: NodeOperationError): void {
	const withSave = ctx as ITriggerFunctions & {
		saveFailedExecution?: (error: NodeOperationError) => void;
	};
	if (typeof withSave.saveFailedExecution === 'function') withSave.saveFailedExecution(error);
	else ctx.emitError(error);
}

export class NubraTrigger implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Nubra Trigger',
		name: 'nubraTrigger',
		icon: { light: 'file:nubra.svg', dark: 'file:nubra.dark.svg' },
		group: ['trigger'],
		version: 1,
		subtitle: '={{"Listens for " + ($parameter["events"] || []).join(", ")}}',
		description: 'Starts the workflow on Nubra order, trade and basket updates',
		defaults: { name: 'Nubra Trigger' },
		inputs: [],
		outputs: [NodeConnectionTypes.Main],
		credentials: [{ name: 'nubraApi', required: true, testedBy: 'nubraApiTest' }],
		triggerPanel: {
			header: 'Waiting for a Nubra order update',
			executionsHelp: {
				inactive:
					'Click "Listen for test event", then place, modify or cancel an order on your Nubra account (UAT is safest), or run the Nubra simulator (npm run simulator) with a Custom credential. The first update that passes your filters appears here. <br /><br />Publish the workflow to run it on every update.',
				active:
					'The workflow runs once for every Nubra update that passes the filters. <br /><br />Unpublish it to stop. Every run appears under Executions.',
			},
			activationHint:
				'Once published, the workflow starts a run for every Nubra order, trade or basket update that passes the filters.',
		},
		properties: triggerProperties,
	};

	methods = {
		credentialTest: {
			async nubraApiTest(
				this: ICredentialTestFunctions,
				credential: ICredentialsDecrypted,
			): Promise<INodeCredentialTestResult> {
				return await testNubraCredential(credential);
			},
		},
	};

	async trigger(this: ITriggerFunctions): Promise<ITriggerResponse> {
		const settings = getSettings(this);
		let filter;
		try {
			filter = compileEventFilter(settings.filter);
		} catch (error) {
			throw toNodeError(this, error);
		}
		const manual = this.getMode() === 'manual';
		const readCredentials = async (): Promise<NubraCredentials> =>
			credentialsFromRecord(await this.getCredentials<IDataObject>('nubraApi'));

		// Remembered order states survive restarts through the workflow's static data, so a
		// restarted n8n catches up on what happened while it was down, and only that.
		const staticData = manual ? undefined : this.getWorkflowStaticData('node');
		const tracker = new OrderStateTracker();
		if (staticData) tracker.restore(staticData[STATIC_DATA_KEY] as TrackerSnapshot | undefined);
		// n8n persists static data only with the execution an emit starts (not on close, not on
		// shutdown): the copy must be current at every emit, or a restart repeats what came after
		// the last write (e2e: rejection-email.test.ts, restart). The copy is bounded (500 orders).
		const saveTracker = () => {
			if (staticData) staticData[STATIC_DATA_KEY] = tracker.snapshot() as unknown as IDataObject;
		};

		let stream: OrderSubscription;
		try {
			stream = await createNubraStream({
				credentials: readCredentials,
				store: sessionStoreOf(this),
				logger: this.logger,
				filter,
				tracker,
				socket: settings.socket,
				heartbeatIntervalMs: settings.heartbeatIntervalMs,
				heartbeatTimeoutMs: settings.heartbeatTimeoutMs,
				maxReconnectAttempts: settings.maxReconnectAttempts,
				reconnectMaxDelayMs: settings.reconnectMaxDelayMs,
				// A manual test waits for the next live update: no catch-up history.
				catchUp: settings.catchUp && !manual,
				includeMessage: settings.shape.output === 'full',
			});
		} catch (error) {
			throw toNodeError(this, error);
		}

		let manualTimer: NodeJS.Timeout | undefined;
		// Saved just before the run that carries them starts, the tracker never records as
		// delivered an event still waiting in a batch. This needs the tracker to know no event
		// that emitEvent has not received yet (filtered ones and duplicates aside): the stream
		// observes each event in the same turn as it hands it over, with no queue in between.
		const emitItems = (items: INodeExecutionData[], done?: IDeferredPromise<IRun>) => {
			saveTracker();
			// `this.emit` is looked up per call: in manual mode n8n swaps it after trigger() returns.
			this.emit([items], undefined, done);
		};
		// "Listen for test event" shows one update, as without batching.
		const batcher =
			settings.batch && !manual
				? new EventBatcher<INodeExecutionData>({
						maxItems: settings.batch.maxEvents,
						maxWaitMs: settings.batch.maxWaitMs,
						onBatch: (items) => emitItems(items),
						onError: (error) =>
							this.logger.error(`Nubra Trigger could not start a batch run: ${String(error)}`),
					})
				: undefined;
		const emitEvent = (delivered: DeliveredEvent) => {
			if (settings.eventKinds.length === 0) return;
			clearTimeout(manualTimer);
			const item = { json: shapeEventItem(delivered, settings.shape) as IDataObject };
			if (batcher) batcher.add(item);
			else emitItems([item]);
		};
		const onStatus = (status: StreamStatus) => {
			if (settings.connectionEvents) {
				const item = shapeConnectionItem(status);
				if (item) {
					// Connection events are not batched; the updates before one run first.
					batcher?.flush();
					this.emit([[{ json: item as IDataObject }]]);
				}
			}
			if (status.state === 'gave-up') {
				this.emitError(toNodeError(this, status.error));
			}
			// The trigger keeps running (and logging in again, more slowly): record a failed
			// execution so the error workflow tells someone, without deactivating the workflow.
			if (status.state === 'session-contested')
				reportWithoutStopping(this, toNodeError(this, status.error));
		};
		stream.onEvent(emitEvent).onStatus(onStatus);

		let markClosed!: () => void;
		const closed = new Promise<void>((resolve) => {
			markClosed = resolve;
		});
		let isClosed = false;
		/**
		 * Starts the run of the updates still in the batch and waits (bounded) until it is done.
		 * Should the process die first, static data still holds the state from before them, so
		 * the next start catches them up from the order book.
		 */
		const flushOnClose = async (pending: EventBatcher<INodeExecutionData>) => {
			const items = pending.discard();
			if (items.length === 0) {
				saveTracker();
				return;
			}
			const done = createDeferredPromise<IRun>();
			let timer: NodeJS.Timeout | undefined;
			const bound = new Promise<'timeout'>((resolve) => {
				timer = setTimeout(() => resolve('timeout'), CLOSE_FLUSH_TIMEOUT_MS);
			});
			try {
				emitItems(items, done);
				const outcome = await Promise.race([done.promise.then(() => 'done' as const), bound]);
				if (outcome === 'timeout') {
					this.logger.warn(
						`Nubra Trigger: the run of the last ${items.length} batched updates had not finished ${CLOSE_FLUSH_TIMEOUT_MS / 1000} s after closing began`,
					);
				}
			} catch (error) {
				this.logger.error(
					`Nubra Trigger could not run the last ${items.length} batched updates: ${String(error)}`,
				);
			} finally {
				clearTimeout(timer);
			}
		};
		const closeFunction = async () => {
			isClosed = true;
			markClosed();
			clearTimeout(manualTimer);
			await stream.close();
			if (batcher) await flushOnClose(batcher);
			else saveTracker();
		};

		if (!manual) {
			try {
				await stream.start();
			} catch (error) {
				throw toNodeError(this, error);
			}
			return { closeFunction };
		}

		const manualTriggerFunction = async () => {
			try {
				// n8n calls closeFunction when a manual run is cancelled, possibly while this still
				// connects; stream.start() does not settle when closed mid-connect, so stop waiting.
				await Promise.race([stream.start(), closed]);
			} catch (error) {
				throw toNodeError(this, error);
			}
			if (isClosed) return;
			manualTimer = setTimeout(() => {
				this.emitError(
					new NodeOperationError(
						this.getNode(),
						`No Nubra update passed the filters within ${Math.round(settings.manualTimeoutMs / 1000)} seconds`,
						{
							description:
								'The connection to Nubra works. Place, modify or cancel an order (UAT is safest) or run the simulator while listening, and check the Events and Filters settings.',
						},
					),
				);
			}, settings.manualTimeoutMs);
		};
		return { closeFunction, manualTriggerFunction };
	}
}

export type { TriggerSettings };
