import { NubraError, NUBRA_ERROR_CODES } from './errors';
import type { NubraEvent, NubraEventKind, NubraRequest, NubraStatus } from './types';

export type MatchMode = 'equals' | 'contains' | 'startsWith' | 'wildcard' | 'regex';

export interface TextMatch {
	patterns: string[];
	mode: MatchMode;
	caseSensitive: boolean;
}

/** Every criterion is optional; an empty or absent list means "any". Criteria combine with AND. */
export interface EventFilterOptions {
	events?: NubraEventKind[];
	statuses?: NubraStatus[];
	/** Matches if any of the event's tags matches any pattern. */
	tags?: TextMatch;
	sides?: Array<'BUY' | 'SELL'>;
	/** Exchange names as in items (`NSE`, `BSE`), case-insensitive. */
	exchanges?: string[];
	/** Matched against `display_name`. */
	symbols?: TextMatch;
	requests?: NubraRequest[];
}

export type EventPredicate = (event: NubraEvent) => boolean;

function escapeRegex(text: string): string {
	return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function wildcardToRegex(pattern: string): string {
	return `^${pattern
		.split('')
		.map((char) => (char === '*' ? '.*' : char === '?' ? '.' : escapeRegex(char)))
		.join('')}$`;
}

/** Compiles text patterns once; an invalid regular expression fails here, at activation. */
export function compileTextMatch(match: TextMatch, what: string): (value: string) => boolean {
	const patterns = match.patterns.map((p) => p.trim()).filter((p) => p !== '');
	if (patterns.length === 0) return () => true;
	const flags = match.caseSensitive ? '' : 'i';
	if (match.mode === 'regex' || match.mode === 'wildcard') {
		const regexes = patterns.map((pattern) => {
			try {
				return new RegExp(match.mode === 'regex' ? pattern : wildcardToRegex(pattern), flags);
			} catch (error) {
				throw new NubraError(
					NUBRA_ERROR_CODES.INVALID_FILTER,
					`The ${what} filter "${pattern}" is not a valid regular expression`,
					{
						hint: `Fix the pattern or choose another match mode. ${(error as Error).message}`,
						cause: error,
					},
				);
			}
		});
		return (value) => regexes.some((regex) => regex.test(value));
	}
	const wanted = match.caseSensitive ? patterns : patterns.map((p) => p.toLowerCase());
	return (raw) => {
		const value = match.caseSensitive ? raw : raw.toLowerCase();
		if (match.mode === 'equals') return wanted.includes(value);
		if (match.mode === 'contains') return wanted.some((p) => value.includes(p));
		return wanted.some((p) => value.startsWith(p));
	};
}

function nonEmpty<T>(list: T[] | undefined): list is T[] {
	return list !== undefined && list.length > 0;
}

/** Compiles the user's filters into one predicate; throws NUBRA_INVALID_FILTER for bad ones. */
export function compileEventFilter(options: EventFilterOptions): EventPredicate {
	const checks: EventPredicate[] = [];
	if (nonEmpty(options.events)) {
		const kinds = new Set(options.events);
		checks.push((e) => kinds.has(e.event));
	}
	if (nonEmpty(options.statuses)) {
		const statuses = new Set(options.statuses);
		checks.push((e) => statuses.has(e.status));
	}
	if (options.tags && options.tags.patterns.some((p) => p.trim() !== '')) {
		const matches = compileTextMatch(options.tags, 'tag');
		checks.push((e) => e.tags.some(matches));
	}
	if (nonEmpty(options.sides)) {
		const sides = new Set(options.sides.map((side) => `ORDER_SIDE_${side}`));
		checks.push((e) => e.side !== null && sides.has(e.side));
	}
	if (nonEmpty(options.exchanges)) {
		const exchanges = new Set(options.exchanges.map((x) => x.trim().toUpperCase()));
		checks.push((e) => e.exchange !== null && exchanges.has(e.exchange.toUpperCase()));
	}
	if (options.symbols && options.symbols.patterns.some((p) => p.trim() !== '')) {
		const matches = compileTextMatch(options.symbols, 'symbol');
		checks.push((e) => e.display_name !== null && matches(e.display_name));
	}
	if (nonEmpty(options.requests)) {
		const requests = new Set(options.requests);
		checks.push((e) => e.request !== null && requests.has(e.request));
	}
	if (checks.length === 0) return () => true;
	return (event) => {
		for (const check of checks) if (!check(event)) return false;
		return true;
	};
}
