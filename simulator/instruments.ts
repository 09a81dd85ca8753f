import type { Exchange, InstrumentSpec, OrderSpec } from './types';

/** An instrument with a plausible reference price, so generated prices look like a market. */
export interface Instrument extends InstrumentSpec {
	/** Paise. */
	referencePrice: number;
}

/** NSE's equity and F&O tick: five paise. */
export const TICK_PAISE = 5;

export const EQUITIES: readonly Instrument[] = [
	{
		displayName: 'RELIANCE',
		exchange: 'NSE',
		refId: 2885,
		lotSize: 1,
		asset: 'RELIANCE',
		derivativeType: 'STOCK',
		referencePrice: 245_000,
	},
	{
		displayName: 'TCS',
		exchange: 'NSE',
		refId: 11536,
		lotSize: 1,
		asset: 'TCS',
		derivativeType: 'STOCK',
		referencePrice: 390_050,
	},
	{
		displayName: 'INFY',
		exchange: 'NSE',
		refId: 1594,
		lotSize: 1,
		asset: 'INFY',
		derivativeType: 'STOCK',
		referencePrice: 150_215,
	},
	{
		displayName: 'HDFCBANK',
		exchange: 'NSE',
		refId: 1333,
		lotSize: 1,
		asset: 'HDFCBANK',
		derivativeType: 'STOCK',
		referencePrice: 165_480,
	},
	{
		displayName: 'SBIN',
		exchange: 'NSE',
		refId: 3045,
		lotSize: 1,
		asset: 'SBIN',
		derivativeType: 'STOCK',
		referencePrice: 80_235,
	},
	{
		displayName: 'RELIANCE',
		exchange: 'BSE',
		refId: 500325,
		lotSize: 1,
		asset: 'RELIANCE',
		derivativeType: 'STOCK',
		referencePrice: 245_010,
	},
	{
		displayName: 'TCS',
		exchange: 'BSE',
		refId: 532540,
		lotSize: 1,
		asset: 'TCS',
		derivativeType: 'STOCK',
		referencePrice: 390_100,
	},
];

export const OPTIONS: readonly Instrument[] = [
	{
		displayName: 'NIFTY 25DEC 24000 CE',
		exchange: 'NSE',
		refId: 4_200_101,
		lotSize: 75,
		asset: 'NIFTY',
		derivativeType: 'OPT',
		optionType: 'CE',
		referencePrice: 12_050,
	},
	{
		displayName: 'NIFTY 25DEC 24000 PE',
		exchange: 'NSE',
		refId: 4_200_102,
		lotSize: 75,
		asset: 'NIFTY',
		derivativeType: 'OPT',
		optionType: 'PE',
		referencePrice: 9_835,
	},
	{
		displayName: 'NIFTY 25DEC 24200 CE',
		exchange: 'NSE',
		refId: 4_200_103,
		lotSize: 75,
		asset: 'NIFTY',
		derivativeType: 'OPT',
		optionType: 'CE',
		referencePrice: 6_420,
	},
	{
		displayName: 'NIFTY 25DEC 23800 PE',
		exchange: 'NSE',
		refId: 4_200_104,
		lotSize: 75,
		asset: 'NIFTY',
		derivativeType: 'OPT',
		optionType: 'PE',
		referencePrice: 5_110,
	},
	{
		displayName: 'BANKNIFTY 25DEC 52000 CE',
		exchange: 'NSE',
		refId: 4_300_201,
		lotSize: 35,
		asset: 'BANKNIFTY',
		derivativeType: 'OPT',
		optionType: 'CE',
		referencePrice: 31_540,
	},
	{
		displayName: 'BANKNIFTY 25DEC 52000 PE',
		exchange: 'NSE',
		refId: 4_300_202,
		lotSize: 35,
		asset: 'BANKNIFTY',
		derivativeType: 'OPT',
		optionType: 'PE',
		referencePrice: 28_875,
	},
	{
		displayName: 'SENSEX 25DEC 80000 CE',
		exchange: 'BSE',
		refId: 8_100_301,
		lotSize: 20,
		asset: 'SENSEX',
		derivativeType: 'OPT',
		optionType: 'CE',
		referencePrice: 41_260,
	},
	{
		displayName: 'SENSEX 25DEC 80000 PE',
		exchange: 'BSE',
		refId: 8_100_302,
		lotSize: 20,
		asset: 'SENSEX',
		derivativeType: 'OPT',
		optionType: 'PE',
		referencePrice: 38_905,
	},
];

/**
 * The listed instrument `displayName` on `exchange` as an order spec takes it (without its
 * reference price); throws for one the simulator does not list.
 */
export function instrumentSpec(displayName: string, exchange: Exchange = 'NSE'): InstrumentSpec {
	const listed = [...EQUITIES, ...OPTIONS].find(
		(instrument) => instrument.displayName === displayName && instrument.exchange === exchange,
	);
	if (!listed) throw new Error(`the simulator lists no ${displayName} on ${exchange}`);
	const { displayName: name, refId, lotSize, asset, derivativeType, optionType } = listed;
	return {
		displayName: name,
		exchange,
		refId,
		lotSize,
		asset,
		derivativeType,
		...(optionType ? { optionType } : {}),
	};
}

export const REJECTION_REASONS: readonly string[] = [
	'RMS: Insufficient margin',
	'RMS: Quantity exceeds freeze limit',
	'RMS: Order value exceeds limit',
	'Exchange: Price outside circuit limits',
	'Exchange: Market is closed for this segment',
];

export const TAGS: readonly string[] = [
	'momentum-1',
	'momentum-2',
	'hedge',
	'scalp-3',
	'swing',
	'mean-revert-2',
	'breakout-7',
];

/** What `placeOrder()` places when given nothing: ten RELIANCE on NSE. */
export const DEFAULT_ORDER_SPEC: OrderSpec = {
	displayName: 'RELIANCE',
	exchange: 'NSE',
	refId: 2885,
	lotSize: 1,
	asset: 'RELIANCE',
	derivativeType: 'STOCK',
	side: 'BUY',
	qty: 10,
	price: 245_000,
	tag: 'manual',
	priceType: 'LIMIT',
	deliveryType: 'CNC',
	validity: 'DAY',
};

export function roundToTick(paise: number): number {
	return Math.max(TICK_PAISE, Math.round(paise / TICK_PAISE) * TICK_PAISE);
}
