/**
 * A stand-in for a rate-limited destination such as Google Sheets (about 60 write requests a
 * minute per user): an HTTP server on 127.0.0.1 that accepts at most `limit` requests per
 * `windowMs` on each path (a sliding window) and answers 429 to the rest. Each request body is
 * `{ rows: [...] }`; the sink records which rows it accepted, when, and which it refused.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SinkRow {
	row: Record<string, unknown>;
	/** Epoch milliseconds the request carrying the row was answered. */
	at: number;
}

export interface PathRecord {
	accepted: SinkRow[];
	refused: SinkRow[];
	acceptedRequests: number;
	refusedRequests: number;
}

export interface RateLimitedSink {
	url: string;
	record(path: string): PathRecord;
	close(): Promise<void>;
}

export async function startRateLimitedSink(options: {
	limit: number;
	windowMs: number;
}): Promise<RateLimitedSink> {
	const records = new Map<string, PathRecord & { recent: number[] }>();
	const recordOf = (path: string) => {
		let record = records.get(path);
		if (!record) {
			record = { accepted: [], refused: [], acceptedRequests: 0, refusedRequests: 0, recent: [] };
			records.set(path, record);
		}
		return record;
	};
	const server: Server = createServer((request, response) => {
		const chunks: Buffer[] = [];
		request.on('data', (chunk: Buffer) => chunks.push(chunk));
		request.on('end', () => {
			const at = Date.now();
			const record = recordOf((request.url ?? '').split('?')[0]);
			let rows: Array<Record<string, unknown>> = [];
			try {
				const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { rows?: unknown };
				if (Array.isArray(body.rows)) rows = body.rows as Array<Record<string, unknown>>;
			} catch {
				// Not JSON: no rows.
			}
			while (record.recent.length > 0 && record.recent[0] <= at - options.windowMs)
				record.recent.shift();
			if (record.recent.length >= options.limit) {
				record.refusedRequests++;
				for (const row of rows) record.refused.push({ row, at });
				const retryAfter = Math.ceil((record.recent[0] + options.windowMs - at) / 1000);
				response.writeHead(429, {
					'content-type': 'application/json',
					'retry-after': String(retryAfter),
				});
				response.end('{"error":"rate limit exceeded"}');
				return;
			}
			record.recent.push(at);
			record.acceptedRequests++;
			for (const row of rows) record.accepted.push({ row, at });
			response.writeHead(200, { 'content-type': 'application/json' });
			response.end('{"ok":true}');
		});
	});
	await new Promise<void>((resolve, reject) => {
		server.once('error', reject);
		server.listen(0, '127.0.0.1', () => resolve());
	});
	const { port } = server.address() as AddressInfo;
	return {
		url: `http://127.0.0.1:${port}`,
		record: (path) => {
			const { accepted, refused, acceptedRequests, refusedRequests } = recordOf(path);
			return { accepted, refused, acceptedRequests, refusedRequests };
		},
		close: () =>
			new Promise<void>((resolve) => {
				server.closeAllConnections();
				server.close(() => resolve());
			}),
	};
}
