import type {
	ICredentialDataDecryptedObject,
	IExecuteFunctions,
	ILoadOptionsFunctions,
	ITriggerFunctions,
} from 'n8n-workflow';

import type { NubraSession, SessionStore } from '../../client/auth';
import { credentialsFromRecord, validateCredentials } from '../../client/credentials';
import { NUBRA_ERROR_CODES, NubraError } from '../../client/errors';
import { decodeSharedSession } from '../../client/sharedSession';

const CREDENTIAL_TYPE = 'nubraApi';

/** The parts of an n8n context the store uses; execute, trigger and load-options contexts all have them. */
export type SessionStoreContext = Pick<
	IExecuteFunctions | ITriggerFunctions | ILoadOptionsFunctions,
	'getCredentials' | 'getNode'
> & {
	helpers: Pick<IExecuteFunctions['helpers'], 'httpRequestWithAuthentication'>;
};

/**
 * The account's session kept in the `nubraApi` credential itself, where every n8n process reads
 * it: the main process running triggers and the queue-mode workers running the Nubra node.
 *
 * - `load()` reads the credential again (n8n reads it from its database each time) and returns
 *   the stored session when it belongs to this account.
 * - `login()` asks n8n for an authenticated request with the shared session emptied: n8n then
 *   runs the credential's `preAuthentication` (a login, or only the MPIN step with the old auth
 *   token) and writes its result into the credential in the database, for every process.
 */
export function n8nSessionStore(ctx: SessionStoreContext): SessionStore {
	const read = async () =>
		await ctx.getCredentials<ICredentialDataDecryptedObject>(CREDENTIAL_TYPE);
	const decode = (data: ICredentialDataDecryptedObject): NubraSession | undefined =>
		decodeSharedSession(data.sharedSession, validateCredentials(credentialsFromRecord(data)));
	return {
		async load() {
			return decode(await read());
		},
		async login() {
			const data = await read();
			const credentials = validateCredentials(credentialsFromRecord(data));
			const reference = ctx.getNode().credentials?.[CREDENTIAL_TYPE];
			if (reference?.id === undefined || reference.id === null) {
				throw new NubraError(
					NUBRA_ERROR_CODES.AUTH_CONFIG,
					'The node has no saved Nubra API credential to keep the session in',
					{
						hint: 'Select a saved Nubra API credential on the node.',
					},
				);
			}
			const previous = decode(data);
			// n8n fills this object in place with what preAuthentication returns.
			const request: ICredentialDataDecryptedObject = {
				...data,
				sharedSession: '',
				sessionRenewal: previous?.authToken ?? '',
			};
			await ctx.helpers.httpRequestWithAuthentication.call(
				ctx as IExecuteFunctions,
				CREDENTIAL_TYPE,
				{
					method: 'GET',
					url: `${credentials.endpoints.restBaseUrl}/userinfo`,
					json: true,
					skipSslCertificateValidation: !credentials.endpoints.rejectUnauthorized,
				},
				{
					credentialsDecrypted: {
						id: reference.id,
						name: reference.name,
						type: CREDENTIAL_TYPE,
						data: request,
					},
				},
			);
			const session = decode(request);
			if (session === undefined) {
				throw new NubraError(
					NUBRA_ERROR_CODES.UNEXPECTED_RESPONSE,
					'n8n did not store a Nubra session in the credential',
					{
						hint: 'Check that this package is loaded in every n8n process (main and workers) in the same version.',
					},
				);
			}
			return session;
		},
	};
}
