/**
 * Smoke test of the n8n tooling (tools/n8n-host) against the selected pinned, real n8n host:
 * it runs the host's n8n version on the host's own Node, custom nodes load from
 * N8N_CUSTOM_EXTENSIONS (as CUSTOM.<name>, resolving their own node_modules), CLI import +
 * publish activates workflows, the production webhook answers, executions are visible over
 * REST and the public API, "Listen for test event" works for a custom trigger, and stop()
 * ends the process group and removes the user folder.
 */
import { randomUUID } from 'node:crypto';
import {
	copyFileSync,
	existsSync,
	mkdirSync,
	mkdtempSync,
	readdirSync,
	readlinkSync,
	realpathSync,
	rmSync,
	writeFileSync,
} from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

import {
	connect,
	createUserFolder,
	getFreePort,
	N8nPublicApi,
	type N8nInstance,
	type N8nSession,
	n8nHost,
	nodeOutput,
	PACKAGE_ROOT,
	startN8n,
	startN8nWith,
	waitFor,
	waitForExecutions,
	type WorkflowJson,
} from '../../tools/n8n-host';

jest.setTimeout(300_000);

const PROBE_NODE = `'use strict';
class E2eProbe {
	constructor() {
		this.description = {
			displayName: 'E2E Probe',
			name: 'e2eProbe',
			group: ['transform'],
			version: 1,
			description: 'Reports where its dependencies resolve from',
			defaults: { name: 'E2E Probe' },
			inputs: ['main'],
			outputs: ['main'],
			properties: [],
		};
	}
	async execute() {
		const ws = require('ws');
		return [
			this.getInputData().map((item) => ({
				json: {
					received: item.json.body ?? null,
					wsResolvedFrom: require.resolve('ws'),
					wsVersion: require('ws/package.json').version,
					hasWebSocket: typeof ws.WebSocket === 'function',
				},
			})),
		];
	}
}
module.exports = { E2eProbe };
`;

const TICK_TRIGGER = `'use strict';
class E2eTick {
	constructor() {
		this.description = {
			displayName: 'E2E Tick',
			name: 'e2eTick',
			group: ['trigger'],
			version: 1,
			description: 'Emits one item shortly after it starts',
			defaults: { name: 'E2E Tick' },
			inputs: [],
			outputs: ['main'],
			properties: [{ displayName: 'Delay', name: 'delayMs', type: 'number', default: 100 }],
		};
	}
	async trigger() {
		const delayMs = this.getNodeParameter('delayMs', 100);
		const mode = this.getMode();
		const timer = setTimeout(() => this.emit([[{ json: { tick: true, mode } }]]), delayMs);
		return { closeFunction: async () => clearTimeout(timer) };
	}
}
module.exports = { E2eTick };
`;

/**
 * A throwaway community-node package laid out like this one: nodes in dist/, its own
 * node_modules/ws beside dist/ (a copy, not a symlink, so resolution really ends there).
 */
function writeProbePackage(root: string): string {
	const dist = join(root, 'dist');
	for (const [file, source] of [
		['nodes/E2eProbe/E2eProbe.node.js', PROBE_NODE],
		['nodes/E2eTick/E2eTick.node.js', TICK_TRIGGER],
	]) {
		mkdirSync(dirname(join(dist, file)), { recursive: true });
		writeFileSync(join(dist, file), source);
	}
	writeFileSync(
		join(root, 'package.json'),
		JSON.stringify({ name: 'n8n-nodes-e2e-probe', version: '0.0.0', private: true }),
	);
	copyDir(join(PACKAGE_ROOT, 'node_modules', 'ws'), join(root, 'node_modules', 'ws'));
	return dist;
}

/** Recursive copy (fs.cpSync leaves a directory handle open that jest reports). */
function copyDir(from: string, to: string): void {
	mkdirSync(to, { recursive: true });
	for (const entry of readdirSync(from, { withFileTypes: true })) {
		if (entry.isDirectory()) copyDir(join(from, entry.name), join(to, entry.name));
		else if (entry.isFile()) copyFileSync(join(from, entry.name), join(to, entry.name));
	}
}

const WEBHOOK_PATH = `e2e-smoke-${randomUUID().slice(0, 8)}`;

const webhookWorkflow: WorkflowJson = {
	name: 'E2E smoke: webhook -> custom probe',
	nodes: [
		{
			name: 'Webhook',
			type: 'n8n-nodes-base.webhook',
			typeVersion: 2,
			position: [0, 0],
			webhookId: randomUUID(),
			parameters: { httpMethod: 'POST', path: WEBHOOK_PATH, responseMode: 'lastNode', options: {} },
		},
		{
			name: 'Probe',
			type: 'CUSTOM.e2eProbe',
			typeVersion: 1,
			position: [200, 0],
			parameters: {},
		},
	],
	connections: connect([['Webhook', 'Probe']]),
};

const tickWorkflow: WorkflowJson = {
	name: 'E2E smoke: custom trigger',
	nodes: [
		{
			name: 'Tick',
			type: 'CUSTOM.e2eTick',
			typeVersion: 1,
			position: [0, 0],
			parameters: { delayMs: 100 },
		},
	],
	connections: {},
};

/** Never emits on its own (10 min): "Listen for test event" keeps listening until stopped. */
const silentTickWorkflow: WorkflowJson = {
	...tickWorkflow,
	name: 'E2E smoke: silent custom trigger (not published)',
	nodes: [{ ...tickWorkflow.nodes[0], parameters: { delayMs: 600_000 } }],
	active: false,
};

describe(`n8n tooling with ${n8nHost().label}`, () => {
	let workDir: string;
	let n8n: N8nInstance | undefined;
	let session: N8nSession;
	let webhookWorkflowId: string;
	let tickWorkflowId: string;
	let silentWorkflowId: string;

	beforeAll(async () => {
		workDir = mkdtempSync(join(tmpdir(), 'n8n-e2e-probe-'));
		const extensions = writeProbePackage(join(workDir, 'n8n-nodes-e2e-probe'));
		let workflowIds: string[];
		({ n8n, session, workflowIds } = await startN8nWith({
			workflows: [webhookWorkflow, tickWorkflow, silentTickWorkflow],
			customExtensionsDir: extensions,
		}));
		[webhookWorkflowId, tickWorkflowId, silentWorkflowId] = workflowIds;
		console.log(
			`${n8n.host.label} ready in ${n8n.startupMs} ms at ${n8n.baseUrl} (pid ${n8n.pid}, log ${n8n.logFile})`,
		);
	});

	it("runs the host's pinned n8n version on the host's own Node", async () => {
		const host = n8nHost();
		const settings = await session.request<{ versionCli: string }>('GET', '/rest/settings');
		expect(settings.versionCli).toBe(host.n8nVersion);
		expect(readlinkSync(`/proc/${n8n!.pid}/exe`)).toBe(realpathSync(host.nodeBin));
	});

	afterAll(async () => {
		await n8n?.stop();
		if (workDir) rmSync(workDir, { recursive: true, force: true });
	});

	it('answers on the production webhook of a published workflow, via the custom node', async () => {
		const response = await fetch(`${n8n!.baseUrl}/webhook/${WEBHOOK_PATH}`, {
			method: 'POST',
			headers: { 'content-type': 'application/json' },
			body: JSON.stringify({ hello: 'nubra' }),
		});
		expect(response.status).toBe(200);
		const body = (await response.json()) as Record<string, unknown>;
		expect(body.received).toEqual({ hello: 'nubra' });
		expect(body.hasWebSocket).toBe(true);
		// The custom node's require('ws') resolved from its own package's node_modules.
		expect(body.wsResolvedFrom).toBe(
			join(workDir, 'n8n-nodes-e2e-probe', 'node_modules', 'ws', 'index.js'),
		);
	});

	it('lists the executions over REST and the public API', async () => {
		const [execution] = await waitForExecutions(session, webhookWorkflowId, 1);
		expect(execution).toMatchObject({
			workflowId: webhookWorkflowId,
			mode: 'webhook',
			status: 'success',
		});

		const api = new N8nPublicApi(n8n!.baseUrl, await session.createApiKey());
		const withData = await api.getExecution(execution.id);
		expect(nodeOutput(withData, 'Probe')[0]).toMatchObject({ received: { hello: 'nubra' } });
		const listed = await api.listExecutions({ workflowId: webhookWorkflowId });
		expect(listed.map((item) => item.id)).toContain(execution.id);
	});

	it('activates a custom trigger (CUSTOM.<name>) at start-up', async () => {
		expect(await session.activeWorkflowIds()).toEqual(
			expect.arrayContaining([webhookWorkflowId, tickWorkflowId]),
		);
		const [execution] = await waitForExecutions(
			session,
			tickWorkflowId,
			1,
			(item) => item.mode === 'trigger',
		);
		expect(execution.status).toBe('success');
	});

	it('runs "Listen for test event" for a custom trigger', async () => {
		const started = await session.runWorkflowManually(tickWorkflowId, 'Tick');
		expect(started.executionId).toEqual(expect.any(String));
		const [execution] = await waitForExecutions(
			session,
			tickWorkflowId,
			1,
			(item) => item.id === started.executionId && item.status === 'success',
		);
		expect(execution.mode).toBe('manual');
	});

	it('stops a manual run that is still listening', async () => {
		expect(await session.activeWorkflowIds()).not.toContain(silentWorkflowId);
		const started = await session.runWorkflowManually(silentWorkflowId, 'Tick');
		const executionId = started.executionId!;
		expect(executionId).toEqual(expect.any(String));
		await waitForExecutions(session, silentWorkflowId, 1, (item) => item.id === executionId, {
			description: 'the listening manual execution to be listed',
		});
		await session.stopExecution(executionId);
		const [stopped] = await waitForExecutions(
			session,
			silentWorkflowId,
			1,
			(item) => item.id === executionId && !['new', 'running'].includes(item.status),
		);
		expect(stopped.status).toBe('canceled');
	});

	it('deactivates and re-activates a workflow on the running n8n', async () => {
		await session.deactivateWorkflow(webhookWorkflowId);
		const url = `${n8n!.baseUrl}/webhook/${WEBHOOK_PATH}`;
		const inactive = await fetch(url, { method: 'POST' });
		expect(inactive.status).toBe(404);
		await session.activateWorkflow(webhookWorkflowId);
		const active = await fetch(url, {
			method: 'POST',
			headers: { 'content-type': 'application/json' },
			body: '{}',
		});
		expect(active.status).toBe(200);
	});

	it('stop() ends the process group and removes the user folder', async () => {
		const instance = n8n!;
		await instance.stop();
		expect(instance.hasExited()).toBe(true);
		expect(existsSync(instance.userFolder)).toBe(false);
		await waitFor(
			() => {
				try {
					process.kill(-instance.pid, 0);
					return false;
				} catch {
					return true;
				}
			},
			{ timeoutMs: 5_000, description: 'no process left in the group' },
		);
	});
});

describe(`n8n tooling start-up failure with ${n8nHost().label}`, () => {
	let occupant: Server | undefined;
	let extensions: string;

	beforeAll(() => {
		extensions = mkdtempSync(join(tmpdir(), 'n8n-e2e-empty-ext-'));
	});

	afterAll(async () => {
		await new Promise<void>((resolve) => (occupant ? occupant.close(() => resolve()) : resolve()));
		rmSync(extensions, { recursive: true, force: true });
	});

	it("rejects with n8n's log when n8n exits early, and removes the user folder", async () => {
		const port = await getFreePort();
		occupant = createServer();
		await new Promise<void>((resolve) => occupant!.listen(port, '127.0.0.1', resolve));
		const userFolder = createUserFolder();
		await expect(
			startN8n({ customExtensionsDir: extensions, userFolder, env: { N8N_PORT: String(port) } }),
		).rejects.toThrow(/exited during start-up[\s\S]*already in use/);
		expect(existsSync(userFolder)).toBe(false);
	});
});
