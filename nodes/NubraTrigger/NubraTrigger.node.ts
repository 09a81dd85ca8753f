import {
	NodeConnectionTypes,
	NodeOperationError,
	type ICredentialsDecrypted,
	type ICredentialTestFunctions,
	type IDataObject,
	type INodeCredentialTestResult,
	type INodeType,
	type INodeTypeDescription,
	type ITriggerFunctions,
	type ITriggerResponse,
} from 'n8n-workflow';

import { createNubraStream } from '../../client/connect';
import { credentialsFromRecord, type NubraCredentials } from '../../client/credentials';
import { isNubraError } from '../../client/errors';
import { compileEventFilter } from '../../client/filter';
import { shapeConnectionItem, shapeEventItem } from '../../client/shape';
import type { DeliveredEvent, OrderSubscription, StreamStatus } from '../../client/stream';
import { OrderStateTracker, type TrackerSnapshot } from '../../client/tracker';
import { testNubraCredential } from './credentialTest';
import { triggerProperties } from './description';
import { getSettings, type TriggerSettings } from './settings';

const STATIC_DATA_KEY = 'nubraOrderStates';

function toNodeError(ctx: Pick<ITriggerFunctions, 'getNode'>, error: unknown): NodeOperationError {
	if (error instanceof NodeOperationError) return error;
	if (isNubraError(error)) {
		const nodeError = new NodeOperationError(ctx.getNode(), error.message, {
			description: error.hint,
		});
		// n8n replaces a message that mentions ECONNREFUSED, ENOTFOUND and the like with a generic
		// sentence ("The service refused the connection…"); keep which host or socket it was.
		if (nodeError.message !== error.message) {
			nodeError.description = error.hint === undefined ? error.message : `${error.message}. ${error.hint}`;
		}
		return nodeError;
	}
	return new NodeOperationError(ctx.getNode(), error instanceof Error ? error.message : String(error));
}

/** n8n 2.8+ records a failed execution and keeps the trigger; older hosts only have emitError. */
function reportWithoutStopping(ctx: ITriggerFunctions, error: NodeOperationError): void {
	const withSave = ctx as ITriggerFunctions & { saveFailedExecution?: (error: NodeOperationError) => void };
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
		const emitEvent = (delivered: DeliveredEvent) => {
			if (settings.eventKinds.length === 0) return;
			clearTimeout(manualTimer);
			saveTracker();
			// `this.emit` is looked up per call: in manual mode n8n swaps it after trigger() returns.
			this.emit([[{ json: shapeEventItem(delivered, settings.shape) as IDataObject }]]);
		};
		const onStatus = (status: StreamStatus) => {
			if (settings.connectionEvents) {
				const item = shapeConnectionItem(status);
				if (item) this.emit([[{ json: item as IDataObject }]]);
			}
			if (status.state === 'gave-up') {
				this.emitError(toNodeError(this, status.error));
			}
			// The trigger keeps running (and logging in again, more slowly): record a failed
			// execution so the error workflow tells someone, without deactivating the workflow.
			if (status.state === 'session-contested') reportWithoutStopping(this, toNodeError(this, status.error));
		};
		stream.onEvent(emitEvent).onStatus(onStatus);

		let markClosed!: () => void;
		const closed = new Promise<void>((resolve) => {
			markClosed = resolve;
		});
		let isClosed = false;
		const closeFunction = async () => {
			isClosed = true;
			markClosed();
			clearTimeout(manualTimer);
			await stream.close();
			saveTracker();
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
