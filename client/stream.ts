import { AccountConnection } from './stream/connection';
import { OrderSubscription } from './stream/subscription';
import type { NubraStreamOptions } from './stream/types';

export { AccountConnection } from './stream/connection';
export type {
	AccountConnectionOptions,
	ConnectionMember,
	ConnectionStats,
} from './stream/connection';
export { OrderSubscription } from './stream/subscription';
export type { OrderSubscriptionOptions } from './stream/subscription';
export type {
	ConnectionSettings,
	DeliveredEvent,
	EventHandler,
	NubraStreamOptions,
	OverflowPolicy,
	SocketChoice,
	StatusHandler,
	StreamAuth,
	StreamSession,
	StreamStats,
	StreamStatus,
	SubscriptionSettings,
} from './stream/types';

/**
 * The order-update stream on a connection of its own: subscribes, decodes, deduplicates,
 * filters and hands events to one handler in arrival order; reconnects, refreshes sessions and
 * catches up by itself. No n8n in here. Several consumers of one account share a connection
 * through `subscribeToAccount` instead, since Nubra allows one session per account.
 */
export class NubraStream extends OrderSubscription {
	constructor(options: NubraStreamOptions) {
		super(
			new AccountConnection({
				auth: options.auth,
				defaultSocketUrl: options.defaultSocketUrl,
				socket: options.socket,
				rejectUnauthorized: options.rejectUnauthorized,
				logger: options.logger,
				random: options.random,
			}),
			options,
		);
	}
}
