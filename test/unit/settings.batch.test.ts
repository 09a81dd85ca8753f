import type { INode, ITriggerFunctions } from 'n8n-workflow';

import {
	DEFAULT_BATCH_MAX_EVENTS,
	DEFAULT_BATCH_MAX_WAIT_SECONDS,
	getSettings,
} from '../../nodes/NubraTrigger/settings';

/** The parameters as n8n hands them over: a collection holds only the keys the user set. */
function settingsWith(options: Record<string, unknown>) {
	const parameters: Record<string, unknown> = { events: ['trade'], filters: {}, options };
	const ctx = {
		getNodeParameter: (name: string, fallback?: unknown) => parameters[name] ?? fallback,
		getNode: () => ({ name: 'Nubra Trigger' }) as INode,
	} as unknown as Pick<ITriggerFunctions, 'getNodeParameter' | 'getNode'>;
	return getSettings(ctx);
}

describe('Batch Events settings', () => {
	test('off unless switched on, whatever the size and wait say', () => {
		expect(settingsWith({}).batch).toBeUndefined();
		expect(
			settingsWith({ batchEvents: false, batchMaxEvents: 50, batchMaxWaitSeconds: 5 }).batch,
		).toBeUndefined();
	});

	test('on: the size and wait given, the wait in milliseconds', () => {
		expect(
			settingsWith({ batchEvents: true, batchMaxEvents: 500, batchMaxWaitSeconds: 2 }).batch,
		).toEqual({
			maxEvents: 500,
			maxWaitMs: 2_000,
		});
	});

	test('on without a size or wait (hidden until switched on, so never set): the defaults', () => {
		expect(settingsWith({ batchEvents: true }).batch).toEqual({
			maxEvents: DEFAULT_BATCH_MAX_EVENTS,
			maxWaitMs: DEFAULT_BATCH_MAX_WAIT_SECONDS * 1000,
		});
		expect(DEFAULT_BATCH_MAX_EVENTS).toBe(100);
		expect(DEFAULT_BATCH_MAX_WAIT_SECONDS).toBe(1);
	});

	test('a size below 1 or a wait of 0 falls back to the default; a fractional size is cut', () => {
		expect(
			settingsWith({ batchEvents: true, batchMaxEvents: 0, batchMaxWaitSeconds: 0 }).batch,
		).toEqual({
			maxEvents: DEFAULT_BATCH_MAX_EVENTS,
			maxWaitMs: DEFAULT_BATCH_MAX_WAIT_SECONDS * 1000,
		});
		expect(settingsWith({ batchEvents: true, batchMaxEvents: 7.9 }).batch?.maxEvents).toBe(7);
	});
});
