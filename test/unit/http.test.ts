import { readFileSync } from 'node:fs';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { httpRequest, quoteUnsafeIntegers } from '../../client/http';
import { closedPort } from '../helpers/ports';
import { startRestStub, type RestStub } from '../helpers/rest-stub';
import { nubraRejection } from '../helpers/rejection';

describe('httpRequest', () => {
	let stub: RestStub;
	beforeEach(async () => {
		stub = await startRestStub();
	});
	afterEach(async () => {
		await stub.close();
	});

	it('sends a JSON body with headers and parses a JSON answer', async () => {
		stub.route('POST /echo', (request) => ({
			status: 201,
			body: { got: request.body, device: request.headers['x-device-id'] },
		}));
		const response = await httpRequest({
			method: 'POST',
			url: `${stub.url}/echo`,
			headers: { 'x-device-id': 'dev-1' },
			body: { phone: '1', totp: 42 },
		});
		expect(response.status).toBe(201);
		expect(response.body).toEqual({ got: { phone: '1', totp: 42 }, device: 'dev-1' });
		expect(stub.requests[0].headers['content-type']).toBe('application/json');
	});

	it('returns text for a non-JSON answer and undefined for an empty one', async () => {
		stub.route('GET /html', () => ({ status: 200, text: '<html>hello</html>' }));
		stub.route('GET /empty', () => ({ status: 440 }));
		expect((await httpRequest({ method: 'GET', url: `${stub.url}/html` })).body).toBe(
			'<html>hello</html>',
		);
		stub.route('GET /big', () => ({
			status: 200,
			text: '{"orders":{"open":[{"intentOrderId":9223372036854775807}]}}',
		}));
		expect((await httpRequest({ method: 'GET', url: `${stub.url}/big` })).body).toEqual({
			orders: { open: [{ intentOrderId: '9223372036854775807' }] },
		});
		const empty = await httpRequest({ method: 'GET', url: `${stub.url}/empty` });
		expect(empty).toMatchObject({ status: 440, body: undefined });
	});

	it('turns a deadline into NUBRA_UNREACHABLE naming the host, not the path or query', async () => {
		stub.route('GET /slow', () => 'hang');
		const error = await nubraRejection(
			httpRequest({ method: 'GET', url: `${stub.url}/slow?token=abc123secret`, timeoutMs: 50 }),
		);
		expect(error.code).toBe('NUBRA_UNREACHABLE');
		expect(error.message).toBe(`Could not reach ${new URL(stub.url).host}: timed out (ETIMEDOUT)`);
		expect(String(error.cause)).not.toContain('abc123secret');
		expect(error.stack).not.toContain('/slow');
	});

	it('reports a refused connection as ECONNREFUSED', async () => {
		const port = await closedPort();
		const error = await nubraRejection(
			httpRequest({ method: 'GET', url: `http://127.0.0.1:${port}/userinfo` }),
		);
		expect(error.code).toBe('NUBRA_UNREACHABLE');
		expect(error.message).toContain('connection refused (ECONNREFUSED)');
		expect(error.message).not.toContain('/userinfo');
		expect(error.hint).toContain('environment');
	});

	it('reports a dropped connection', async () => {
		stub.route('GET /drop', () => 'destroy');
		const error = await nubraRejection(httpRequest({ method: 'GET', url: `${stub.url}/drop` }));
		expect(error.code).toBe('NUBRA_UNREACHABLE');
		expect(error.message).toMatch(/ECONNRESET|socket hang up|UNKNOWN/);
	});

	it('reports an unknown host name', async () => {
		const error = await nubraRejection(
			httpRequest({
				method: 'GET',
				url: 'http://nubra-host-that-does-not-exist.invalid/x',
				timeoutMs: 5_000,
			}),
		);
		expect(error.code).toBe('NUBRA_UNREACHABLE');
		expect(error.message).toMatch(
			/nubra-host-that-does-not-exist\.invalid: .*\((ENOTFOUND|EAI_AGAIN|ETIMEDOUT)\)/,
		);
	});

	it('rejects with the abort reason when the signal fires, before or during the request', async () => {
		stub.route('GET /slow', () => 'hang');
		const early = new AbortController();
		early.abort(new Error('closed early'));
		await expect(
			httpRequest({ method: 'GET', url: `${stub.url}/slow`, signal: early.signal }),
		).rejects.toThrow('closed early');
		const late = new AbortController();
		const pending = httpRequest({ method: 'GET', url: `${stub.url}/slow`, signal: late.signal });
		await stub.waitForRequest((r) => r.path === '/slow');
		late.abort(new Error('trigger closed'));
		await expect(pending).rejects.toThrow('trigger closed');
	});
});

describe('quoteUnsafeIntegers', () => {
	it('keeps int64 ids exact and leaves safe numbers, strings and floats alone', () => {
		const text =
			'{"intentOrderId":9223372036854775807,"refId":-9007199254740993,"safe":9007199254740991,' +
			'"note":"id 12345678901234567890 \\" 99999999999999999","price":12345678901234567.5,"e":1e300,"list":[18446744073709551615]}';
		expect(JSON.parse(quoteUnsafeIntegers(text))).toEqual({
			intentOrderId: '9223372036854775807',
			refId: '-9007199254740993',
			safe: 9007199254740991,
			note: 'id 12345678901234567890 " 99999999999999999',
			price: Number('12345678901234567.5'),
			e: 1e300,
			list: ['18446744073709551615'],
		});
	});

	it('is a no-op without long digit runs', () => {
		const text = '{"a":1,"b":"x"}';
		expect(quoteUnsafeIntegers(text)).toBe(text);
	});
});

// A self-signed certificate for CN=127.0.0.1, made once with openssl (valid for 100 years).
const TLS_FIXTURES = join(__dirname, '..', 'fixtures', 'tls');

describe('httpRequest over TLS with a self-signed certificate', () => {
	let server: https.Server;
	let url: string;

	beforeAll(async () => {
		server = https.createServer(
			{
				key: readFileSync(join(TLS_FIXTURES, 'key.pem')),
				cert: readFileSync(join(TLS_FIXTURES, 'cert.pem')),
			},
			(_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}'),
		);
		await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
		url = `https://127.0.0.1:${(server.address() as AddressInfo).port}/userinfo`;
	});
	afterAll(async () => {
		server.closeAllConnections();
		await new Promise<void>((resolve) => server.close(() => resolve()));
	});

	it('verifies certificates by default and says how to proceed', async () => {
		const error = await nubraRejection(httpRequest({ method: 'GET', url }));
		expect(error.code).toBe('NUBRA_UNREACHABLE');
		expect(error.message).toMatch(/self-signed certificate \(DEPTH_ZERO_SELF_SIGNED_CERT\)/);
		expect(error.hint).toContain('Ignore SSL Issues');
	});

	it('accepts it when rejectUnauthorized is false', async () => {
		const response = await httpRequest({ method: 'GET', url, rejectUnauthorized: false });
		expect(response.body).toEqual({ ok: true });
	});
});
