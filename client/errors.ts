/**
 * Every error the client raises is a NubraError with a stable `code` (listed in the README,
 * "Error codes") and a `hint` that tells a user what to do. Messages never carry a token,
 * MPIN or TOTP secret: build them from the constants below, not from request data.
 */
export const NUBRA_ERROR_CODES = {
	/** Bytes that are not a valid order-update frame. */
	DECODE_MALFORMED: 'NUBRA_DECODE_MALFORMED',
	/** A frame above the configured maximum size. */
	FRAME_TOO_LARGE: 'NUBRA_FRAME_TOO_LARGE',
	/** The credential is incomplete or contradictory. */
	AUTH_CONFIG: 'NUBRA_AUTH_CONFIG',
	/** The phone number is unknown or the TOTP code was refused. */
	AUTH_TOTP_REJECTED: 'NUBRA_AUTH_TOTP_REJECTED',
	/** The MPIN was refused. */
	AUTH_MPIN_REJECTED: 'NUBRA_AUTH_MPIN_REJECTED',
	/** HTTP 440/401, or `Invalid Token` on the socket: the session is over. */
	AUTH_SESSION_EXPIRED: 'NUBRA_AUTH_SESSION_EXPIRED',
	/** The REST host could not be reached (DNS, refused, TLS, timeout). */
	UNREACHABLE: 'NUBRA_UNREACHABLE',
	/** Nubra answered with an unexpected status or body. */
	UNEXPECTED_RESPONSE: 'NUBRA_UNEXPECTED_RESPONSE',
	/** The stream could not be restored within the reconnect limit. */
	STREAM_GAVE_UP: 'NUBRA_STREAM_GAVE_UP',
	/** The server sent a text frame that reports an error. */
	SERVER_ERROR_MESSAGE: 'NUBRA_SERVER_ERROR_MESSAGE',
	/** A filter the user configured cannot work (an invalid regular expression, …). */
	INVALID_FILTER: 'NUBRA_INVALID_FILTER',
	/** Events arrived faster than they were consumed and the queue policy dropped some. */
	QUEUE_OVERFLOW: 'NUBRA_QUEUE_OVERFLOW',
	/** An order or request that breaks a rule (tick, lot, validity…); found before any request. */
	INVALID_ORDER: 'NUBRA_INVALID_ORDER',
	/** A `ref_id` or search that today's instrument master does not contain. */
	UNKNOWN_INSTRUMENT: 'NUBRA_UNKNOWN_INSTRUMENT',
	/** Nubra refused a trading request (HTTP 400 and the like) and said why. */
	REQUEST_REFUSED: 'NUBRA_REQUEST_REFUSED',
	/** Nubra kept answering 429 after the client waited and retried. */
	RATE_LIMITED: 'NUBRA_RATE_LIMITED',
	/** Another client keeps logging in to the account, ending this session again and again. */
	SESSION_CONTESTED: 'NUBRA_SESSION_CONTESTED',
} as const;

export type NubraErrorCode = (typeof NUBRA_ERROR_CODES)[keyof typeof NUBRA_ERROR_CODES];

export interface NubraErrorOptions {
	/** What the user should do about it, in plain words. */
	hint?: string;
	/** HTTP status, where one was involved. */
	httpStatus?: number;
	cause?: unknown;
}

export class NubraError extends Error {
	readonly code: NubraErrorCode;
	readonly hint: string | undefined;
	readonly httpStatus: number | undefined;

	constructor(code: NubraErrorCode, message: string, options: NubraErrorOptions = {}) {
		super(message, options.cause === undefined ? undefined : { cause: options.cause });
		this.name = 'NubraError';
		this.code = code;
		this.hint = options.hint;
		this.httpStatus = options.httpStatus;
	}
}

/** Thrown by `decodeFrame` for bytes that cannot be an order-update frame. */
export class NubraDecodeError extends NubraError {
	constructor(message: string, options: NubraErrorOptions = {}) {
		super(NUBRA_ERROR_CODES.DECODE_MALFORMED, message, options);
		this.name = 'NubraDecodeError';
	}
}

export function isNubraError(error: unknown): error is NubraError {
	return error instanceof NubraError;
}

/** The message of anything thrown, for logs and statuses (redact it before quoting it). */
export function describeError(error: unknown): string {
	return error instanceof Error ? error.message : String(error);
}
