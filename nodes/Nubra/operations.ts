import type { IDataObject, IExecuteFunctions, INodeParameterResourceLocator } from 'n8n-workflow';

import { SENTINEL_BUCKETS, type SentinelBucket } from '../../client/sentinel';
import { NUBRA_ERROR_CODES, NubraError } from '../../client/errors';
import type { NubraInstrument } from '../../client/instruments';
import {
	automaticTag,
	buildModifyItem,
	buildOrderItem,
	orderIdValue,
	shapeFunds,
	shapeHolding,
	shapeMargin,
	shapeOrderRow,
	shapePosition,
	type ExitTriggerKind,
	type ModifyInput,
	type NubraTrading,
	type OrderInput,
	type OrderItem,
} from '../../client/trading';
import { paiseToRupees, withRupeeTwins, type TickRounding } from '../../client/units';

/** What one item produces: zero or more output items. */
export type OperationResult = IDataObject[];

/** The "Exits" collection: the exit fields of an order, by the same names. */
type ExitParameters = Pick<
	OrderInput,
	| 'entryTriggerPrice'
	| 'stopLossTriggerPrice'
	| 'stopLossLimitPrice'
	| 'trailingStopJump'
	| 'targetTriggerPrice'
	| 'targetLimitPrice'
>;

export interface NodeOptions {
	maxRequestsPerSecond?: number;
	roundToTick?: TickRounding;
	skipIfTagUsed?: boolean;
}

function invalid(message: string, hint: string): NubraError {
	return new NubraError(NUBRA_ERROR_CODES.INVALID_ORDER, message, { hint });
}

function refIdOf(ctx: IExecuteFunctions, itemIndex: number): number {
	const locator = ctx.getNodeParameter('instrument', itemIndex) as
		INodeParameterResourceLocator | string | number;
	const raw = typeof locator === 'object' && locator !== null ? locator.value : locator;
	const text = String(raw ?? '').trim();
	if (!/^\d+$/.test(text)) {
		throw new NubraError(
			NUBRA_ERROR_CODES.UNKNOWN_INSTRUMENT,
			`Instrument "${text}" is not a Nubra ref_id`,
			{
				hint: 'Pick the instrument from the list, or give its numeric ref_id (Instrument → Search finds it).',
			},
		);
	}
	return Number(text);
}

function orderIdText(value: unknown, field: string): string {
	const text = String(value ?? '').trim();
	if (!/^\d+$/.test(text)) {
		throw invalid(
			`${field} "${text}" is not an order ID`,
			'Use the numeric intentOrderId (orderId) of an order of today.',
		);
	}
	return text;
}

/** The order ticket shared by Place and Margin → Required, checked and built into a V3 item. */
async function orderTicket(
	ctx: IExecuteFunctions,
	trading: NubraTrading,
	itemIndex: number,
	options: NodeOptions,
): Promise<{ item: OrderItem; instrument: NubraInstrument }> {
	const instrument = await trading.instrument(refIdOf(ctx, itemIndex));
	const priceType = ctx.getNodeParameter('priceType', itemIndex) as OrderInput['priceType'];
	const exits = ctx.getNodeParameter('exits', itemIndex, {}) as ExitParameters;
	const input: OrderInput = {
		refId: instrument.refId,
		side: ctx.getNodeParameter('side', itemIndex) as OrderInput['side'],
		quantity: ctx.getNodeParameter('quantity', itemIndex) as number,
		priceType,
		deliveryType: ctx.getNodeParameter('deliveryType', itemIndex) as OrderInput['deliveryType'],
		...exits,
	};
	if (priceType === 'LIMIT') {
		input.price = ctx.getNodeParameter('price', itemIndex) as number;
		input.validity = ctx.getNodeParameter('validity', itemIndex) as OrderInput['validity'];
		if (input.validity === 'GTE')
			input.goodTillDate = String(ctx.getNodeParameter('goodTillDate', itemIndex) ?? '');
	}
	const operation = ctx.getNodeParameter('operation', itemIndex) as string;
	if (operation === 'place') {
		const tag = String(ctx.getNodeParameter('tag', itemIndex, '') ?? '').trim();
		if (tag !== '') input.tag = tag;
	}
	return { item: buildOrderItem(input, instrument, options.roundToTick ?? 'none'), instrument };
}

function instrumentItem(instrument: NubraInstrument): IDataObject {
	return {
		...withRupeeTwins({ ...instrument }, ['strikePrice', 'tickSize']),
		label: `${instrument.symbol} · ${instrument.exchange}`,
	} as IDataObject;
}

/** The V3 item as sent, with rupee twins of its prices (for Validate Only and margin items). */
function itemWithRupees(item: OrderItem): IDataObject {
	return {
		...item,
		entryPriceRupees: item.entryPrice === undefined ? null : paiseToRupees(item.entryPrice),
	} as IDataObject;
}

export async function placeOrder(
	ctx: IExecuteFunctions,
	trading: NubraTrading,
	itemIndex: number,
	options: NodeOptions,
): Promise<OperationResult> {
	const { item, instrument } = await orderTicket(ctx, trading, itemIndex, options);
	if (ctx.getNodeParameter('validateOnly', itemIndex, false) as boolean) {
		const margin = shapeMargin(await trading.marginRequired(item));
		const funds = await trading.funds();
		const required = Number(margin.totalFundsRequired);
		const available = Number(funds.netMarginAvailable);
		const sufficient =
			Number.isFinite(required) && Number.isFinite(available) ? required <= available : null;
		return [
			{
				validateOnly: true,
				placed: false,
				valid: true,
				sufficientFunds: sufficient,
				netMarginAvailable: funds.netMarginAvailable ?? null,
				netMarginAvailableRupees: paiseToRupees(funds.netMarginAvailable),
				instrument: instrumentItem(instrument),
				order: itemWithRupees(item),
				margin: margin as IDataObject,
			},
		];
	}
	if (item.stratTags === undefined) {
		const executionId = ctx.getExecutionId();
		// Same execution, node and item → same tag: a retried item finds the order it placed.
		if (executionId)
			item.stratTags = [automaticTag(String(executionId), ctx.getNode().name, itemIndex)];
	}
	const tag = item.stratTags?.[0];
	if (tag !== undefined && options.skipIfTagUsed !== false) {
		const [existing] = await trading.ordersTagged(tag);
		if (existing !== undefined) {
			return [
				{
					...shapeOrderRow(existing.row, existing.bucket),
					placed: false,
					alreadyPlaced: true,
					tag,
				} as IDataObject,
			];
		}
	}
	const placed = await trading.placeOrder(item);
	return [
		{
			...shapeOrderRow(placed.row),
			placed: true,
			alreadyPlaced: false,
			tag: tag ?? null,
			message: placed.message,
		} as IDataObject,
	];
}

export async function marginRequired(
	ctx: IExecuteFunctions,
	trading: NubraTrading,
	itemIndex: number,
	options: NodeOptions,
): Promise<OperationResult> {
	const { item, instrument } = await orderTicket(ctx, trading, itemIndex, options);
	const margin = shapeMargin(await trading.marginRequired(item));
	return [
		{
			...margin,
			instrument: instrumentItem(instrument),
			order: itemWithRupees(item),
		} as IDataObject,
	];
}

async function todaysOrder(trading: NubraTrading, orderId: string) {
	const found = await trading.order(orderId);
	if (found === undefined) {
		throw new NubraError(
			NUBRA_ERROR_CODES.REQUEST_REFUSED,
			`Order ${orderId} is not in today's Nubra order book`,
			{
				hint: 'Check the order ID and the environment: Nubra lists the orders of the current trading day only, and UAT and Production have separate books.',
			},
		);
	}
	return found;
}

export async function modifyOrder(
	ctx: IExecuteFunctions,
	trading: NubraTrading,
	itemIndex: number,
	options: NodeOptions,
): Promise<OperationResult> {
	const orderId = orderIdText(ctx.getNodeParameter('orderId', itemIndex), 'Order ID');
	const changes = ctx.getNodeParameter('changes', itemIndex, {}) as ModifyInput;
	const { row } = await todaysOrder(trading, orderId);
	const refId = Number(row.refId ?? row.legs?.[0]?.refId);
	// The row's own lot and tick save loading the master; without them the master decides.
	const lotSize = Number(row.refData?.lotSize);
	const tickSize = Number(row.refData?.tickSize);
	const instrument: NubraInstrument =
		lotSize > 0 && tickSize > 0
			? {
					refId,
					symbol: String(row.refData?.displayName ?? refId),
					exchange: String(row.exchange ?? row.refData?.exchange ?? ''),
					lotSize,
					tickSize,
				}
			: await trading.instrument(refId);
	const item = buildModifyItem(row, changes, instrument, options.roundToTick ?? 'none');
	const message = await trading.modifyOrder(item);
	return [
		{
			orderId,
			modifyRequested: true,
			message,
			request: withRupeeTwins(item, ['entryPrice']) as IDataObject,
			before: shapeOrderRow(row) as IDataObject,
		},
	];
}

export async function cancelOrders(
	ctx: IExecuteFunctions,
	trading: NubraTrading,
	itemIndex: number,
): Promise<OperationResult> {
	const what = ctx.getNodeParameter('cancelWhat', itemIndex, 'orders') as 'orders' | 'exitTrigger';
	if (what === 'exitTrigger') {
		const orderId = orderIdText(ctx.getNodeParameter('orderId', itemIndex), 'Order ID');
		const kind = ctx.getNodeParameter('exitTriggerKind', itemIndex) as ExitTriggerKind;
		const message = await trading.cancelExitTrigger(orderIdValue(orderId), kind);
		return [{ orderId, exitTriggerKind: kind, cancelRequested: true, message }];
	}
	const raw = ctx.getNodeParameter('orderIds', itemIndex) as string | number | string[];
	const ids = (Array.isArray(raw) ? raw : String(raw).split(','))
		.map((id) => String(id).trim())
		.filter((id) => id !== '')
		.map((id) => orderIdText(id, 'Order ID'));
	if (ids.length === 0)
		throw invalid('No order ID to cancel', 'Give one order ID, or several separated by commas.');
	const message = await trading.cancelOrders(ids.map(orderIdValue));
	return [{ orderIds: ids, cancelRequested: true, message }];
}

export async function getOrder(
	ctx: IExecuteFunctions,
	trading: NubraTrading,
	itemIndex: number,
): Promise<OperationResult> {
	const orderId = orderIdText(ctx.getNodeParameter('orderId', itemIndex), 'Order ID');
	const { row, bucket } = await todaysOrder(trading, orderId);
	return [shapeOrderRow(row, bucket) as IDataObject];
}

export async function getManyOrders(
	ctx: IExecuteFunctions,
	trading: NubraTrading,
	itemIndex: number,
): Promise<OperationResult> {
	const filters = ctx.getNodeParameter('filters', itemIndex, {}) as {
		statuses?: SentinelBucket[];
		tag?: string;
	};
	const tag = filters.tag?.trim();
	const buckets = await trading.orders({ tags: tag ? [tag] : undefined });
	const wanted = filters.statuses?.length
		? SENTINEL_BUCKETS.filter((b) => filters.statuses?.includes(b))
		: SENTINEL_BUCKETS;
	const rows = wanted.flatMap((bucket) =>
		buckets[bucket].map((row) => shapeOrderRow(row, bucket) as IDataObject),
	);
	const returnAll = ctx.getNodeParameter('returnAll', itemIndex, false) as boolean;
	return returnAll ? rows : rows.slice(0, ctx.getNodeParameter('limit', itemIndex, 50) as number);
}

export async function positions(
	ctx: IExecuteFunctions,
	trading: NubraTrading,
	itemIndex: number,
): Promise<OperationResult> {
	const openOnly = ctx.getNodeParameter('openOnly', itemIndex, false) as boolean;
	const { rows } = await trading.positions();
	return rows.map(shapePosition).filter((row) => !openOnly || row.netQty !== 0) as IDataObject[];
}

export async function holdings(trading: NubraTrading): Promise<OperationResult> {
	const { rows } = await trading.holdings();
	return rows.map(shapeHolding) as IDataObject[];
}

export async function funds(trading: NubraTrading): Promise<OperationResult> {
	return [shapeFunds(await trading.funds()) as IDataObject];
}

export async function searchInstruments(
	ctx: IExecuteFunctions,
	trading: NubraTrading,
	itemIndex: number,
): Promise<OperationResult> {
	const filters = ctx.getNodeParameter('instrumentFilters', itemIndex, {}) as {
		exchange?: string;
		derivativeType?: string;
		expiry?: string;
		strike?: number;
		optionType?: 'CE' | 'PE';
	};
	const found = await trading.instruments.search(
		{
			text: ctx.getNodeParameter('searchText', itemIndex, '') as string,
			exchange: filters.exchange,
			derivativeType: filters.derivativeType,
			expiry: filters.expiry,
			strikePrice: filters.strike === undefined ? undefined : Math.round(filters.strike * 100),
			optionType: filters.optionType,
		},
		trading.exchanges,
		ctx.getNodeParameter('limit', itemIndex, 50) as number,
	);
	return found.map(instrumentItem);
}
