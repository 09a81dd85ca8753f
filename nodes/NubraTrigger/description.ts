import type { INodeProperties } from 'n8n-workflow';

import { DEFAULT_BATCH_MAX_EVENTS, DEFAULT_BATCH_MAX_WAIT_SECONDS } from './settings';

const matchModeOptions = [
	{ name: 'Contains', value: 'contains' },
	{ name: 'Equals', value: 'equals' },
	{ name: 'Regular Expression', value: 'regex' },
	{ name: 'Starts With', value: 'startsWith' },
	{ name: 'Wildcard (* and ?)', value: 'wildcard' },
];

export const triggerProperties: INodeProperties[] = [
	{
		displayName: 'Events',
		name: 'events',
		type: 'multiOptions',
		required: true,
		options: [
			{
				name: 'Basket Updates',
				value: 'basket',
				description: 'Basket (strategy) updates of the legacy V1 API',
			},
			{
				name: 'Connection Events',
				value: 'connection',
				description:
					'An item when the feed connects, drops (with the reason), catches up or gives up: alert on a dead feed',
			},
			{
				name: 'Order Updates',
				value: 'order',
				description: 'Accepted, modified, cancelled, rejected, triggered, expired, filled',
			},
			{
				name: 'Trade Updates',
				value: 'trade',
				description:
					'One item per fill, with the fill quantity and price (fills missed while disconnected: one item per order, marked recovered)',
			},
		],
		default: ['order', 'trade'],
		description: 'Which updates start the workflow',
	},
	{
		displayName: 'Filters',
		name: 'filters',
		type: 'collection',
		placeholder: 'Add Filter',
		default: {},
		description: 'Only updates that pass every filter set here start the workflow',
		options: [
			{
				displayName: 'Exchange',
				name: 'exchanges',
				type: 'multiOptions',
				options: [
					{ name: 'BSE', value: 'BSE' },
					{ name: 'NSE', value: 'NSE' },
				],
				default: [],
			},
			{
				displayName: 'Request Type',
				name: 'requests',
				type: 'multiOptions',
				options: [
					{ name: 'Cancel', value: 'CANCEL' },
					{ name: 'Modify', value: 'MODIFY' },
					{ name: 'New', value: 'NEW' },
				],
				default: [],
				description:
					'The request that caused the update. Updates recovered after a reconnect carry no request type and do not pass this filter.',
			},
			{
				displayName: 'Side',
				name: 'sides',
				type: 'multiOptions',
				options: [
					{ name: 'Buy', value: 'BUY' },
					{ name: 'Sell', value: 'SELL' },
				],
				default: [],
			},
			{
				displayName: 'Status',
				name: 'statuses',
				type: 'multiOptions',
				options: [
					{ name: 'Cancelled', value: 'CANCELLED' },
					{ name: 'Expired', value: 'EXPIRED' },
					{ name: 'Filled', value: 'FILLED' },
					{ name: 'Open', value: 'OPEN' },
					{ name: 'Partially Filled', value: 'PARTIALLY_FILLED' },
					{ name: 'Pending', value: 'PENDING' },
					{ name: 'Rejected', value: 'REJECTED' },
					{ name: 'Sent', value: 'SENT' },
					{ name: 'Triggered', value: 'TRIGGERED' },
					{ name: 'Unknown', value: 'UNKNOWN' },
				],
				default: [],
				description: 'The same status names whatever Nubra API version the account is on',
			},
			{
				displayName: 'Symbol',
				name: 'symbols',
				type: 'string',
				typeOptions: { multipleValues: true, multipleValueButtonText: 'Add Symbol Pattern' },
				default: [],
				placeholder: 'RELIANCE',
				description: 'Patterns matched against the display name, e.g. "NIFTY*" with Wildcard',
			},
			{
				displayName: 'Symbol Match',
				name: 'symbolMatch',
				type: 'options',
				options: matchModeOptions,
				default: 'equals',
			},
			{
				displayName: 'Symbol Match Is Case Sensitive',
				name: 'symbolCaseSensitive',
				type: 'boolean',
				default: false,
				description: 'Whether symbol patterns must match letter case',
			},
			{
				displayName: 'Tag',
				name: 'tags',
				type: 'string',
				typeOptions: { multipleValues: true, multipleValueButtonText: 'Add Tag Pattern' },
				default: [],
				placeholder: 'momentum-*',
				description: 'Patterns matched against the order tag (strategy tags on V3)',
			},
			{
				displayName: 'Tag Match',
				name: 'tagMatch',
				type: 'options',
				options: matchModeOptions,
				default: 'equals',
			},
			{
				displayName: 'Tag Match Is Case Sensitive',
				name: 'tagCaseSensitive',
				type: 'boolean',
				default: false,
				description: 'Whether tag patterns must match letter case',
			},
		],
	},
	{
		displayName: 'Options',
		name: 'options',
		type: 'collection',
		placeholder: 'Add Option',
		default: {},
		options: [
			{
				displayName: 'Add Rupee Amounts',
				name: 'addRupeeAmounts',
				type: 'boolean',
				default: false,
				description:
					'Whether to add order_price_rupees, trade_price_rupees and the like beside the paise fields (paise ÷ 100)',
			},
			{
				displayName: 'Batch Events',
				name: 'batchEvents',
				type: 'boolean',
				default: false,
				description:
					'Whether to start one run per batch of updates instead of one per update: each batch is one run with one item per update, in arrival order. Use it for rate-limited destinations (Google Sheets, Slack) and bursts; leave it off for per-update alerts. Connection events are never batched.',
			},
			{
				displayName: 'Batch Max Events',
				name: 'batchMaxEvents',
				type: 'number',
				typeOptions: { minValue: 1 },
				default: DEFAULT_BATCH_MAX_EVENTS,
				description: 'A batch starts its run as soon as it holds this many updates',
				displayOptions: { show: { batchEvents: [true] } },
			},
			{
				displayName: 'Batch Max Wait',
				name: 'batchMaxWaitSeconds',
				type: 'number',
				typeOptions: { minValue: 1 },
				default: DEFAULT_BATCH_MAX_WAIT_SECONDS,
				hint: 'Value in seconds',
				description:
					'How long the first update of a batch waits for more before the batch starts its run. One run per this many seconds at most, unless batches fill up first.',
				displayOptions: { show: { batchEvents: [true] } },
			},
			{
				displayName: 'Catch Up After Reconnect',
				name: 'catchUp',
				type: 'boolean',
				default: true,
				description:
					'Whether to read the order book after each reconnect and emit what changed while the feed was down, marked as recovered',
			},
			{
				displayName: 'Heartbeat Interval',
				name: 'heartbeatIntervalSeconds',
				type: 'number',
				typeOptions: { minValue: 1 },
				default: 20,
				hint: 'Value in seconds',
				description: 'How often to ping the socket',
			},
			{
				displayName: 'Heartbeat Timeout',
				name: 'heartbeatTimeoutSeconds',
				type: 'number',
				typeOptions: { minValue: 1 },
				default: 10,
				hint: 'Value in seconds',
				description: 'A ping not answered within this means the connection is dead: reconnect',
			},
			{
				displayName: 'Include Metadata',
				name: 'includeMetadata',
				type: 'boolean',
				default: false,
				description: 'Whether to add received_at, recovered and dedup_key to each item',
			},
			{
				displayName: 'Manual Listen Timeout',
				name: 'manualTimeoutSeconds',
				type: 'number',
				typeOptions: { minValue: 5 },
				default: 120,
				hint: 'Value in seconds',
				description: 'How long "Listen for test event" waits for an update that passes the filters',
			},
			{
				displayName: 'Max Reconnect Attempts',
				name: 'maxReconnectAttempts',
				type: 'number',
				typeOptions: { minValue: 0 },
				default: 50,
				description:
					'Failed attempts in a row before the trigger gives up and reports an error; 0 retries forever',
			},
			{
				displayName: 'Max Reconnect Delay',
				name: 'reconnectMaxDelaySeconds',
				type: 'number',
				typeOptions: { minValue: 1 },
				default: 30,
				hint: 'Value in seconds',
				description:
					'Upper bound of the wait between reconnect attempts (it starts at 1 s and doubles)',
			},
			{
				displayName: 'Output',
				name: 'output',
				type: 'options',
				options: [
					{
						name: 'Simplified',
						value: 'simplified',
						description: 'One flat item per update, the same fields for every Nubra API version',
					},
					{
						name: 'Full Message',
						value: 'full',
						description: 'The whole decoded protobuf message under "message"',
					},
				],
				default: 'simplified',
			},
			{
				displayName: 'Socket',
				name: 'socket',
				type: 'options',
				options: [
					{
						name: 'User Socket (Documented)',
						value: 'user',
						description: 'The order-update socket that /userinfo announces',
					},
					{
						name: 'Order-Service Socket',
						value: 'orderService',
						description:
							'The socket seen in SDK 0.5; falls back to the user socket when not announced',
					},
					{ name: 'Explicit URL', value: 'explicit' },
				],
				default: 'user',
			},
			{
				displayName: 'Socket URL',
				name: 'socketUrl',
				type: 'string',
				default: '',
				placeholder: 'wss://api.nubra.io/ws',
				displayOptions: { show: { socket: ['explicit'] } },
			},
		],
	},
];
