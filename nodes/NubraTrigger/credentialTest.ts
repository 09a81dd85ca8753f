import type { ICredentialsDecrypted, INodeCredentialTestResult } from 'n8n-workflow';
import { nubraAccounts } from '../../client/accounts';
import { redactSecrets } from '../../client/logger';
import {
	credentialsFromRecord,
	validateCredentials,
	type ValidatedCredentials,
} from '../../client/credentials';
import { NUBRA_ERROR_CODES, isNubraError, type NubraError } from '../../client/errors';

const ENVIRONMENT_LABELS = { production: 'Production', uat: 'UAT', custom: 'Custom' } as const;

type Stage = 'config' | 'login' | 'session';

function where(credentials: ValidatedCredentials): string {
	return `Nubra ${ENVIRONMENT_LABELS[credentials.environment]} (${new URL(credentials.endpoints.restBaseUrl).host})`;
}

function loginStep(error: NubraError): string {
	if (
		error.code === NUBRA_ERROR_CODES.AUTH_TOTP_REJECTED ||
		error.message.includes('/totp/login')
	) {
		return 'Step 1 of 3 (TOTP login) failed';
	}
	return 'Step 2 of 3 (MPIN check) failed';
}

function describe(
	error: NubraError,
	stage: Stage,
	credentials: ValidatedCredentials | undefined,
): string {
	const detail = error.hint === undefined ? `${error.message}.` : `${error.message}. ${error.hint}`;
	if (stage === 'config') return `Check the credential: ${detail}`;
	if (error.code === NUBRA_ERROR_CODES.UNREACHABLE) return detail;
	if (stage === 'session') {
		return credentials?.authentication === 'sessionToken'
			? `Session check failed: ${detail}`
			: `Step 3 of 3 (session check) failed: ${detail}`;
	}
	return `${loginStep(error)}: ${detail}`;
}

/**
 * The credential test the Nubra Trigger registers as `methods.credentialTest.nubraApiTest`.
 * It goes through the account's shared session: when triggers of this account already hold a
 * session, the test checks that one with `/userinfo` and logs in nowhere (a login would end it).
 * Otherwise it logs in for real (`/totp/login` → `/verifypin` → `/userinfo`, or only
 * `/userinfo` for a pasted token), the session stays the account's for the triggers, and the
 * message says which step failed and what to do.
 */
export async function testNubraCredential(
	credential: ICredentialsDecrypted,
): Promise<INodeCredentialTestResult> {
	const input = credentialsFromRecord(credential.data);
	let credentials: ValidatedCredentials | undefined;
	let stage: Stage = 'config';
	try {
		credentials = validateCredentials(input);
		const checked = credentials;
		const account = nubraAccounts().account(checked);
		const live = account.auth.currentSession;
		stage = live === undefined ? 'login' : 'session';
		const session = live ?? (await account.auth.getSession());
		stage = 'session';
		const info = await account.auth.userInfo(session);
		const socket =
			info.userWsUrl === undefined
				? ''
				: `; order updates come from ${new URL(info.userWsUrl).host}`;
		if (checked.authentication !== 'totp') {
			return { status: 'OK', message: `The session token is valid on ${where(checked)}${socket}.` };
		}
		if (live !== undefined) {
			return {
				status: 'OK',
				message: `The session that this account's running Nubra nodes use is valid on ${where(checked)}${socket}. No new login was made: it would have ended that session.`,
			};
		}
		return {
			status: 'OK',
			message: `Logged in to ${where(checked)}: TOTP login, MPIN and session check passed${socket}. Nubra keeps one session per account, so Nubra triggers of this account running elsewhere (another n8n, a script) log in again once.`,
		};
	} catch (error) {
		if (isNubraError(error)) {
			return { status: 'Error', message: describe(error, stage, credentials) };
		}
		const secrets = [input.mpin, input.totpSecret, input.sessionToken].filter(
			(s): s is string => typeof s === 'string' && s !== '',
		);
		const text =
			error instanceof Error
				? redactSecrets(error.message, secrets, { fromServer: true })
				: 'unknown error';
		return { status: 'Error', message: `The Nubra credential test failed unexpectedly: ${text}` };
	}
}
