import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

import type { FeedEvent, FeedReply, FeedRequest } from './feed';

type Without<T, K extends keyof T> = T extends unknown ? Omit<T, K> : never;

/** How long one IPC request to the feed may take (encoding 100 000 frames takes a few s). */
const REQUEST_TIMEOUT_MS = 120_000;

/** The parent's handle on the feed process (`feed.ts`). */
export class FeedProcess {
	readonly #child: ChildProcess;
	readonly #waiting = new Map<
		number,
		{ resolve: (reply: FeedReply) => void; reject: (error: Error) => void; timer: NodeJS.Timeout }
	>();
	readonly #subscribed: number[] = [];
	readonly #subscribeWaiters: Array<() => void> = [];
	#lastId = 0;
	readonly url: string;

	private constructor(child: ChildProcess, port: number) {
		this.#child = child;
		this.url = `ws://127.0.0.1:${port}/ws`;
		child.on('message', (message: FeedReply | FeedEvent) => {
			if (message.type === 'subscribed') {
				this.#subscribed.push(message.connection);
				for (const wake of this.#subscribeWaiters.splice(0)) wake();
				return;
			}
			if (message.type === 'ready') return;
			const waiter = this.#waiting.get(message.id);
			if (!waiter) return;
			this.#waiting.delete(message.id);
			clearTimeout(waiter.timer);
			if (message.type === 'error') waiter.reject(new Error(`bench feed: ${message.message}`));
			else waiter.resolve(message);
		});
		child.on('exit', () => {
			for (const [id, waiter] of this.#waiting) {
				clearTimeout(waiter.timer);
				waiter.reject(new Error(`bench feed exited before answering request ${id}`));
			}
			this.#waiting.clear();
		});
	}

	static async start(execArgv: string[] = []): Promise<FeedProcess> {
		const child = fork(join(__dirname, 'feed.js'), [], {
			stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
			execArgv,
		});
		const port = await new Promise<number>((resolve, reject) => {
			const timer = setTimeout(
				() => reject(new Error('bench feed did not start within 15 s')),
				15_000,
			);
			child.once('error', reject);
			child.on('message', (message: FeedEvent | FeedReply) => {
				if (message.type === 'ready') {
					clearTimeout(timer);
					resolve(message.port);
				}
			});
		});
		return new FeedProcess(child, port);
	}

	get subscriptions(): number {
		return this.#subscribed.length;
	}

	/** Resolves once `count` subscriptions (in total, since start) have arrived. */
	async waitForSubscriptions(count: number, timeoutMs = 10_000): Promise<void> {
		const deadline = Date.now() + timeoutMs;
		while (this.#subscribed.length < count) {
			const left = deadline - Date.now();
			if (left <= 0)
				throw new Error(`bench feed: no subscription #${count} within ${timeoutMs} ms`);
			await new Promise<void>((resolve) => {
				const timer = setTimeout(resolve, left);
				this.#subscribeWaiters.push(() => {
					clearTimeout(timer);
					resolve();
				});
			});
		}
	}

	request<T extends FeedReply['type']>(
		request: Without<FeedRequest, 'id'>,
		expect: T,
	): Promise<Extract<FeedReply, { type: T }>> {
		const id = ++this.#lastId;
		return new Promise((resolve, reject) => {
			const timer = setTimeout(() => {
				this.#waiting.delete(id);
				reject(new Error(`bench feed: ${request.type} timed out`));
			}, REQUEST_TIMEOUT_MS);
			this.#waiting.set(id, {
				resolve: (reply) => {
					if (reply.type === expect) resolve(reply as Extract<FeedReply, { type: T }>);
					else reject(new Error(`bench feed: expected ${expect}, got ${reply.type}`));
				},
				reject,
				timer,
			});
			this.#child.send({ ...request, id });
		});
	}

	async stop(): Promise<void> {
		if (this.#child.exitCode !== null || !this.#child.connected) return;
		const exited = new Promise<void>((resolve) => this.#child.once('exit', () => resolve()));
		await this.request({ type: 'stop' }, 'blasted').catch(() => undefined);
		const timer = setTimeout(() => this.#child.kill('SIGKILL'), 5_000);
		await exited;
		clearTimeout(timer);
	}
}
