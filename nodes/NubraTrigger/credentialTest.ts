import type { ICredentialsDecrypted, INodeCredentialTestResult } from 'n8n-workflow';
import { NubraAuthClient } from '../../client/auth';
import { redactSecrets } from '../../client/logger';
import { credentialsFromRecord, validateCredentials, type ValidatedCredentials } from '../../client/credentials';
import { NUBRA_ERROR_CODES, isNubraError, type NubraError } from '../../client/errors';

/** Shorter than the client default: someone is watching the credential dialog. */
const TEST_TIMEOUT_MS = 10_000;

const ENVIRONMENT_LABELS = { production: 'Production', uat: 'UAT', custom: 'Custom' } as const;

type Stage = 'config' | 'login' | 'session';

function where(credentials: ValidatedCredentials): string {
	return `Nubra ${ENVIRONMENT_LABELS[credentials.environment]} (${new URL(credentials.endpoints.restBaseUrl).host})`;
}

function loginStep(error: NubraError): string {
	if (error.code === NUBRA_ERROR_CODES.AUTH_TOTP_REJECTED || error.message.includes('/totp/login')) {
		return 'Step 1 of 3 (TOTP login) failed';
	}
	return 'Step 2 of 3 (MPIN check) failed';
}

function describe(error: NubraError, stage: Stage, credentials: ValidatedCredentials | undefined): string {
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
 * It performs a real login (`/totp/login` → `/verifypin` → `/userinfo`, or only `/userinfo`
 * for a pasted token) and says in plain words which step failed and what to do.
 *
 * Note: Nubra may end older sessions on a new login, so testing the credential can make a
 * running trigger re-authenticate once; it does so by itself.
 */
export async function testNubraCredential(credential: ICredentialsDecrypted): Promise<INodeCredentialTestResult> {
	const input = credentialsFromRecord(credential.data);
	let credentials: ValidatedCredentials | undefined;
	let stage: Stage = 'config';
	try {
		credentials = validateCredentials(input);
		const checked = credentials;
		const client = new NubraAuthClient({ credentials: () => checked, requestTimeoutMs: TEST_TIMEOUT_MS });
		stage = 'login';
		const session = await client.login();
		stage = 'session';
		const info = await client.userInfo(session);
		const socket = info.userWsUrl === undefined ? '' : `; order updates come from ${new URL(info.userWsUrl).host}`;
		const message =
			checked.authentication === 'totp'
				? `Logged in to ${where(checked)}: TOTP login, MPIN and session check passed${socket}.`
				: `The session token is valid on ${where(checked)}${socket}.`;
		return { status: 'OK', message };
	} catch (error) {
		if (isNubraError(error)) {
			return { status: 'Error', message: describe(error, stage, credentials) };
		}
		const secrets = [input.mpin, input.totpSecret, input.sessionToken].filter(
			(s): s is string => typeof s === 'string' && s !== '',
		);
		const text = error instanceof Error ? redactSecrets(error.message, secrets, { fromServer: true }) : 'unknown error';
		return { status: 'Error', message: `The Nubra credential test failed unexpectedly: ${text}` };
	}
}
