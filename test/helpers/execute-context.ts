import {
	NodeHelpers,
	type ICredentialDataDecryptedObject,
	type IDataObject,
	type IExecuteFunctions,
	type INode,
	type INodeExecutionData,
	type INodeParameters,
	type INodeType,
	type Logger,
	type NodeParameterValueType,
} from 'n8n-workflow';

/**
 * A realistic `IExecuteFunctions` for running a regular node in tests: parameters resolved with
 * their defaults as n8n's `Workflow` does (`NodeHelpers.getNodeParameters`), per-item values
 * (what an expression would give) layered on top, and every member the node does not use
 * throwing, so a new dependency shows up as a failing test.
 */
export interface ExecuteOptions {
	parameters: INodeParameters;
	credentials: ICredentialDataDecryptedObject;
	items?: IDataObject[];
	/** Per-item parameter values, as expressions would resolve them. */
	perItem?: (itemIndex: number) => INodeParameters;
	continueOnFail?: boolean;
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
	const description = nodeType.description;
	const resolved = NodeHelpers.getNodeParameters(description.properties, options.parameters, true, false, { typeVersion: 1 }, description);
	const node: INode = {
		id: 'a5c1c3f0-0000-4000-8000-00000000ac70',
		name: options.nodeName ?? 'Nubra',
		type: 'n8n-nodes-nubra.nubra',
		typeVersion: 1,
		position: [0, 0],
		parameters: resolved ?? {},
		credentials: { nubraApi: { id: 'cred-1', name: 'Nubra account' } },
	};
	const items: INodeExecutionData[] = (options.items ?? [{}]).map((json) => ({ json }));
	const logger: Logger = { error: () => undefined, warn: () => undefined, info: () => undefined, debug: () => undefined };
	const implemented: Pick<
		IExecuteFunctions,
		'getInputData' | 'getNodeParameter' | 'getNode' | 'getCredentials' | 'continueOnFail' | 'getExecutionId' | 'logger'
	> = {
		getInputData: () => items,
		getNodeParameter: ((name: string, itemIndex: number, fallback?: unknown): NodeParameterValueType | object => {
			const override = options.perItem?.(itemIndex);
			const value = (override && name in override ? override[name] : readPath(node.parameters, name)) ?? fallback;
			if (value === undefined) throw new Error(`Could not get parameter "${name}"`);
			return structuredClone(value) as NodeParameterValueType | object;
		}) as IExecuteFunctions['getNodeParameter'],
		getNode: () => node,
		getCredentials: async <T extends object = ICredentialDataDecryptedObject>(type: string) => {
			if (type !== 'nubraApi') throw new Error(`Node does not have credentials of type "${type}"`);
			return structuredClone(options.credentials) as T;
		},
		continueOnFail: () => options.continueOnFail ?? false,
		getExecutionId: () => (options.executionId === null ? (undefined as unknown as string) : options.executionId ?? 'exec-1'),
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
export async function runNode(nodeType: INodeType, options: ExecuteOptions): Promise<INodeExecutionData[]> {
	if (nodeType.execute === undefined) throw new Error('not a regular node');
	const result = (await nodeType.execute.call(executeContext(nodeType, options))) as INodeExecutionData[][];
	return result[0];
}
