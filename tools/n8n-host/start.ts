/**
 * The one start-up sequence every user of the tooling shares (tests, demo, bench): user folder
 * → import credentials → import workflows (published before start, after start, or not at all)
 * → `n8n start` → owner (created, or logged in again on a restart).
 */
import { rmSync } from 'node:fs';

import {
	createUserFolder,
	resolveHost,
	startN8n,
	type N8nInstance,
	type StartN8nOptions,
} from './n8n';
import { DEFAULT_OWNER, N8nSession, setupOwner, type OwnerAccount } from './rest';
import {
	importCredentials,
	importWorkflows,
	type CredentialJson,
	type ImportedCredential,
	type WorkflowJson,
} from './workflows';

export interface StartN8nWithOptions extends StartN8nOptions {
	credentials?: CredentialJson[];
	/** The workflows, or a function of the imported credentials (with their ids) that makes them. */
	workflows?: WorkflowJson[] | ((credentials: ImportedCredential[]) => WorkflowJson[]);
	/**
	 * When the workflows are published (activated):
	 * - `before-start` (default): with the CLI, so `n8n start` activates them (~4 s per workflow);
	 * - `after-start`: over REST once n8n runs; a trigger that cannot activate fails this call
	 *   with n8n's reason;
	 * - `never`: left unpublished.
	 * A workflow with `active: false` is never published.
	 */
	publish?: 'before-start' | 'after-start' | 'never';
	/**
	 * The owner account: created on a fresh user folder (default), or, on a folder n8n already
	 * ran on (a restart, `userFolder` + `keepUserFolder`), `existing` logs in as it.
	 */
	owner?: Partial<OwnerAccount> & { existing?: boolean };
}

export interface StartedN8n {
	n8n: N8nInstance;
	/** Logged in as the owner. */
	session: N8nSession;
	owner: OwnerAccount;
	credentials: ImportedCredential[];
	/** Ids of `workflows`, in order. */
	workflowIds: string[];
	userFolder: string;
}

export async function startN8nWith(options: StartN8nWithOptions): Promise<StartedN8n> {
	const host = resolveHost(options.host);
	const { publish = 'before-start', owner: ownerOptions = {} } = options;
	const userFolder = options.userFolder ?? createUserFolder();
	const cli = { host, env: options.env };
	let n8n: N8nInstance | undefined;
	try {
		const credentials =
			options.credentials && options.credentials.length > 0
				? await importCredentials(userFolder, options.credentials, cli)
				: [];
		const workflows =
			typeof options.workflows === 'function'
				? options.workflows(credentials)
				: (options.workflows ?? []);
		const workflowIds =
			workflows.length > 0
				? await importWorkflows(userFolder, workflows, {
						...cli,
						activate: publish === 'before-start',
					})
				: [];
		n8n = await startN8n({ ...options, host, userFolder });

		let owner: OwnerAccount;
		let session: N8nSession;
		if (ownerOptions.existing) {
			owner = { ...DEFAULT_OWNER, ...ownerOptions };
			session = new N8nSession(n8n.baseUrl);
			await session.login(owner.email, owner.password);
		} else {
			({ owner, session } = await setupOwner(n8n.baseUrl, ownerOptions));
		}
		for (const [index, id] of workflowIds.entries()) {
			if (workflows[index].active === false) continue;
			if (publish === 'after-start') {
				try {
					await session.activateWorkflow(id);
				} catch (error) {
					throw new Error(
						`publishing "${workflows[index].name}" failed: ${(error as Error).message}`,
					);
				}
			} else if (publish === 'before-start') {
				// n8n 2.41 starts CLI-published triggers only after it reports ready.
				await session.waitForPublication(id);
			}
		}
		return { n8n, session, owner, credentials, workflowIds, userFolder };
	} catch (error) {
		// A folder made here goes with the failure; a given one only as `keepUserFolder` says.
		if (n8n) await n8n.stop();
		if (!options.userFolder || (!n8n && !options.keepUserFolder)) {
			rmSync(userFolder, { recursive: true, force: true });
		}
		throw error;
	}
}
