import { NubraAccounts } from '../../client/accounts';
import { credentialsFromRecord, validateCredentials } from '../../client/credentials';
import {
	decodeSharedSession,
	encodeSharedSession,
	loginForSharedSession,
	sharedAccountId,
} from '../../client/sharedSession';
import { tradingFor } from '../../client/trading';
import { NubraApi } from '../../credentials/NubraApi.credentials';
import { Nubra } from '../../nodes/Nubra/Nubra.node';
import { n8nSessionStore } from '../../nodes/shared/n8nSessionStore';
import { simulatorCredentialFields, startSimulator, type RunningSimulator } from '../../simulator';
import {
	credentialDatabase,
	executeContext,
	type CredentialDatabase,
} from '../helpers/execute-context';

/**
 * The session shared across n8n processes through the credential (queue mode: triggers in the
 * main process, the Nubra node in workers). Each "process" here has its own account registry,
 * as separate Node processes would; they share only the credential's stored data, as n8n's
 * processes share its database. The n8n side (preAuthentication run when the expirable field is
 * empty, its result written back) is emulated as n8n-core 2.8 does it (see execute-context.ts).
 */
describe('one Nubra login shared by n8n processes through the credential', () => {
	let sim: RunningSimulator;
	let database: CredentialDatabase;
	const node = new Nubra();

	beforeEach(async () => {
		sim = await startSimulator();
		database = credentialDatabase({ ...simulatorCredentialFields(sim), deviceId: 'shared-device' });
	});
	afterEach(async () => {
		await sim.close();
	});

	/** One n8n process: its own registry of accounts, the credential store offered as n8n would. */
	const process = () => {
		const account = new NubraAccounts().account(credentialsFromRecord(database.data));
		account.offerStore(
			n8nSessionStore(
				executeContext(node, { parameters: {}, credentials: database.data, database }),
			),
		);
		return { account, trading: tradingFor(account) };
	};

	it('a second process uses the session the first one stored, without logging in', async () => {
		const main = process();
		await main.trading.funds();
		expect(sim.control.sessionCounts).toEqual({ logins: 1, sessionsIssued: 1 });
		expect(database.preAuthentications).toBe(1);
		expect(
			decodeSharedSession(
				database.data.sharedSession,
				validateCredentials(credentialsFromRecord(database.data)),
			),
		).toMatchObject({
			deviceId: 'shared-device',
			restBaseUrl: sim.restUrl,
		});

		const worker = process();
		await worker.trading.positions();
		await worker.trading.orders();
		expect(sim.control.sessionCounts).toEqual({ logins: 1, sessionsIssued: 1 });
		expect(database.preAuthentications).toBe(1);
	});

	it('a renewal by one process is adopted by the other; the renewal is the MPIN step only', async () => {
		const main = process();
		const worker = process();
		await main.trading.funds();
		await worker.trading.funds();
		const before = String(database.data.sharedSession);

		// The main process's session is refused (e.g. it expired): it renews through the store.
		const current = await main.account.auth.getSession();
		await main.account.auth.refresh('test: session refused', current);
		expect(database.data.sharedSession).not.toBe(before);
		expect(database.data.sessionRenewal).toBe('');
		expect(sim.control.sessionCounts).toEqual({ logins: 1, sessionsIssued: 2 });

		// The worker's token was ended by the renewal: its 440 makes it adopt the stored session.
		const [funds] = await Promise.all([worker.trading.funds(), worker.trading.positions()]);
		expect(funds.clientCode).toBe('SIM001');
		expect(sim.control.sessionCounts).toEqual({ logins: 1, sessionsIssued: 2 });
		expect(database.preAuthentications).toBe(2);
		await main.trading.funds();
		expect(sim.control.sessionCounts).toEqual({ logins: 1, sessionsIssued: 2 });
	});

	it("the credential's preAuthentication logs in fully when the old auth token is over, and adopts a pasted token", async () => {
		const type = new NubraApi();
		const first = await type.preAuthentication.call(undefined as never, { ...database.data });
		const stored = JSON.parse(String(first.sharedSession)) as { authToken: string };
		sim.control.expireSessions();
		const renewed = await type.preAuthentication.call(undefined as never, {
			...database.data,
			sessionRenewal: stored.authToken,
		});
		expect(sim.control.sessionCounts.logins).toBe(2);
		expect(renewed.sharedSession).not.toBe(first.sharedSession);

		const { sessionToken } = sim.control.issueSession();
		const pasted = {
			environment: 'custom',
			restBaseUrl: sim.restUrl,
			authentication: 'sessionToken',
			sessionToken,
		};
		const adopted = await type.preAuthentication.call(undefined as never, pasted);
		expect(JSON.parse(String(adopted.sharedSession))).toMatchObject({ sessionToken });
	});

	it('keeps the session in hidden fields that n8n treats as expirable and blanks in the editor', () => {
		const byName = new Map(new NubraApi().properties.map((p) => [p.name, p]));
		expect(byName.get('sharedSession')).toMatchObject({
			type: 'hidden',
			default: '',
			typeOptions: { expirable: true, password: true },
		});
		expect(byName.get('sessionRenewal')).toMatchObject({
			type: 'hidden',
			default: '',
			typeOptions: { password: true },
		});
	});

	it("renews the replaced session's auth token with the MPIN alone, and logs in again when that token is over", async () => {
		const credentials = credentialsFromRecord(database.data);
		const first = await loginForSharedSession(credentials);
		expect(sim.control.sessionCounts.logins).toBe(1);

		const renewed = await loginForSharedSession(credentials, { renewAuthToken: first.authToken });
		expect(renewed.sessionToken).not.toBe(first.sessionToken);
		expect(renewed.authToken).toBe(first.authToken);
		expect(sim.control.sessionCounts).toMatchObject({ logins: 1, sessionsIssued: 2 });

		const relogged = await loginForSharedSession(credentials, {
			renewAuthToken: 'an-auth-token-the-server-never-issued',
		});
		expect(relogged.authToken).not.toBe(first.authToken);
		expect(sim.control.sessionCounts).toMatchObject({ logins: 2, sessionsIssued: 3 });
	});

	it('ignores a stored session of another account, device or endpoint, and malformed text', async () => {
		const credentials = validateCredentials(credentialsFromRecord(database.data));
		const session = await loginForSharedSession(credentials);
		const text = encodeSharedSession(session, credentials);
		expect(decodeSharedSession(text, credentials)).toEqual(session);
		expect(text).not.toContain(String(database.data.mpin));
		expect(sharedAccountId(credentials)).toMatch(/^[0-9a-f]{24}$/);
		for (const other of [
			{ ...database.data, phone: '9000000000' },
			{ ...database.data, deviceId: 'other-device' },
			{ ...database.data, restBaseUrl: 'http://127.0.0.1:1' },
		]) {
			expect(
				decodeSharedSession(text, validateCredentials(credentialsFromRecord(other))),
			).toBeUndefined();
		}
		for (const bad of ['', 'not json', '{}', '[]', 'null'])
			expect(decodeSharedSession(bad, credentials)).toBeUndefined();
	});
});
