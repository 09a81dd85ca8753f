import { NubraApi } from '../../credentials/NubraApi.credentials';
import {
	type ICredentialDataDecryptedObject,
	type IHttpRequestHelper,
	type IHttpRequestOptions,
	type IDataObject,
	type IExecuteFunctions,
	type INodeExecutionData,
	type INodeParameters,
	type INodeType,
	type Logger,
	type NodeParameterValueType,
} from 'n8n-workflow';

import { nodeUnderTest } from './node-under-test';

/**
 * A realistic `IExecuteFunctions` for running a regular node in tests: parameters resolved with
 * their defaults as n8n's `Workflow` does (`NodeHelpers.getNodeParameters`), per-item values
 * (what an expression would give) layered on top, and every member the node does not use
 * throwing, so a new dependency shows up as a failing test.
 */
/**
 * What n8n keeps of the `nubraApi` credential in its database, shared by every context built on
 * it (as n8n's processes share the database): `getCredentials` reads it, preAuthentication writes it.
 */
export interface CredentialDatabase {
	data: ICredentialDataDecryptedObject;
	/** How often n8n ran the credential's preAuthentication. */
	preAuthentications: number;
}

export function credentialDatabase(data: ICredentialDataDecryptedObject): CredentialDatabase {
	return { data: { sharedSession: '', sessionRenewal: '', ...data }, preAuthentications: 0 };
}

/**
 * n8n-core's `httpRequestWithAuthentication` for `nubraApi` (request-helper-functions.js and the
 * CLI's CredentialsHelper.preAuthentication): preAuthentication when the expirable field is
 * empty, its output merged into the credential data and written to the database, then the
 * credential's generic `authenticate` headers on the request.
 */
async function requestWithAuthentication(
	database: CredentialDatabase,
	request: IHttpRequestOptions,
	decrypted: ICredentialDataDecryptedObject | undefined,
): Promise<unknown> {
	const type = new NubraApi();
	const data = decrypted ?? structuredClone(database.data);
	if (data.sharedSession === '') {
		const helper = {
			helpers: { httpRequest: () => Promise.reject(new Error('not used')) },
		} as unknown as IHttpRequestHelper;
		Object.assign(data, await type.preAuthentication.call(helper, data));
		database.preAuthentications++;
		database.data = structuredClone(data);
	}
	const session = JSON.parse(String(data.sharedSession)) as { sessionToken: string };
	const response = await fetch(request.url, {
		method: request.method ?? 'GET',
		headers: {
			authorization: `Bearer ${session.sessionToken}`,
			'x-device-id': String(data.deviceId ?? 'n8n-nodes-nubra'),
		},
	});
	if (!response.ok) throw new Error(`HTTP ${response.status} from ${request.url}`);
	return (await response.json()) as unknown;
}

export interface ExecuteOptions {
	parameters: INodeParameters;
	credentials: ICredentialDataDecryptedObject;
	/** The credential as n8n stores it; default a fresh one holding `credentials`. */
	database?: CredentialDatabase;
	items?: IDataObject[];
	/** Per-item parameter values, as expressions would resolve them. */
	perItem?: (itemIndex: number) => INodeParameters;
	continueOnFail?: boolean;
	/** Receives every log line the node writes, with its metadata. */
	logs?: string[];
	/** Default 'exec-1'; `null` for none. */
	executionId?: string | null;
	nodeName?: string;
}

function readPath(source: unknown, path: string): unknown {
	let value: unknown = source;
	for (const key of path.split('.')) {
		if (value === null || typeof value !== 'object') return undefined;
		value = (value as Record<string, unknown>)[key];
	}
	return value;
}

export function executeContext(nodeType: INodeType, options: ExecuteOptions): IExecuteFunctions {
	const node = nodeUnderTest(nodeType, options.parameters, {
		id: 'a5c1c3f0-0000-4000-8000-00000000ac70',
		name: options.nodeName ?? 'Nubra',
		type: 'n8n-nodes-nubra.nubra',
	});
	const items: INodeExecutionData[] = (options.items ?? [{}]).map((json) => ({ json }));
	const database = options.database ?? credentialDatabase(options.credentials);
	const record = (level: string) => (message: string, meta?: object) => {
		options.logs?.push(`${level} ${message} ${JSON.stringify(meta ?? {})}`);
	};
	const logger: Logger = {
		error: record('error'),
		warn: record('warn'),
		info: record('info'),
		debug: record('debug'),
	};
	const implemented: Pick<
		IExecuteFunctions,
		| 'getInputData'
		| 'getNodeParameter'
		| 'getNode'
		| 'getCredentials'
		| 'continueOnFail'
		| 'getExecutionId'
		| 'logger'
		| 'helpers'
	> = {
		getInputData: () => items,
		getNodeParameter: ((
			name: string,
			itemIndex: number,
			fallback?: unknown,
		): NodeParameterValueType | object => {
			const override = options.perItem?.(itemIndex);
			const value =
				(override && name in override ? override[name] : readPath(node.parameters, name)) ??
				fallback;
			if (value === undefined) throw new Error(`Could not get parameter "${name}"`);
			return structuredClone(value) as NodeParameterValueType | object;
		}) as IExecuteFunctions['getNodeParameter'],
		getNode: () => node,
		getCredentials: async <T extends object = ICredentialDataDecryptedObject>(type: string) => {
			if (type !== 'nubraApi') throw new Error(`Node does not have credentials of type "${type}"`);
			return structuredClone(database.data) as T;
		},
		helpers: {
			httpRequestWithAuthentication: async (
				type: string,
				request: IHttpRequestOptions,
				additional?: { credentialsDecrypted?: { data?: ICredentialDataDecryptedObject } },
			) => {
				if (type !== 'nubraApi')
					throw new Error(`Node does not have credentials of type "${type}"`);
				return await requestWithAuthentication(
					database,
					request,
					additional?.credentialsDecrypted?.data,
				);
			},
		} as unknown as IExecuteFunctions['helpers'],
		continueOnFail: () => options.continueOnFail ?? false,
		getExecutionId: () =>
			options.executionId === null
				? (undefined as unknown as string)
				: (options.executionId ?? 'exec-1'),
		logger,
	};
	return new Proxy(implemented, {
		get(target, property, receiver) {
			if (property in target) return Reflect.get(target, property, receiver) as unknown;
			if (property === 'then') return undefined;
			throw new Error(`IExecuteFunctions.${String(property)} is not used by this node`);
		},
	}) as IExecuteFunctions;
}

/** Runs `execute` and returns the first output's items. */
export async function runNode(
	nodeType: INodeType,
	options: ExecuteOptions,
): Promise<INodeExecutionData[]> {
	if (nodeType.execute === undefined) throw new Error('not a regular node');
	const result = (await nodeType.execute.call(
		executeContext(nodeType, options),
	)) as INodeExecutionData[][];
	return result[0];
}
