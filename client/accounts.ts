import { NubraAuthClient, type SessionStore } from './auth';
import {
	credentialFingerprint,
	validateCredentials,
	type NubraCredentials,
	type ValidatedCredentials,
} from './credentials';
import { silentLogger, type NubraLogger } from './logger';

/**
 * Nubra keeps one session per account: every login ends the account's earlier sessions. So
 * everything in this process that talks to an account (triggers, the credential test, the
 * action node) goes through one {@link NubraAccount}: one auth client, hence one login and
 * single-flight refreshes, and one order socket shared by every trigger.
 */
export interface NubraAccount {
	/** Opaque; equal for credentials with the same environment, URLs, phone, device and secrets. */
	readonly key: string;
	readonly credentials: ValidatedCredentials;
	/** The account's only auth client: its session is the one every caller uses. */
	readonly auth: NubraAuthClient;
	/** Per-account objects built on the auth client (e.g. the shared order socket). */
	readonly parts: Map<string, unknown>;
	/**
	 * Offers a store that shares the session with other processes (n8n: the credential in its
	 * database); the most recent one still offered is used. Returns the withdrawal.
	 */
	offerStore(store: SessionStore): () => void;
}

export interface AccountRegistryOptions {
	/** Accounts remembered at once; the least recently used beyond it are forgotten. */
	maxAccounts?: number;
	now?: () => number;
}

/**
 * The accounts known to this process, keyed by credential. A pasted session token is its own
 * key (its value is part of the fingerprint). Credentials that differ in any secret get
 * different accounts: a trigger whose credential was edited moves at its next login.
 */
export class NubraAccounts {
	readonly #accounts = new Map<string, NubraAccount>();
	readonly #maxAccounts: number;
	readonly #now: (() => number) | undefined;

	constructor(options: AccountRegistryOptions = {}) {
		this.#maxAccounts = options.maxAccounts ?? 64;
		this.#now = options.now;
	}

	/** The account for these credentials, created on first use. Validates the credential. */
	account(credentials: NubraCredentials, logger: NubraLogger = silentLogger): NubraAccount {
		const validated = validateCredentials(credentials);
		const key = credentialFingerprint(validated);
		const known = this.#accounts.get(key);
		if (known !== undefined) {
			// Most recently used last, so the oldest is the first one forgotten.
			this.#accounts.delete(key);
			this.#accounts.set(key, known);
			return known;
		}
		const stores: SessionStore[] = [];
		const account: NubraAccount = {
			key,
			credentials: validated,
			auth: new NubraAuthClient({
				credentials: () => validated,
				logger,
				now: this.#now,
				store: () => stores[stores.length - 1],
			}),
			parts: new Map(),
			offerStore: (store) => {
				stores.push(store);
				return () => {
					const index = stores.lastIndexOf(store);
					if (index >= 0) stores.splice(index, 1);
				};
			},
		};
		this.#accounts.set(key, account);
		this.#forgetOldest();
		return account;
	}

	/** The account when one exists already; never creates one (e.g. for the credential test). */
	find(credentials: NubraCredentials): NubraAccount | undefined {
		return this.#accounts.get(credentialFingerprint(validateCredentials(credentials)));
	}

	get size(): number {
		return this.#accounts.size;
	}

	#forgetOldest(): void {
		for (const [key, account] of this.#accounts) {
			if (this.#accounts.size <= this.#maxAccounts) return;
			// An account whose socket is in use stays: forgetting it would start a second session.
			if (account.parts.size > 0) continue;
			this.#accounts.delete(key);
		}
	}
}

const REGISTRY = Symbol.for('n8n-nodes-nubra.accounts');

/**
 * The process-wide registry. Kept on `globalThis` so two copies of this module (n8n may load a
 * package's files through more than one path) still share one session per account.
 */
export function nubraAccounts(): NubraAccounts {
	const holder = globalThis as typeof globalThis & { [REGISTRY]?: NubraAccounts };
	holder[REGISTRY] ??= new NubraAccounts();
	return holder[REGISTRY];
}
