import { NodeHelpers, type INode, type INodeParameters, type INodeType } from 'n8n-workflow';

/**
 * The node as a workflow holds it: its parameters resolved with their defaults as n8n's
 * `Workflow` constructor does (`NodeHelpers.getNodeParameters`), on the test's `nubraApi`
 * credential.
 */
export function nodeUnderTest(
	nodeType: INodeType,
	parameters: INodeParameters,
	identity: Pick<INode, 'id' | 'name' | 'type'>,
): INode {
	const { description } = nodeType;
	const resolved = NodeHelpers.getNodeParameters(
		description.properties,
		parameters,
		true,
		false,
		{ typeVersion: 1 },
		description,
	);
	return {
		...identity,
		typeVersion: 1,
		position: [0, 0],
		parameters: resolved ?? {},
		credentials: { nubraApi: { id: 'cred-1', name: 'Nubra account' } },
	};
}
