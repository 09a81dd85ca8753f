import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { inspect } from 'node:util';
import type { ICredentialsDecrypted } from 'n8n-workflow';
import { NubraAuthClient, type NubraLogger } from '../../client/auth';
import type { NubraCredentials } from '../../client/credentials';
import { testNubraCredential } from '../../nodes/NubraTrigger/credentialTest';
import { STUB_ACCOUNT, startRestStub, type RestStub, type StubRequest } from '../helpers/rest-stub';

/**
 * No token, MPIN, TOTP secret or TOTP code may reach a log line, an error (message, hint,
 * stack, cause chain, JSON form) or a credential-test message, whether the login fails or
 * succeeds, and even when the server echoes secrets back in its error text.
 */

interface Recorded {
	where: string;
	text: string;
}

function recordingLogger(into: Recorded[]): NubraLogger {
	const record = (level: string) => (message: string, meta?: Record<string, unknown>) =>
		into.push({
			where: `log.${level}`,
			text: `${message} ${JSON.stringify(meta ?? {})} ${inspect(meta, { depth: 10 })}`,
		});
	return {
		debug: record('debug'),
		info: record('info'),
		warn: record('warn'),
		error: record('error'),
	};
}

function everythingAbout(error: unknown): string {
	const parts = [String(error), inspect(error, { depth: 10, showHidden: true })];
	try {
		parts.push(JSON.stringify(error));
	} catch {
		parts.push('[unserialisable]');
	}
	let current: unknown = error;
	for (let depth = 0; current !== undefined && current !== null && depth < 10; depth++) {
		if (current instanceof Error) {
			parts.push(current.message, current.stack ?? '', String(current));
			const hint = (current as { hint?: unknown }).hint;
			if (typeof hint === 'string') parts.push(hint);
			current = current.cause;
		} else {
			parts.push(String(current), inspect(current, { depth: 10 }));
			current = undefined;
		}
	}
	return parts.join('\n');
}

/** Every secret the server saw or issued: bearer tokens, issued tokens, TOTP codes, MPIN, secret. */
function secretsSeen(stub: RestStub, issued: Set<string>, extra: string[]): string[] {
	const secrets = new Set<string>([
		STUB_ACCOUNT.mpin,
		STUB_ACCOUNT.totpSecret,
		...issued,
		...extra,
	]);
	for (const request of stub.requests) {
		if (request.bearer) secrets.add(request.bearer);
		const body = request.body as { totp?: unknown; pin?: unknown } | undefined;
		if (typeof body?.totp === 'number') {
			secrets.add(String(body.totp).padStart(6, '0'));
			secrets.add(String(body.totp));
		}
		if (typeof body?.pin === 'string') secrets.add(body.pin);
	}
	return [...secrets].filter((s) => s.length >= 4);
}

function expectClean(recorded: Recorded[], secrets: string[]): void {
	expect(recorded.length).toBeGreaterThan(0);
	for (const { where, text } of recorded) {
		for (const secret of secrets) {
			if (text.includes(secret)) {
				throw new Error(`A secret (${secret.length} chars) leaked into ${where}`);
			}
		}
	}
}

describe('no secret leaks from the auth client', () => {
	let stub: RestStub;
	let issued: Set<string>;
	let recorded: Recorded[];
	let credential: NubraCredentials;

	const run = async (action: (client: NubraAuthClient) => Promise<unknown>) => {
		const client = new NubraAuthClient({
			credentials: () => credential,
			logger: recordingLogger(recorded),
		});
		try {
			const result = await action(client);
			recorded.push({
				where: 'result',
				text: inspect(result, { depth: 10 }).replace(
					/sessionToken: '[^']*'|authToken: '[^']*'/g,
					'',
				),
			});
		} catch (error) {
			recorded.push({ where: 'thrown', text: everythingAbout(error) });
		}
		const test = await testNubraCredential({
			id: '1',
			name: 'Nubra',
			type: 'nubraApi',
			data: { ...credential },
		} as ICredentialsDecrypted);
		recorded.push({ where: 'credential test', text: `${test.status} ${test.message}` });
	};

	beforeEach(async () => {
		stub = await startRestStub();
		recorded = [];
		issued = new Set();
		// Remember every token the server hands out, even ones a test later expires.
		const track = (request: StubRequest) => {
			for (const set of [stub.authTokens, stub.sessionTokens])
				for (const token of set) issued.add(token);
			return request;
		};
		stub.route('GET /track', (request) => (track(request), { status: 204 }));
		credential = {
			environment: 'custom',
			restBaseUrl: stub.url,
			authentication: 'totp',
			...STUB_ACCOUNT,
		};
	});
	afterEach(async () => {
		await stub.close();
	});

	const snapshotIssued = () => {
		for (const set of [stub.authTokens, stub.sessionTokens])
			for (const token of set) issued.add(token);
	};

	it('on success (login, userinfo, sentinel orders, refresh, logout)', async () => {
		await run(async (client) => {
			const session = await client.getSession();
			await client.userInfo(session);
			await client.fetchSentinelOrders(session);
			snapshotIssued();
			stub.sessionTokens.clear();
			await client.userInfo();
			await client.logout();
			snapshotIssued();
			return 'done';
		});
		snapshotIssued();
		expect(recorded.find((r) => r.where === 'credential test')?.text).toMatch(/^OK /);
		expectClean(recorded, secretsSeen(stub, issued, []));
	});

	it('with a wrong TOTP secret', async () => {
		credential = { ...credential, totpSecret: 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ' };
		await run((client) => client.getSession());
		expectClean(recorded, secretsSeen(stub, issued, [credential.totpSecret as string]));
	});

	it('with a wrong MPIN', async () => {
		credential = { ...credential, mpin: '135790' };
		await run((client) => client.getSession());
		snapshotIssued();
		expectClean(recorded, secretsSeen(stub, issued, ['135790']));
	});

	it('with an expired pasted session token', async () => {
		credential = {
			environment: 'custom',
			restBaseUrl: stub.url,
			authentication: 'sessionToken',
			sessionToken: 'pasted-7c1d9e2f4b6a8c0e',
		};
		await run((client) => client.userInfo());
		expectClean(recorded, secretsSeen(stub, issued, ['pasted-7c1d9e2f4b6a8c0e']));
	});

	it('when a fresh session is refused as well (440 twice)', async () => {
		stub.route('GET /userinfo', () => ({ status: 440 }));
		await run(async (client) => {
			await client.getSession();
			snapshotIssued();
			return client.userInfo();
		});
		snapshotIssued();
		expectClean(recorded, secretsSeen(stub, issued, []));
	});

	it('when the host is unreachable or times out', async () => {
		const silent = http.createServer(() => undefined);
		await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
		credential = {
			...credential,
			restBaseUrl: `http://127.0.0.1:${(silent.address() as AddressInfo).port}`,
		};
		const client = new NubraAuthClient({
			credentials: () => credential,
			logger: recordingLogger(recorded),
			requestTimeoutMs: 50,
		});
		try {
			await client.getSession();
		} catch (error) {
			recorded.push({ where: 'thrown', text: everythingAbout(error) });
		}
		silent.closeAllConnections();
		await new Promise<void>((resolve) => silent.close(() => resolve()));
		await run((c) => c.getSession());
		expect(recorded.some((r) => r.text.includes('ECONNREFUSED'))).toBe(true);
		expect(recorded.some((r) => r.text.includes('ETIMEDOUT'))).toBe(true);
		expectClean(recorded, [STUB_ACCOUNT.mpin, STUB_ACCOUNT.totpSecret]);
	});

	it('when the server echoes secrets back in its error texts', async () => {
		stub.route('POST /totp/login', (request) => ({
			status: 401,
			body: {
				error: `Invalid TOTP ${JSON.stringify(request.body)} for secret ${STUB_ACCOUNT.totpSecret}`,
			},
		}));
		await run((client) => client.getSession());

		stub.reset('POST /totp/login');
		stub.route('POST /verifypin', (request) => ({
			status: 500,
			body: { error: `pin ${JSON.stringify(request.body)} token ${request.bearer ?? ''} failed` },
		}));
		await run((client) => client.getSession());
		snapshotIssued();

		stub.reset('POST /verifypin');
		stub.route('GET /userinfo', (request) => ({
			status: 502,
			body: { message: `upstream rejected ${request.bearer ?? ''}` },
		}));
		await run((client) => client.userInfo());
		snapshotIssued();

		const thrown = recorded.filter((r) => r.where === 'thrown').map((r) => r.text);
		expect(thrown.join('\n')).toContain('[redacted]');
		expectClean(recorded, secretsSeen(stub, issued, []));
	});
});
