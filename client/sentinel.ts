/**
 * `GET /sentinel/orders`, the order book snapshot (section 8 of the protocol reference): its
 * row, its buckets and how an answer is read. The auth client fetches it, the catch-up reads
 * its rows, and the simulator writes it from this one model.
 */

/** A 64-bit id as REST sends it: a number, or a decimal string when it would lose precision. */
export type SentinelInt64 = number | string;

/** The buckets of `/sentinel/orders`, in Nubra's order; every row is an order's current state. */
export const SENTINEL_BUCKETS = [
	'open',
	'executed',
	'cancelled',
	'expired',
	'rejected',
	'gtt',
] as const;
export type SentinelBucket = (typeof SENTINEL_BUCKETS)[number];

/** What `/sentinel/orders` says about an instrument. */
export interface SentinelRefData {
	displayName?: string | null;
	asset?: string | null;
	exchange?: string | null;
	derivativeType?: string | null;
	optionType?: string | null;
	lotSize?: number | null;
	tickSize?: number | null;
	[key: string]: unknown;
}

/** One leg of a strategy order's row; `unitQty` is signed (+ buys, − sells). */
export interface SentinelLeg<Int = SentinelInt64> {
	refId?: Int | null;
	unitQty?: number | null;
	orderQty?: number | null;
	filledQty?: number | null;
	filledPrice?: Int | null;
	orderPrice?: Int | null;
	refData?: SentinelRefData | null;
	[key: string]: unknown;
}

/**
 * One row (camelCase, prices in paise, timestamps RFC 3339). Nubra may send `null` for any
 * absent value. `Int` is how 64-bit ids are held: REST readers get {@link SentinelInt64}.
 */
export interface SentinelOrderRow<Int = SentinelInt64> {
	intentOrderId: Int;
	exchange?: string | null;
	/** `OPEN`, `EXECUTED`, `CANCELLED`, `EXPIRED`, `REJECTED`, `GTE`, … */
	status?: string | null;
	isMulti?: boolean | null;
	legs?: Array<SentinelLeg<Int>> | null;
	refId?: Int | null;
	refData?: SentinelRefData | null;
	orderQty?: number | null;
	filledQty?: number | null;
	filledPrice?: Int | null;
	orderPrice?: Int | null;
	ltp?: Int | null;
	deliveryType?: string | null;
	priceType?: string | null;
	validityType?: string | null;
	executionMode?: string | null;
	stratTags?: string[] | null;
	side?: string | null;
	intentOrderType?: string | null;
	positionId?: string | null;
	exchangeOrderIds?: Int[] | null;
	rejectionMsg?: string | null;
	timestamps?: {
		intentCreatedAt?: string | null;
		sentToColoAt?: string | null;
		filledAt?: string | null;
		cancelledAt?: string | null;
		lastModifiedAt?: string | null;
		lastUpdatedAt?: string | null;
	} | null;
	[key: string]: unknown;
}

export type SentinelOrders = Record<SentinelBucket, SentinelOrderRow[]>;

export interface SentinelOrdersQuery {
	intentOrderIds?: SentinelInt64[];
	stratTags?: string[];
}

function objectOrUndefined(value: unknown): Record<string, unknown> | undefined {
	return value !== null && typeof value === 'object' && !Array.isArray(value)
		? (value as Record<string, unknown>)
		: undefined;
}

/**
 * The buckets of an `orders` object. A missing or non-array bucket is empty; a row that is not
 * an object is dropped. Row fields are read defensively where they are used.
 */
function readBuckets(orders: Record<string, unknown>): SentinelOrders {
	const result = {} as SentinelOrders;
	for (const bucket of SENTINEL_BUCKETS) {
		const rows = orders[bucket];
		result[bucket] = Array.isArray(rows)
			? rows.filter((row): row is SentinelOrderRow => objectOrUndefined(row) !== undefined)
			: [];
	}
	return result;
}

/** The buckets of a `/sentinel/orders` answer; undefined when it has no `orders` object. */
export function parseSentinelOrders(body: unknown): SentinelOrders | undefined {
	const orders = objectOrUndefined(objectOrUndefined(body)?.orders);
	return orders === undefined ? undefined : readBuckets(orders);
}

/** Every row of a snapshot, in bucket order (open first). */
export function flattenSentinelOrders(orders: SentinelOrders): SentinelOrderRow[] {
	return SENTINEL_BUCKETS.flatMap((bucket) => orders[bucket]);
}

/**
 * Every row of a snapshot, from the whole answer or from its `orders` object (what
 * `fetchSentinelOrders` returns); none when it is neither.
 */
export function snapshotRows(bodyOrOrders: unknown): SentinelOrderRow[] {
	const outer = objectOrUndefined(bodyOrOrders);
	if (outer === undefined) return [];
	const orders = 'orders' in outer ? objectOrUndefined(outer.orders) : outer;
	return orders === undefined ? [] : flattenSentinelOrders(readBuckets(orders));
}
