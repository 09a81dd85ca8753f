import { NUBRA_ERROR_CODES, NubraError } from '../../client/errors';
import { compileEventFilter, compileTextMatch, type MatchMode } from '../../client/filter';
import { makeEvent } from '../helpers/events';

const reliance = makeEvent({
	display_name: 'RELIANCE',
	tags: ['scalp-1', 'Momentum'],
	tag: 'scalp-1',
	side: 'ORDER_SIDE_BUY',
	exchange: 'NSE',
	request: 'NEW',
	status: 'OPEN',
	event: 'order',
});
const niftyCall = makeEvent({
	order_id: 2002,
	display_name: 'NIFTY 24500 CE',
	tags: [],
	tag: null,
	side: 'ORDER_SIDE_SELL',
	exchange: 'BSE',
	request: 'CANCEL',
	status: 'CANCELLED',
	event: 'trade',
});
const basket = makeEvent({
	order_id: 3003,
	event: 'basket',
	display_name: null,
	side: null,
	exchange: null,
	request: null,
	status: 'FILLED',
});

describe('compileTextMatch', () => {
	const cases: Array<[MatchMode, string[], boolean, string, boolean]> = [
		['equals', ['RELIANCE'], true, 'RELIANCE', true],
		['equals', ['RELIANCE'], true, 'reliance', false],
		['equals', ['RELIANCE'], false, 'reliance', true],
		['equals', ['RELIANCE'], false, 'RELIANCE-EQ', false],
		['contains', ['24500'], true, 'NIFTY 24500 CE', true],
		['contains', ['nifty'], true, 'NIFTY 24500 CE', false],
		['contains', ['nifty'], false, 'NIFTY 24500 CE', true],
		['startsWith', ['NIFTY'], true, 'NIFTY 24500 CE', true],
		['startsWith', ['NIFTY'], true, 'BANKNIFTY 52000 PE', false],
		['startsWith', ['bank'], false, 'BANKNIFTY 52000 PE', true],
		['wildcard', ['NIFTY * CE'], true, 'NIFTY 24500 CE', true],
		['wildcard', ['NIFTY * CE'], true, 'NIFTY 24500 PE', false],
		['wildcard', ['NIFTY * CE'], true, 'BANKNIFTY 52000 CE', false],
		['wildcard', ['nifty ????? ce'], false, 'NIFTY 24500 CE', true],
		['wildcard', ['nifty ????? ce'], true, 'NIFTY 24500 CE', false],
		// Regex metacharacters in a wildcard pattern are literal.
		['wildcard', ['a.b'], true, 'axb', false],
		['wildcard', ['a.b'], true, 'a.b', true],
		['regex', ['^NIFTY \\d+ (CE|PE)$'], true, 'NIFTY 24500 CE', true],
		['regex', ['^nifty'], true, 'NIFTY 24500 CE', false],
		['regex', ['^nifty'], false, 'NIFTY 24500 CE', true],
		['regex', ['CE$'], true, 'NIFTY 24500 PE', false],
	];

	it.each(cases)(
		'%s %j (case-sensitive %s) on %j → %s',
		(mode, patterns, caseSensitive, value, expected) => {
			expect(compileTextMatch({ mode, patterns, caseSensitive }, 'symbol')(value)).toBe(expected);
		},
	);

	it('matches when any of several patterns matches', () => {
		const match = compileTextMatch(
			{ mode: 'equals', patterns: ['TCS', 'INFY'], caseSensitive: true },
			'symbol',
		);
		expect(match('INFY')).toBe(true);
		expect(match('TCS')).toBe(true);
		expect(match('WIPRO')).toBe(false);
	});

	it('ignores blank patterns and trims the others; no pattern left matches anything', () => {
		expect(
			compileTextMatch(
				{ mode: 'equals', patterns: ['  TCS  ', ''], caseSensitive: true },
				'symbol',
			)('TCS'),
		).toBe(true);
		expect(
			compileTextMatch(
				{ mode: 'regex', patterns: [' ', ''], caseSensitive: true },
				'symbol',
			)('anything'),
		).toBe(true);
	});

	it('refuses an invalid regular expression with NUBRA_INVALID_FILTER naming the pattern', () => {
		const compile = () =>
			compileTextMatch(
				{ mode: 'regex', patterns: ['ok', '(unclosed'], caseSensitive: false },
				'symbol',
			);
		expect(compile).toThrow(NubraError);
		try {
			compile();
		} catch (error) {
			const nubra = error as NubraError;
			expect(nubra.code).toBe(NUBRA_ERROR_CODES.INVALID_FILTER);
			expect(nubra.message).toContain('"(unclosed"');
			expect(nubra.message).toContain('symbol filter');
			expect(nubra.hint).toMatch(/match mode/);
			expect(nubra.cause).toBeInstanceOf(SyntaxError);
		}
	});

	it('never throws for wildcard patterns, whatever characters they hold', () => {
		expect(() =>
			compileTextMatch({ mode: 'wildcard', patterns: ['(unclosed[*'], caseSensitive: true }, 'tag'),
		).not.toThrow();
		expect(
			compileTextMatch(
				{ mode: 'wildcard', patterns: ['(unclosed[*'], caseSensitive: true },
				'tag',
			)('(unclosed[x'),
		).toBe(true);
	});
});

describe('compileEventFilter', () => {
	const all = [reliance, niftyCall, basket];
	const kept = (filter: ReturnType<typeof compileEventFilter>) =>
		all.filter(filter).map((e) => e.order_id);

	it('lets everything through with no criteria, or only empty ones', () => {
		expect(kept(compileEventFilter({}))).toEqual([1001, 2002, 3003]);
		expect(
			kept(
				compileEventFilter({
					events: [],
					statuses: [],
					sides: [],
					exchanges: [],
					requests: [],
					tags: { mode: 'equals', patterns: [''], caseSensitive: false },
					symbols: { mode: 'regex', patterns: [], caseSensitive: false },
				}),
			),
		).toEqual([1001, 2002, 3003]);
	});

	it('filters on event kind', () => {
		expect(kept(compileEventFilter({ events: ['trade', 'basket'] }))).toEqual([2002, 3003]);
	});

	it('filters on unified status', () => {
		expect(kept(compileEventFilter({ statuses: ['OPEN', 'FILLED'] }))).toEqual([1001, 3003]);
	});

	it('filters on tags: any tag matching any pattern; untagged events never match', () => {
		expect(
			kept(
				compileEventFilter({
					tags: { mode: 'equals', patterns: ['momentum'], caseSensitive: false },
				}),
			),
		).toEqual([1001]);
		expect(
			kept(
				compileEventFilter({
					tags: { mode: 'equals', patterns: ['momentum'], caseSensitive: true },
				}),
			),
		).toEqual([]);
		expect(
			kept(
				compileEventFilter({
					tags: { mode: 'wildcard', patterns: ['scalp-*'], caseSensitive: true },
				}),
			),
		).toEqual([1001]);
	});

	it('filters on side (BUY/SELL against the wire names); events without a side never match', () => {
		expect(kept(compileEventFilter({ sides: ['SELL'] }))).toEqual([2002]);
		expect(kept(compileEventFilter({ sides: ['BUY', 'SELL'] }))).toEqual([1001, 2002]);
	});

	it('filters on exchange, case-insensitively and trimmed', () => {
		expect(kept(compileEventFilter({ exchanges: [' nse '] }))).toEqual([1001]);
		expect(kept(compileEventFilter({ exchanges: ['BSE', 'NSE'] }))).toEqual([1001, 2002]);
	});

	it('filters on symbol (display_name); events without one never match', () => {
		expect(
			kept(
				compileEventFilter({
					symbols: { mode: 'startsWith', patterns: ['NIFTY'], caseSensitive: true },
				}),
			),
		).toEqual([2002]);
		expect(
			kept(
				compileEventFilter({
					symbols: { mode: 'contains', patterns: ['e'], caseSensitive: false },
				}),
			),
		).toEqual([1001, 2002]);
		expect(
			kept(
				compileEventFilter({ symbols: { mode: 'wildcard', patterns: ['*'], caseSensitive: true } }),
			),
		).toEqual([1001, 2002]);
	});

	it('filters on request type; events without one never match', () => {
		expect(kept(compileEventFilter({ requests: ['CANCEL', 'MODIFY'] }))).toEqual([2002]);
		expect(kept(compileEventFilter({ requests: ['NEW'] }))).toEqual([1001]);
	});

	it('combines criteria with AND', () => {
		expect(kept(compileEventFilter({ exchanges: ['NSE'], sides: ['SELL'] }))).toEqual([]);
		expect(
			kept(compileEventFilter({ exchanges: ['BSE'], sides: ['SELL'], events: ['trade'] })),
		).toEqual([2002]);
	});

	it('fails at compile time, not on the first event, for an invalid tag regex', () => {
		expect(() =>
			compileEventFilter({ tags: { mode: 'regex', patterns: ['[a-'], caseSensitive: true } }),
		).toThrow(
			expect.objectContaining({
				code: NUBRA_ERROR_CODES.INVALID_FILTER,
				message: expect.stringContaining('tag filter "[a-"'),
			}),
		);
	});
});
