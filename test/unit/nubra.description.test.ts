import type { INodePropertyOptions } from 'n8n-workflow';
import { Nubra } from '../../nodes/Nubra/Nubra.node';

/** What an AI agent (and a person) reads: which operations move money, and where they run. */
describe('Nubra node description', () => {
	const { description } = new Nubra();
	const operations = description.properties
		.filter((p) => p.name === 'operation')
		.flatMap((p) => (p.options ?? []) as INodePropertyOptions[]);

	it('is usable as an AI tool and shows the environment in its subtitle', () => {
		expect(description.usableAsTool).toBe(true);
		expect(description.subtitle).toContain('$parameter["environment"]');
		expect(description.credentials).toEqual([
			{ name: 'nubraApi', required: true, testedBy: 'nubraApiTest' },
		]);
	});

	it('flags every operation that changes orders as destructive, and every other one as read-only', () => {
		const destructive = operations.filter((o) => String(o.description).startsWith('DESTRUCTIVE'));
		expect(destructive.map((o) => o.value).sort()).toEqual(['cancel', 'modify', 'place']);
		const readOnly = operations.filter((o) => String(o.description).startsWith('Read-only'));
		expect(readOnly).toHaveLength(operations.length - 3);
		for (const operation of operations) expect(operation.action).toBeTruthy();
	});

	it('defaults the expected environment to UAT, so a swapped Production credential stops the node', () => {
		expect(description.properties.find((p) => p.name === 'environment')?.default).toBe('uat');
	});
});
