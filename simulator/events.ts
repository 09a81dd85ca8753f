import { EventEmitter } from 'node:events';
import type { SimulatorEvents } from './types';

/** A typed face on EventEmitter; `on` returns its own unsubscribe so tests can clean up inline. */
export class SimulatorEmitter {
	readonly #emitter = new EventEmitter();

	on<E extends keyof SimulatorEvents>(event: E, listener: SimulatorEvents[E]): () => void {
		this.#emitter.on(event, listener);
		return () => this.off(event, listener);
	}

	off<E extends keyof SimulatorEvents>(event: E, listener: SimulatorEvents[E]): void {
		this.#emitter.off(event, listener);
	}

	emit<E extends keyof SimulatorEvents>(event: E, ...args: Parameters<SimulatorEvents[E]>): void {
		this.#emitter.emit(event, ...args);
	}

	removeAll(): void {
		this.#emitter.removeAllListeners();
	}
}
