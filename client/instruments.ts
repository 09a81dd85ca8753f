import { NUBRA_ERROR_CODES, NubraError } from './errors';

/**
 * Nubra's daily instrument master (`GET /refdata/refdata/{YYYY-MM-DD}?exchange=…`), read once
 * per exchange and IST trading day, and searched locally: from symbol, expiry, strike and
 * option type to the `ref_id` orders need, with the lot and tick sizes that check them.
 */

export interface NubraInstrument {
	refId: number;
	/** Trading symbol (`stock_name`): `HDFCBANK`, `NIFTY25DEC24000CE`. */
	symbol: string;
	/** Nubra's internal name (`zanskar_name`, the SDK's `nubra_name`), when sent. */
	nubraName?: string;
	exchange: string;
	asset?: string;
	/** `STOCK`, `FUT`, `OPT` (or what Nubra sends). */
	derivativeType?: string;
	optionType?: 'CE' | 'PE';
	/** Paise; options only. */
	strikePrice?: number;
	/** `YYYYMMDD`; derivatives only. */
	expiry?: number;
	lotSize: number;
	/** Paise. */
	tickSize: number;
	assetType?: string;
	isin?: string;
}

export interface InstrumentQuery {
	/** Matched against symbol, asset and Nubra name; case-insensitive; all words must match. */
	text?: string;
	exchange?: string;
	derivativeType?: string;
	/** `YYYYMMDD` or `YYYY-MM-DD`. */
	expiry?: number | string;
	/** Paise. */
	strikePrice?: number;
	optionType?: 'CE' | 'PE';
}

/** Fetches one exchange's master for one IST date; returns the parsed JSON body. */
export type RefdataFetcher = (exchange: string, date: string) => Promise<unknown>;

const IST_OFFSET_MS = 5.5 * 60 * 60 * 1000;

/** Today's date in India, `YYYY-MM-DD`: the master is published per IST trading day. */
export function istDate(now: number): string {
	return new Date(now + IST_OFFSET_MS).toISOString().slice(0, 10);
}

function int(value: unknown): number | undefined {
	const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
	return typeof n === 'number' && Number.isFinite(n) ? Math.trunc(n) : undefined;
}

function text(value: unknown): string | undefined {
	return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

/**
 * One master row, tolerant of what the reference leaves open: strike and expiry may be null,
 * 0 or missing for cash rows; option type may be "N/A"; `zanskar_name` may be `nubra_name`.
 * A row without a usable `ref_id` or symbol is skipped.
 */
export function parseInstrumentRow(row: unknown, exchange: string): NubraInstrument | undefined {
	if (row === null || typeof row !== 'object') return undefined;
	const r = row as Record<string, unknown>;
	const refId = int(r.ref_id);
	const symbol = text(r.stock_name) ?? text(r.zanskar_name) ?? text(r.nubra_name);
	if (refId === undefined || symbol === undefined) return undefined;
	const optionType = text(r.option_type)?.toUpperCase();
	const strike = int(r.strike_price);
	const expiry = int(r.expiry);
	const lot = int(r.lot_size);
	const tick = int(r.tick_size);
	const instrument: NubraInstrument = {
		refId,
		symbol,
		exchange: text(r.exchange) ?? exchange,
		lotSize: lot !== undefined && lot > 0 ? lot : 1,
		// Without a tick size no price can be checked locally; Nubra still checks it.
		tickSize: tick !== undefined && tick > 0 ? tick : 1,
	};
	const nubraName = text(r.zanskar_name) ?? text(r.nubra_name);
	if (nubraName !== undefined) instrument.nubraName = nubraName;
	const asset = text(r.asset);
	if (asset !== undefined) instrument.asset = asset;
	const derivativeType = text(r.derivative_type)?.toUpperCase();
	if (derivativeType !== undefined) instrument.derivativeType = derivativeType;
	if (optionType === 'CE' || optionType === 'PE') instrument.optionType = optionType;
	if (strike !== undefined && strike > 0) instrument.strikePrice = strike;
	if (expiry !== undefined && expiry > 0) instrument.expiry = expiry;
	const assetType = text(r.asset_type);
	if (assetType !== undefined) instrument.assetType = assetType;
	const isin = text(r.isin);
	if (isin !== undefined && isin !== 'N/A') instrument.isin = isin;
	return instrument;
}

/** `2025-12-30`, `20251230` or 20251230 → 20251230. */
export function expiryNumber(value: number | string): number | undefined {
	if (typeof value === 'number') return Number.isInteger(value) ? value : undefined;
	const digits = value.trim().slice(0, 10).replace(/-/g, '');
	return /^\d{8}$/.test(digits) ? Number(digits) : undefined;
}

/** "HDFCBANK · NSE", "NIFTY25DEC24000CE · NSE · lot 75". */
export function instrumentLabel(instrument: NubraInstrument): string {
	const lot = instrument.lotSize > 1 ? ` · lot ${instrument.lotSize}` : '';
	return `${instrument.symbol} · ${instrument.exchange}${lot}`;
}

interface ExchangeMaster {
	date: string;
	rows: NubraInstrument[];
	byRefId: Map<number, NubraInstrument>;
}

export interface InstrumentMasterOptions {
	fetch: RefdataFetcher;
	now?: () => number;
}

/** The cache: one master per exchange, reloaded when the IST date changes; single-flight. */
export class InstrumentMaster {
	readonly #fetch: RefdataFetcher;
	readonly #now: () => number;
	readonly #masters = new Map<string, ExchangeMaster>();
	readonly #loading = new Map<string, Promise<ExchangeMaster>>();

	constructor(options: InstrumentMasterOptions) {
		this.#fetch = options.fetch;
		this.#now = options.now ?? Date.now;
	}

	/** Today's rows for an exchange (`NSE`, `BSE`, `MCX`). */
	async rows(exchange: string): Promise<NubraInstrument[]> {
		return (await this.#master(exchange)).rows;
	}

	/** The instrument with this `ref_id` on the first of `exchanges` that lists it. */
	async find(refId: number, exchanges: readonly string[]): Promise<NubraInstrument | undefined> {
		for (const exchange of exchanges) {
			const found = (await this.#master(exchange)).byRefId.get(refId);
			if (found !== undefined) return found;
		}
		return undefined;
	}

	/** Like {@link find}, but an unknown `ref_id` is an error that says what to do. */
	async get(refId: number, exchanges: readonly string[]): Promise<NubraInstrument> {
		if (!Number.isInteger(refId) || refId <= 0) {
			throw new NubraError(
				NUBRA_ERROR_CODES.UNKNOWN_INSTRUMENT,
				`"${String(refId)}" is not a Nubra ref_id`,
				{
					hint: 'Pick the instrument from the list, or give its numeric ref_id (Instrument → Search finds it).',
				},
			);
		}
		const found = await this.find(refId, exchanges);
		if (found !== undefined) return found;
		throw new NubraError(
			NUBRA_ERROR_CODES.UNKNOWN_INSTRUMENT,
			`ref_id ${refId} is not in today's Nubra instrument master (${exchanges.join(', ')})`,
			{
				hint: 'ref_ids differ between UAT and Production and expired contracts disappear daily. Search the instrument again (Instrument → Search) and use the ref_id it gives.',
			},
		);
	}

	/** Matches in symbol order, at most `limit`. */
	async search(
		query: InstrumentQuery,
		exchanges: readonly string[],
		limit = 50,
	): Promise<NubraInstrument[]> {
		const wanted = query.exchange ? [query.exchange.toUpperCase()] : exchanges;
		const words = (query.text ?? '')
			.toUpperCase()
			.split(/[\s·]+/)
			.filter(Boolean);
		const expiry =
			query.expiry === undefined || query.expiry === '' ? undefined : expiryNumber(query.expiry);
		if (query.expiry !== undefined && query.expiry !== '' && expiry === undefined) {
			throw new NubraError(
				NUBRA_ERROR_CODES.INVALID_ORDER,
				`Expiry "${String(query.expiry)}" is not a date`,
				{
					hint: 'Give the expiry as YYYY-MM-DD, e.g. 2025-12-30.',
				},
			);
		}
		const derivativeType = query.derivativeType?.toUpperCase();
		const matches: NubraInstrument[] = [];
		for (const exchange of wanted) {
			for (const row of await this.rows(exchange)) {
				if (derivativeType && row.derivativeType !== derivativeType) continue;
				if (expiry !== undefined && row.expiry !== expiry) continue;
				if (query.strikePrice !== undefined && row.strikePrice !== query.strikePrice) continue;
				if (query.optionType && row.optionType !== query.optionType) continue;
				if (words.length > 0) {
					const haystack = `${row.symbol} ${row.asset ?? ''} ${row.nubraName ?? ''}`.toUpperCase();
					if (!words.every((word) => haystack.includes(word))) continue;
				}
				matches.push(row);
			}
		}
		// Exact symbol first, then shorter symbols (the stock before its derivatives), then by name.
		const exact = words.join('');
		matches.sort(
			(a, b) =>
				Number(b.symbol === exact) - Number(a.symbol === exact) ||
				a.symbol.length - b.symbol.length ||
				a.symbol.localeCompare(b.symbol) ||
				a.exchange.localeCompare(b.exchange),
		);
		return matches.slice(0, Math.max(1, limit));
	}

	async #master(exchangeName: string): Promise<ExchangeMaster> {
		const exchange = exchangeName.toUpperCase();
		const date = istDate(this.#now());
		const cached = this.#masters.get(exchange);
		if (cached?.date === date) return cached;
		const key = `${exchange}@${date}`;
		let loading = this.#loading.get(key);
		if (loading === undefined) {
			loading = this.#load(exchange, date);
			this.#loading.set(key, loading);
			const clear = () => this.#loading.delete(key);
			loading.then(clear, clear);
		}
		return loading;
	}

	async #load(exchange: string, date: string): Promise<ExchangeMaster> {
		const body = await this.#fetch(exchange, date);
		const list = (body as { refdata?: unknown } | null)?.refdata;
		if (!Array.isArray(list)) {
			throw new NubraError(
				NUBRA_ERROR_CODES.UNEXPECTED_RESPONSE,
				`Nubra answered the ${exchange} instrument master for ${date} without a refdata list`,
				{
					hint: 'Check the exchange name (NSE, BSE or MCX) and that the credential points to the Nubra REST API.',
				},
			);
		}
		const rows: NubraInstrument[] = [];
		const byRefId = new Map<number, NubraInstrument>();
		for (const raw of list) {
			const row = parseInstrumentRow(raw, exchange);
			if (row === undefined) continue;
			rows.push(row);
			byRefId.set(row.refId, row);
		}
		const master = { date, rows, byRefId };
		this.#masters.set(exchange, master);
		return master;
	}
}
