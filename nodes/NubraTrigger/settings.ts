import { NodeOperationError, type IDataObject, type ITriggerFunctions } from 'n8n-workflow';

import type { EventFilterOptions, MatchMode } from '../../client/filter';
import type { ItemShapeOptions } from '../../client/shape';
import type { SocketChoice } from '../../client/stream';
import type { NubraEventKind, NubraRequest, NubraStatus } from '../../client/types';

/** Everything the trigger reads from its parameters, resolved once. */
export interface TriggerSettings {
	eventKinds: NubraEventKind[];
	connectionEvents: boolean;
	filter: EventFilterOptions;
	shape: ItemShapeOptions;
	socket: SocketChoice;
	heartbeatIntervalMs: number;
	heartbeatTimeoutMs: number;
	maxReconnectAttempts: number;
	reconnectMaxDelayMs: number;
	catchUp: boolean;
	manualTimeoutMs: number;
	/** Batch Events: up to `maxEvents` per run, or what came within `maxWaitMs`; absent when off. */
	batch?: { maxEvents: number; maxWaitMs: number };
}

/** The keys the UI can put in "Filters"; a collection carries only the keys the user set. */
interface FilterParameters {
	statuses?: NubraStatus[];
	tags?: string[];
	tagMatch?: MatchMode;
	tagCaseSensitive?: boolean;
	sides?: Array<'BUY' | 'SELL'>;
	exchanges?: string[];
	symbols?: string[];
	symbolMatch?: MatchMode;
	symbolCaseSensitive?: boolean;
	requests?: NubraRequest[];
}

interface OptionParameters {
	output?: 'simplified' | 'full';
	addRupeeAmounts?: boolean;
	batchEvents?: boolean;
	batchMaxEvents?: number;
	batchMaxWaitSeconds?: number;
	includeMetadata?: boolean;
	catchUp?: boolean;
	heartbeatIntervalSeconds?: number;
	heartbeatTimeoutSeconds?: number;
	maxReconnectAttempts?: number;
	reconnectMaxDelaySeconds?: number;
	manualTimeoutSeconds?: number;
	socket?: 'user' | 'orderService' | 'explicit';
	socketUrl?: string;
}

export const DEFAULT_BATCH_MAX_EVENTS = 100;
export const DEFAULT_BATCH_MAX_WAIT_SECONDS = 1;

const EVENT_KINDS: ReadonlySet<string> = new Set(['order', 'trade', 'basket']);

function list(value: unknown): string[] {
	if (Array.isArray(value)) return value.filter((v): v is string => typeof v === 'string');
	if (typeof value === 'string' && value !== '') return [value];
	return [];
}

/**
 * Reads and resolves every node parameter up front, so the trigger never touches one
 * directly. Collections omit unset keys: defaults are applied here, not in the UI.
 */
export function getSettings(
	ctx: Pick<ITriggerFunctions, 'getNodeParameter' | 'getNode'>,
): TriggerSettings {
	const events = list(ctx.getNodeParameter('events', []));
	const filters = ctx.getNodeParameter('filters', {}) as IDataObject as FilterParameters;
	const options = ctx.getNodeParameter('options', {}) as IDataObject as OptionParameters;

	const eventKinds = events.filter((e): e is NubraEventKind => EVENT_KINDS.has(e));
	const connectionEvents = events.includes('connection');
	if (eventKinds.length === 0 && !connectionEvents) {
		throw new NodeOperationError(ctx.getNode(), 'Choose at least one event to listen for', {
			description: 'Pick Order Updates, Trade Updates, Basket Updates or Connection Events.',
		});
	}

	let socket: SocketChoice = { kind: 'user' };
	if (options.socket === 'orderService') socket = { kind: 'order-service' };
	if (options.socket === 'explicit') {
		const url = (options.socketUrl ?? '').trim();
		if (!/^wss?:\/\//i.test(url)) {
			throw new NodeOperationError(
				ctx.getNode(),
				'The socket URL must start with ws:// or wss://',
				{
					description: 'Set Options → Socket URL, or choose the user socket.',
				},
			);
		}
		socket = { kind: 'explicit', url };
	}

	const seconds = (value: number | undefined, fallback: number) =>
		Math.round((typeof value === 'number' && value > 0 ? value : fallback) * 1000);

	return {
		eventKinds,
		connectionEvents,
		filter: {
			events: eventKinds,
			statuses: list(filters.statuses) as NubraStatus[],
			tags: {
				patterns: list(filters.tags),
				mode: filters.tagMatch ?? 'equals',
				caseSensitive: filters.tagCaseSensitive ?? false,
			},
			sides: list(filters.sides) as Array<'BUY' | 'SELL'>,
			exchanges: list(filters.exchanges),
			symbols: {
				patterns: list(filters.symbols),
				mode: filters.symbolMatch ?? 'equals',
				caseSensitive: filters.symbolCaseSensitive ?? false,
			},
			requests: list(filters.requests) as NubraRequest[],
		},
		shape: {
			output: options.output ?? 'simplified',
			addRupeeAmounts: options.addRupeeAmounts ?? false,
			includeMetadata: options.includeMetadata ?? false,
		},
		socket,
		heartbeatIntervalMs: seconds(options.heartbeatIntervalSeconds, 20),
		heartbeatTimeoutMs: seconds(options.heartbeatTimeoutSeconds, 10),
		maxReconnectAttempts:
			typeof options.maxReconnectAttempts === 'number' && options.maxReconnectAttempts >= 0
				? Math.floor(options.maxReconnectAttempts)
				: 50,
		reconnectMaxDelayMs: seconds(options.reconnectMaxDelaySeconds, 30),
		catchUp: options.catchUp ?? true,
		manualTimeoutMs: seconds(options.manualTimeoutSeconds, 120),
		batch: options.batchEvents
			? {
					maxEvents:
						typeof options.batchMaxEvents === 'number' && options.batchMaxEvents >= 1
							? Math.floor(options.batchMaxEvents)
							: DEFAULT_BATCH_MAX_EVENTS,
					maxWaitMs: seconds(options.batchMaxWaitSeconds, DEFAULT_BATCH_MAX_WAIT_SECONDS),
				}
			: undefined,
	};
}
