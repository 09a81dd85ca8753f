import {
	NodeApiError,
	NodeConnectionTypes,
	NodeOperationError,
	type ICredentialsDecrypted,
	type ICredentialTestFunctions,
	type IDataObject,
	type IExecuteFunctions,
	type ILoadOptionsFunctions,
	type INodeExecutionData,
	type INodeCredentialTestResult,
	type INodeListSearchResult,
	type INodeType,
	type INodeTypeDescription,
	type JsonObject,
} from 'n8n-workflow';

import { nubraAccounts, type NubraAccount } from '../../client/accounts';
import { credentialsFromRecord, type NubraEnvironment } from '../../client/credentials';
import { NUBRA_ERROR_CODES, isNubraError } from '../../client/errors';
import { instrumentLabel } from '../../client/instruments';
import { defaultOpsPerSecond, tradingFor, type NubraTrading } from '../../client/trading';
import { testNubraCredential } from '../NubraTrigger/credentialTest';
import { n8nSessionStore } from '../shared/n8nSessionStore';
import { nubraProperties } from './description';
import {
	cancelOrders,
	funds,
	getManyOrders,
	getOrder,
	holdings,
	marginRequired,
	modifyOrder,
	placeOrder,
	positions,
	searchInstruments,
	type NodeOptions,
	type OperationResult,
} from './operations';

const ENVIRONMENT_LABELS: Record<string, string> = {
	production: 'Production',
	uat: 'UAT',
	custom: 'Custom',
};

/** Errors from Nubra's answers are API errors; rules broken before any request are operation errors. */
const API_CODES: ReadonlySet<string> = new Set([
	NUBRA_ERROR_CODES.REQUEST_REFUSED,
	NUBRA_ERROR_CODES.RATE_LIMITED,
	NUBRA_ERROR_CODES.UNEXPECTED_RESPONSE,
	NUBRA_ERROR_CODES.UNREACHABLE,
	NUBRA_ERROR_CODES.AUTH_SESSION_EXPIRED,
	NUBRA_ERROR_CODES.AUTH_TOTP_REJECTED,
	NUBRA_ERROR_CODES.AUTH_MPIN_REJECTED,
]);

function toNodeError(
	ctx: Pick<IExecuteFunctions, 'getNode'>,
	error: unknown,
	itemIndex?: number,
): NodeApiError | NodeOperationError {
	if (error instanceof NodeApiError || error instanceof NodeOperationError) return error;
	if (isNubraError(error)) {
		if (API_CODES.has(error.code)) {
			const apiError = new NodeApiError(
				ctx.getNode(),
				{ message: error.message, code: error.code } as JsonObject,
				{
					message: error.message,
					description: error.hint,
					httpCode: error.httpStatus === undefined ? undefined : String(error.httpStatus),
					itemIndex,
				},
			);
			// n8n swaps messages naming ECONNREFUSED and the like for a generic sentence; keep the host.
			if (apiError.message !== error.message) {
				apiError.description =
					error.hint === undefined ? error.message : `${error.message}. ${error.hint}`;
			}
			return apiError;
		}
		return new NodeOperationError(ctx.getNode(), error.message, {
			description: error.hint,
			itemIndex,
		});
	}
	return new NodeOperationError(
		ctx.getNode(),
		error instanceof Error ? error.message : String(error),
		{ itemIndex },
	);
}

/**
 * The account (shared with the triggers of this process) and its trading client, after checking
 * that the credential is the environment the node expects.
 */
async function connect(
	ctx: IExecuteFunctions | ILoadOptionsFunctions,
	expected?: string,
): Promise<{ account: NubraAccount; trading: NubraTrading }> {
	const credentials = credentialsFromRecord(await ctx.getCredentials<IDataObject>('nubraApi'));
	if (expected !== undefined && credentials.environment !== expected) {
		throw new NodeOperationError(
			ctx.getNode(),
			`This node expects Nubra ${ENVIRONMENT_LABELS[expected] ?? expected}, but the credential is for ${ENVIRONMENT_LABELS[credentials.environment] ?? credentials.environment}`,
			{
				description:
					"Nothing was sent. Set Expected Environment to the credential's environment if that is what you mean, or pick the credential for the intended environment.",
			},
		);
	}
	const account = nubraAccounts().account(credentials, ctx.logger);
	return { account, trading: tradingFor(account) };
}

/**
 * Runs `work` with the credential offered as the account's session store, so a login made here
 * is kept for every n8n process and a session kept by another process is used, not replaced.
 */
async function withSharedSession<T>(
	ctx: IExecuteFunctions | ILoadOptionsFunctions,
	account: NubraAccount,
	work: () => Promise<T>,
): Promise<T> {
	const withdraw = account.offerStore(n8nSessionStore(ctx));
	try {
		return await work();
	} finally {
		withdraw();
	}
}

export class Nubra implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Nubra',
		name: 'nubra',
		icon: { light: 'file:nubra.svg', dark: 'file:nubra.dark.svg' },
		group: ['transform'],
		version: 1,
		subtitle:
			'={{ {"production":"PRODUCTION","uat":"UAT","custom":"Custom"}[$parameter["environment"]] + " · " + $parameter["operation"] + " " + $parameter["resource"] }}',
		description:
			'Place, modify and cancel Nubra orders, read orders, positions, holdings and funds, check margin and find instruments. Prices are in rupees.',
		defaults: { name: 'Nubra' },
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main],
		usableAsTool: true,
		credentials: [{ name: 'nubraApi', required: true, testedBy: 'nubraApiTest' }],
		properties: nubraProperties,
	};

	methods = {
		credentialTest: {
			async nubraApiTest(
				this: ICredentialTestFunctions,
				credential: ICredentialsDecrypted,
			): Promise<INodeCredentialTestResult> {
				return await testNubraCredential(credential);
			},
		},
		listSearch: {
			async searchInstruments(
				this: ILoadOptionsFunctions,
				filter?: string,
			): Promise<INodeListSearchResult> {
				try {
					const { account, trading } = await connect(this);
					const found = await withSharedSession(this, account, () =>
						trading.instruments.search({ text: filter ?? '' }, trading.exchanges, 100),
					);
					return {
						results: found.map((instrument) => ({
							name: instrumentLabel(instrument),
							value: String(instrument.refId),
							description: instrument.nubraName,
						})),
					};
				} catch (error) {
					throw toNodeError(this, error);
				}
			},
		},
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		const resource = this.getNodeParameter('resource', 0) as string;
		const operation = this.getNodeParameter('operation', 0) as string;
		let connected: Awaited<ReturnType<typeof connect>>;
		try {
			connected = await connect(this, this.getNodeParameter('environment', 0) as string);
		} catch (error) {
			throw toNodeError(this, error);
		}
		const { account, trading } = connected;
		const environment = account.credentials.environment;
		return [
			await withSharedSession(
				this,
				account,
				async () => await runItems(this, trading, environment, resource, operation),
			),
		];
	}
}

async function runItems(
	ctx: IExecuteFunctions,
	trading: NubraTrading,
	environment: NubraEnvironment,
	resource: string,
	operation: string,
): Promise<INodeExecutionData[]> {
	const items = ctx.getInputData();
	const output: INodeExecutionData[] = [];
	for (let itemIndex = 0; itemIndex < items.length; itemIndex++) {
		try {
			const options = ctx.getNodeParameter('options', itemIndex, {}) as NodeOptions;
			// The limiter is the account's: each run sets it, so one workflow's choice does not linger.
			const perSecond = options.maxRequestsPerSecond ?? 0;
			trading.configure({
				opsPerSecond: perSecond > 0 ? perSecond : defaultOpsPerSecond(environment),
			});
			const results = await run(ctx, trading, resource, operation, itemIndex, options);
			for (const json of results) output.push({ json, pairedItem: { item: itemIndex } });
		} catch (error) {
			const nodeError = toNodeError(ctx, error, itemIndex);
			if (!ctx.continueOnFail()) throw nodeError;
			output.push({
				json: {
					error: nodeError.message,
					description: nodeError.description ?? null,
					code: isNubraError(error) ? error.code : null,
				},
				pairedItem: { item: itemIndex },
			});
		}
	}
	return output;
}

async function run(
	ctx: IExecuteFunctions,
	trading: NubraTrading,
	resource: string,
	operation: string,
	itemIndex: number,
	options: NodeOptions,
): Promise<OperationResult> {
	switch (`${resource}.${operation}`) {
		case 'order.place':
			return placeOrder(ctx, trading, itemIndex, options);
		case 'order.modify':
			return modifyOrder(ctx, trading, itemIndex, options);
		case 'order.cancel':
			return cancelOrders(ctx, trading, itemIndex);
		case 'order.get':
			return getOrder(ctx, trading, itemIndex);
		case 'order.getMany':
			return getManyOrders(ctx, trading, itemIndex);
		case 'margin.required':
			return marginRequired(ctx, trading, itemIndex, options);
		case 'portfolio.positions':
			return positions(ctx, trading, itemIndex);
		case 'portfolio.holdings':
			return holdings(trading);
		case 'portfolio.funds':
			return funds(trading);
		case 'instrument.search':
			return searchInstruments(ctx, trading, itemIndex);
		default:
			throw new NodeOperationError(
				ctx.getNode(),
				`Unknown operation "${operation}" for resource "${resource}"`,
				{ itemIndex },
			);
	}
}
