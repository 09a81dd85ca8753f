import {
	EQUITIES,
	OPTIONS,
	REJECTION_REASONS,
	TAGS,
	roundToTick,
	type Instrument,
} from './instruments';
import type {
	InstrumentSpec,
	LegSpec,
	OrderSpec,
	OrderStep,
	ScenarioMix,
	ScenarioOptions,
	ScenarioStep,
} from './types';

/** mulberry32: tiny, fast and good enough to make scenarios repeatable per seed. */
export function mulberry32(seed: number): () => number {
	let state = seed >>> 0;
	return () => {
		state = (state + 0x6d2b79f5) >>> 0;
		let t = state;
		t = Math.imul(t ^ (t >>> 15), t | 1);
		t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
		return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
	};
}

type Lifecycle = keyof ScenarioMix;

/** Mostly fills, as in a real day; every other lifecycle shows up in a few dozen orders. */
export const DEFAULT_MIX: Required<ScenarioMix> = {
	fill: 30,
	partialFill: 18,
	reject: 8,
	cancel: 10,
	modify: 10,
	stopLoss: 7,
	expire: 5,
	unsolicitedCancel: 4,
	basket: 8,
};

class Dice {
	readonly #next: () => number;

	constructor(seed: number) {
		this.#next = mulberry32(seed);
	}

	float(): number {
		return this.#next();
	}

	int(min: number, max: number): number {
		return min + Math.floor(this.#next() * (max - min + 1));
	}

	pick<T>(items: readonly T[]): T {
		return items[Math.floor(this.#next() * items.length)];
	}

	/** Fisher-Yates, so the order depends on the seed alone. */
	shuffle<T>(items: readonly T[]): T[] {
		const copy = [...items];
		for (let i = copy.length - 1; i > 0; i--) {
			const j = Math.floor(this.#next() * (i + 1));
			[copy[i], copy[j]] = [copy[j], copy[i]];
		}
		return copy;
	}

	chance(p: number): boolean {
		return this.#next() < p;
	}

	weighted<K extends string>(weights: Record<K, number>): K {
		const entries = Object.entries(weights) as [K, number][];
		let roll = this.#next() * entries.reduce((total, [, weight]) => total + weight, 0);
		for (const [key, weight] of entries) {
			roll -= weight;
			if (roll < 0) return key;
		}
		return entries[entries.length - 1][0];
	}
}

/**
 * A deterministic, interleaved day of orders: the same seed always yields the same steps. Each
 * order's steps stay in lifecycle order; which order moves next is drawn at random, with at most
 * a handful in flight, so updates of different orders interleave as on a real account.
 */
export function generateScenario(options: ScenarioOptions): ScenarioStep[] {
	const dice = new Dice(options.seed);
	const mix = { ...DEFAULT_MIX, ...options.mix };
	const pending: ScenarioStep[][] = [];
	const steps: ScenarioStep[] = [];
	let placed = 0;
	while (placed < options.orders || pending.length > 0) {
		const canStart = placed < options.orders && pending.length < 6;
		if (canStart && (pending.length === 0 || dice.chance(0.35))) {
			const key = `o${++placed}`;
			pending.push(lifecycle(dice, key, dice.weighted(mix)));
			continue;
		}
		const index = dice.int(0, pending.length - 1);
		const next = pending[index].shift();
		if (next) steps.push(next);
		if (pending[index].length === 0) pending.splice(index, 1);
	}
	return steps;
}

function lifecycle(dice: Dice, key: string, kind: Lifecycle): ScenarioStep[] {
	const spec = kind === 'basket' ? basketSpec(dice) : singleSpec(dice, kind === 'stopLoss');
	const place: ScenarioStep = { op: 'place', key, spec };
	const step = (s: OrderStep): ScenarioStep => ({ op: 'step', key, step: s });
	const accept = step({ type: 'accept' });
	const qty = spec.qty ?? 0;
	const lot = spec.lotSize ?? 1;
	const someLots = () => Math.max(1, Math.floor((qty / lot) * (0.2 + dice.float() * 0.4))) * lot;
	const canSplit = qty >= 2 * lot;
	switch (kind) {
		case 'fill':
			return [place, accept, step({ type: 'fill' })];
		case 'partialFill': {
			const fills = canSplit ? [step({ type: 'partialFill', qty: someLots() })] : [];
			return [place, accept, ...fills, step({ type: 'fill' })];
		}
		case 'reject':
			return [place, step({ type: 'reject', reason: dice.pick(REJECTION_REASONS) })];
		case 'cancel': {
			const fills =
				canSplit && dice.chance(0.4) ? [step({ type: 'partialFill', qty: someLots() })] : [];
			return [place, accept, ...fills, step({ type: 'cancel' })];
		}
		case 'modify': {
			const price = spec.price ?? 0;
			const newPrice = roundToTick(price * (spec.side === 'BUY' ? 1.002 : 0.998));
			const end = dice.chance(0.7) ? step({ type: 'fill' }) : step({ type: 'cancel' });
			return [
				place,
				accept,
				step({ type: 'modify', price: newPrice }),
				step({ type: 'modify', qty: qty + lot }),
				end,
			];
		}
		case 'stopLoss':
			return [place, accept, step({ type: 'trigger' }), step({ type: 'fill' })];
		case 'expire': {
			const fills =
				canSplit && dice.chance(0.5) ? [step({ type: 'partialFill', qty: someLots() })] : [];
			return [place, accept, ...fills, step({ type: 'expire' })];
		}
		case 'unsolicitedCancel':
			return [place, accept, step({ type: 'unsolicitedCancel' })];
		case 'basket':
			return basketLifecycle(dice, place, step, spec.legs?.length ?? 2);
	}
}

function basketLifecycle(
	dice: Dice,
	place: ScenarioStep,
	step: (s: OrderStep) => ScenarioStep,
	legCount: number,
): ScenarioStep[] {
	const accept = step({ type: 'accept' });
	const roll = dice.float();
	if (roll < 0.1) return [place, step({ type: 'reject', reason: dice.pick(REJECTION_REASONS) })];
	if (roll < 0.2) return [place, accept, step({ type: 'partialFill' }), step({ type: 'cancel' })];
	// Leg by leg, so each fill names its leg; sometimes the last legs complete together.
	const legFills = dice.chance(0.7) ? legCount - 1 : legCount - 2;
	return [
		place,
		accept,
		...Array.from({ length: legFills }, () => step({ type: 'partialFill' })),
		step({ type: 'fill' }),
	];
}

function singleSpec(dice: Dice, stopLoss: boolean): Partial<OrderSpec> {
	const instrument = dice.chance(0.55) ? dice.pick(EQUITIES) : dice.pick(OPTIONS);
	const side = dice.chance(0.6) ? 'BUY' : 'SELL';
	const lots = instrument.lotSize === 1 ? dice.int(1, 200) : dice.int(1, 10);
	const price = drift(dice, instrument);
	const spec: Partial<OrderSpec> = {
		...instrumentFields(instrument),
		side,
		qty: lots * instrument.lotSize,
		price,
		tag: dice.chance(0.85) ? dice.pick(TAGS) : '',
		priceType: 'LIMIT',
		deliveryType: instrument.derivativeType === 'STOCK' && dice.chance(0.5) ? 'CNC' : 'IDAY',
		validity: dice.chance(0.9) ? 'DAY' : 'IOC',
	};
	if (stopLoss) spec.triggerPrice = roundToTick(price * (side === 'BUY' ? 1.01 : 0.99));
	return spec;
}

/** Two to four option legs on one index: straddles, strangles, spreads and hedged shorts. */
function basketSpec(dice: Dice): Partial<OrderSpec> {
	const asset = dice.pick(['NIFTY', 'BANKNIFTY', 'SENSEX']);
	const chain = OPTIONS.filter((option) => option.asset === asset);
	const legCount = Math.min(chain.length, dice.int(2, 4));
	const shuffled = dice.shuffle(chain).slice(0, legCount);
	const lots = dice.int(1, 4);
	const legs: LegSpec[] = shuffled.map((instrument) => ({
		...instrumentFields(instrument),
		side: dice.chance(0.5) ? 'BUY' : 'SELL',
		qty: lots * instrument.lotSize,
		price: drift(dice, instrument),
	}));
	const names: Record<number, string> = { 2: 'STRADDLE', 3: 'RATIO SPREAD', 4: 'IRON CONDOR' };
	return {
		...instrumentFields(shuffled[0]),
		displayName: `${asset} ${names[legCount]}`,
		derivativeType: 'OPT',
		optionType: undefined,
		side: legs[0].side,
		qty: legs.reduce((total, leg) => total + leg.qty, 0),
		price: legs.reduce((total, leg) => total + leg.price, 0),
		lotSize: shuffled[0].lotSize,
		tag: dice.pick(['hedge', 'straddle-1', 'condor-2', 'spread-3']),
		priceType: 'LIMIT',
		deliveryType: 'IDAY',
		validity: 'DAY',
		legs,
	};
}

function instrumentFields({
	referencePrice: _referencePrice,
	...fields
}: Instrument): InstrumentSpec {
	return fields;
}

/** Within ±2 % of the reference price, on the tick. */
function drift(dice: Dice, instrument: Instrument): number {
	return roundToTick(instrument.referencePrice * (0.98 + dice.float() * 0.04));
}
