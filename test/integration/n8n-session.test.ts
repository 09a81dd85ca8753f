/**
 * The end-to-end harness's REST session against a stand-in for n8n's auth check on 127.0.0.1:
 * when n8n rejects and clears the cookie it has just issued, the session logs in again and
 * repeats the request once, instead of carrying on logged out.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

import { N8nSession, setupOwner } from '../../tools/n8n-host/rest';

const OWNER = { email: 'owner@e2e.test', password: 'Pw-0wner', firstName: 'O', lastName: 'W' };

interface StandIn {
	server: Server;
	baseUrl: string;
	/** Cookies issued so far; a cookie is accepted once it is in `accepted`. */
	issued: string[];
	accepted: Set<string>;
	/** How many logins to refuse with 401 before accepting one. */
	refuseLogins: number;
	requests: string[];
}

function readJson(req: IncomingMessage): Promise<Record<string, string>> {
	return new Promise((resolve) => {
		let text = '';
		req.on('data', (chunk: Buffer) => (text += chunk.toString()));
		req.on('end', () => resolve(text === '' ? {} : (JSON.parse(text) as Record<string, string>)));
	});
}

async function startStandIn(acceptFirstCookie: boolean, refuseLogins = 0): Promise<StandIn> {
	const standIn: StandIn = {
		server: createServer(),
		baseUrl: '',
		issued: [],
		accepted: new Set(),
		refuseLogins,
		requests: [],
	};
	const issue = (res: ServerResponse, accept: boolean): void => {
		const token = `token-${standIn.issued.length + 1}`;
		standIn.issued.push(token);
		if (accept) standIn.accepted.add(token);
		res.setHeader('set-cookie', `n8n-auth=${token}; Path=/; HttpOnly`);
	};
	standIn.server.on('request', (req, res) => {
		void (async () => {
			const body = await readJson(req);
			const route = `${req.method} ${req.url}`;
			standIn.requests.push(route);
			const send = (status: number, json: unknown): void => {
				res.writeHead(status, { 'content-type': 'application/json' });
				res.end(JSON.stringify(json));
			};
			if (route === 'POST /rest/owner/setup') {
				issue(res, acceptFirstCookie);
				return send(200, { data: { email: body.email } });
			}
			if (route === 'POST /rest/login') {
				if (body.password !== OWNER.password || standIn.refuseLogins-- > 0) {
					return send(401, { message: 'Wrong username or password' });
				}
				issue(res, true);
				return send(200, { data: { email: body.emailOrLdapLoginId } });
			}
			const token = /n8n-auth=([^;]+)/.exec(req.headers.cookie ?? '')?.[1];
			if (token !== undefined && !standIn.accepted.has(token)) {
				// What n8n's auth middleware does with a token it does not accept.
				res.setHeader('set-cookie', 'n8n-auth=; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT');
			}
			if (token === undefined || !standIn.accepted.has(token)) {
				return send(401, { status: 'error', message: 'Unauthorized' });
			}
			return send(200, { data: { token } });
		})();
	});
	await new Promise<void>((resolve) => standIn.server.listen(0, '127.0.0.1', resolve));
	standIn.baseUrl = `http://127.0.0.1:${(standIn.server.address() as AddressInfo).port}`;
	return standIn;
}

describe('the harness REST session', () => {
	let standIn: StandIn | undefined;
	let warn: jest.SpyInstance;

	beforeEach(() => {
		warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
	});
	afterEach(async () => {
		warn.mockRestore();
		await new Promise((resolve) => standIn?.server.close(resolve));
		standIn = undefined;
	});

	async function ownerSession(): Promise<N8nSession> {
		return (await setupOwner(standIn!.baseUrl, OWNER)).session;
	}

	it('keeps the cookie n8n accepts and logs in only once', async () => {
		standIn = await startStandIn(true);
		const session = await ownerSession();
		await expect(session.request('GET', '/rest/settings')).resolves.toEqual({ token: 'token-1' });
		expect(standIn.requests).toEqual(['POST /rest/owner/setup', 'GET /rest/settings']);
		expect(warn).not.toHaveBeenCalled();
	});

	it('logs in again when n8n rejects and clears the cookie its owner setup issued, and repeats the request once', async () => {
		standIn = await startStandIn(false);
		const session = await ownerSession();
		await expect(session.request('GET', '/rest/settings')).resolves.toEqual({ token: 'token-2' });
		expect(standIn.requests).toEqual([
			'POST /rest/owner/setup',
			'GET /rest/settings',
			'POST /rest/login',
			'GET /rest/settings',
		]);
		expect(session.loggedIn).toBe(true);
		const warning = String(warn.mock.calls[0]?.[0]);
		expect(warning).toContain('rejected the session');
		expect(warning).not.toContain(OWNER.password);
		// The new cookie is kept: the next request needs no login.
		await session.request('GET', '/rest/active-workflows');
		expect(standIn.requests.filter((route) => route === 'POST /rest/login')).toHaveLength(1);
	});

	it('waits out a few refused logins before repeating the request', async () => {
		standIn = await startStandIn(false, 2);
		const session = await ownerSession();
		await expect(session.request('GET', '/rest/settings')).resolves.toEqual({ token: 'token-2' });
		expect(standIn.requests.filter((route) => route === 'POST /rest/login')).toHaveLength(3);
	});

	it('reports the 401 of a request it cannot repair: a session that never logged in', async () => {
		standIn = await startStandIn(true);
		const session = new N8nSession(standIn.baseUrl);
		await expect(session.request('GET', '/rest/settings')).rejects.toThrow(
			'GET /rest/settings -> 401',
		);
		expect(standIn.requests).toEqual(['GET /rest/settings']);
	});
});
