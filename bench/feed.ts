/**
 * The bench's order socket: a plain `ws` server in its own process (so it has its own core and
 * never competes with the client being measured) that serves frames pre-encoded with the
 * simulator's encoder. Frames are written to the TCP socket already framed, in chunks of whole
 * websocket frames, so a pong from `ws` can only ever fall between two frames.
 *
 * Driven over IPC by `feed-client.ts`; started with `child_process.fork`.
 */
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';

import type { NubraApiVersion } from '../simulator/types';
import { encodeFrames, scenarioChanges } from './frames';

export type FeedRequest =
	| {
			id: number;
			type: 'prepare';
			name: string;
			seed: number;
			count: number;
			version: NubraApiVersion;
	  }
	| { id: number; type: 'blast'; name: string }
	| { id: number; type: 'pace'; name: string; ratePerSecond: number }
	| { id: number; type: 'stop' };

export type FeedReply =
	| {
			id: number;
			type: 'prepared';
			frames: number;
			orders: number;
			payloadBytes: number;
			encodeMs: number;
	  }
	/** `cpuMs`: CPU the feed process used while writing (user + system). */
	| { id: number; type: 'blasted'; frames: number; writeMs: number; cpuMs: number }
	/** Epoch milliseconds (`timeOrigin + now()`, sub-millisecond) each frame was written at. */
	| { id: number; type: 'paced'; frames: number; sentAtEpochMs: number[] }
	| { id: number; type: 'error'; message: string };

export type FeedEvent =
	{ type: 'ready'; port: number } | { type: 'subscribed'; connection: number };

/** Whole frames per write, up to about this many bytes. */
const CHUNK_BYTES = 256 * 1024;

interface Subscriber {
	id: number;
	ws: WebSocket;
	socket: Duplex;
}

function chunked(frames: readonly Buffer[]): Buffer[] {
	const chunks: Buffer[] = [];
	let pending: Buffer[] = [];
	let size = 0;
	for (const frame of frames) {
		pending.push(frame);
		size += frame.length;
		if (size >= CHUNK_BYTES) {
			chunks.push(Buffer.concat(pending));
			pending = [];
			size = 0;
		}
	}
	if (pending.length > 0) chunks.push(Buffer.concat(pending));
	return chunks;
}

function write(socket: Duplex, chunk: Buffer): Promise<void> {
	return new Promise((resolve, reject) => {
		const flushed = socket.write(chunk, (error) => {
			if (error) reject(error);
		});
		if (flushed) resolve();
		else socket.once('drain', () => resolve());
	});
}

function rawText(data: RawData): string {
	if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
	return Buffer.from(data as ArrayBuffer).toString('utf8');
}

function nowEpochMs(): number {
	return performance.timeOrigin + performance.now();
}

function send(message: FeedReply | FeedEvent): void {
	process.send?.(message);
}

async function main(): Promise<void> {
	const sets = new Map<string, { wire: Buffer[]; chunks: Buffer[] }>();
	// Playing the scenario costs as much as encoding it: once per seed and size.
	const scenarios = new Map<string, ReturnType<typeof scenarioChanges>>();
	const subscribers: Subscriber[] = [];
	let lastId = 0;
	const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
	const server = createServer((_request, response) => response.writeHead(404).end());
	server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
		wss.handleUpgrade(request, socket, head, (ws) => {
			const subscriber: Subscriber = { id: ++lastId, ws, socket };
			ws.on('error', () => undefined);
			ws.on('close', () => {
				const index = subscribers.indexOf(subscriber);
				if (index !== -1) subscribers.splice(index, 1);
			});
			ws.on('message', (data, isBinary) => {
				if (isBinary || !rawText(data).startsWith('subscribe ')) return;
				subscribers.push(subscriber);
				send({ type: 'subscribed', connection: subscriber.id });
			});
		});
	});
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	const current = (): Subscriber => {
		const subscriber = subscribers[subscribers.length - 1];
		if (!subscriber) throw new Error('No client has subscribed to the bench feed');
		return subscriber;
	};
	const frameSet = (name: string) => {
		const set = sets.get(name);
		if (!set) throw new Error(`No frame set named ${name}`);
		return set;
	};

	process.on('message', (raw: FeedRequest) => {
		void (async (): Promise<FeedReply> => {
			switch (raw.type) {
				case 'prepare': {
					const started = performance.now();
					const scenarioKey = `${raw.seed}/${raw.count}`;
					const scenario =
						scenarios.get(scenarioKey) ?? scenarioChanges({ seed: raw.seed, count: raw.count });
					scenarios.set(scenarioKey, scenario);
					const { changes, orders } = scenario;
					const frames = encodeFrames(changes, orders, raw.version);
					sets.set(raw.name, { wire: frames.wire, chunks: chunked(frames.wire) });
					return {
						id: raw.id,
						type: 'prepared',
						frames: frames.wire.length,
						orders,
						payloadBytes: frames.payloadBytes,
						encodeMs: performance.now() - started,
					};
				}
				case 'blast': {
					const { socket } = current();
					const set = frameSet(raw.name);
					const started = performance.now();
					const cpu = process.cpuUsage();
					for (const chunk of set.chunks) await write(socket, chunk);
					const used = process.cpuUsage(cpu);
					return {
						id: raw.id,
						type: 'blasted',
						frames: set.wire.length,
						writeMs: performance.now() - started,
						cpuMs: (used.user + used.system) / 1000,
					};
				}
				case 'pace': {
					const { socket } = current();
					const set = frameSet(raw.name);
					const sentAtEpochMs = await pace(socket, set.wire, raw.ratePerSecond);
					return { id: raw.id, type: 'paced', frames: set.wire.length, sentAtEpochMs };
				}
				case 'stop': {
					for (const subscriber of [...subscribers]) subscriber.ws.terminate();
					await new Promise<void>((resolve) => wss.close(() => resolve()));
					server.closeAllConnections();
					await new Promise<void>((resolve) => server.close(() => resolve()));
					setImmediate(() => process.disconnect?.());
					return { id: raw.id, type: 'blasted', frames: 0, writeMs: 0, cpuMs: 0 };
				}
			}
		})().then(send, (error: unknown) =>
			send({
				id: raw.id,
				type: 'error',
				message: error instanceof Error ? error.message : String(error),
			}),
		);
	});
	send({ type: 'ready', port: (server.address() as AddressInfo).port });
}

/**
 * Writes one frame at a time on a fixed schedule from the start (timer lateness does not
 * accumulate: frames that are due are written at once). Returns when each one was written.
 */
async function pace(
	socket: Duplex,
	frames: readonly Buffer[],
	ratePerSecond: number,
): Promise<number[]> {
	const intervalMs = 1000 / ratePerSecond;
	const sentAt: number[] = [];
	const start = performance.now();
	let next = 0;
	while (next < frames.length) {
		const now = performance.now();
		while (next < frames.length && start + next * intervalMs <= now) {
			sentAt.push(nowEpochMs());
			socket.write(frames[next]);
			next++;
		}
		const wait = start + next * intervalMs - performance.now();
		await new Promise<void>((resolve) => {
			if (wait <= 0) setImmediate(resolve);
			else setTimeout(resolve, Math.max(0, Math.floor(wait)));
		});
	}
	return sentAt;
}

if (require.main === module) {
	void main().catch((error: unknown) => {
		console.error(error);
		process.exitCode = 1;
		process.disconnect?.();
	});
}
