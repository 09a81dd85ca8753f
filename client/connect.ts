import { nubraAccounts, type NubraAccount, type NubraAccounts } from './accounts';
import type { SessionStore } from './auth';
import { credentialFingerprint, validateCredentials, type NubraCredentials } from './credentials';
import { describeError } from './errors';
import { silentLogger, type NubraLogger } from './logger';
import { AccountConnection } from './stream/connection';
import { OrderSubscription } from './stream/subscription';
import type {
	ConnectionSettings,
	SocketChoice,
	StreamAuth,
	SubscriptionSettings,
} from './stream/types';

export interface ConnectOptions extends SubscriptionSettings, ConnectionSettings {
	/** Read again before every reconnect: a credential that now names another account moves. */
	credentials: () => NubraCredentials | Promise<NubraCredentials>;
	socket?: SocketChoice;
	logger?: NubraLogger;
	/** The registry to share sessions in; default the process-wide one. */
	accounts?: NubraAccounts;
	/**
	 * Where other processes keep the account's session (n8n: the credential). Offered to the
	 * account while this subscription lives, on whichever account its credential names.
	 */
	store?: SessionStore;
	random?: () => number;
}

/** The order feed of an account: one per socket choice, shared by its subscriptions. */
interface SharedFeed {
	connection: AccountConnection;
	/** Each subscription's credential reader, to notice one that now names another account. */
	readers: Map<OrderSubscription, () => NubraCredentials | Promise<NubraCredentials>>;
}

/** The feed each subscription is on now, so its close forgets its credential reader there. */
const homeFeed = new WeakMap<OrderSubscription, SharedFeed>();
/** Each subscription's session store and the withdrawal of its offer to its current account. */
const offeredStore = new WeakMap<
	OrderSubscription,
	{ store: SessionStore; withdraw: () => void }
>();

function feedKey(choice: SocketChoice): string {
	return `feed:${JSON.stringify(choice)}`;
}

/** The stream's view of the account's auth client; a custom socket URL wins over `/userinfo`. */
function streamAuthOf(account: NubraAccount): StreamAuth {
	const { auth, credentials } = account;
	return {
		getSession: () => auth.getSession(),
		refresh: (reason, failed) => auth.refresh(reason, failed as Parameters<typeof auth.refresh>[1]),
		userInfo: async () => {
			const override = credentials.endpoints.socketUrlOverride;
			if (override !== undefined) return { userWsUrl: override, orderServiceWsUrl: override };
			return await auth.userInfo();
		},
		fetchSentinelOrders: () => auth.fetchSentinelOrders(),
	};
}

function feedOf(
	accounts: NubraAccounts,
	account: NubraAccount,
	choice: SocketChoice,
	options: Pick<ConnectOptions, 'logger' | 'random'>,
): SharedFeed {
	const key = feedKey(choice);
	const known = account.parts.get(key) as SharedFeed | undefined;
	if (known !== undefined && !known.connection.closed) return known;
	const logger = options.logger ?? silentLogger;
	const feed: SharedFeed = {
		readers: new Map(),
		connection: new AccountConnection({
			auth: streamAuthOf(account),
			defaultSocketUrl: () => account.credentials.endpoints.defaultSocketUrl,
			defaultOrderServiceSocketUrl: () =>
				account.credentials.endpoints.defaultOrderServiceSocketUrl,
			rejectUnauthorized: account.credentials.endpoints.rejectUnauthorized,
			socket: choice,
			logger,
			random: options.random,
			onClosed: () => {
				if (account.parts.get(key) === feed) account.parts.delete(key);
			},
			beforeReconnect: () => moveEditedCredentials(accounts, account, feed, choice, options),
		}),
	};
	account.parts.set(key, feed);
	return feed;
}

/**
 * Before a reconnect, each subscription reads its credential again; one that now names another
 * account (or other secrets) continues on that account's feed, and the others stay.
 */
async function moveEditedCredentials(
	accounts: NubraAccounts,
	account: NubraAccount,
	feed: SharedFeed,
	choice: SocketChoice,
	options: Pick<ConnectOptions, 'logger' | 'random'>,
): Promise<void> {
	const logger = options.logger ?? silentLogger;
	for (const [subscription, read] of [...feed.readers]) {
		let credentials: NubraCredentials;
		try {
			credentials = await read();
			if (credentialFingerprint(validateCredentials(credentials)) === account.key) continue;
		} catch (error) {
			logger.warn(
				`Nubra credential could not be read again; staying on the current session: ${describeError(error)}`,
			);
			continue;
		}
		const target = accounts.account(credentials, logger);
		const targetFeed = feedOf(accounts, target, choice, options);
		feed.readers.delete(subscription);
		targetFeed.readers.set(subscription, read);
		homeFeed.set(subscription, targetFeed);
		const offer = offeredStore.get(subscription);
		if (offer !== undefined) {
			offer.withdraw();
			offeredStore.set(subscription, {
				store: offer.store,
				withdraw: target.offerStore(offer.store),
			});
		}
		logger.info(
			'Nubra credential changed; this trigger moves to the session of the new credential',
		);
		void subscription.moveTo(targetFeed.connection).catch((error: unknown) => {
			logger.error(`Nubra trigger could not start on its new credential: ${describeError(error)}`);
			subscription.fail(error);
		});
	}
}

/**
 * A subscription to the order feed of the credential's account. Every subscription of one
 * account in this process shares one login and one socket (Nubra allows one session per
 * account); each keeps its own filter, dedup memory, catch-up and queue. The credential is
 * validated here, so configuration mistakes fail before any request. Call `start()` next.
 */
export async function createNubraStream(options: ConnectOptions): Promise<OrderSubscription> {
	const {
		credentials: readCredentials,
		socket = { kind: 'user' },
		accounts = nubraAccounts(),
		store,
		...settings
	} = options;
	const credentials = await readCredentials();
	const account = accounts.account(credentials, options.logger);
	const feed = feedOf(accounts, account, socket, options);
	const subscription: OrderSubscription = new OrderSubscription(feed.connection, {
		...settings,
		onClosed: () => {
			homeFeed.get(subscription)?.readers.delete(subscription);
			offeredStore.get(subscription)?.withdraw();
		},
	});
	feed.readers.set(subscription, readCredentials);
	homeFeed.set(subscription, feed);
	if (store !== undefined)
		offeredStore.set(subscription, { store, withdraw: account.offerStore(store) });
	return subscription;
}
