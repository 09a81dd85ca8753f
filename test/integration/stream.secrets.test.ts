/**
 * No secret ever leaves the client in anything a user or a log can see: log lines (with their
 * metadata), statuses (errors with message, hint and cause chain), thrown errors and events.
 * Failing and succeeding connects are run against the simulator; every output is scanned for
 * the MPIN, the TOTP secrets and every session or auth token, known or merely token-shaped.
 */
import { createNubraStream } from '../../client/connect';
import type { NubraCredentials } from '../../client/credentials';
import type { DeliveredEvent, StreamStatus } from '../../client/stream';
import { generateScenario, startSimulator, type RunningSimulator } from '../../simulator';
import { RecordingLogger } from '../helpers/recording-logger';
import { FAST_TIMINGS, finalStatesDelivered } from '../helpers/stream-harness';
import { waitFor } from '../helpers/wait';

jest.setTimeout(15_000);

const WAIT_MS = 4_000;
const MPIN = '814273';
const WRONG_MPIN = '590617';
const OTHER_TOTP_SECRET = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXQ';

/** An error as text: name, message, code, hint, stack and the whole cause chain. */
function errorText(error: unknown, depth = 0): string {
	if (!(error instanceof Error) || depth > 5) return JSON.stringify(error ?? null);
	const fields = error as Error & { code?: unknown; hint?: unknown; httpStatus?: unknown };
	const own = JSON.stringify({
		name: error.name,
		message: error.message,
		code: fields.code,
		hint: fields.hint,
		httpStatus: fields.httpStatus,
		stack: error.stack,
	});
	return `${own} cause: ${errorText(error.cause, depth + 1)}`;
}

function statusText(status: StreamStatus): string {
	return JSON.stringify(status, (_key, value: unknown) =>
		value instanceof Error ? errorText(value) : value,
	);
}

/**
 * Token shapes the simulator issues: 64-character base64url session tokens (mixed case and
 * digits, unlike enum names such as INTENT_ORDER_RESPONSE_TYPE_FILLED) and uuid auth tokens.
 */
const UUID = /\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/gi;
const LONG_OPAQUE = /[A-Za-z0-9_-]{40,}/g;
const looksRandom = (word: string) => /[a-z]/.test(word) && /[A-Z]/.test(word) && /\d/.test(word);

/** Every secret found in the text: the given ones by value, unknown tokens by shape. */
function findSecrets(text: string, secrets: readonly string[]): string[] {
	const found = secrets.filter((secret) => secret !== '' && text.includes(secret));
	found.push(...(text.match(UUID) ?? []));
	found.push(...(text.match(LONG_OPAQUE) ?? []).filter(looksRandom));
	return found;
}

interface Outputs {
	logger: RecordingLogger;
	statuses: StreamStatus[];
	events: DeliveredEvent[];
	errors: unknown[];
}

function everything(outputs: Outputs): string {
	return [
		outputs.logger.text(),
		...outputs.statuses.map(statusText),
		...outputs.errors.map((error) => errorText(error)),
		...outputs.events.map((event) => JSON.stringify(event)),
	].join('\n');
}

describe('secrets in stream output', () => {
	let sim: RunningSimulator;
	const secrets: string[] = [];
	const scans: Array<{ what: string; text: string }> = [];

	beforeEach(async () => {
		sim = await startSimulator({ mpin: MPIN });
		secrets.length = 0;
		secrets.push(MPIN, WRONG_MPIN, sim.credentials.totpSecret, OTHER_TOTP_SECRET);
	});
	afterEach(async () => {
		await sim.close();
	});

	/** Runs one connect with a recording logger; returns what it produced once `settle` says so. */
	async function run(
		credentials: () => NubraCredentials,
		options: {
			socket?: Parameters<typeof createNubraStream>[0]['socket'];
			maxReconnectAttempts?: number;
			during?: (outputs: Outputs) => Promise<void>;
		} = {},
	): Promise<Outputs> {
		const outputs: Outputs = {
			logger: new RecordingLogger(),
			statuses: [],
			events: [],
			errors: [],
		};
		let stream;
		try {
			stream = await createNubraStream({
				credentials,
				logger: outputs.logger,
				...FAST_TIMINGS,
				maxReconnectAttempts: options.maxReconnectAttempts ?? 3,
				socket: options.socket,
			});
			stream.onEvent((event) => {
				outputs.events.push(event);
			});
			stream.onStatus((status) => {
				outputs.statuses.push(status);
			});
			await stream.start();
			await options.during?.(outputs);
		} catch (error) {
			outputs.errors.push(error);
		} finally {
			await stream?.close();
		}
		return outputs;
	}

	const creds =
		(overrides: Partial<NubraCredentials> = {}) =>
		(): NubraCredentials => ({
			environment: 'custom',
			restBaseUrl: sim.restUrl,
			authentication: 'totp',
			phone: sim.credentials.phone,
			mpin: MPIN,
			totpSecret: sim.credentials.totpSecret,
			...overrides,
		});

	/** A credential with a pasted session token and no MPIN or TOTP secret to log in again with. */
	const pastedToken = (sessionToken: string) =>
		creds({ authentication: 'sessionToken', sessionToken, mpin: undefined, totpSecret: undefined });

	const expectClean = (what: string, outputs: Outputs) => {
		const text = everything(outputs);
		scans.push({ what, text });
		expect({ what, leaks: findSecrets(text, secrets) }).toEqual({ what, leaks: [] });
	};

	it('the scanner finds planted secrets (so a leak would fail these tests)', () => {
		const clean =
			'Nubra refused the MPIN (HTTP 401). Nubra said: "Invalid MPIN" INTENT_ORDER_RESPONSE_TYPE_EXIT_SL_TRIGGERED';
		expect(findSecrets(clean, [MPIN])).toEqual([]);
		expect(findSecrets(`${clean} ${MPIN}`, [MPIN])).toEqual([MPIN]);
		const session = sim.control.issueSession();
		expect(findSecrets(`subscribe ${session.sessionToken}`, [])).toEqual([session.sessionToken]);
		expect(findSecrets(`Bearer ${session.authToken}`, [])).toEqual([session.authToken]);
		const status: StreamStatus = {
			state: 'disconnected',
			reason: `x ${sim.credentials.totpSecret}`,
		};
		expect(findSecrets(statusText(status), [sim.credentials.totpSecret])).toHaveLength(1);
		const nested = new Error('outer', { cause: new Error(`inner ${MPIN}`) });
		expect(findSecrets(errorText(nested), [MPIN])).toEqual([MPIN]);
	});

	it('wrong MPIN: start() fails without quoting it', async () => {
		const outputs = await run(creds({ mpin: WRONG_MPIN }));
		expect(outputs.errors).toHaveLength(1);
		expect(errorText(outputs.errors[0])).toMatch(/MPIN/);
		expectClean('wrong MPIN', outputs);
	});

	it('wrong TOTP secret: start() fails without quoting it or the code', async () => {
		const outputs = await run(creds({ totpSecret: OTHER_TOTP_SECRET }));
		expect(outputs.errors).toHaveLength(1);
		expect(errorText(outputs.errors[0])).toMatch(/TOTP/);
		expectClean('wrong TOTP secret', outputs);
	});

	it('expired pasted session token: start() fails without quoting it', async () => {
		const { sessionToken } = sim.control.issueSession();
		secrets.push(sessionToken);
		sim.control.expireSessions();
		const outputs = await run(pastedToken(sessionToken));
		expect(outputs.errors).toHaveLength(1);
		expect(errorText(outputs.errors[0])).toMatch(/session token/);
		expectClean('expired pasted token', outputs);
	});

	it('Invalid Token mid-stream (TOTP): refresh, reconnect and events, nothing token-shaped anywhere', async () => {
		const outputs = await run(creds(), {
			during: async (o) => {
				await sim.control.waitForSubscribers(1);
				await sim.control.play(generateScenario({ seed: 31, orders: 3 }));
				await waitFor(() => finalStatesDelivered(sim, o.events), WAIT_MS, 'the first orders');
				sim.control.sendInvalidToken();
				await waitFor(
					() => o.statuses.filter((s) => s.state === 'connected').length === 2,
					WAIT_MS,
					'the reconnect',
				);
				await sim.control.waitForSubscribers(1);
				await sim.control.play(generateScenario({ seed: 32, orders: 3 }));
				await waitFor(() => finalStatesDelivered(sim, o.events), WAIT_MS, 'the later orders');
			},
		});
		expect(outputs.errors).toEqual([]);
		expect(outputs.events.length).toBeGreaterThan(0);
		expectClean('Invalid Token mid-stream (TOTP)', outputs);
	});

	it('Invalid Token on a pasted session token: the refresh fails and the stream gives up, token unquoted', async () => {
		const { sessionToken } = sim.control.issueSession();
		secrets.push(sessionToken);
		const outputs = await run(pastedToken(sessionToken), {
			maxReconnectAttempts: 2,
			during: async (o) => {
				await sim.control.waitForSubscribers(1);
				sim.control.sendInvalidToken();
				await waitFor(
					() => o.statuses.some((s) => s.state === 'gave-up'),
					WAIT_MS,
					'the stream to give up',
				);
			},
		});
		expect(outputs.errors).toEqual([]);
		expectClean('Invalid Token, pasted token', outputs);
	});

	it('order-service socket (?token= in the URL): connects, and a refused upgrade is reported without the token', async () => {
		const { sessionToken } = sim.control.issueSession();
		secrets.push(sessionToken, encodeURIComponent(sessionToken));
		const outputs = await run(pastedToken(sessionToken), {
			socket: { kind: 'order-service' },
			during: async (o) => {
				await sim.control.waitForSubscribers(1);
				await sim.control.play(generateScenario({ seed: 33, orders: 2 }));
				await waitFor(() => finalStatesDelivered(sim, o.events), WAIT_MS, 'the orders');
				sim.control.refuseConnections(100);
				sim.control.dropAfter(0);
				await waitFor(
					() => o.statuses.some((s) => s.state === 'gave-up'),
					WAIT_MS,
					'the stream to give up',
				);
			},
		});
		const reasons = outputs.statuses.flatMap((s) => (s.state === 'disconnected' ? [s.reason] : []));
		expect(
			reasons.some((reason) => /HTTP 503/.test(reason) && reason.includes('/oms-socket-latest/ws')),
		).toBe(true);
		expectClean('order-service socket', outputs);
	});

	it('an explicit socket URL that carries a wrong ?token=: Invalid Token until it gives up, neither token quoted', async () => {
		const { sessionToken } = sim.control.issueSession();
		const planted = sim.control.issueSession().sessionToken;
		secrets.push(sessionToken, planted);
		const outputs = await run(pastedToken(sessionToken), {
			socket: {
				kind: 'explicit',
				url: `${sim.orderServiceWsUrl}?token=${planted}`,
				channel: 'order-service',
			},
			maxReconnectAttempts: 2,
			during: async (o) => {
				await waitFor(
					() => o.statuses.some((s) => s.state === 'gave-up'),
					WAIT_MS,
					'the stream to give up',
				);
			},
		});
		expectClean('explicit URL with a token', outputs);
	});

	afterAll(() => {
		// Every scenario produced something to scan: a scan of nothing would prove nothing.
		for (const scan of scans) expect(scan.text.length).toBeGreaterThan(100);
	});
});
