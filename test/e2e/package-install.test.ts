/**
 * The real package layout: `npm pack` of this repository, installed into the pinned n8n's user
 * folder the way the Community Nodes UI installs it, with no N8N_CUSTOM_EXTENSIONS. The webhook
 * example is imported unchanged (its trigger type is `n8n-nodes-nubra.nubraTrigger`), published,
 * and must post the simulator's partial fill to a local sink. This is what catches a file left
 * out of `files`, a runtime dependency missing from `dependencies`, or a wrong `n8n` path.
 */
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';

import { startSimulator, type RunningSimulator } from '../../simulator';
import {
	createUserFolder,
	type HttpSink,
	installPackedPackage,
	type N8nInstance,
	packPackage,
	type PackedPackage,
	startHttpSink,
	startN8nWith,
} from '../../tools/n8n-host';
import {
	loadExample,
	nodeNamed,
	PACKAGE_TRIGGER_TYPE,
	simulatorCredential,
} from './fixtures/examples';
import { playOrder, rupees, SPECS } from './fixtures/scenario';

jest.setTimeout(300_000);

describe('the packed package installed into n8n like a community node', () => {
	let sim: RunningSimulator;
	let sink: HttpSink;
	let packed: PackedPackage;
	let packageDir: string;
	let userFolder: string | undefined;
	let n8n: N8nInstance | undefined;

	beforeAll(async () => {
		sim = await startSimulator();
		sink = await startHttpSink();
		packed = await packPackage();
		userFolder = createUserFolder();
		packageDir = await installPackedPackage(userFolder, packed);

		const nubra = simulatorCredential(sim, 'Nubra (packed package)');
		const webhook = loadExample('webhook-on-partial-fills');
		nodeNamed(webhook, 'Nubra Trigger').credentials = {
			nubraApi: { id: nubra.id, name: nubra.name },
		};
		nodeNamed(webhook, 'POST Fill').parameters.url = `${sink.url}/packed`;

		const folder = userFolder;
		userFolder = undefined; // startN8nWith owns (and removes) it now
		({ n8n } = await startN8nWith({
			userFolder: folder,
			credentials: [nubra],
			workflows: [{ ...webhook, active: true }],
			env: { N8N_COMMUNITY_PACKAGES_ENABLED: 'true' },
		}));
		await sim.control.waitForSubscribers(1, 60_000);
	});

	afterAll(async () => {
		await n8n?.stop();
		if (userFolder) rmSync(userFolder, { recursive: true, force: true });
		packed?.remove();
		await sink?.close();
		await sim?.close();
	});

	it('ships what n8n loads and nothing of the repository around it', () => {
		const paths = new Set(packed.files);
		for (const file of [
			'index.js',
			'dist/nodes/NubraTrigger/NubraTrigger.node.js',
			'dist/nodes/NubraTrigger/NubraTrigger.node.json',
			'dist/nodes/NubraTrigger/nubra.svg',
			'dist/nodes/NubraTrigger/nubra.dark.svg',
			'dist/nodes/Nubra/Nubra.node.js',
			'dist/nodes/Nubra/Nubra.node.json',
			'dist/nodes/Nubra/nubra.svg',
			'dist/nodes/Nubra/nubra.dark.svg',
			'dist/nodes/shared/n8nSessionStore.js',
			'dist/credentials/NubraApi.credentials.js',
			'dist/proto/nubra/intent.proto',
			'dist/simulator/index.js',
		]) {
			expect(paths).toContain(file);
		}
		expect(
			packed.files.filter(
				(file) => /^(test|bench|demo|scripts|tools)\/|\.ts$/.test(file) && !file.endsWith('.d.ts'),
			),
		).toEqual([]);
		// Runtime dependencies were installed next to it, not borrowed from the repository.
		expect(existsSync(join(packageDir, 'node_modules', 'ws', 'package.json'))).toBe(true);
		expect(existsSync(join(packageDir, 'node_modules', 'protobufjs', 'package.json'))).toBe(true);
		expect(existsSync(join(packageDir, 'node_modules', 'n8n-workflow'))).toBe(false);
	});

	it(`runs the example unchanged as ${PACKAGE_TRIGGER_TYPE}: the partial fill reaches the sink`, async () => {
		const order = playOrder(sim.control, {
			spec: { ...SPECS.sbin, side: 'BUY', qty: 10, price: 81_235, tag: 'packed' },
			steps: [{ type: 'accept' }, { type: 'partialFill', qty: 4 }],
		});
		const [request] = await sink.waitForCount('/packed', 1);
		expect(request.json).toMatchObject({
			event: 'trade',
			status: 'PARTIALLY_FILLED',
			order_id: Number(order.id),
			trade_qty: 4,
			trade_price: 81_235,
			trade_price_rupees: rupees(81_235),
			tag: 'packed',
		});
	});
});
