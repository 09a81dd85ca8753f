import type { ICredentialDataDecryptedObject, ICredentialsDecrypted } from 'n8n-workflow';
import { testNubraCredential } from '../../nodes/NubraTrigger/credentialTest';
import { closedPort } from '../helpers/ports';
import { STUB_ACCOUNT, startRestStub, type RestStub } from '../helpers/rest-stub';

function decrypted(data: ICredentialDataDecryptedObject): ICredentialsDecrypted {
	return { id: 'cred-1', name: 'Nubra account', type: 'nubraApi', data };
}

describe('testNubraCredential (methods.credentialTest.nubraApiTest)', () => {
	let stub: RestStub;
	let totpData: ICredentialDataDecryptedObject;
	let host: string;

	beforeEach(async () => {
		stub = await startRestStub();
		host = new URL(stub.url).host;
		totpData = {
			environment: 'custom',
			restBaseUrl: stub.url,
			socketUrl: '',
			allowUnauthorizedCerts: false,
			authentication: 'totp',
			...STUB_ACCOUNT,
			sessionToken: '',
			deviceId: 'n8n-nodes-nubra',
		};
	});
	afterEach(async () => {
		await stub.close();
	});

	it('succeeds with a real TOTP login, MPIN and session check', async () => {
		await expect(testNubraCredential(decrypted(totpData))).resolves.toEqual({
			status: 'OK',
			message: `Logged in to Nubra Custom (${host}): TOTP login, MPIN and session check passed; order updates come from 127.0.0.1:1. Nubra keeps one session per account, so Nubra triggers of this account running elsewhere (another n8n, a script) log in again once.`,
		});
		expect(stub.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
			'POST /totp/login',
			'POST /verifypin',
			'GET /userinfo',
		]);
	});

	it('tests again with the session the account already holds: no second login, which would end it', async () => {
		await testNubraCredential(decrypted(totpData));
		const again = await testNubraCredential(decrypted(totpData));
		expect(again.status).toBe('OK');
		expect(again.message).toContain('No new login was made');
		expect(stub.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
			'POST /totp/login',
			'POST /verifypin',
			'GET /userinfo',
			'GET /userinfo',
		]);
	});

	it('succeeds with a valid pasted session token, checking only /userinfo', async () => {
		stub.sessionTokens.add('pasted-1234abcd');
		const result = await testNubraCredential(
			decrypted({
				environment: 'custom',
				restBaseUrl: stub.url,
				authentication: 'sessionToken',
				sessionToken: 'pasted-1234abcd',
			}),
		);
		expect(result).toEqual({
			status: 'OK',
			message: `The session token is valid on Nubra Custom (${host}); order updates come from 127.0.0.1:1.`,
		});
		expect(stub.requests.map((r) => r.path)).toEqual(['/userinfo']);
	});

	it('wrong MPIN: names step 2 and the MPIN', async () => {
		const result = await testNubraCredential(decrypted({ ...totpData, mpin: '000000' }));
		expect(result.status).toBe('Error');
		expect(result.message).toBe(
			'Step 2 of 3 (MPIN check) failed: Nubra accepted the TOTP code but refused the MPIN (HTTP 401). Nubra said: "Invalid MPIN". ' +
				'Check the MPIN in the Nubra API credential: it is the numeric PIN you use to open the Nubra app. Repeated wrong MPINs can lock the account.',
		);
	});

	it('wrong TOTP secret: names step 1, the secret and the clock', async () => {
		const result = await testNubraCredential(
			decrypted({ ...totpData, totpSecret: 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ' }),
		);
		expect(result.status).toBe('Error');
		expect(result.message).toMatch(
			/^Step 1 of 3 \(TOTP login\) failed: Nubra refused the TOTP login \(HTTP 401\)/,
		);
		expect(result.message).toContain('TOTP Secret');
		expect(result.message).toContain("n8n host's clock");
		expect(stub.count('POST /verifypin')).toBe(0);
	});

	it('expired pasted token: says to paste a new one or switch to TOTP login', async () => {
		const result = await testNubraCredential(
			decrypted({
				environment: 'custom',
				restBaseUrl: stub.url,
				authentication: 'sessionToken',
				sessionToken: 'stale-token',
			}),
		);
		expect(result).toEqual({
			status: 'Error',
			message:
				'Session check failed: The pasted Nubra session token has expired or is no longer valid. Paste a new session token or switch the credential to TOTP login.',
		});
	});

	it('unreachable URL: names the host and what to check', async () => {
		const port = await closedPort();
		const result = await testNubraCredential(
			decrypted({ ...totpData, restBaseUrl: `http://127.0.0.1:${port}` }),
		);
		expect(result.status).toBe('Error');
		expect(result.message).toBe(
			`Could not reach 127.0.0.1:${port}: connection refused (ECONNREFUSED). Check the environment (or the custom REST Base URL) in the Nubra API credential, and that the n8n host can reach it.`,
		);
	});

	it('a URL that is not the Nubra API: says so at the step that found out', async () => {
		stub.route('POST /totp/login', () => ({ status: 404, text: 'Not Found' }));
		const result = await testNubraCredential(decrypted(totpData));
		expect(result.message).toBe(
			'Step 1 of 3 (TOTP login) failed: Nubra answered HTTP 404 to POST /totp/login (not a JSON answer). Check that the environment (or the custom REST Base URL) in the Nubra API credential points to the Nubra REST API.',
		);
	});

	it('a malformed custom URL: says which field, before any request', async () => {
		const result = await testNubraCredential(
			decrypted({ ...totpData, restBaseUrl: 'api.nubra.io' }),
		);
		expect(result).toEqual({
			status: 'Error',
			message:
				'Check the credential: The REST Base URL of the Nubra credential is not a valid URL. Enter a full URL such as http://127.0.0.1:8080.',
		});
	});

	it.each([
		['phone', 'Phone Number'],
		['mpin', 'MPIN'],
		['totpSecret', 'TOTP Secret'],
	])('a missing %s: names the field', async (field, label) => {
		const result = await testNubraCredential(decrypted({ ...totpData, [field]: '' }));
		expect(result).toEqual({
			status: 'Error',
			message: `Check the credential: The Nubra credential has no ${label}, which TOTP login needs. Open the Nubra API credential and fill in "${label}".`,
		});
		expect(stub.requests).toHaveLength(0);
	});

	it('a missing session token: names the field', async () => {
		const result = await testNubraCredential(
			decrypted({ environment: 'uat', authentication: 'sessionToken' }),
		);
		expect(result.message).toBe(
			'Check the credential: The Nubra credential has no Session Token, which session-token login needs. Open the Nubra API credential and fill in "Session Token".',
		);
	});

	it('a session check refused right after login: names step 3', async () => {
		stub.route('GET /userinfo', () => ({ status: 440 }));
		const result = await testNubraCredential(decrypted(totpData));
		expect(result.status).toBe('Error');
		expect(result.message).toMatch(
			/^Step 3 of 3 \(session check\) failed: Nubra refused a freshly issued session/,
		);
	});
});
