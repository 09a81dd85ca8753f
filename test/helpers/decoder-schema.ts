/**
 * Test-only helpers for the decoder suites: schema reflection (every enum-typed field reachable
 * from the three order-update messages), raw protobuf wire writing for unknown fields, and a
 * seeded PRNG so fuzz cases are reproducible.
 */
import * as protobuf from 'protobufjs';

import { loadNubraSchema, MESSAGE_NAMES } from '../../client/schema';
import { messageType, wrapAny, type Generation } from './frames';

export { messageType };

export const GENERATIONS: readonly Generation[] = ['v1', 'v2', 'v3'];

/** The encoded body of one order-update message, without the Any envelopes. */
export function encodeBody(generation: Generation, payload: Record<string, unknown>): Uint8Array {
	const type = messageType(generation);
	return type.encode(type.fromObject(payload)).finish();
}

/** A frame with a chosen inner type URL around an already encoded body. */
export function frameWithTypeUrl(typeUrl: string, body: Uint8Array): Buffer {
	return wrapAny(typeUrl, body);
}

export function defaultTypeUrl(generation: Generation): string {
	return `type.googleapis.com/${MESSAGE_NAMES[generation]}`;
}

/** Every enum declared in the loaded schema, found by walking the reflection tree. */
export function allEnums(): protobuf.Enum[] {
	const found: protobuf.Enum[] = [];
	const visit = (ns: protobuf.ReflectionObject) => {
		if (ns instanceof protobuf.Enum) {
			found.push(ns);
			return;
		}
		if (ns instanceof protobuf.Namespace) ns.nestedArray.forEach(visit);
	};
	visit(loadNubraSchema().root);
	// google.protobuf.* carries no enums we load, but keep only our own packages explicitly.
	return found.filter((e) => !e.fullName.startsWith('.google.'));
}

export interface PathStep {
	name: string;
	repeated: boolean;
}

export interface EnumFieldPath {
	generation: Generation;
	steps: PathStep[];
	field: protobuf.Field;
	enumType: protobuf.Enum;
	/** e.g. `v2:basket_params.order_params[].side` */
	key: string;
}

function pathKey(generation: Generation, steps: PathStep[]): string {
	return `${generation}:${steps.map((s) => s.name + (s.repeated ? '[]' : '')).join('.')}`;
}

/** Every enum-typed field reachable from a generation's top-level message (no cycles here). */
export function enumFieldPaths(generation: Generation): EnumFieldPath[] {
	const out: EnumFieldPath[] = [];
	const walk = (type: protobuf.Type, prefix: PathStep[], seen: Set<string>) => {
		for (const field of type.fieldsArray) {
			field.resolve();
			const steps = [...prefix, { name: field.name, repeated: field.repeated }];
			const resolved = field.resolvedType;
			if (resolved instanceof protobuf.Enum) {
				out.push({
					generation,
					steps,
					field,
					enumType: resolved,
					key: pathKey(generation, steps),
				});
			} else if (resolved instanceof protobuf.Type && !seen.has(resolved.fullName)) {
				walk(resolved, steps, new Set([...seen, resolved.fullName]));
			}
		}
	};
	const root = messageType(generation);
	walk(root, [], new Set([root.fullName]));
	return out;
}

/** Deep-sets `value` at `steps`, creating objects (and one-element arrays for repeated steps). */
export function setPath(
	target: Record<string, unknown>,
	steps: PathStep[],
	value: unknown,
): Record<string, unknown> {
	let cursor = target;
	steps.forEach((step, index) => {
		const last = index === steps.length - 1;
		if (last) {
			cursor[step.name] = step.repeated ? [value] : value;
			return;
		}
		if (step.repeated) {
			const list = (cursor[step.name] as Record<string, unknown>[] | undefined) ?? [{}];
			cursor[step.name] = list;
			cursor = list[0];
		} else {
			const next = (cursor[step.name] as Record<string, unknown> | undefined) ?? {};
			cursor[step.name] = next;
			cursor = next;
		}
	});
	return target;
}

/** Reads the value at `steps` from plain data (first element of repeated steps). */
export function getPath(source: unknown, steps: PathStep[]): unknown {
	let cursor: unknown = source;
	for (const step of steps) {
		if (cursor === null || typeof cursor !== 'object') return undefined;
		cursor = (cursor as Record<string, unknown>)[step.name];
		if (step.repeated) {
			if (!Array.isArray(cursor)) return undefined;
			cursor = cursor[0];
		}
	}
	return cursor;
}

/** Raw protobuf wire writing, to append fields the schema does not know. */
export function varint(value: bigint | number): number[] {
	let v = BigInt.asUintN(64, BigInt(value));
	const bytes: number[] = [];
	do {
		let byte = Number(v & BigInt(0x7f));
		v >>= BigInt(7);
		if (v !== BigInt(0)) byte |= 0x80;
		bytes.push(byte);
	} while (v !== BigInt(0));
	return bytes;
}

export function tag(fieldNumber: number, wireType: 0 | 1 | 2 | 3 | 4 | 5): number[] {
	return varint((fieldNumber << 3) | wireType);
}

/** One sample of every wire type for a field number the decoder must skip. */
export function unknownFieldSamples(fieldNumber: number): { label: string; bytes: number[] }[] {
	return [
		{ label: 'varint', bytes: [...tag(fieldNumber, 0), ...varint(BigInt('0xffffffffffffffff'))] },
		{ label: 'fixed64', bytes: [...tag(fieldNumber, 1), 1, 2, 3, 4, 5, 6, 7, 8] },
		{ label: 'length-delimited', bytes: [...tag(fieldNumber, 2), 3, 0x61, 0x62, 0x63] },
		{
			label: 'group',
			bytes: [...tag(fieldNumber, 3), ...tag(1, 0), 42, ...tag(fieldNumber, 4)],
		},
		{ label: 'fixed32', bytes: [...tag(fieldNumber, 5), 9, 9, 9, 9] },
	];
}

export function concatBytes(...parts: (Uint8Array | number[])[]): Uint8Array {
	const total = parts.reduce((n, p) => n + p.length, 0);
	const out = new Uint8Array(total);
	let offset = 0;
	for (const part of parts) {
		out.set(part, offset);
		offset += part.length;
	}
	return out;
}

/** A seeded PRNG (the simulator's), so every "random" case is reproducible from its seed. */
export { mulberry32 as seededRandom } from '../../simulator/scenario';

export function randomBytes(random: () => number, length: number): Uint8Array {
	const out = new Uint8Array(length);
	for (let i = 0; i < length; i++) out[i] = Math.floor(random() * 256);
	return out;
}
