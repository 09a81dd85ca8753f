import { NubraAuthClient } from './auth';
import { resolveEndpoints, validateCredentials, type NubraCredentials } from './credentials';
import type { NubraLogger } from './logger';
import { NubraStream, type NubraStreamOptions, type StreamAuth } from './stream';

export interface ConnectOptions
	extends Omit<NubraStreamOptions, 'auth' | 'defaultSocketUrl' | 'rejectUnauthorized'> {
	/** Read again on every login and reconnect, so a fixed credential takes effect by itself. */
	credentials: () => NubraCredentials | Promise<NubraCredentials>;
	logger?: NubraLogger;
	requestTimeoutMs?: number;
}

/**
 * Builds a stream wired to a real auth client: the usual way to use this package outside
 * n8n. The credential is validated here, so configuration mistakes fail before any request.
 */
export async function createNubraStream(options: ConnectOptions): Promise<NubraStream> {
	const { credentials, requestTimeoutMs, ...streamOptions } = options;
	validateCredentials(await credentials());
	const closeRequests = new AbortController();
	const auth = new NubraAuthClient({
		credentials,
		logger: options.logger,
		requestTimeoutMs,
		signal: closeRequests.signal,
	});
	const endpoints = async () => resolveEndpoints(await credentials());
	const streamAuth: StreamAuth = {
		getSession: () => auth.getSession(),
		refresh: (reason) => auth.refresh(reason),
		userInfo: async () => {
			// A custom credential's socket URL wins over what /userinfo announces.
			const override = (await endpoints()).socketUrlOverride;
			if (override !== undefined) return { userWsUrl: override, orderServiceWsUrl: override };
			return await auth.userInfo();
		},
		fetchSentinelOrders: () => auth.fetchSentinelOrders(),
	};
	const stream = new NubraStream({
		...streamOptions,
		auth: streamAuth,
		defaultSocketUrl: async () => (await endpoints()).defaultSocketUrl,
		rejectUnauthorized: async () => (await endpoints()).rejectUnauthorized,
	});
	// Closing the stream also aborts any login or catch-up request still in flight.
	const close = stream.close.bind(stream);
	stream.close = () => {
		closeRequests.abort();
		return close();
	};
	return stream;
}
