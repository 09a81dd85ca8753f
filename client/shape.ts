import { toApproxNumber } from './int64';
import { GENERATION_EXTRAS, GENERATION_LEG_FIELDS } from './normalise';
import type { DeliveredEvent, StreamStatus } from './stream';
import { LiveDelivery } from './stream/delivered';
import type { NubraApiVersion, NubraEvent, NubraLeg } from './types';

export interface ItemShapeOptions {
	/** 'simplified': the flat event; 'full': the whole decoded message (or snapshot row). */
	output: 'simplified' | 'full';
	/** Add `<field>_rupees` beside each paise field (paise ÷ 100). */
	addRupeeAmounts: boolean;
	/** Add `received_at`, `recovered` and `dedup_key`. */
	includeMetadata: boolean;
}

/** Leg paise fields and their rupee fields; the flat item's are converted in `addRupees`. */
const LEG_PAISE_FIELDS = ['order_price', 'avg_price', 'trade_price'] as const;
const LEG_RUPEE_FIELDS = LEG_PAISE_FIELDS.map((field) => `${field}_rupees`);

function rupees(value: unknown): number | null {
	return value === null || value === undefined ? null : toApproxNumber(value) / 100;
}

/** The fields every event has (`NubraEvent` without its optional and extra ones). */
type CoreFields = {
	[
		K in keyof NubraEvent as string extends K ? never : undefined extends NubraEvent[K] ? never : K
	]: NubraEvent[K];
};

/**
 * The item's copy of an event's fields, as one object literal: V8 gives it a fixed layout with
 * room for every field, so the fields added after (rupees, metadata) stay cheap. A spread or
 * `Object.assign` copy that fields are then added to falls back to a slow dictionary object
 * (see bench/README.md for the figures).
 */
function copyCoreFields(e: NubraEvent): CoreFields {
	return {
		event: e.event,
		api_version: e.api_version,
		status: e.status,
		request: e.request,
		order_id: e.order_id,
		ref_id: e.ref_id,
		exchange: e.exchange,
		exchange_order_id: e.exchange_order_id,
		display_name: e.display_name,
		side: e.side,
		order_qty: e.order_qty,
		order_price: e.order_price,
		filled_qty: e.filled_qty,
		avg_price: e.avg_price,
		trade_qty: e.trade_qty,
		trade_price: e.trade_price,
		trigger_price: e.trigger_price,
		order_status: e.order_status,
		response_type: e.response_type,
		request_type: e.request_type,
		order_type: e.order_type,
		order_type_v2: e.order_type_v2,
		strategy_type: e.strategy_type,
		price_type: e.price_type,
		validity_type: e.validity_type,
		delivery_type: e.delivery_type,
		tag: e.tag,
		tags: e.tags,
		update_msg: e.update_msg,
		asset: e.asset,
		asset_type: e.asset_type,
		derivative_type: e.derivative_type,
		is_sor: e.is_sor,
		last_modified: e.last_modified,
		last_modified_at: e.last_modified_at,
		leg_size: e.leg_size,
		algo_duration: e.algo_duration,
		max_prate: e.max_prate,
		algo_params: e.algo_params,
	};
}

const CORE_ORDER: readonly string[] = Object.keys(copyCoreFields({} as NubraEvent));
const CORE_FIELDS: ReadonlySet<string> = new Set(CORE_ORDER);

/**
 * A copy of the event that fields can be added to: the core fields, then its extra ones, but
 * not those left undefined (fields a generation names on every event and sets on some).
 */
function extensibleCopy(event: NubraEvent): ShapedItem {
	const item: ShapedItem = copyCoreFields(event);
	// The normaliser writes the core fields first, in this order: those are matched by position
	// (no lookup); any other key is checked, so an event in another order is copied whole too.
	let position = 0;
	for (const key in event) {
		if (position < CORE_ORDER.length && key === CORE_ORDER[position]) {
			position++;
			continue;
		}
		position = CORE_ORDER.length;
		const value = event[key];
		if (value !== undefined && !CORE_FIELDS.has(key)) item[key] = value;
	}
	return item;
}

/** The flat item's paise fields that always get a rupee twin (and `ltp` when the event has it). */
const RUPEE_FIELDS = ['order_price', 'avg_price', 'trade_price', 'trigger_price'] as const;
const RUPEE_KEYS = RUPEE_FIELDS.map((name) => `${name}_rupees`);

/** Adds `<field>_rupees` after the fields, for each paise field the event has. */
function addRupees(item: ShapedItem, event: NubraEvent): void {
	for (let i = 0; i < RUPEE_FIELDS.length; i++)
		item[RUPEE_KEYS[i]] = rupees(event[RUPEE_FIELDS[i]]);
	if ('ltp' in event) item.ltp_rupees = rupees(event.ltp);
	if (event.legs) item.legs = event.legs.map(legWithRupees);
}

function legWithRupees(leg: NubraLeg): ShapedItem {
	const out: ShapedItem = {};
	for (const key in leg) out[key] = leg[key as keyof NubraLeg];
	for (let i = 0; i < LEG_PAISE_FIELDS.length; i++) {
		const field = LEG_PAISE_FIELDS[i];
		if (field in leg) out[LEG_RUPEE_FIELDS[i]] = rupees(leg[field]);
	}
	return out;
}

/** The ISO text of the last receive time: the events of a burst mostly share a millisecond. */
let lastReceivedMs = Number.NaN;
let lastReceivedIso = '';

function receivedIso(at: Date): string {
	const ms = at.getTime();
	if (ms !== lastReceivedMs) {
		lastReceivedIso = at.toISOString();
		lastReceivedMs = ms;
	}
	return lastReceivedIso;
}

export type ShapedItem = Record<string, unknown>;

/** The JSON of the workflow item for one delivered event. */
export function shapeEventItem(delivered: DeliveredEvent, options: ItemShapeOptions): ShapedItem {
	const event: NubraEvent = delivered.event;
	if (options.output === 'full') {
		const item: ShapedItem = {
			event: event.event,
			api_version: event.api_version,
			status: event.status,
			order_id: event.order_id,
			message: delivered.message ?? null,
		};
		if (options.includeMetadata) addMetadata(item, delivered);
		return item;
	}
	if (delivered instanceof LiveDelivery) return decodedItem(delivered, options);
	const item = extensibleCopy(event);
	if (options.addRupeeAmounts) addRupees(item, event);
	if (options.includeMetadata) addMetadata(item, delivered);
	return item;
}

function addMetadata(item: ShapedItem, delivered: DeliveredEvent): void {
	item.received_at = receivedIso(delivered.receivedAt);
	item.recovered = delivered.recovered;
	item.dedup_key = delivered.dedupKey;
}

type ItemBuilder = (event: NubraEvent, delivered: DeliveredEvent) => ShapedItem;

const GENERATIONS: readonly NubraApiVersion[] = ['v1', 'v2', 'v3'];

/** Item builders by generation, then by the extras present and the options (see `decodedItem`). */
const itemBuilders: Array<Array<ItemBuilder | undefined>> = GENERATIONS.map(() => []);

/**
 * The item of a decoded event, made by one object literal of exactly the fields it will have, as
 * `extensibleCopy` + `addRupees` + `addMetadata` would make it, in the same order. A decoded
 * event of a generation always names the same fields (`GENERATION_EXTRAS`), so its item depends
 * only on which extras are set and on the options: a builder for each is generated when first
 * needed. Adding fields to a copy instead moves the object through a chain of layouts and grows
 * its out-of-object storage several times per item.
 */
function decodedItem(delivered: DeliveredEvent, options: ItemShapeOptions): ShapedItem {
	const event = delivered.event;
	const version = event.api_version;
	const generation = version === 'v1' ? 0 : version === 'v2' ? 1 : 2;
	const present = presentExtras[generation](event);
	const slot = present * 4 + (options.addRupeeAmounts ? 2 : 0) + (options.includeMetadata ? 1 : 0);
	const builders = itemBuilders[generation];
	let build = builders[slot];
	if (build === undefined) {
		build = itemBuilder(generation, present, options);
		builders[slot] = build;
	}
	return build(event, delivered);
}

/**
 * For each generation, the bit set of its extras that an event sets (bit i: extra i is not
 * undefined), read by name: a loop reading `event[name]` with changing names costs a generic
 * lookup per field.
 */
const presentExtras: ReadonlyArray<(event: NubraEvent) => number> = GENERATIONS.map((version) => {
	const bits = GENERATION_EXTRAS[version].map(
		(name, i) => `(e[${JSON.stringify(name)}] !== undefined ? ${1 << i} : 0)`,
	);
	return new Function(`return function present(e) { return ${bits.join(' | ')}; };`)() as (
		event: NubraEvent,
	) => number;
});

const field = (name: string, value: string) => `${JSON.stringify(name)}: ${value}`;
const read = (object: string, name: string) => `${object}[${JSON.stringify(name)}]`;

/** For each generation, what `legWithRupees` makes of a decoded leg, as one object literal. */
const legsWithRupees: ReadonlyArray<(leg: NubraLeg) => ShapedItem> = GENERATIONS.map((version) => {
	const names: readonly string[] = GENERATION_LEG_FIELDS[version];
	const parts = names.map((name) => field(name, read('l', name)));
	LEG_PAISE_FIELDS.forEach((name, i) => {
		if (names.includes(name)) parts.push(field(LEG_RUPEE_FIELDS[i], `rupees(${read('l', name)})`));
	});
	const factory = new Function(
		'rupees',
		`return function leg(l) { return { ${parts.join(', ')} }; };`,
	) as (helper: typeof rupees) => (leg: NubraLeg) => ShapedItem;
	return factory(rupees);
});

function itemBuilder(generation: number, present: number, options: ItemShapeOptions): ItemBuilder {
	const extras: readonly string[] = GENERATION_EXTRAS[GENERATIONS[generation]];
	const e = (name: string) => read('e', name);
	const parts = CORE_ORDER.map((name) => field(name, e(name)));
	extras.forEach((name, i) => {
		if ((present & (1 << i)) === 0) return;
		const withRupees = name === 'legs' && options.addRupeeAmounts;
		parts.push(field(name, withRupees ? `${e(name)}.map(legWithRupees)` : e(name)));
	});
	if (options.addRupeeAmounts) {
		RUPEE_FIELDS.forEach((name, i) => parts.push(field(RUPEE_KEYS[i], `rupees(${e(name)})`)));
		if (extras.includes('ltp')) parts.push(field('ltp_rupees', `rupees(${e('ltp')})`));
	}
	if (options.includeMetadata) {
		parts.push(
			field('received_at', 'receivedIso(d.receivedAt)'),
			field('recovered', 'd.recovered'),
			field('dedup_key', 'd.dedupKey'),
		);
	}
	const factory = new Function(
		'rupees',
		'legWithRupees',
		'receivedIso',
		`return function item(e, d) { return { ${parts.join(', ')} }; };`,
	) as (...helpers: unknown[]) => ItemBuilder;
	return factory(rupees, legsWithRupees[generation], receivedIso);
}

/**
 * The item for a connection event (when the user asked for them), or null for statuses
 * that are not worth a workflow run (connecting, reconnecting, warnings).
 */
export function shapeConnectionItem(
	status: StreamStatus,
	at: Date = new Date(),
): ShapedItem | null {
	const base = { event: 'connection', state: status.state, at: at.toISOString() };
	switch (status.state) {
		case 'connected':
			return { ...base, url: status.url, attempt: status.attempt };
		case 'disconnected':
			return { ...base, reason: status.reason, code: status.code ?? null };
		case 'recovered':
			return { ...base, recovered_count: status.count };
		case 'gave-up':
		case 'session-contested':
			return {
				...base,
				reason: status.error.message,
				code: status.error.code,
				hint: status.error.hint ?? null,
			};
		case 'session-replaced':
			return { ...base, replaced_count: status.count, login_again_in_ms: status.inMs };
		default:
			return null;
	}
}
