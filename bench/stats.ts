/** Nearest-rank percentile of an unsorted sample (0 for an empty one). */
export function percentile(values: readonly number[], p: number): number {
	if (values.length === 0) return 0;
	const sorted = Float64Array.from(values).sort();
	const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
	return sorted[rank];
}

export interface Distribution {
	samples: number;
	p50: number;
	p99: number;
	max: number;
}

export function distribution(values: readonly number[]): Distribution {
	let max = 0;
	for (const value of values) if (value > max) max = value;
	return { samples: values.length, p50: percentile(values, 50), p99: percentile(values, 99), max };
}

export function median(values: readonly number[]): number {
	return percentile(values, 50);
}

export function round(value: number, digits = 2): number {
	const factor = 10 ** digits;
	return Math.round(value * factor) / factor;
}

export const MIB = 1024 * 1024;
