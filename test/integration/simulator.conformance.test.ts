/**
 * Schema conformance: every kind of frame the simulator emits, in every generation, carries the
 * fields Nubra's own client requires and is routed by that client as the ledger says. The rules
 * live once in `../helpers/nubra-sdk-rules.ts`, taken from the protocol reference.
 */
import {
	expectedEvent,
	generateScenario,
	startSimulator,
	type NubraApiVersion,
	type RunningSimulator,
} from '../../simulator';
import { encodeWith, wrapInEnvelope } from '../../simulator/encode';
import { instrumentSpec } from '../../simulator/instruments';
import { loadNubraSchema, MESSAGE_NAMES } from '../../client/schema';
import {
	decodeForSdk,
	missingSdkFields,
	sdkRoute,
	type SdkGeneration,
	type SdkMessage,
} from '../helpers/nubra-sdk-rules';
import { GenerationSockets } from '../helpers/simulator-client';

const GENERATIONS: SdkGeneration[] = ['v1', 'v2', 'v3'];

/** Every kind of frame the simulator emits, per generation. */
const FRAME_KINDS: Record<SdkGeneration, string[]> = {
	// V1 reports a strategy order as sparse basket frames plus one full Order frame per leg fill.
	v1: ['basket', 'order', 'strategy-leg trade', 'trade'],
	v2: ['order', 'strategy order', 'strategy trade', 'trade'],
	v3: ['order', 'strategy order', 'strategy trade', 'trade'],
};

function frameKind(generation: SdkGeneration, message: SdkMessage): string {
	const route = sdkRoute(generation, message);
	if (generation === 'v1')
		return route !== 'basket' && message.basket_id !== undefined ? `strategy-leg ${route}` : route;
	const strategy =
		generation === 'v2'
			? message.basket_params !== undefined
			: (message.intent_order_response as SdkMessage | undefined)?.is_multi === true;
	return strategy ? `strategy ${route}` : route;
}

describe('simulator frames conform to what Nubra’s SDK requires', () => {
	let sim: RunningSimulator;
	let sockets: GenerationSockets;
	const subscribe = (version: NubraApiVersion) => sockets.subscribe(version);

	beforeEach(async () => {
		// One socket per generation, each with its own session.
		sim = await startSimulator({ bigIds: true, singleSession: false });
		sockets = new GenerationSockets(sim);
	});
	afterEach(async () => {
		await sockets.closeAll();
		await sim.close();
	});

	it('every frame of a seeded scenario carries the required fields and routes as the ledger says', async () => {
		const received = {
			v1: await subscribe('v1'),
			v2: await subscribe('v2'),
			v3: await subscribe('v3'),
		};
		await sim.control.play(generateScenario({ seed: 11, orders: 80 }));
		const { ledger } = sim.control;
		await Promise.all(
			GENERATIONS.map((generation) => received[generation].waitForMessages(ledger.length)),
		);

		const problems: string[] = [];
		for (const generation of GENERATIONS) {
			const kinds = new Set<string>();
			received[generation].frames.forEach((frame, index) => {
				const decoded = decodeForSdk(frame);
				const kind = frameKind(generation, decoded.message);
				kinds.add(kind);
				const missing = missingSdkFields(generation, decoded.message);
				if (missing.length > 0)
					problems.push(`${generation} frame ${index} (${kind}) lacks ${missing.join(', ')}`);
				const expected = expectedEvent(ledger[index], generation).event;
				const route = sdkRoute(generation, decoded.message);
				if (route !== expected)
					problems.push(
						`${generation} frame ${index} routes as ${route}, the ledger says ${expected}`,
					);
			});
			expect([generation, [...kinds].sort()]).toEqual([generation, FRAME_KINDS[generation]]);
		}
		expect(problems).toEqual([]);
	});

	it('the rules refuse a V1 strategy-leg fill without strategy_type, as Nubra’s SDK does', async () => {
		const socket = await subscribe('v1');
		const basket = sim.control.placeOrder({
			displayName: 'NIFTY STRADDLE',
			legs: [
				{ ...instrumentSpec('NIFTY 25DEC 24000 CE'), side: 'SELL', qty: 75, price: 12050 },
				{ ...instrumentSpec('NIFTY 25DEC 24000 PE'), side: 'SELL', qty: 75, price: 9835 },
			],
		});
		sim.control.applyStep(basket.id, { type: 'accept' });
		sim.control.applyStep(basket.id, { type: 'partialFill' });
		await socket.waitForMessages(2);

		const legFill = decodeForSdk(socket.frames[1]).message;
		expect(frameKind('v1', legFill)).toBe('strategy-leg trade');
		expect(missingSdkFields('v1', legFill)).toEqual([]);
		const withoutStrategyType = { ...legFill };
		delete withoutStrategyType.strategy_type;
		const stripped = decodeForSdk(
			wrapInEnvelope(MESSAGE_NAMES.v1, encodeWith(loadNubraSchema().order, withoutStrategyType)),
		).message;
		expect(missingSdkFields('v1', stripped)).toEqual(['strategy_type']);
	});

	it('the encoder refuses a field or enum name the .proto files do not have', () => {
		const { order, executions } = loadNubraSchema();
		expect(() =>
			encodeWith(executions, { id: 1, execution_status: 'EXECUTION_STATUS_REJECTED' }),
		).toThrow(
			'protos.zanskarsecurities.nubrafrontend.ExecutionStatus has no value EXECUTION_STATUS_REJECTED',
		);
		expect(() =>
			encodeWith(executions, { id: 1, order_params: { option_type: 'OPTION_TYPE_CALL' } }),
		).toThrow(/OptionType has no value OPTION_TYPE_CALL/);
		expect(() => encodeWith(order, { order_id: 1, strategy: 'STRATEGY_TYPE_LIMIT' })).toThrow(
			'protos.zanskarsecurities.nubrafrontend.Order has no field strategy',
		);
		expect(
			encodeWith(executions, { id: 1, execution_status: 'EXECUTION_SATUS_REJECTED' }).length,
		).toBeGreaterThan(0);
	});
});
