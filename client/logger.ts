/** The logging surface the client needs; n8n's `this.logger` fits it as is. */
export interface NubraLogger {
	debug(message: string, meta?: Record<string, unknown>): void;
	info(message: string, meta?: Record<string, unknown>): void;
	warn(message: string, meta?: Record<string, unknown>): void;
	error(message: string, meta?: Record<string, unknown>): void;
}

export const silentLogger: NubraLogger = {
	debug: () => undefined,
	info: () => undefined,
	warn: () => undefined,
	error: () => undefined,
};

/** A URL fit for a log line: no query (the order-service socket carries `?token=`), no userinfo. */
export function redactUrl(url: string): string {
	try {
		const parsed = new URL(url);
		parsed.username = '';
		parsed.password = '';
		const hadQuery = parsed.search !== '';
		parsed.search = '';
		parsed.hash = '';
		return hadQuery ? `${parsed.toString()}?…` : parsed.toString();
	} catch {
		return '<invalid URL>';
	}
}

/** Shapes that look like credentials, removed from any text a server sends back. */
const TOKEN_LIKE: RegExp[] = [
	/(bearer\s+)\S+/gi,
	/eyJ[\w-]+\.[\w-]+\.[\w-]*/g,
	/\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/gi,
	/[A-Za-z0-9_+/=.-]{24,}/g,
];

const SERVER_TEXT_MAX_LENGTH = 200;

export interface RedactOptions {
	/**
	 * The text was written by a server (Nubra's `error`, an exception's message): markup is
	 * dropped, whitespace collapsed, anything token-shaped replaced too, and the length capped.
	 */
	fromServer?: boolean;
}

/**
 * The one redaction: every occurrence of the given secrets (tokens, MPIN, TOTP secret; four
 * characters or more) becomes `[redacted]`, so the text can go into a log line or an error.
 */
export function redactSecrets(
	text: string,
	secrets: ReadonlyArray<string | undefined>,
	options: RedactOptions = {},
): string {
	let out = options.fromServer
		? text
				.replace(/<[^>]*>/g, ' ')
				.replace(/\s+/g, ' ')
				.trim()
		: text;
	for (const secret of secrets) {
		if (secret && secret.length >= 4) out = out.split(secret).join('[redacted]');
	}
	if (!options.fromServer) return out;
	for (const pattern of TOKEN_LIKE) {
		out = out.replace(pattern, (_match, prefix: unknown) =>
			typeof prefix === 'string' ? `${prefix}[redacted]` : '[redacted]',
		);
	}
	return out.length > SERVER_TEXT_MAX_LENGTH
		? `${out.slice(0, SERVER_TEXT_MAX_LENGTH - 3)}...`
		: out;
}
