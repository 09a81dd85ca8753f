/**
 * The Nubra Trigger's description contract: what n8n and its node linter read without running
 * the node (shape, credential wiring, icons, codex, option conventions, defaults).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
	NodeConnectionTypes,
	type INodeProperties,
	type INodePropertyCollection,
	type INodePropertyOptions,
} from 'n8n-workflow';

import { NubraTrigger } from '../../nodes/NubraTrigger/NubraTrigger.node';

const NODE_DIR = join(__dirname, '../../nodes/NubraTrigger');
const node = new NubraTrigger();
const { description } = node;

type Option = INodePropertyOptions | INodeProperties | INodePropertyCollection;

function isProperty(option: Option): option is INodeProperties {
	return 'type' in option && 'displayName' in option && 'name' in option;
}

/** Every property, including those nested in collections. */
function allProperties(properties: INodeProperties[]): INodeProperties[] {
	return properties.flatMap((property) => [
		property,
		...allProperties((property.options ?? []).filter(isProperty)),
	]);
}

function label(option: Option): string {
	return isProperty(option) || 'displayName' in option ? option.displayName : option.name;
}

describe('Nubra Trigger description', () => {
	test('is a trigger: no inputs, one main output, name and display name', () => {
		expect(description.name).toBe('nubraTrigger');
		expect(description.displayName).toBe('Nubra Trigger');
		expect(description.group).toEqual(['trigger']);
		expect(description.inputs).toEqual([]);
		expect(description.outputs).toEqual([NodeConnectionTypes.Main]);
		expect(description.version).toBe(1);
		expect(node.trigger).toEqual(expect.any(Function));
	});

	test('uses the nubraApi credential, tested by nubraApiTest, which exists', () => {
		expect(description.credentials).toEqual([
			{ name: 'nubraApi', required: true, testedBy: 'nubraApiTest' },
		]);
		expect(node.methods.credentialTest.nubraApiTest).toEqual(expect.any(Function));
	});

	test('has light and dark icons that exist as SVG files', () => {
		expect(description.icon).toEqual({ light: 'file:nubra.svg', dark: 'file:nubra.dark.svg' });
		for (const file of ['nubra.svg', 'nubra.dark.svg']) {
			const path = join(NODE_DIR, file);
			expect(existsSync(path)).toBe(true);
			expect(readFileSync(path, 'utf8')).toContain('<svg');
		}
	});

	test('codex: categories and the aliases people search for', () => {
		const codex = JSON.parse(readFileSync(join(NODE_DIR, 'NubraTrigger.node.json'), 'utf8')) as {
			node: string;
			categories: string[];
			alias: string[];
			resources: { primaryDocumentation: { url: string }[] };
		};
		expect(codex.node).toBe(`n8n-nodes-nubra.${description.name}`);
		expect(codex.categories.length).toBeGreaterThan(0);
		expect(codex.categories).toContain('Finance & Accounting');
		expect(codex.alias).toEqual(expect.arrayContaining(['order', 'trade', 'fill', 'broker']));
		expect(codex.resources.primaryDocumentation[0].url).toMatch(/^https:\/\//);
	});

	test('events default to order and trade updates', () => {
		const events = description.properties.find((p) => p.name === 'events');
		expect(events?.type).toBe('multiOptions');
		expect(events?.default).toEqual(['order', 'trade']);
		expect((events?.options ?? []).map((o) => (o as INodePropertyOptions).value).sort()).toEqual([
			'basket',
			'connection',
			'order',
			'trade',
		]);
	});

	test('every collection lists its entries alphabetically', () => {
		const collections = allProperties(description.properties).filter(
			(p) => p.type === 'collection',
		);
		expect(collections.map((p) => p.name)).toEqual(['filters', 'options']);
		for (const collection of collections) {
			const names = (collection.options ?? []).map(label);
			expect({ [collection.name]: names }).toEqual({
				[collection.name]: [...names].sort((a, b) => a.localeCompare(b)),
			});
		}
	});

	test('value lists are alphabetical too, except two short ones that lead with their default', () => {
		// Output (Simplified first) and Socket (documented, SDK, explicit) read in that order.
		const deliberate = new Set(['output', 'socket']);
		const lists = allProperties(description.properties).filter(
			(p) => (p.type === 'options' || p.type === 'multiOptions') && !deliberate.has(p.name),
		);
		expect(lists.map((p) => p.name).sort()).toEqual(
			['events', 'exchanges', 'requests', 'sides', 'statuses', 'symbolMatch', 'tagMatch'].sort(),
		);
		for (const list of lists) {
			const names = (list.options ?? []).map(label);
			expect({ [list.name]: names }).toEqual({
				[list.name]: [...names].sort((a, b) => a.localeCompare(b)),
			});
		}
		for (const name of deliberate) {
			const list = allProperties(description.properties).find((p) => p.name === name);
			expect((list?.options?.[0] as INodePropertyOptions | undefined)?.value).toBe(list?.default);
		}
	});

	test('collections follow n8n conventions: placeholder, empty default', () => {
		for (const name of ['filters', 'options']) {
			const collection = description.properties.find((p) => p.name === name);
			expect(collection).toMatchObject({ type: 'collection', default: {} });
			expect(collection?.placeholder).toMatch(/^Add /);
		}
	});

	test('booleans are described "Whether …"; seconds carry a hint', () => {
		const properties = allProperties(description.properties);
		const booleans = properties.filter((p) => p.type === 'boolean');
		expect(booleans.length).toBeGreaterThanOrEqual(5);
		for (const property of booleans)
			expect({ [property.name]: property.description }).toEqual({
				[property.name]: expect.stringMatching(/^Whether /),
			});
		for (const property of properties.filter((p) => p.name.endsWith('Seconds'))) {
			expect({ [property.name]: property.hint }).toEqual({ [property.name]: 'Value in seconds' });
			expect(property.typeOptions?.minValue).toBeGreaterThanOrEqual(1);
		}
	});
});
