import {
	request as httpRequest,
	createServer,
	type IncomingMessage,
	type Server,
	type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A real HTTP relay in front of the simulator's REST API that can hold back the answers to
 * `/sentinel/orders`, so a test can make a live frame overtake a catch-up deterministically.
 */
export interface RestGate {
	url: string;
	/** Snapshot requests being held right now. */
	readonly held: number;
	/** Hold every snapshot request from now on, until release(). */
	hold(): void;
	/** Lets the held requests (and later ones) through. */
	release(): void;
	close(): Promise<void>;
}

export async function startRestGate(targetUrl: string): Promise<RestGate> {
	const target = new URL(targetUrl);
	let holding = false;
	let waiting: Array<() => void> = [];
	const forward = (req: IncomingMessage, res: ServerResponse) => {
		const upstream = httpRequest(
			{
				host: target.hostname,
				port: target.port,
				method: req.method,
				path: req.url,
				headers: req.headers,
			},
			(answer) => {
				res.writeHead(answer.statusCode ?? 502, answer.headers);
				answer.pipe(res);
			},
		);
		upstream.on('error', () => res.destroy());
		req.pipe(upstream);
	};
	const server: Server = createServer((req, res) => {
		if (holding && req.url?.startsWith('/sentinel/orders')) waiting.push(() => forward(req, res));
		else forward(req, res);
	});
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	const gate: RestGate = {
		url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
		get held() {
			return waiting.length;
		},
		hold: () => {
			holding = true;
		},
		release: () => {
			holding = false;
			const go = waiting;
			waiting = [];
			for (const next of go) next();
		},
		close: async () => {
			gate.release();
			server.closeAllConnections();
			await new Promise<void>((resolve) => server.close(() => resolve()));
		},
	};
	return gate;
}
