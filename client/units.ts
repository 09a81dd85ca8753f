import { NUBRA_ERROR_CODES, NubraError } from './errors';

/**
 * Money and quantities as people type them, checked against Nubra's rules before any request:
 * prices are rupees in, paise out, on the instrument's tick; quantities are units in whole lots.
 */

/** How an off-tick price is treated: refused (default), or rounded to a neighbouring tick. */
export type TickRounding = 'none' | 'nearest' | 'up' | 'down';

export const TICK_ROUNDINGS: readonly TickRounding[] = ['none', 'nearest', 'up', 'down'];

/** Floating-point slack when rupees × 100 should land on a whole paisa (245.05 × 100 = 24505.000000000004). */
const EPSILON = 1e-6;

function invalid(message: string, hint: string): NubraError {
	return new NubraError(NUBRA_ERROR_CODES.INVALID_ORDER, message, { hint });
}

/** `₹1,234.50` style text for messages. */
export function formatRupees(paise: number): string {
	return `₹${(paise / 100).toLocaleString('en-IN', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
}

export function paiseToRupees(value: unknown): number | null {
	if (value === null || value === undefined || value === '') return null;
	const paise = typeof value === 'string' ? Number(value) : value;
	return typeof paise === 'number' && Number.isFinite(paise) ? Math.round(paise) / 100 : null;
}

export interface PriceContext {
	/** What the price is, for messages: "Price", "Stop-Loss Trigger Price"… */
	field: string;
	/** Instrument name for messages. */
	symbol: string;
}

/**
 * Rupees → paise on the tick. With `rounding: 'none'` a price off the tick (or with a fraction
 * of a paisa) is an error naming the two nearest valid prices; otherwise it is moved to the
 * nearest tick, or the next one up or down.
 */
export function priceToPaise(
	rupees: number,
	tickPaise: number,
	rounding: TickRounding,
	context: PriceContext,
): number {
	if (typeof rupees !== 'number' || !Number.isFinite(rupees) || rupees <= 0) {
		throw invalid(
			`${context.field} for ${context.symbol} must be a positive number of rupees, not ${String(rupees)}`,
			'Enter the price in rupees, e.g. 245.05 for ₹245.05.',
		);
	}
	const tick = Number.isInteger(tickPaise) && tickPaise > 0 ? tickPaise : 1;
	const ticks = (rupees * 100) / tick;
	const whole = Math.round(ticks);
	if (Math.abs(ticks - whole) < EPSILON && whole > 0) return whole * tick;
	const below = Math.floor(ticks + EPSILON) * tick;
	const above = Math.ceil(ticks - EPSILON) * tick;
	if (rounding === 'none') {
		throw invalid(
			`${context.field} ₹${rupees} for ${context.symbol} is not a multiple of its tick size ${formatRupees(tick)}`,
			`Use ${formatRupees(below)} or ${formatRupees(above)}, or set Options → Round to Tick to round it (nearest, up or down).`,
		);
	}
	const paise = rounding === 'up' ? above : rounding === 'down' ? below : whole * tick;
	if (paise <= 0) {
		throw invalid(
			`${context.field} ₹${rupees} for ${context.symbol} rounds to ₹0 on its tick size ${formatRupees(tick)}`,
			`Enter at least ${formatRupees(tick)}, or round up.`,
		);
	}
	return paise;
}

/** Quantity in units, a whole number of lots; the error names the lot size. */
export function checkQuantity(quantity: number, lotSize: number, symbol: string): number {
	const lot = Number.isInteger(lotSize) && lotSize > 0 ? lotSize : 1;
	if (typeof quantity !== 'number' || !Number.isInteger(quantity) || quantity <= 0) {
		throw invalid(
			`Quantity for ${symbol} must be a positive whole number of units, not ${String(quantity)}`,
			lot === 1
				? 'Enter the number of shares.'
				: `Enter units in whole lots of ${lot} (e.g. ${lot} or ${lot * 2}).`,
		);
	}
	if (quantity % lot !== 0) {
		const lower = Math.floor(quantity / lot) * lot;
		const suggestion = lower > 0 ? `${lower} or ${lower + lot}` : String(lot);
		throw invalid(
			`Quantity ${quantity} for ${symbol} is not a whole number of lots: the lot size is ${lot}`,
			`Quantity counts units, not lots. Use a multiple of ${lot}, e.g. ${suggestion}.`,
		);
	}
	return quantity;
}

/**
 * A copy of `row` with `<field>Rupees` beside each listed paise field that is present
 * (the trigger adds `<field>_rupees` to its snake_case items the same way).
 */
export function withRupeeTwins(
	row: Record<string, unknown>,
	fields: readonly string[],
): Record<string, unknown> {
	const out: Record<string, unknown> = { ...row };
	for (const field of fields) {
		if (field in row) out[`${field}Rupees`] = paiseToRupees(row[field]);
	}
	return out;
}
