import { stateKey } from '../tracker';
import type { NubraEvent } from '../types';
import type { DeliveredEvent } from './types';

/**
 * A live event as handed to the handlers. Its dedup key is written when first read: only items
 * with metadata show it, and most triggers never ask.
 */
export class LiveDelivery implements DeliveredEvent {
	readonly recovered = false;
	#dedupKey: string | undefined;

	constructor(
		readonly event: NubraEvent,
		readonly receivedAt: Date,
		readonly receivedAtMono: number,
		readonly message: Record<string, unknown> | undefined,
	) {}

	get dedupKey(): string {
		this.#dedupKey ??= stateKey(this.event);
		return this.#dedupKey;
	}
}
