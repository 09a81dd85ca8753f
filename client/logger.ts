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

/** Replaces every occurrence of the given secrets (tokens) in a text, for texts from elsewhere. */
export function redactSecrets(text: string, secrets: ReadonlyArray<string | undefined>): string {
	let out = text;
	for (const secret of secrets) {
		if (secret && secret.length >= 4) out = out.split(secret).join('[redacted]');
	}
	return out;
}
