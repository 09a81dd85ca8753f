/**
 * A local HTTP sink on 127.0.0.1: records every request (method, path, headers, body) and
 * answers 200 `{ ok: true }`. Stands in for the webhook receiver and the spreadsheet in the
 * tests, and is the demo's HTTP sink (which logs each request through `onRequest`).
 * `GET /` is not recorded: it answers the latest recorded requests, for a look from a browser.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import { waitFor } from './wait';

export interface RecordedRequest {
	method: string;
	path: string;
	headers: IncomingHttpHeaders;
	/** The raw body text. */
	text: string;
	/** The body parsed as JSON, or undefined when it is not JSON. */
	json: unknown;
	at: number;
}

export interface HttpSinkOptions {
	/** Called for each recorded request, after it is recorded. */
	onRequest?: (request: RecordedRequest) => void;
}

export interface HttpSink {
	/** http://127.0.0.1:<port> */
	url: string;
	requests: RecordedRequest[];
	/** Requests to `path` (without the query string), in arrival order. */
	received(path: string): RecordedRequest[];
	/** Waits until `path` has at least `count` requests; returns them. */
	waitForCount(path: string, count: number, timeoutMs?: number): Promise<RecordedRequest[]>;
	close(): Promise<void>;
}

/** How many requests `GET /` lists. */
const LISTED_ON_GET = 50;

export async function startHttpSink(options: HttpSinkOptions = {}): Promise<HttpSink> {
	const requests: RecordedRequest[] = [];
	const server: Server = createServer((request, response) => {
		const chunks: Buffer[] = [];
		request.on('data', (chunk: Buffer) => chunks.push(chunk));
		request.on('end', () => {
			const path = (request.url ?? '').split('?')[0];
			response.setHeader('content-type', 'application/json');
			if (request.method === 'GET' && path === '/') {
				const latest = requests.slice(-LISTED_ON_GET).reverse();
				response.end(JSON.stringify({ requests: requests.length, latest }, null, 2));
				return;
			}
			const text = Buffer.concat(chunks).toString('utf8');
			let json: unknown;
			try {
				json = text === '' ? undefined : JSON.parse(text);
			} catch {
				json = undefined;
			}
			const recorded: RecordedRequest = {
				method: request.method ?? '',
				path,
				headers: request.headers,
				text,
				json,
				at: Date.now(),
			};
			requests.push(recorded);
			options.onRequest?.(recorded);
			response.writeHead(200);
			response.end('{"ok":true}');
		});
	});
	await new Promise<void>((resolve, reject) => {
		server.once('error', reject);
		server.listen(0, '127.0.0.1', () => resolve());
	});
	const { port } = server.address() as AddressInfo;
	const received = (path: string): RecordedRequest[] =>
		requests.filter((request) => request.path === path);
	return {
		url: `http://127.0.0.1:${port}`,
		requests,
		received,
		waitForCount: async (path, count, timeoutMs = 60_000) =>
			await waitFor(() => (received(path).length >= count ? received(path) : undefined), {
				timeoutMs,
				intervalMs: 100,
				description: `${count} request(s) to ${path} (have ${received(path).length})`,
			}),
		close: () =>
			new Promise<void>((resolve) => {
				server.closeAllConnections();
				server.close(() => resolve());
			}),
	};
}
