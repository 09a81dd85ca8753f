/**
 * Putting workflows and credentials into a user folder with n8n's CLI before `n8n start`.
 * Import always deactivates a workflow; `publish:workflow` activates it again (n8n 2.x
 * replaced `update:workflow --active=true`, which still works but is deprecated). A running
 * n8n does not notice CLI changes: use N8nSession.activateWorkflow() for that.
 */
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

import type { N8nHost, N8nHostId } from './hosts';
import { n8nCli } from './n8n';

export interface WorkflowNodeJson {
	id?: string;
	name: string;
	type: string;
	typeVersion: number;
	position: [number, number];
	parameters: Record<string, unknown>;
	credentials?: Record<string, { id: string; name: string }>;
	webhookId?: string;
	disabled?: boolean;
}

export interface WorkflowJson {
	id?: string;
	name: string;
	nodes: WorkflowNodeJson[];
	connections: Record<
		string,
		{ main: Array<Array<{ node: string; type: 'main'; index: number }>> }
	>;
	settings?: Record<string, unknown>;
	pinData?: Record<string, unknown>;
	/** For importWorkflows(): `false` leaves this one unpublished whatever `activate` says. */
	active?: boolean;
}

export interface CredentialJson {
	id?: string;
	name: string;
	type: string;
	/** Plain values; the CLI encrypts them with the user folder's key. */
	data: Record<string, unknown>;
}

/** An id in n8n's style (16 alphanumerics). */
export function n8nId(): string {
	const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
	return [...randomBytes(16)].map((byte) => alphabet[byte % alphabet.length]).join('');
}

/** Wires `from` -> `to` on main output 0 (for building `connections`). */
export function connect(pairs: Array<[string, string]>): WorkflowJson['connections'] {
	const connections: WorkflowJson['connections'] = {};
	for (const [from, to] of pairs) {
		connections[from] ??= { main: [[]] };
		connections[from].main[0].push({ node: to, type: 'main', index: 0 });
	}
	return connections;
}

let files = 0;

function writeJson(userFolder: string, prefix: string, value: unknown): string {
	const file = join(userFolder, `${prefix}-${process.pid}-${++files}.json`);
	writeFileSync(file, JSON.stringify(value, null, '\t'));
	return file;
}

export interface ImportOptions {
	/** Extra environment for the CLI (e.g. the database of a queue-mode setup). */
	env?: Record<string, string>;
	/** Which n8n's CLI. Default: the selected host (N8N_E2E_HOST). */
	host?: N8nHost | N8nHostId;
}

export type ImportedCredential = CredentialJson & { id: string };

/** Imports credentials (ids generated when missing); returns them with their ids. */
export async function importCredentials(
	userFolder: string,
	credentials: CredentialJson[],
	options: ImportOptions = {},
): Promise<ImportedCredential[]> {
	const withIds = credentials.map((credential) => ({
		...credential,
		id: credential.id ?? n8nId(),
	}));
	const file = writeJson(userFolder, 'credentials', withIds);
	await n8nCli(userFolder, ['import:credentials', `--input=${file}`], options.env, {
		host: options.host,
	});
	return withIds;
}

/**
 * Imports workflows in one CLI run (ids generated when missing) and, unless
 * `activate: false` (or the workflow's own `active: false`), publishes each one's current
 * version (one CLI run per workflow, ~4 s each) so `n8n start` activates them. Returns the
 * workflow ids, in order.
 */
export async function importWorkflows(
	userFolder: string,
	workflows: WorkflowJson[],
	options: ImportOptions & { activate?: boolean } = {},
): Promise<string[]> {
	const prepared = workflows.map((workflow) => ({
		settings: {},
		...workflow,
		id: workflow.id ?? n8nId(),
		nodes: workflow.nodes.map((node) => ({ ...node, id: node.id ?? n8nId() })),
	}));
	const file = writeJson(userFolder, 'workflows', prepared);
	const cli = { host: options.host };
	await n8nCli(userFolder, ['import:workflow', `--input=${file}`], options.env, cli);
	for (const { id, active } of prepared) {
		if (options.activate === false || active === false) continue;
		await n8nCli(userFolder, ['publish:workflow', `--id=${id}`], options.env, cli);
	}
	return prepared.map(({ id }) => id);
}

/** importWorkflows() for one workflow; returns its id. */
export async function importWorkflow(
	userFolder: string,
	workflow: WorkflowJson,
	options: ImportOptions & { activate?: boolean } = {},
): Promise<string> {
	const [id] = await importWorkflows(userFolder, [workflow], options);
	return id;
}
