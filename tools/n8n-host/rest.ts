/**
 * Talking to a running n8n: the owner account and a logged-in REST session (the editor's own
 * API, /rest/...), an API key for the public API (/api/v1/...), executions, activation and
 * "Listen for test event" (manual runs).
 */
import { randomUUID } from 'node:crypto';

import { pause, waitFor, type WaitOptions } from './wait';

export class N8nHttpError extends Error {
	constructor(
		readonly method: string,
		readonly url: string,
		readonly status: number,
		readonly body: string,
	) {
		super(`${method} ${url} -> ${status}: ${body.slice(0, 500)}`);
		this.name = 'N8nHttpError';
	}
}

export interface OwnerAccount {
	email: string;
	password: string;
	firstName: string;
	lastName: string;
}

/** The summary n8n lists executions with (REST and public API share these fields). */
export interface ExecutionSummary {
	id: string;
	workflowId: string;
	mode: string;
	status: string;
	finished: boolean;
	startedAt: string | null;
	stoppedAt: string | null;
}

/** An execution from the public API with `includeData=true`. */
export interface ExecutionWithData extends ExecutionSummary {
	data?: {
		resultData?: {
			runData?: Record<
				string,
				Array<{
					data?: { main?: Array<Array<{ json: Record<string, unknown> }> | null> };
					error?: { message?: string };
				}>
			>;
			lastNodeExecuted?: string;
			error?: { message?: string };
		};
	};
}

export interface WorkflowSummary {
	id: string;
	name: string;
	active: boolean;
	versionId: string;
	activeVersionId?: string | null;
	nodes: Array<{ name: string; type: string; parameters?: Record<string, unknown> }>;
	connections: Record<string, unknown>;
}

/** n8n 2.41's view of a workflow's publication. */
export interface PublicationStatus {
	status: 'in_progress' | 'not_published' | 'published' | 'partial' | 'failed';
	triggers: Array<{ nodeId: string; status: string; errorMessage?: string | null }>;
}

/** A publication that has run: its triggers started, or some of them failed. */
const PUBLISHED: ReadonlyArray<PublicationStatus['status']> = ['published', 'partial', 'failed'];
/** An unpublication that has run. */
const UNPUBLISHED: ReadonlyArray<PublicationStatus['status']> = ['not_published'];

/** n8n's auth cookie. */
const AUTH_COOKIE = 'n8n-auth';

/** The JSON n8n answers REST calls with: `{ data: ... }`. */
interface Wrapped<T> {
	data: T;
}

async function readBody(response: Response): Promise<string> {
	return await response.text();
}

/** How long a read waits out n8n's 503 "Database is not ready!". */
const DATABASE_NOT_READY_WAIT_MS = 30_000;

/**
 * fetch() that waits out n8n's "Database is not ready!" (503) for reads: under a burst, n8n's
 * database health ping can time out, and n8n refuses requests until the next ping succeeds
 * (every 2 s). Writes are not repeated.
 */
async function fetchN8n(url: string, init: RequestInit): Promise<Response> {
	const deadline = Date.now() + DATABASE_NOT_READY_WAIT_MS;
	for (;;) {
		const response = await fetch(url, init);
		if (response.status !== 503 || (init.method ?? 'GET') !== 'GET' || Date.now() > deadline)
			return response;
		await response.arrayBuffer();
		await pause(500);
	}
}

/** A logged-in session on n8n's REST API (what the editor UI uses), carried by the auth cookie. */
export class N8nSession {
	private cookie = '';
	/** n8n ties the auth token to this header's value when it is sent; it is sent every time. */
	private readonly browserId = randomUUID();
	/** The account last logged in with, to log in again if n8n rejects a cookie it has just issued. */
	private account: { email: string; password: string } | undefined;

	constructor(readonly baseUrl: string) {}

	/**
	 * A raw request; returns the response whatever its status. n8n 2.8 has been seen to reject
	 * the cookie its owner setup had just issued, on the next request, and then to clear it (CI,
	 * once in about ten runs; not reproduced alone). A handler behind the auth check does not run
	 * when the check fails, so the request is repeated once on a fresh login.
	 */
	async fetch(method: string, path: string, body?: unknown): Promise<Response> {
		const hadCookie = this.cookie !== '';
		const response = await this.send(method, path, body);
		if (!hadCookie || this.cookie !== '' || this.account === undefined) return response;
		console.warn(
			`n8n at ${this.baseUrl} rejected the session's cookie on ${method} ${path}; logging in again`,
		);
		await response.arrayBuffer();
		await this.loginUntilAccepted(this.account);
		return await this.send(method, path, body);
	}

	private async send(method: string, path: string, body?: unknown): Promise<Response> {
		const headers: Record<string, string> = { 'browser-id': this.browserId };
		if (this.cookie) headers.cookie = this.cookie;
		if (body !== undefined) headers['content-type'] = 'application/json';
		const response = await fetchN8n(`${this.baseUrl}${path}`, {
			method,
			headers,
			body: body === undefined ? undefined : JSON.stringify(body),
		});
		const cookies = response.headers
			.getSetCookie()
			.map((cookie) => cookie.split(';')[0])
			.filter((cookie) => cookie.startsWith(`${AUTH_COOKIE}=`));
		if (cookies.length > 0) {
			const latest = cookies[cookies.length - 1];
			// An empty value is n8n clearing the cookie: the session is logged out.
			this.cookie = latest === `${AUTH_COOKIE}=` ? '' : latest;
		}
		return response;
	}

	/** A request that must succeed (2xx); returns the unwrapped `data`. */
	async request<T>(method: string, path: string, body?: unknown): Promise<T> {
		const response = await this.fetch(method, path, body);
		const text = await readBody(response);
		if (!response.ok) throw new N8nHttpError(method, path, response.status, text);
		if (text === '') return undefined as T;
		const parsed = JSON.parse(text) as Wrapped<T> | T;
		return parsed !== null && typeof parsed === 'object' && 'data' in parsed
			? (parsed as Wrapped<T>).data
			: (parsed as T);
	}

	get loggedIn(): boolean {
		return this.cookie !== '';
	}

	async login(email: string, password: string): Promise<void> {
		await this.request('POST', '/rest/login', { emailOrLdapLoginId: email, password });
		this.account = { email, password };
	}

	/** Remembers the account a cookie was issued to (owner setup logs in without login()). */
	rememberAccount(email: string, password: string): void {
		this.account = { email, password };
	}

	/** Logs in again, waiting out a few seconds of 401s in case n8n's user row is not yet readable. */
	private async loginUntilAccepted(account: { email: string; password: string }): Promise<void> {
		await waitFor(
			async () => {
				const response = await this.send('POST', '/rest/login', {
					emailOrLdapLoginId: account.email,
					password: account.password,
				});
				const text = await readBody(response);
				if (response.ok && this.cookie !== '') return true;
				throw new N8nHttpError('POST', '/rest/login', response.status, text);
			},
			{ timeoutMs: 10_000, intervalMs: 250, description: 'n8n to accept the owner login again' },
		);
	}

	async getWorkflow(id: string): Promise<WorkflowSummary> {
		return await this.request<WorkflowSummary>('GET', `/rest/workflows/${id}`);
	}

	/**
	 * Publishes (activates) the workflow's current version on the running n8n and returns once
	 * its triggers run; errors of the trigger's activation (e.g. a failing connection) come back
	 * as an N8nHttpError. n8n 2.8 activates before answering; n8n 2.41 answers first and
	 * publishes through an outbox, so this waits for the publication to settle.
	 */
	async activateWorkflow(id: string): Promise<WorkflowSummary> {
		const { versionId } = await this.getWorkflow(id);
		const path = `/rest/workflows/${id}/activate`;
		const workflow = await this.request<WorkflowSummary>('POST', path, { versionId });
		const publication = await this.waitForPublication(id);
		const failures = (publication?.triggers ?? []).filter((trigger) => trigger.status === 'failed');
		if (failures.length > 0) {
			const message = failures.map((trigger) => trigger.errorMessage ?? 'failed').join('; ');
			throw new N8nHttpError('POST', path, 400, JSON.stringify({ message }));
		}
		return workflow;
	}

	/**
	 * n8n 2.41's publication state of a workflow (GET /rest/workflows/:id/publication-status);
	 * undefined on n8n versions without it (2.8 activates synchronously).
	 */
	async publicationStatus(id: string): Promise<PublicationStatus | undefined> {
		const response = await this.fetch('GET', `/rest/workflows/${id}/publication-status`);
		const text = await readBody(response);
		if (response.status === 404) return undefined;
		if (!response.ok)
			throw new N8nHttpError(
				'GET',
				`/rest/workflows/${id}/publication-status`,
				response.status,
				text,
			);
		return (JSON.parse(text) as Wrapped<PublicationStatus>).data;
	}

	/**
	 * Waits until a published workflow's triggers have been started or have failed (n8n 2.41
	 * starts them after answering, and after `n8n start` for workflows published with the CLI).
	 * Returns the settled status; undefined at once on n8n 2.8.
	 */
	async waitForPublication(
		id: string,
		settled: ReadonlyArray<PublicationStatus['status']> = PUBLISHED,
		timeoutMs = 120_000,
	): Promise<PublicationStatus | undefined> {
		const first = await this.publicationStatus(id);
		if (first === undefined) return undefined;
		return await waitFor(
			async () => {
				const status = await this.publicationStatus(id);
				return status && settled.includes(status.status) ? status : undefined;
			},
			{ timeoutMs, intervalMs: 200, description: `the publication of workflow ${id} to settle` },
		);
	}

	/** Unpublishes the workflow and returns once its triggers are stopped (n8n 2.41: via the outbox). */
	async deactivateWorkflow(id: string): Promise<WorkflowSummary> {
		const workflow = await this.request<WorkflowSummary>(
			'POST',
			`/rest/workflows/${id}/deactivate`,
			{},
		);
		await this.waitForPublication(id, UNPUBLISHED);
		return workflow;
	}

	/** Ids of the workflows n8n has active right now. */
	async activeWorkflowIds(): Promise<string[]> {
		return await this.request<string[]>('GET', '/rest/active-workflows');
	}

	/** Most recent first; at most 100. */
	async listExecutions(workflowId?: string, limit = 100): Promise<ExecutionSummary[]> {
		const query = new URLSearchParams({ limit: String(limit) });
		if (workflowId !== undefined) query.set('filter', JSON.stringify({ workflowId }));
		const page = await this.request<{ results: ExecutionSummary[] }>(
			'GET',
			`/rest/executions?${query.toString()}`,
		);
		return page.results;
	}

	/**
	 * "Execute workflow" / "Listen for test event" from the editor: a manual run started at
	 * `triggerNodeName`. Webhook-style triggers answer `{ waitingForWebhook: true }` (then call
	 * /webhook-test/...); other triggers are started in manual mode and the run ends at their
	 * first emitted event, answering `{ executionId }`.
	 */
	async runWorkflowManually(
		id: string,
		triggerNodeName: string,
	): Promise<{ executionId?: string; waitingForWebhook?: boolean }> {
		const workflow = await this.getWorkflow(id);
		return await this.request('POST', `/rest/workflows/${id}/run`, {
			workflowData: workflow,
			triggerToStartFrom: { name: triggerNodeName },
		});
	}

	/** Stops a running (e.g. still listening manual) execution. */
	async stopExecution(executionId: string): Promise<void> {
		await this.request('POST', `/rest/executions/${executionId}/stop`, {});
	}

	/** Creates a public-API key with every scope the owner may grant; returns the raw key. */
	async createApiKey(label = `e2e ${randomUUID().slice(0, 8)}`): Promise<string> {
		const scopes = await this.request<string[]>('GET', '/rest/api-keys/scopes');
		const created = await this.request<{ rawApiKey: string }>('POST', '/rest/api-keys', {
			label,
			scopes,
			expiresAt: null,
		});
		return created.rawApiKey;
	}
}

export const DEFAULT_OWNER: OwnerAccount = {
	email: 'owner@e2e.test',
	password: 'E2e-Passw0rd',
	firstName: 'E2E',
	lastName: 'Owner',
};

/**
 * Sets up the instance owner (POST /rest/owner/setup; only possible once per user folder) and
 * returns the account and a session logged in as the owner.
 */
export async function setupOwner(
	baseUrl: string,
	owner: Partial<OwnerAccount> = {},
): Promise<{ owner: OwnerAccount; session: N8nSession }> {
	const account: OwnerAccount = { ...DEFAULT_OWNER, ...owner };
	const session = new N8nSession(baseUrl);
	await session.request('POST', '/rest/owner/setup', account);
	if (session.loggedIn) session.rememberAccount(account.email, account.password);
	else await session.login(account.email, account.password);
	return { owner: account, session };
}

/** The public REST API (/api/v1), authenticated with an API key. */
export class N8nPublicApi {
	constructor(
		readonly baseUrl: string,
		private readonly apiKey: string,
	) {}

	async request<T>(method: string, path: string, body?: unknown): Promise<T> {
		const headers: Record<string, string> = {
			'X-N8N-API-KEY': this.apiKey,
			accept: 'application/json',
		};
		if (body !== undefined) headers['content-type'] = 'application/json';
		const response = await fetchN8n(`${this.baseUrl}/api/v1${path}`, {
			method,
			headers,
			body: body === undefined ? undefined : JSON.stringify(body),
		});
		const text = await readBody(response);
		if (!response.ok) throw new N8nHttpError(method, `/api/v1${path}`, response.status, text);
		return (text === '' ? undefined : JSON.parse(text)) as T;
	}

	/** Most recent first. */
	async listExecutions(
		filter: { workflowId?: string; status?: string; includeData?: boolean; limit?: number } = {},
	): Promise<ExecutionWithData[]> {
		const query = new URLSearchParams({ limit: String(filter.limit ?? 100) });
		if (filter.workflowId !== undefined) query.set('workflowId', filter.workflowId);
		if (filter.status !== undefined) query.set('status', filter.status);
		if (filter.includeData) query.set('includeData', 'true');
		const page = await this.request<{ data: ExecutionWithData[] }>(
			'GET',
			`/executions?${query.toString()}`,
		);
		return page.data;
	}

	/** Every execution (of one workflow, when given), following the cursor in pages of 250. */
	async allExecutions(
		filter: { workflowId?: string; includeData?: boolean } = {},
	): Promise<ExecutionWithData[]> {
		const executions: ExecutionWithData[] = [];
		let cursor: string | undefined;
		for (;;) {
			const query = new URLSearchParams({
				limit: '250',
				includeData: String(filter.includeData ?? false),
			});
			if (filter.workflowId !== undefined) query.set('workflowId', filter.workflowId);
			if (cursor) query.set('cursor', cursor);
			const page = await this.request<{ data: ExecutionWithData[]; nextCursor?: string | null }>(
				'GET',
				`/executions?${query.toString()}`,
			);
			executions.push(...page.data);
			if (!page.nextCursor || page.data.length === 0) return executions;
			cursor = page.nextCursor;
		}
	}

	async getExecution(id: string, includeData = true): Promise<ExecutionWithData> {
		return await this.request<ExecutionWithData>(
			'GET',
			`/executions/${id}?includeData=${String(includeData)}`,
		);
	}

	async activateWorkflow(id: string): Promise<WorkflowSummary> {
		return await this.request<WorkflowSummary>('POST', `/workflows/${id}/activate`);
	}

	async deactivateWorkflow(id: string): Promise<WorkflowSummary> {
		return await this.request<WorkflowSummary>('POST', `/workflows/${id}/deactivate`);
	}
}

/**
 * Polls until the workflow has at least `count` executions matching `predicate` (default:
 * finished, i.e. not new/running/waiting), and returns them (most recent first).
 */
export async function waitForExecutions(
	session: N8nSession,
	workflowId: string,
	count = 1,
	predicate: (execution: ExecutionSummary) => boolean = (execution) =>
		!['new', 'running', 'waiting'].includes(execution.status),
	options: WaitOptions = {},
): Promise<ExecutionSummary[]> {
	return await waitFor(
		async () => {
			const matching = (await session.listExecutions(workflowId)).filter(predicate);
			return matching.length >= count ? matching : undefined;
		},
		{
			timeoutMs: 60_000,
			intervalMs: 500,
			description: `${count} execution(s) of ${workflowId}`,
			...options,
		},
	);
}

/** Output items of `nodeName` in an execution fetched with data (first run, main output 0). */
export function nodeOutput(
	execution: ExecutionWithData,
	nodeName: string,
): Array<Record<string, unknown>> {
	const runs = execution.data?.resultData?.runData?.[nodeName];
	const items = runs?.[0]?.data?.main?.[0] ?? [];
	return items.map((item) => item.json);
}
