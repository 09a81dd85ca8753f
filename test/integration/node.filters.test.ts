/**
 * Node-level: every filter of the Nubra Trigger, and the filters it refuses at activation.
 *
 * Each case plays the same small day of orders, then one "marker" order that passes the filter
 * under test. Frames arrive in order on one socket, so once the marker's item is out, every
 * earlier update has been judged: the items must then equal the ledger entries that pass an
 * independent predicate written over the simulator's own fields.
 * Run: `npx jest --selectProjects integration --testPathPatterns node.filters`
 */
import { NodeOperationError, type IDataObject, type INodeParameters } from 'n8n-workflow';

import { NubraTrigger } from '../../nodes/NubraTrigger/NubraTrigger.node';
import type { LedgerEntry, OrderSpec } from '../../simulator';
import { instrumentSpec } from '../../simulator/instruments';
import { FAST_OPTIONS, nodeFixtureForEachTest, type NodeFixture } from '../helpers/trigger-context';

jest.setTimeout(20_000);

const fixture = nodeFixtureForEachTest();

const NIFTY_CE = instrumentSpec('NIFTY 25DEC 24000 CE');
const TCS_BSE = instrumentSpec('TCS', 'BSE');

/** A: filled buy, B: cancelled BSE sell, C: rejected option sell, D: modified then part-filled. */
function playDay(fx: NodeFixture): void {
	const control = fx.sim.control;
	const a = control.placeOrder({ qty: 10, tag: 'momentum-1' });
	const b = control.placeOrder({
		...TCS_BSE,
		side: 'SELL',
		qty: 5,
		price: 390_100,
		tag: 'Hedge-Long',
	});
	const c = control.placeOrder({
		...NIFTY_CE,
		side: 'SELL',
		qty: 75,
		price: 12_050,
		tag: 'scalp-3',
	});
	const d = control.placeOrder({
		displayName: 'INFY',
		refId: 1594,
		asset: 'INFY',
		qty: 20,
		price: 150_215,
		tag: 'momentum-2',
	});
	control.applyStep(a.id, { type: 'accept' });
	control.applyStep(b.id, { type: 'accept' });
	control.applyStep(c.id, { type: 'reject' });
	control.applyStep(d.id, { type: 'accept' });
	control.applyStep(a.id, { type: 'fill' });
	control.applyStep(d.id, { type: 'modify', price: 150_500 });
	control.applyStep(b.id, { type: 'cancel' });
	control.applyStep(d.id, { type: 'partialFill', qty: 5 });
}

function state(orderId: unknown, status: unknown): string {
	return `${String(orderId)}|${String(status)}`;
}

/**
 * Starts the trigger with the filters, plays the day and the marker (placed and accepted, or
 * placed and filled when `markerFill`), and checks the items against the ledger predicate.
 */
async function expectFilter(
	filters: IDataObject,
	passes: (entry: LedgerEntry) => boolean,
	marker: Partial<OrderSpec>,
	{
		events = ['order', 'trade'],
		markerStep = 'accept',
	}: { events?: string[]; markerStep?: 'accept' | 'reject' } = {},
): Promise<IDataObject[]> {
	const run = await fixture.start(new NubraTrigger(), {
		events,
		filters,
		options: FAST_OPTIONS,
	} as INodeParameters);
	playDay(fixture);
	const markerOrder = fixture.sim.control.placeOrder(marker);
	fixture.sim.control.applyStep(markerOrder.id, { type: markerStep });
	await run.waitFor(
		() => run.updates().some((i) => String(i.order_id) === markerOrder.id),
		'the marker order',
	);

	const expected = fixture.sim.control.ledger.filter(passes).map((e) => state(e.orderId, e.status));
	expect(expected).toContain(state(markerOrder.id, markerStep === 'accept' ? 'OPEN' : 'REJECTED'));
	expect(run.updates().map((i) => state(i.order_id, i.status))).toEqual(expected);
	expect(run.emits.every((data) => data.length === 1 && data[0].length === 1)).toBe(true);
	expect(run.errors).toEqual([]);
	return run.updates();
}

describe('Nubra Trigger filters', () => {
	test('status, several at once (the same names whatever the API version)', async () => {
		const items = await expectFilter(
			{ statuses: ['FILLED', 'CANCELLED', 'REJECTED'] },
			(e) => ['FILLED', 'CANCELLED', 'REJECTED'].includes(e.status),
			{ tag: 'marker' },
			{ markerStep: 'reject' },
		);
		expect(items.map((i) => i.status)).toEqual(['REJECTED', 'FILLED', 'CANCELLED', 'REJECTED']);
	});

	test.each([
		[
			'equals, case-insensitive by default',
			{ tags: ['hedge-long'] },
			(tag: string) => tag.toLowerCase() === 'hedge-long',
			'HEDGE-LONG',
		],
		[
			'equals, case-sensitive',
			{ tags: ['hedge-long'], tagCaseSensitive: true },
			(tag: string) => tag === 'hedge-long',
			'hedge-long',
		],
		[
			'contains',
			{ tags: ['MENTUM'], tagMatch: 'contains' },
			(tag: string) => tag.toLowerCase().includes('mentum'),
			'xmentumx',
		],
		[
			'starts with',
			{ tags: ['mom'], tagMatch: 'startsWith' },
			(tag: string) => tag.toLowerCase().startsWith('mom'),
			'Mom-marker',
		],
		[
			'starts with, case-sensitive',
			{ tags: ['Mom'], tagMatch: 'startsWith', tagCaseSensitive: true },
			(tag: string) => tag.startsWith('Mom'),
			'Mom-marker',
		],
		[
			'wildcard',
			{ tags: ['momentum-?', 'scalp-*'], tagMatch: 'wildcard' },
			(tag: string) => /^(momentum-.|scalp-.*)$/i.test(tag),
			'scalp-marker',
		],
		[
			'regular expression',
			{ tags: ['^(hedge|scalp)-'], tagMatch: 'regex' },
			(tag: string) => /^(hedge|scalp)-/i.test(tag),
			'scalp-9',
		],
		[
			'regular expression, case-sensitive',
			{ tags: ['^(hedge|scalp)-'], tagMatch: 'regex', tagCaseSensitive: true },
			(tag: string) => /^(hedge|scalp)-/.test(tag),
			'hedge-9',
		],
	])('tag: %s', async (_name, filters, matches, markerTag) => {
		await expectFilter(filters, (e) => matches(e.tag), { tag: markerTag });
	});

	test('side', async () => {
		const items = await expectFilter({ sides: ['SELL'] }, (e) => e.side === 'SELL', {
			side: 'SELL',
			tag: 'marker',
		});
		expect(items.every((i) => i.side === 'ORDER_SIDE_SELL')).toBe(true);
	});

	test('exchange', async () => {
		const items = await expectFilter({ exchanges: ['BSE'] }, (e) => e.exchange === 'BSE', {
			...TCS_BSE,
			tag: 'marker',
		});
		expect(items.every((i) => i.exchange === 'BSE')).toBe(true);
	});

	test.each([
		[
			'equals, case-insensitive by default',
			{ symbols: ['reliance'] },
			(name: string) => name === 'RELIANCE',
			{},
		],
		[
			'equals, case-sensitive',
			{ symbols: ['reliance'], symbolCaseSensitive: true },
			(name: string) => name === 'reliance',
			{ displayName: 'reliance' },
		],
		[
			'wildcard',
			{ symbols: ['NIFTY*'], symbolMatch: 'wildcard' },
			(name: string) => name.startsWith('NIFTY'),
			{ ...NIFTY_CE, qty: 75, price: 12_050 },
		],
		[
			'contains',
			{ symbols: ['cs'], symbolMatch: 'contains' },
			(name: string) => name.includes('TCS'),
			TCS_BSE,
		],
	])('symbol: %s', async (_name, filters, matches, marker) => {
		await expectFilter(filters, (e) => matches(e.displayName), { ...marker, tag: 'marker' });
	});

	test('request type', async () => {
		const control = fixture.sim.control;
		const run = await fixture.start(new NubraTrigger(), {
			filters: { requests: ['MODIFY', 'CANCEL'] },
			options: FAST_OPTIONS,
		});
		playDay(fixture);
		const marker = control.placeOrder({ tag: 'marker' });
		control.applyStep(marker.id, { type: 'accept' });
		control.applyStep(marker.id, { type: 'cancel' });
		await run.waitFor(
			() => run.updates().some((i) => String(i.order_id) === marker.id),
			'the marker cancel',
		);

		const expected = control.ledger
			.filter((e) => e.request === 'MODIFY' || e.request === 'CANCEL')
			.map((e) => state(e.orderId, e.status));
		expect(run.updates().map((i) => state(i.order_id, i.status))).toEqual(expected);
		expect(run.updates().map((i) => i.request)).toEqual(
			expect.arrayContaining(['MODIFY', 'CANCEL']),
		);
		expect(run.updates().every((i) => i.request === 'MODIFY' || i.request === 'CANCEL')).toBe(true);
	});

	test('filters combine with AND', async () => {
		await expectFilter(
			{ sides: ['BUY'], tags: ['momentum'], tagMatch: 'startsWith', statuses: ['OPEN'] },
			(e) => e.side === 'BUY' && e.tag.startsWith('momentum') && e.status === 'OPEN',
			{ tag: 'momentum-marker' },
		);
	});
});

describe('Nubra Trigger refuses unusable settings at activation', () => {
	test.each([
		['tag', { tags: ['ok', '(unclosed'], tagMatch: 'regex' }, '(unclosed'],
		['symbol', { symbols: ['NIFTY[0-9'], symbolMatch: 'regex' }, 'NIFTY[0-9'],
	])(
		'an invalid %s regular expression rejects trigger() naming the pattern',
		async (what, filters, pattern) => {
			const error = await fixture
				.start(new NubraTrigger(), { filters, options: FAST_OPTIONS })
				.catch((e: unknown) => e);
			expect(error).toBeInstanceOf(NodeOperationError);
			const nodeError = error as NodeOperationError;
			expect(nodeError.message).toBe(
				`The ${what} filter "${pattern}" is not a valid regular expression`,
			);
			expect(nodeError.description).toEqual(
				expect.stringContaining('Fix the pattern or choose another match mode'),
			);
			expect(nodeError.node?.name).toBe('Nubra Trigger');
			expect(fixture.requests).toEqual([]);
		},
	);

	test('no event selected', async () => {
		const error = await fixture.start(new NubraTrigger(), { events: [] }).catch((e: unknown) => e);
		expect(error).toBeInstanceOf(NodeOperationError);
		expect((error as NodeOperationError).message).toBe('Choose at least one event to listen for');
		expect((error as NodeOperationError).description).toEqual(
			expect.stringContaining('Order Updates'),
		);
		expect(fixture.requests).toEqual([]);
	});

	test.each([
		['absent', {}],
		['blank', { socketUrl: '   ' }],
		['an http:// URL', { socketUrl: 'http://127.0.0.1:1/ws' }],
	])('an explicit socket with the URL %s', async (_name, socketUrl) => {
		const error = await fixture
			.start(new NubraTrigger(), { options: { socket: 'explicit', ...socketUrl } })
			.catch((e: unknown) => e);
		expect(error).toBeInstanceOf(NodeOperationError);
		expect((error as NodeOperationError).message).toBe(
			'The socket URL must start with ws:// or wss://',
		);
		expect((error as NodeOperationError).description).toEqual(
			expect.stringContaining('Socket URL'),
		);
		expect(fixture.requests).toEqual([]);
	});
});
