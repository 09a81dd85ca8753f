import type { INodeProperties } from 'n8n-workflow';

/**
 * The Nubra node's parameters. Descriptions are written for people and for AI agents alike:
 * they say what each operation does, its units, and which ones move money.
 */

const ORDER_PLACE = { resource: ['order'], operation: ['place'] };
const ORDER_TICKET = { resource: ['order', 'margin'], operation: ['place', 'required'] };

const environment: INodeProperties = {
	displayName: 'Expected Environment',
	name: 'environment',
	type: 'options',
	options: [
		{ name: 'UAT (Test Account)', value: 'uat', description: "Nubra's test environment" },
		{
			name: 'Production (Real Money)',
			value: 'production',
			description: 'Live account: orders are real',
		},
		{
			name: 'Custom (Relay or Simulator)',
			value: 'custom',
			description: 'A relay or the local Nubra simulator',
		},
	],
	default: 'uat',
	description:
		"Must match the credential's environment, or the node stops before any request, so a workflow built on UAT never trades real money through a swapped credential. Shown in the node's subtitle.",
};

const resource: INodeProperties = {
	displayName: 'Resource',
	name: 'resource',
	type: 'options',
	noDataExpression: true,
	options: [
		{ name: 'Instrument', value: 'instrument', description: 'Find ref_ids, lot and tick sizes' },
		{ name: 'Margin', value: 'margin', description: 'Margin and charges an order needs' },
		{ name: 'Order', value: 'order', description: 'Place, modify, cancel and read orders' },
		{ name: 'Portfolio', value: 'portfolio', description: 'Positions, holdings and funds' },
	],
	default: 'order',
};

const orderOperation: INodeProperties = {
	displayName: 'Operation',
	name: 'operation',
	type: 'options',
	noDataExpression: true,
	displayOptions: { show: { resource: ['order'] } },
	options: [
		{
			name: 'Cancel',
			value: 'cancel',
			action: 'Cancel orders',
			description:
				'DESTRUCTIVE: asks Nubra to cancel one or more working orders (the unfilled rest; fills stay), or only an exit trigger. Acknowledged at once, applied a moment later.',
		},
		{
			name: 'Get',
			value: 'get',
			action: 'Get an order',
			description:
				'Read-only: one order of today by its order ID, with status, filled quantity and prices',
		},
		{
			name: 'Get Many',
			value: 'getMany',
			action: 'Get many orders',
			description: "Read-only: today's orders, optionally only some statuses or one tag",
		},
		{
			name: 'Modify',
			value: 'modify',
			action: 'Modify an order',
			description:
				'DESTRUCTIVE: changes the quantity, price or price type of a working order on the exchange',
		},
		{
			name: 'Place',
			value: 'place',
			action: 'Place an order',
			description:
				'DESTRUCTIVE: places a real buy or sell order (real money on Production). Use Validate Only to check margin without placing.',
		},
	],
	default: 'getMany',
};

const marginOperation: INodeProperties = {
	displayName: 'Operation',
	name: 'operation',
	type: 'options',
	noDataExpression: true,
	displayOptions: { show: { resource: ['margin'] } },
	options: [
		{
			name: 'Required',
			value: 'required',
			action: 'Get the margin an order requires',
			description: 'Read-only: margin plus charges an order would need; nothing is placed',
		},
	],
	default: 'required',
};

const portfolioOperation: INodeProperties = {
	displayName: 'Operation',
	name: 'operation',
	type: 'options',
	noDataExpression: true,
	displayOptions: { show: { resource: ['portfolio'] } },
	options: [
		{
			name: 'Funds',
			value: 'funds',
			action: 'Get funds and margin',
			description: 'Read-only: available margin, blocked margin and the day’s funds, one item',
		},
		{
			name: 'Holdings',
			value: 'holdings',
			action: 'Get holdings',
			description: 'Read-only: delivery holdings, one item per stock',
		},
		{
			name: 'Positions',
			value: 'positions',
			action: 'Get positions',
			description: "Read-only: today's positions, one item each (closed ones have net quantity 0)",
		},
	],
	default: 'positions',
};

const instrumentOperation: INodeProperties = {
	displayName: 'Operation',
	name: 'operation',
	type: 'options',
	noDataExpression: true,
	displayOptions: { show: { resource: ['instrument'] } },
	options: [
		{
			name: 'Search',
			value: 'search',
			action: 'Search instruments',
			description:
				"Read-only: find instruments in today's instrument master by symbol, expiry, strike and option type; gives ref_id, lot size and tick size",
		},
	],
	default: 'search',
};

const instrumentLocator: INodeProperties = {
	displayName: 'Instrument',
	name: 'instrument',
	type: 'resourceLocator',
	default: { mode: 'list', value: '' },
	required: true,
	displayOptions: { show: ORDER_TICKET },
	description:
		"The instrument to trade: pick it from today's instrument master, or give its Nubra ref_id",
	modes: [
		{
			displayName: 'From List',
			name: 'list',
			type: 'list',
			placeholder: 'Type a symbol, e.g. HDFCBANK or NIFTY 24000 CE',
			typeOptions: {
				searchListMethod: 'searchInstruments',
				searchable: true,
				searchFilterRequired: false,
			},
		},
		{
			displayName: 'By Ref ID',
			name: 'id',
			type: 'string',
			placeholder: '2885',
			hint: 'Nubra ref_id (differs between UAT and Production)',
			validation: [
				{
					type: 'regex',
					properties: { regex: '^\\d+$', errorMessage: 'A ref_id is a whole number' },
				},
			],
		},
	],
};

const ticketFields: INodeProperties[] = [
	instrumentLocator,
	{
		displayName: 'Side',
		name: 'side',
		type: 'options',
		options: [
			{ name: 'Buy', value: 'BUY' },
			{ name: 'Sell', value: 'SELL' },
		],
		default: 'BUY',
		displayOptions: { show: ORDER_TICKET },
		description: 'Buy or sell',
	},
	{
		displayName: 'Quantity',
		name: 'quantity',
		type: 'number',
		typeOptions: { minValue: 1 },
		default: 1,
		required: true,
		displayOptions: { show: ORDER_TICKET },
		description:
			'Units (shares or contracts), not lots. For F&O it must be a whole number of lots (e.g. 75 or 150 for a lot size of 75); otherwise the node stops before any request and names the lot size.',
	},
	{
		displayName: 'Price Type',
		name: 'priceType',
		type: 'options',
		options: [
			{ name: 'Limit', value: 'LIMIT', description: 'At the given price or better' },
			{ name: 'Market', value: 'MARKET', description: 'At the market price now (always IOC)' },
		],
		default: 'LIMIT',
		displayOptions: { show: ORDER_TICKET },
	},
	{
		displayName: 'Price (₹)',
		name: 'price',
		type: 'number',
		typeOptions: { minValue: 0 },
		default: 0,
		required: true,
		displayOptions: { show: { ...ORDER_TICKET, priceType: ['LIMIT'] } },
		description:
			"Limit price in rupees (e.g. 245.05). It must be on the instrument's tick size (₹0.05 for most NSE stocks) unless Options → Round to Tick says how to round.",
	},
	{
		displayName: 'Delivery Type',
		name: 'deliveryType',
		type: 'options',
		options: [
			{ name: 'Intraday (IDAY)', value: 'IDAY', description: 'Squared off the same day' },
			{
				name: 'Delivery (CNC)',
				value: 'CNC',
				description: 'Delivery for stocks, carry-forward for F&O',
			},
		],
		default: 'IDAY',
		displayOptions: { show: ORDER_TICKET },
	},
	{
		displayName: 'Validity',
		name: 'validity',
		type: 'options',
		options: [
			{ name: 'Day', value: 'DAY', description: 'Until the end of the trading day' },
			{
				name: 'Good Till Date (GTE)',
				value: 'GTE',
				description: 'Until a date; needs Delivery (CNC)',
			},
			{
				name: 'Immediate or Cancel (IOC)',
				value: 'IOC',
				description: 'Fill what is possible now, cancel the rest',
			},
		],
		default: 'DAY',
		displayOptions: { show: { ...ORDER_TICKET, priceType: ['LIMIT'] } },
	},
	{
		displayName: 'Good Till Date',
		name: 'goodTillDate',
		type: 'dateTime',
		default: '',
		required: true,
		displayOptions: { show: { ...ORDER_TICKET, priceType: ['LIMIT'], validity: ['GTE'] } },
		description: 'Last day of a good-till order; for F&O no later than the contract expiry',
	},
	{
		displayName: 'Tag',
		name: 'tag',
		type: 'string',
		default: '',
		displayOptions: { show: ORDER_PLACE },
		placeholder: 'breakout-1',
		description:
			'One tag (letters, digits, hyphens) that the Nubra Trigger can filter on and that makes a retry safe: the node looks for an order with this tag before placing. Empty: the node uses an automatic tag unique to this execution and item.',
	},
	{
		displayName: 'Validate Only',
		name: 'validateOnly',
		type: 'boolean',
		default: false,
		displayOptions: { show: ORDER_PLACE },
		description:
			'Whether to only check the order (tick, lot, rules) and the margin it needs against available funds, without placing it',
	},
	{
		displayName: 'Triggers and Exits',
		name: 'exits',
		type: 'collection',
		placeholder: 'Add Trigger or Exit',
		default: {},
		displayOptions: { show: ORDER_TICKET },
		options: [
			{
				displayName: 'Entry Trigger Price (₹)',
				name: 'entryTriggerPrice',
				type: 'number',
				default: 0,
				description:
					'The order enters only when the last traded price reaches this (at or above for a buy, at or below for a sell): a stop order',
			},
			{
				displayName: 'Stop-Loss Limit Price (₹)',
				name: 'stopLossLimitPrice',
				type: 'number',
				default: 0,
				description: 'Limit of the stop-loss exit; leave unset for a market exit',
			},
			{
				displayName: 'Stop-Loss Trigger Price (₹)',
				name: 'stopLossTriggerPrice',
				type: 'number',
				default: 0,
				description:
					'Exit when the price reaches this: below the entry for a buy, above for a sell',
			},
			{
				displayName: 'Target Limit Price (₹)',
				name: 'targetLimitPrice',
				type: 'number',
				default: 0,
				description: 'Limit of the target exit; leave unset for a market exit',
			},
			{
				displayName: 'Target Trigger Price (₹)',
				name: 'targetTriggerPrice',
				type: 'number',
				default: 0,
				description:
					'Take profit when the price reaches this: above the entry for a buy, below for a sell',
			},
			{
				displayName: 'Trailing Stop Jump',
				name: 'trailingStopJump',
				type: 'number',
				default: 0,
				description:
					"Makes the stop-loss trail the price by this step (Nubra's stoplossTrailJump; its unit is not documented, so it is sent as given)",
			},
		],
	},
];

const orderIdField = (operations: string[], description: string): INodeProperties => ({
	displayName: 'Order ID',
	name: 'orderId',
	type: 'string',
	default: '',
	required: true,
	placeholder: '1000123',
	displayOptions: { show: { resource: ['order'], operation: operations } },
	description,
});

const modifyFields: INodeProperties[] = [
	orderIdField(
		['modify'],
		'The intentOrderId of a working order of today (the order_id of a Nubra Trigger item)',
	),
	{
		displayName: 'Changes',
		name: 'changes',
		type: 'collection',
		placeholder: 'Add Change',
		default: {},
		displayOptions: { show: { resource: ['order'], operation: ['modify'] } },
		options: [
			{
				displayName: 'Price (₹)',
				name: 'price',
				type: 'number',
				default: 0,
				description: "New limit price in rupees, on the instrument's tick",
			},
			{
				displayName: 'Price Type',
				name: 'priceType',
				type: 'options',
				options: [
					{ name: 'Limit', value: 'LIMIT' },
					{ name: 'Market', value: 'MARKET' },
				],
				default: 'LIMIT',
			},
			{
				displayName: 'Quantity',
				name: 'quantity',
				type: 'number',
				default: 1,
				description: 'New total quantity in units (whole lots), more than what has already filled',
			},
		],
	},
];

const cancelFields: INodeProperties[] = [
	{
		displayName: 'Cancel',
		name: 'cancelWhat',
		type: 'options',
		options: [
			{
				name: 'Orders',
				value: 'orders',
				description: 'Whole working orders: what has not filled is cancelled',
			},
			{
				name: 'Only an Exit Trigger',
				value: 'exitTrigger',
				description: 'Drop a stop-loss, target or trailing stop; the order stays',
			},
		],
		default: 'orders',
		displayOptions: { show: { resource: ['order'], operation: ['cancel'] } },
	},
	{
		displayName: 'Order IDs',
		name: 'orderIds',
		type: 'string',
		default: '',
		required: true,
		placeholder: '1000123, 1000124',
		displayOptions: {
			show: { resource: ['order'], operation: ['cancel'], cancelWhat: ['orders'] },
		},
		description: 'One order ID, or several separated by commas, cancelled in one request',
	},
	{
		...orderIdField(['cancel'], 'The order whose exit trigger is dropped'),
		displayOptions: {
			show: { resource: ['order'], operation: ['cancel'], cancelWhat: ['exitTrigger'] },
		},
	},
	{
		displayName: 'Exit Trigger',
		name: 'exitTriggerKind',
		type: 'options',
		options: [
			{ name: 'Stop-Loss', value: 'STOPLOSS' },
			{ name: 'Target', value: 'TARGET_PROFIT' },
			{ name: 'Trailing Stop', value: 'TRAILING_STOP' },
		],
		default: 'STOPLOSS',
		displayOptions: {
			show: { resource: ['order'], operation: ['cancel'], cancelWhat: ['exitTrigger'] },
		},
	},
];

const getFields: INodeProperties[] = [
	orderIdField(['get'], 'The intentOrderId of an order of today'),
	{
		displayName: 'Return All',
		name: 'returnAll',
		type: 'boolean',
		default: false,
		displayOptions: { show: { resource: ['order'], operation: ['getMany'] } },
		description: 'Whether to return all results or only up to a given limit',
	},
	{
		displayName: 'Limit',
		name: 'limit',
		type: 'number',
		typeOptions: { minValue: 1 },
		default: 50,
		displayOptions: { show: { resource: ['order'], operation: ['getMany'], returnAll: [false] } },
		description: 'Max number of results to return',
	},
	{
		displayName: 'Filters',
		name: 'filters',
		type: 'collection',
		placeholder: 'Add Filter',
		default: {},
		displayOptions: { show: { resource: ['order'], operation: ['getMany'] } },
		options: [
			{
				displayName: 'Statuses',
				name: 'statuses',
				type: 'multiOptions',
				options: [
					{ name: 'Cancelled', value: 'cancelled' },
					{ name: 'Executed', value: 'executed' },
					{ name: 'Expired', value: 'expired' },
					{ name: 'Good Till Date (GTE)', value: 'gtt' },
					{ name: 'Open (Incl. Partly Filled)', value: 'open' },
					{ name: 'Rejected', value: 'rejected' },
				],
				default: [],
				description: 'Only orders in these states; none selected means all',
			},
			{
				displayName: 'Tag',
				name: 'tag',
				type: 'string',
				default: '',
				description: 'Only orders placed with this tag',
			},
		],
	},
];

const portfolioFields: INodeProperties[] = [
	{
		displayName: 'Open Positions Only',
		name: 'openOnly',
		type: 'boolean',
		default: false,
		displayOptions: { show: { resource: ['portfolio'], operation: ['positions'] } },
		description: 'Whether to leave out positions closed today (net quantity 0)',
	},
];

const instrumentFields: INodeProperties[] = [
	{
		displayName: 'Search Text',
		name: 'searchText',
		type: 'string',
		default: '',
		placeholder: 'HDFCBANK',
		displayOptions: { show: { resource: ['instrument'], operation: ['search'] } },
		description:
			'Words that must all appear in the symbol, the underlying or Nubra’s name, e.g. "NIFTY" or "NIFTY 24000 CE"',
	},
	{
		displayName: 'Filters',
		name: 'instrumentFilters',
		type: 'collection',
		placeholder: 'Add Filter',
		default: {},
		displayOptions: { show: { resource: ['instrument'], operation: ['search'] } },
		options: [
			{
				displayName: 'Exchange',
				name: 'exchange',
				type: 'options',
				options: [
					{ name: 'BSE', value: 'BSE' },
					{ name: 'MCX', value: 'MCX' },
					{ name: 'NSE', value: 'NSE' },
				],
				default: 'NSE',
			},
			{
				displayName: 'Expiry',
				name: 'expiry',
				type: 'string',
				default: '',
				placeholder: '2025-12-30',
				description: 'Contract expiry date, YYYY-MM-DD',
			},
			{
				displayName: 'Option Type',
				name: 'optionType',
				type: 'options',
				options: [
					{ name: 'Call (CE)', value: 'CE' },
					{ name: 'Put (PE)', value: 'PE' },
				],
				default: 'CE',
			},
			{
				displayName: 'Strike (₹)',
				name: 'strike',
				type: 'number',
				default: 0,
				description: 'Strike price in rupees, e.g. 24000',
			},
			{
				displayName: 'Type',
				name: 'derivativeType',
				type: 'options',
				options: [
					{ name: 'Future', value: 'FUT' },
					{ name: 'Option', value: 'OPT' },
					{ name: 'Stock', value: 'STOCK' },
				],
				default: 'STOCK',
			},
		],
	},
	{
		displayName: 'Limit',
		name: 'limit',
		type: 'number',
		typeOptions: { minValue: 1 },
		default: 50,
		displayOptions: { show: { resource: ['instrument'], operation: ['search'] } },
		description: 'Max number of results to return',
	},
];

const options: INodeProperties = {
	displayName: 'Options',
	name: 'options',
	type: 'collection',
	placeholder: 'Add Option',
	default: {},
	options: [
		{
			displayName: 'Max Requests per Second',
			name: 'maxRequestsPerSecond',
			type: 'number',
			typeOptions: { minValue: 0 },
			default: 0,
			description:
				"Trading requests (place, modify, cancel, margin) per second for this account in this n8n process; more wait their turn. 0 uses Nubra's limit for the environment: 10 on Production, 100 on UAT (10 for Custom).",
		},
		{
			displayName: 'Round to Tick',
			name: 'roundToTick',
			type: 'options',
			options: [
				{ name: 'No: Stop on an Off-Tick Price', value: 'none' },
				{ name: 'To the Nearest Tick', value: 'nearest' },
				{ name: 'Up to the Next Tick', value: 'up' },
				{ name: 'Down to the Previous Tick', value: 'down' },
			],
			default: 'none',
			description:
				"What to do with a price that is not on the instrument's tick size. By default the item fails and names the two nearest valid prices.",
		},
		{
			displayName: 'Skip If Tag Already Used Today',
			name: 'skipIfTagUsed',
			type: 'boolean',
			default: true,
			description:
				"Whether Place first looks for today's orders with the same tag and, if one exists, returns it (alreadyPlaced: true) instead of placing again. Keeps n8n's Retry On Fail from placing twice. If you reuse one tag for many orders, make it unique per order or turn this off.",
		},
	],
};

export const nubraProperties: INodeProperties[] = [
	environment,
	resource,
	orderOperation,
	marginOperation,
	portfolioOperation,
	instrumentOperation,
	...ticketFields,
	...modifyFields,
	...cancelFields,
	...getFields,
	...portfolioFields,
	...instrumentFields,
	options,
];
