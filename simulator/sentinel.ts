import {
	SENTINEL_BUCKETS,
	type SentinelBucket as Bucket,
	type SentinelOrderRow,
	type SentinelRefData,
} from '../client/sentinel';
import { TICK_PAISE } from './instruments';
import type { InstrumentSpec, NubraStatus, SimOrder } from './types';

/** Ids are bigints so they are written as bare int64 literals (see {@link sentinelOrders}). */
type SimRow = SentinelOrderRow<number | bigint>;

const BUCKET_OF: Record<NubraStatus, Bucket> = {
	PENDING: 'open',
	SENT: 'open',
	OPEN: 'open',
	PARTIALLY_FILLED: 'open',
	TRIGGERED: 'open',
	FILLED: 'executed',
	CANCELLED: 'cancelled',
	EXPIRED: 'expired',
	REJECTED: 'rejected',
	UNKNOWN: 'open',
};

const ROW_STATUS: Record<Bucket, string> = {
	open: 'OPEN',
	executed: 'EXECUTED',
	cancelled: 'CANCELLED',
	expired: 'EXPIRED',
	rejected: 'REJECTED',
	gtt: 'GTE',
};

export interface SnapshotFilter {
	intentOrderIds?: string[];
	stratTags?: string[];
}

/**
 * The catch-up snapshot as JSON text. Ids are written as bare int64 literals, as a Java or Go
 * backend would, so a client that parses them into doubles loses digits above 2^53 visibly.
 */
export function sentinelOrders(orders: SimOrder[], filter: SnapshotFilter): string {
	const buckets = Object.fromEntries(
		SENTINEL_BUCKETS.map((bucket) => [bucket, [] as SimRow[]]),
	) as Record<Bucket, SimRow[]>;
	for (const order of orders) {
		if (filter.intentOrderIds && !filter.intentOrderIds.includes(order.id)) continue;
		if (filter.stratTags && !filter.stratTags.includes(order.spec.tag)) continue;
		const bucket = BUCKET_OF[order.status];
		buckets[bucket].push(row(order, ROW_STATUS[bucket]));
	}
	return stringifyWithInt64({ orders: buckets });
}

function row(order: SimOrder, status: string): SimRow {
	const spec = order.spec;
	const iso = (ms: number) => new Date(ms).toISOString();
	const ended = order.status === 'CANCELLED' || order.status === 'EXPIRED';
	return {
		intentOrderId: BigInt(order.id),
		exchange: spec.exchange,
		status,
		isMulti: order.isBasket,
		legs: order.legs.map((leg) => ({
			refId: leg.refId,
			unitQty: leg.side === 'BUY' ? leg.qty : -leg.qty,
			orderQty: leg.qty,
			filledQty: leg.filledQty,
			filledPrice: leg.avgPrice,
			orderPrice: leg.price,
			refData: refData(leg),
		})),
		refId: spec.refId,
		refData: refData(spec),
		orderQty: order.orderQty,
		filledQty: order.filledQty,
		filledPrice: order.avgPrice,
		orderPrice: order.orderPrice,
		ltp: spec.price,
		deliveryType: spec.deliveryType,
		priceType: spec.priceType,
		validityType: spec.validity,
		executionMode: 'ENTRY',
		stratTags: spec.tag ? [spec.tag] : [],
		side: order.isBasket ? null : spec.side,
		intentOrderType: order.isBasket ? 'FLEXI' : spec.triggerPrice ? 'TRIGGER' : 'REGULAR',
		positionId: `POS-${order.id}`,
		exchangeOrderIds: order.status === 'REJECTED' ? [] : exchangeOrderIds(order),
		rejectionMsg: order.rejectionMsg ?? null,
		timestamps: {
			intentCreatedAt: iso(order.createdAt),
			sentToColoAt: order.status === 'REJECTED' ? null : iso(order.createdAt),
			filledAt: order.status === 'FILLED' ? iso(order.updatedAt) : null,
			cancelledAt: ended ? iso(order.updatedAt) : null,
			lastModifiedAt: iso(order.updatedAt),
			lastUpdatedAt: iso(order.updatedAt),
		},
	};
}

function exchangeOrderIds(order: SimOrder): bigint[] {
	const ids = order.isBasket
		? order.legs.map((leg) => leg.exchangeOrderId)
		: [order.exchangeOrderId];
	return ids.map((id) => BigInt(id));
}

function refData(instrument: InstrumentSpec): SentinelRefData {
	return {
		displayName: instrument.displayName,
		asset: instrument.asset,
		exchange: instrument.exchange,
		derivativeType: instrument.derivativeType,
		optionType: instrument.optionType ?? null,
		lotSize: instrument.lotSize,
		tickSize: TICK_PAISE,
	};
}

const INT64_MARK = '\u0001int64:';

function stringifyWithInt64(value: unknown): string {
	const text = JSON.stringify(value, (_key, item: unknown) =>
		typeof item === 'bigint' ? `${INT64_MARK}${item.toString()}` : item,
	);
	return text.replace(/"\\u0001int64:(-?\d+)"/g, '$1');
}
