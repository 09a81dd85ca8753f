import * as http from 'node:http';
import * as https from 'node:https';
import { NUBRA_ERROR_CODES, NubraError } from './errors';

/**
 * A small JSON-over-HTTP(S) helper on Node's own modules, so the client needs no HTTP
 * dependency and runs the same inside n8n, in tests and in a plain script.
 */

export const DEFAULT_REQUEST_TIMEOUT_MS = 15_000;
/** A REST answer above this is not something Nubra sends; refuse it rather than buffer it. */
export const MAX_RESPONSE_BYTES = 16 * 1024 * 1024;

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'DELETE';

export interface HttpRequestOptions {
	method: HttpMethod;
	url: string | URL;
	headers?: Record<string, string>;
	/** Sent as JSON when defined. */
	body?: unknown;
	/** Whole-request deadline, connect to last byte. Default {@link DEFAULT_REQUEST_TIMEOUT_MS}. */
	timeoutMs?: number;
	/** Default true: TLS certificates are verified unless the caller says otherwise. */
	rejectUnauthorized?: boolean;
	signal?: AbortSignal;
}

export interface HttpResponse {
	status: number;
	headers: http.IncomingHttpHeaders;
	/** Parsed JSON when the body is JSON, the text otherwise, `undefined` when empty. */
	body: unknown;
}

/** Plain-language reasons for the socket error codes people actually meet. */
const CAUSE_TEXT: Record<string, string> = {
	ECONNREFUSED: 'connection refused',
	ECONNRESET: 'connection reset',
	ENOTFOUND: 'host name not found',
	EAI_AGAIN: 'DNS lookup failed',
	ETIMEDOUT: 'timed out',
	EHOSTUNREACH: 'host unreachable',
	ENETUNREACH: 'network unreachable',
	EPROTO: 'TLS handshake failed',
	DEPTH_ZERO_SELF_SIGNED_CERT: 'self-signed certificate',
	SELF_SIGNED_CERT_IN_CHAIN: 'self-signed certificate in chain',
	UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'certificate cannot be verified',
	UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'certificate issuer unknown',
	CERT_HAS_EXPIRED: 'certificate expired',
	ERR_TLS_CERT_ALTNAME_INVALID: 'certificate does not match the host name',
};

const CERT_CODES = new Set([
	'DEPTH_ZERO_SELF_SIGNED_CERT',
	'SELF_SIGNED_CERT_IN_CHAIN',
	'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
	'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
	'CERT_HAS_EXPIRED',
	'ERR_TLS_CERT_ALTNAME_INVALID',
]);

export const CERTIFICATE_HINT =
	'The server certificate was not accepted. Use a valid certificate, or for a custom environment turn on "Ignore SSL Issues" in the Nubra API credential.';

/** Whether a connection failed because the server's TLS certificate was refused. */
export function isCertificateError(error: unknown): boolean {
	return CERT_CODES.has(errorCode(error));
}

function errorCode(error: unknown): string {
	if (error !== null && typeof error === 'object' && 'code' in error) {
		const code = (error as { code: unknown }).code;
		if (typeof code === 'string') return code;
	}
	return 'UNKNOWN';
}

/**
 * The error for a request that never got an HTTP answer. It names the host and the cause
 * code only: the path, query and headers stay out, and the cause is rebuilt from the code
 * rather than kept, so nothing from the request can ride along in `cause`.
 */
export function unreachableError(url: URL, code: string): NubraError {
	const reason = CAUSE_TEXT[code] ?? 'network error';
	const hint = CERT_CODES.has(code)
		? CERTIFICATE_HINT
		: 'Check the environment (or the custom REST Base URL) in the Nubra API credential, and that the n8n host can reach it.';
	return new NubraError(
		NUBRA_ERROR_CODES.UNREACHABLE,
		`Could not reach ${url.host}: ${reason} (${code})`,
		{
			hint,
			cause: Object.assign(new Error(`${code} while connecting to ${url.host}`), { code }),
		},
	);
}

function abortReason(signal: AbortSignal): unknown {
	if (signal.reason !== undefined) return signal.reason;
	return Object.assign(new Error('The request was aborted'), { name: 'AbortError' });
}

/**
 * Puts integer literals beyond 2^53 - 1 in quotes, outside strings, so `JSON.parse` keeps them
 * exact: Nubra's order ids are int64 and REST sends them as bare numbers. Callers get the
 * package's `Int64` convention (a number while exact, a decimal string above).
 */
export function quoteUnsafeIntegers(text: string): string {
	if (!/\d{16}/.test(text)) return text;
	let out = '';
	let copied = 0;
	let i = 0;
	while (i < text.length) {
		const char = text[i];
		if (char === '"') {
			for (i++; i < text.length && text[i] !== '"'; i++) if (text[i] === '\\') i++;
			i++;
		} else if (char === '-' || (char >= '0' && char <= '9')) {
			const start = i;
			for (i++; i < text.length && /[\d.eE+-]/.test(text[i]); i++);
			const literal = text.slice(start, i);
			if (/^-?\d{16,}$/.test(literal) && !Number.isSafeInteger(Number(literal))) {
				out += `${text.slice(copied, start)}"${literal}"`;
				copied = i;
			}
		} else {
			i++;
		}
	}
	return copied === 0 ? text : out + text.slice(copied);
}

const INT64_MARK = '\u0001int64:';

/** JSON text in which `bigint` values become bare integer literals (order ids beyond 2^53). */
export function stringifyJson(value: unknown): string {
	let marked = false;
	const text = JSON.stringify(value, (_key, item: unknown) => {
		if (typeof item !== 'bigint') return item;
		marked = true;
		return `${INT64_MARK}${item.toString()}`;
	});
	return marked ? text.replace(/"\\u0001int64:(-?\d+)"/g, '$1') : text;
}

function parseBody(raw: Buffer, contentType: string | undefined): unknown {
	if (raw.length === 0) return undefined;
	const text = raw.toString('utf8');
	const looksJson = /json/i.test(contentType ?? '') || /^\s*[[{]/.test(text);
	if (!looksJson) return text;
	try {
		return JSON.parse(quoteUnsafeIntegers(text)) as unknown;
	} catch {
		return text;
	}
}

/**
 * Sends one request and resolves with whatever status comes back; only transport failures
 * reject (NubraError `NUBRA_UNREACHABLE`, or the signal's reason when aborted).
 */
export function httpRequest(options: HttpRequestOptions): Promise<HttpResponse> {
	const url = typeof options.url === 'string' ? new URL(options.url) : options.url;
	const isHttps = url.protocol === 'https:';
	if (!isHttps && url.protocol !== 'http:') {
		return Promise.reject(
			new NubraError(
				NUBRA_ERROR_CODES.AUTH_CONFIG,
				`Unsupported protocol ${url.protocol} for ${url.host}`,
				{
					hint: 'The REST Base URL must start with http:// or https://.',
				},
			),
		);
	}
	const { signal } = options;
	if (signal?.aborted) return Promise.reject(abortReason(signal));

	const payload = options.body === undefined ? undefined : Buffer.from(stringifyJson(options.body));
	const headers: Record<string, string> = { accept: 'application/json', ...options.headers };
	if (payload !== undefined) {
		headers['content-type'] = 'application/json';
		headers['content-length'] = String(payload.length);
	}
	const timeoutMs = options.timeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;

	return new Promise<HttpResponse>((resolve, reject) => {
		let settled = false;
		const finish = (outcome: () => void) => {
			if (settled) return;
			settled = true;
			clearTimeout(timer);
			signal?.removeEventListener('abort', onAbort);
			outcome();
		};
		const request = (isHttps ? https : http).request(url, {
			method: options.method,
			headers,
			// No pooled keep-alive sockets: a login is a handful of requests minutes apart, and an
			// idle pooled socket would hold a test server (or n8n's shutdown) open.
			agent: false,
			...(isHttps ? { rejectUnauthorized: options.rejectUnauthorized !== false } : {}),
		});
		const fail = (error: unknown) =>
			finish(() =>
				reject(signal?.aborted ? abortReason(signal) : unreachableError(url, errorCode(error))),
			);
		const onAbort = () => {
			finish(() => reject(abortReason(signal as AbortSignal)));
			request.destroy();
		};
		const timer = setTimeout(() => {
			fail(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' }));
			request.destroy();
		}, timeoutMs);
		signal?.addEventListener('abort', onAbort, { once: true });

		request.on('error', fail);
		request.on('response', (response) => {
			const chunks: Buffer[] = [];
			let size = 0;
			response.on('data', (chunk: Buffer) => {
				size += chunk.length;
				if (size > MAX_RESPONSE_BYTES) {
					finish(() =>
						reject(
							new NubraError(
								NUBRA_ERROR_CODES.UNEXPECTED_RESPONSE,
								`${url.host} sent a response larger than ${MAX_RESPONSE_BYTES} bytes`,
								{
									httpStatus: response.statusCode,
									hint: 'Check that the REST Base URL points to the Nubra API.',
								},
							),
						),
					);
					request.destroy();
					return;
				}
				chunks.push(chunk);
			});
			response.on('error', fail);
			response.on('end', () =>
				finish(() =>
					resolve({
						status: response.statusCode ?? 0,
						headers: response.headers,
						body: parseBody(Buffer.concat(chunks), response.headers['content-type']),
					}),
				),
			);
		});
		request.end(payload);
	});
}
