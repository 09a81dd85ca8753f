import type {
	ICredentialDataDecryptedObject,
	ICredentialType,
	IAuthenticateGeneric,
	IDataObject,
	IHttpRequestHelper,
	INodeProperties,
} from 'n8n-workflow';

import { credentialsFromRecord, validateCredentials } from '../client/credentials';
import { encodeSharedSession, loginForSharedSession } from '../client/sharedSession';

/**
 * Field names match `NubraCredentials` in client/credentials.ts, which reads this data.
 *
 * There is deliberately no declarative `test` here: n8n prefers it over the node's
 * `testedBy`, and a declarative request cannot compute a TOTP code. The Nubra Trigger
 * registers `nubraApiTest` (nodes/NubraTrigger/credentialTest.ts), which really logs in.
 *
 * The hidden `sharedSession` holds the account's current session, so every n8n process (main
 * and queue-mode workers) uses one login: n8n runs `preAuthentication` when the field is empty,
 * stores what it returns (encrypted, in its database) and every process reads it back with the
 * credential. The Nubra node asks for it through nodes/shared/n8nSessionStore.ts.
 */
export class NubraApi implements ICredentialType {
	name = 'nubraApi';

	displayName = 'Nubra API';

	icon = { light: 'file:nubra.svg', dark: 'file:nubra.dark.svg' } as const;

	documentationUrl = 'https://github.com/n8n-nodes-nubra/n8n-nodes-nubra#credential';

	properties: INodeProperties[] = [
		{
			displayName: 'Environment',
			name: 'environment',
			type: 'options',
			options: [
				{
					name: 'Production',
					value: 'production',
					description: 'Live trading account (api.nubra.io)',
				},
				{
					name: 'UAT',
					value: 'uat',
					description: "Nubra's test environment (uatapi.nubra.io)",
				},
				{
					name: 'Custom',
					value: 'custom',
					description: 'A relay or the local Nubra simulator',
				},
			],
			default: 'production',
		},
		{
			displayName: 'REST Base URL',
			name: 'restBaseUrl',
			type: 'string',
			default: '',
			required: true,
			placeholder: 'http://127.0.0.1:8080',
			description: 'Where the Nubra REST API is served, without a trailing path',
			displayOptions: { show: { environment: ['custom'] } },
		},
		{
			displayName: 'Socket URL',
			name: 'socketUrl',
			type: 'string',
			default: '',
			placeholder: 'ws://127.0.0.1:8080/ws',
			description:
				'Order-update websocket to use instead of the one Nubra announces. Leave empty to use the announced one.',
			displayOptions: { show: { environment: ['custom'] } },
		},
		// n8n's usual name for this switch; the rule mistakes the "cert" in it for a secret.
		// eslint-disable-next-line @n8n/community-nodes/credential-password-field
		{
			displayName: 'Ignore SSL Issues (Insecure)',
			name: 'allowUnauthorizedCerts',
			type: 'boolean',
			default: false,
			description:
				'Whether to connect even if the TLS certificate cannot be verified, e.g. a self-signed relay',
			displayOptions: { show: { environment: ['custom'] } },
		},
		{
			displayName: 'Authentication',
			name: 'authentication',
			type: 'options',
			options: [
				{
					name: 'TOTP Login',
					value: 'totp',
					description:
						'Logs in by itself with phone, MPIN and TOTP secret; for unattended workflows',
				},
				{
					name: 'Session Token',
					value: 'sessionToken',
					description: 'A token from an existing login; quick to try, but it expires within a day',
				},
			],
			default: 'totp',
		},
		{
			displayName: 'Phone Number',
			name: 'phone',
			type: 'string',
			default: '',
			required: true,
			placeholder: '9876543210',
			description: 'The mobile number registered with Nubra',
			displayOptions: { show: { authentication: ['totp'] } },
		},
		// The n8n rule only knows names like "password"; an MPIN is a secret all the same.
		// eslint-disable-next-line @n8n/community-nodes/credential-unnecessary-password
		{
			displayName: 'MPIN',
			name: 'mpin',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			required: true,
			description: 'The numeric PIN you use to open the Nubra app',
			displayOptions: { show: { authentication: ['totp'] } },
		},
		{
			displayName: 'TOTP Secret',
			name: 'totpSecret',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			required: true,
			description:
				'The base32 key shown when you enabled TOTP on Nubra (the text behind the QR code), not a 6-digit code',
			displayOptions: { show: { authentication: ['totp'] } },
		},
		{
			displayName: 'Session Token',
			name: 'sessionToken',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			required: true,
			description:
				'A Nubra session token. When it expires, paste a new one or switch to TOTP Login.',
			displayOptions: { show: { authentication: ['sessionToken'] } },
		},
		{
			displayName: 'Device ID',
			name: 'deviceId',
			type: 'string',
			default: 'n8n-nodes-nubra',
			description: 'Sent to Nubra as x-device-id with every request',
			hint: 'Keep this the same once workflows use the credential: Nubra ties a login to it',
		},
		// Both hold session and auth tokens: secrets the rule cannot tell from their names.
		// eslint-disable-next-line @n8n/community-nodes/credential-unnecessary-password
		{
			displayName: 'Shared Session',
			name: 'sharedSession',
			type: 'hidden',
			// Password: n8n blanks it when the credential is shown in the editor, and keeps it on save.
			typeOptions: { expirable: true, password: true },
			default: '',
		},
		// eslint-disable-next-line @n8n/community-nodes/credential-unnecessary-password
		{
			displayName: 'Session Renewal',
			name: 'sessionRenewal',
			type: 'hidden',
			typeOptions: { password: true },
			default: '',
		},
	];

	/**
	 * Logs in for every process of this n8n. With `sessionRenewal` (the auth token of the session
	 * being replaced) only the MPIN step runs, so the account's login count does not grow.
	 */
	async preAuthentication(
		this: IHttpRequestHelper,
		data: ICredentialDataDecryptedObject,
	): Promise<IDataObject> {
		const credentials = validateCredentials(credentialsFromRecord(data));
		const renewAuthToken =
			typeof data.sessionRenewal === 'string' && data.sessionRenewal !== ''
				? data.sessionRenewal
				: undefined;
		const session = await loginForSharedSession(credentials, { renewAuthToken });
		return { sharedSession: encodeSharedSession(session, credentials), sessionRenewal: '' };
	}

	/** Requests made with this credential (the store's session check, or an HTTP Request node) carry the shared session. */
	authenticate: IAuthenticateGeneric = {
		type: 'generic',
		properties: {
			headers: {
				Authorization:
					'={{ $credentials.sharedSession ? "Bearer " + JSON.parse($credentials.sharedSession).sessionToken : "" }}',
				'x-device-id': '={{ $credentials.deviceId || "n8n-nodes-nubra" }}',
			},
		},
	};
}
