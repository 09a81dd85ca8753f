/**
 * Every value of every enum in the schema, found by reflection so a value added to a .proto is
 * covered without touching this file: encoded into each field of that enum type, it must come
 * back as its wire name, in the normalised event where the event shows that field and always in
 * the full message (`includeMessage`). Unknown numbers (a newer server) come back as digits.
 */
import type * as protobuf from 'protobufjs';

import { decodeFrameDetailed } from '../../client/codec';
import { loadNubraSchema } from '../../client/schema';
import type { NubraEvent } from '../../client/types';
import { encodeFrame, type Generation } from '../helpers/frames';
import {
	allEnums,
	enumFieldPaths,
	GENERATIONS,
	getPath,
	setPath,
	type EnumFieldPath,
} from '../helpers/decoder-schema';

/** What each generation needs so the frame yields an (order, not basket) event. */
const BASE: Record<Generation, () => Record<string, unknown>> = {
	v1: () => ({ order_id: 1 }),
	v2: () => ({ id: 1 }),
	v3: () => ({ intent_order_response: { intent_order_id: 1 } }),
};

type Projection = { read: (event: NubraEvent) => unknown; stripExch?: boolean };
const top = (key: string): Projection => ({ read: (event) => event[key] });
const algo = (key: string): Projection => ({ read: (event) => event.algo_params?.[key] });

/**
 * Where the normalised event shows an enum field. Keys are reflection paths; an enum field
 * missing here is only checked in the full message (e.g. V2 option_type, V3 entry conditions).
 */
const EVENT_PROJECTION: Record<string, Projection> = {
	'v1:exch': { read: (event) => event.exchange, stripExch: true },
	'v1:side': top('side'),
	'v1:order_type': top('order_type'),
	'v1:order_status': top('order_status'),
	'v1:order_delivery_type': top('delivery_type'),
	'v1:strategy_type': top('strategy_type'),
	'v1:response_type': top('response_type'),
	'v1:order_type_v2': top('order_type_v2'),
	'v1:price_type': top('price_type'),
	'v1:validity_type': top('validity_type'),
	'v1:algo_params.benchmark_type': algo('benchmark_type'),
	'v1:request_type': top('request_type'),
	'v2:response_type': top('response_type'),
	'v2:delivery_type': top('delivery_type'),
	'v2:execution_type': top('order_type'),
	'v2:side': top('side'),
	'v2:price_type': top('price_type'),
	'v2:execution_status': top('order_status'),
	'v2:exch': { read: (event) => event.exchange, stripExch: true },
	'v2:request_type': top('request_type'),
	'v2:order_params.validity_type': top('validity_type'),
	// Without a top-level side the execution falls back to its order params' side.
	'v2:order_params.side': top('side'),
	'v2:order_params.algo_params.benchmark_type': algo('benchmark_type'),
	'v2:basket_params.order_params[].side': { read: (event) => event.legs?.[0]?.side },
	'v3:intent_order_response_type': top('response_type'),
	'v3:intent_order_requst_type': top('request_type'),
	'v3:intent_order_response.order_status': top('order_status'),
	'v3:intent_order_response.delivery_type': top('delivery_type'),
	'v3:intent_order_response.price_type': top('price_type'),
	'v3:intent_order_response.validity_type': top('validity_type'),
	'v3:intent_order_response.execution_mode': top('execution_mode'),
	'v3:intent_order_response.order_side': top('side'),
	'v3:intent_order_response.intent_order_type': top('order_type'),
	'v3:intent_order_response.exit_triggers[].kind': {
		read: (event) => event.exit_triggers?.[0]?.kind,
	},
	'v3:intent_order_response.exit_triggers[].condition_kind': {
		read: (event) => event.exit_triggers?.[0]?.condition_kind,
	},
	'v3:intent_order_response.exit_triggers[].status': {
		read: (event) => event.exit_triggers?.[0]?.status,
	},
};

const PATHS: EnumFieldPath[] = GENERATIONS.flatMap(enumFieldPaths);

function decodeWith(path: EnumFieldPath, value: number | string) {
	const payload = setPath(BASE[path.generation](), path.steps, value);
	const decoded = decodeFrameDetailed(encodeFrame(path.generation, payload), {
		includeMessage: true,
	});
	expect(decoded.events).toHaveLength(1);
	return { event: decoded.events[0], message: decoded.message };
}

/** The name users see for a wire enum name at this path. */
function shown(path: EnumFieldPath, name: string): string {
	return EVENT_PROJECTION[path.key]?.stripExch && name.startsWith('EXCH_') ? name.slice(5) : name;
}

/** A number no value of the enum uses. */
function unusedNumber(enumType: protobuf.Enum): number {
	return Math.max(...Object.values(enumType.values)) + 1000;
}

describe('schema reflection finds what this suite relies on', () => {
	it('every enum of the three proto files, each reachable from a frame field', () => {
		const enums = allEnums();
		// 10 (oms) + 4 (nubrafrontend) + 14 (v3) today: fewer means the reflection walk broke.
		expect(enums.length).toBeGreaterThanOrEqual(28);
		const reachable = new Set(PATHS.map((path) => path.enumType.fullName));
		const unreachable = enums.map((e) => e.fullName).filter((name) => !reachable.has(name));
		expect(unreachable).toEqual([]);
	});

	it('the event projection table names only real enum fields', () => {
		const keys = new Set(PATHS.map((path) => path.key));
		expect(Object.keys(EVENT_PROJECTION).filter((key) => !keys.has(key))).toEqual([]);
	});
});

describe.each(PATHS.map((path) => [path.key, path] as const))('%s', (_key, path) => {
	const values = Object.entries(path.enumType.values);
	const projection = EVENT_PROJECTION[path.key];

	// BenchmarkType has only its zero value publicly: nothing non-zero to name there.
	const named = values.filter(([, number]) => number !== 0);
	if (named.length > 0) {
		it.each(named)(
			'%s (= %i) decodes to its name, whether encoded by name or by number',
			(name, number) => {
				for (const encoded of [name, number]) {
					const { event, message } = decodeWith(path, encoded);
					expect(getPath(message, path.steps)).toBe(name);
					if (projection) expect(projection.read(event)).toBe(shown(path, name));
				}
			},
		);
	}

	it('the zero value is a proto3 default: off the wire, absent from event and message', () => {
		const zero = values.find(([, number]) => number === 0);
		expect(zero).toBeDefined();
		const { event, message } = decodeWith(path, 0);
		expect(getPath(message, path.steps)).toBeUndefined();
		if (projection) expect(projection.read(event) ?? null).toBeNull();
	});

	it.each([
		['above every known value', unusedNumber(path.enumType)],
		['negative', -3],
	])('an unknown number (%s) is shown as its digits', (_label, number) => {
		const { event, message } = decodeWith(path, number);
		expect(getPath(message, path.steps)).toBe(String(number));
		if (projection) expect(projection.read(event)).toBe(String(number));
	});
});

describe('enum tables come from the loaded schema, not from copies', () => {
	it('a valuesById lookup matches the decoded name for a spot value in each package', () => {
		const root = loadNubraSchema().root;
		expect(root.lookupEnum('protos.zanskarsecurities.oms.ExchangeType').valuesById[2]).toBe(
			'EXCH_BSE',
		);
		const { event } = decodeWith(PATHS.find((path) => path.key === 'v1:exch') as EnumFieldPath, 2);
		expect(event.exchange).toBe('BSE');
	});
});
