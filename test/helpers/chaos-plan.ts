import {
	generateScenario,
	mulberry32,
	type NubraApiVersion,
	type ScenarioStep,
} from '../../simulator';

/**
 * A seeded chaos plan: one long scenario cut into segments, each played in one API generation
 * with one fault injected part-way through. The same seed always gives the same plan.
 */

export type ChaosFault =
	/** The TCP connection is cut after a few more frames. */
	| { kind: 'drop'; afterFrames: number }
	/** The server goes silent (no frames, no pongs): only the heartbeat can tell. */
	| { kind: 'half-open' }
	/** `Invalid Token` mid-stream: the session is revoked. */
	| { kind: 'invalid-token' }
	/** Every session expires, then the connection drops: the reconnect must mint a new one. */
	| { kind: 'session-expiry' }
	/** A frame no decoder can read (garbage or cut short): skipped with a warning. */
	| { kind: 'malformed'; variant: 'garbage' | 'truncated' }
	/** The next order frames arrive cut in half: real changes lost on a live connection. */
	| { kind: 'corrupt'; frames: number }
	/** A text frame saying an error: a warning, the connection stays. */
	| { kind: 'server-error-text' }
	/** A frame over the 1 MiB limit: refused, reconnect and catch up. */
	| { kind: 'oversize' }
	/** The next `count` websocket upgrades get 503, then the connection drops. */
	| { kind: 'refuse'; count: number };

export interface ChaosSegment {
	/** Generation of the subscriptions made from this segment on. */
	version: NubraApiVersion;
	steps: ScenarioStep[];
	/** Steps played before the fault; the rest follow at once (often while disconnected). */
	faultAt: number;
	fault: ChaosFault;
}

export interface ChaosPlan {
	seed: number;
	orders: number;
	changes: number;
	segments: ChaosSegment[];
}

/**
 * Lifecycles every generation can express. One order's life spans segments, so generations:
 * V1/V2 have no EXPIRED and V2 FLEXI frames carry no basket totals (stream.variants.test.ts
 * covers those per generation).
 */
export const CROSS_GENERATION_MIX = { basket: 0, expire: 0 };

const FAULT_KINDS: ChaosFault['kind'][] = [
	'drop',
	'half-open',
	'invalid-token',
	'session-expiry',
	'malformed',
	'corrupt',
	'server-error-text',
	'oversize',
	'refuse',
];

/** Faults after which the stream must reconnect (the others keep the connection). */
export function faultReconnects(fault: ChaosFault): boolean {
	return (
		fault.kind !== 'malformed' && fault.kind !== 'corrupt' && fault.kind !== 'server-error-text'
	);
}

export function buildChaosPlan(
	seed: number,
	options: { orders: number; segments: number },
): ChaosPlan {
	const random = mulberry32(seed ^ 0x5eed);
	const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)];
	const steps = generateScenario({ seed, orders: options.orders, mix: CROSS_GENERATION_MIX });
	const changes = steps.filter((step) => step.op === 'step').length;
	// Every fault kind at least once, the rest drawn at random, in a seeded order.
	const kinds = [...FAULT_KINDS];
	while (kinds.length < options.segments) kinds.push(pick(FAULT_KINDS));
	for (let i = kinds.length - 1; i > 0; i--) {
		const j = Math.floor(random() * (i + 1));
		[kinds[i], kinds[j]] = [kinds[j], kinds[i]];
	}
	const segments: ChaosSegment[] = [];
	const size = Math.ceil(steps.length / kinds.length);
	for (let i = 0; i < kinds.length; i++) {
		const slice = steps.slice(i * size, (i + 1) * size);
		if (slice.length === 0) break;
		const kind = kinds[i];
		let fault: ChaosFault;
		if (kind === 'drop') fault = { kind, afterFrames: 1 + Math.floor(random() * 20) };
		else if (kind === 'malformed')
			fault = { kind, variant: pick(['garbage', 'truncated'] as const) };
		else if (kind === 'refuse') fault = { kind, count: 1 + Math.floor(random() * 3) };
		else if (kind === 'corrupt') fault = { kind, frames: 1 + Math.floor(random() * 3) };
		else fault = { kind };
		segments.push({
			version: pick(['v1', 'v2', 'v3'] as const),
			steps: slice,
			faultAt: Math.floor(slice.length * (0.2 + random() * 0.6)),
			fault,
		});
	}
	return { seed, orders: options.orders, changes, segments };
}

/** One line per segment, for failure messages. */
export function describePlan(plan: ChaosPlan): string {
	return plan.segments
		.map(
			(s, i) =>
				`#${i} ${s.version} ${s.steps.length} steps, ${JSON.stringify(s.fault)} at ${s.faultAt}`,
		)
		.join('\n');
}
