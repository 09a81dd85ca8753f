/**
 * A local SMTP sink on 127.0.0.1 (the `smtp-server` package): plain SMTP, no TLS, no auth.
 * Every message is kept raw and decoded (headers, RFC 2047 subjects, quoted-printable or
 * base64 text bodies) well enough to assert on what n8n's Send Email node sent.
 */
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

import { waitFor } from '../../../tools/n8n-host';

export interface ReceivedMail {
	from: string;
	to: string[];
	subject: string;
	/** The text body (the text/plain part when the message is multipart). */
	text: string;
	headers: Record<string, string>;
	raw: string;
	at: number;
}

export interface SmtpSink {
	host: string;
	port: number;
	mails: ReceivedMail[];
	waitForCount(count: number, timeoutMs?: number): Promise<ReceivedMail[]>;
	close(): Promise<void>;
}

/** Decodes `=?charset?B|Q?...?=` encoded words (RFC 2047). */
export function decodeWords(value: string): string {
	return value
		.replace(/\?=\s+=\?/g, '?==?')
		.replace(
			/=\?([^?]+)\?([BbQq])\?([^?]*)\?=/g,
			(_match, _charset: string, encoding: string, text: string) => {
				if (encoding.toUpperCase() === 'B') return Buffer.from(text, 'base64').toString('utf8');
				const bytes = text
					.replace(/_/g, ' ')
					.replace(/=([0-9A-Fa-f]{2})/g, (_m, hex: string) => `%${hex}`);
				return decodeURIComponent(bytes.replace(/%(?![0-9A-Fa-f]{2})/g, '%25'));
			},
		);
}

function decodeQuotedPrintable(text: string): string {
	const joined = text.replace(/=\r?\n/g, '');
	const bytes: number[] = [];
	for (let i = 0; i < joined.length; i++) {
		const hex = joined.slice(i + 1, i + 3);
		if (joined[i] === '=' && /^[0-9A-Fa-f]{2}$/.test(hex)) {
			bytes.push(parseInt(hex, 16));
			i += 2;
		} else {
			bytes.push(...Buffer.from(joined[i], 'utf8'));
		}
	}
	return Buffer.from(bytes).toString('utf8');
}

function splitMessage(raw: string): { headers: Record<string, string>; body: string } {
	const boundary = raw.search(/\r?\n\r?\n/);
	const head = boundary === -1 ? raw : raw.slice(0, boundary);
	const body = boundary === -1 ? '' : raw.slice(boundary).replace(/^\r?\n\r?\n/, '');
	const headers: Record<string, string> = {};
	for (const line of head.replace(/\r?\n[ \t]+/g, ' ').split(/\r?\n/)) {
		const colon = line.indexOf(':');
		if (colon > 0)
			headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
	}
	return { headers, body };
}

function decodeBody(headers: Record<string, string>, body: string): string {
	const type = headers['content-type'] ?? 'text/plain';
	const multipart = /multipart\/[^;]+;.*boundary="?([^";]+)"?/i.exec(type);
	if (multipart) {
		const parts = body.split(`--${multipart[1]}`).slice(1, -1);
		const decoded = parts.map((part) => {
			const inner = splitMessage(part.replace(/^\r?\n/, ''));
			return {
				type: inner.headers['content-type'] ?? 'text/plain',
				text: decodeBody(inner.headers, inner.body),
			};
		});
		return (decoded.find((part) => part.type.startsWith('text/plain')) ?? decoded[0])?.text ?? '';
	}
	const encoding = (headers['content-transfer-encoding'] ?? '7bit').toLowerCase();
	if (encoding === 'quoted-printable') return decodeQuotedPrintable(body);
	if (encoding === 'base64')
		return Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
	return body;
}

export function parseMail(raw: string): Omit<ReceivedMail, 'from' | 'to' | 'at'> {
	const { headers, body } = splitMessage(raw);
	return {
		subject: decodeWords(headers.subject ?? ''),
		text: decodeBody(headers, body).replace(/\r\n/g, '\n'),
		headers,
		raw,
	};
}

export async function startSmtpSink(): Promise<SmtpSink> {
	const mails: ReceivedMail[] = [];
	const server = new SMTPServer({
		secure: false,
		authOptional: true,
		disabledCommands: ['STARTTLS', 'AUTH'],
		logger: false,
		onData(stream, session, callback) {
			const chunks: Buffer[] = [];
			stream.on('data', (chunk: Buffer) => chunks.push(chunk));
			stream.on('end', () => {
				const raw = Buffer.concat(chunks).toString('utf8');
				const envelope = session.envelope;
				mails.push({
					...parseMail(raw),
					from: envelope.mailFrom ? envelope.mailFrom.address : '',
					to: envelope.rcptTo.map((address) => address.address),
					at: Date.now(),
				});
				callback();
			});
		},
	});
	server.on('error', () => undefined);
	await new Promise<void>((resolve, reject) => {
		server.server.once('error', reject);
		server.listen(0, '127.0.0.1', () => resolve());
	});
	const { port } = server.server.address() as AddressInfo;
	return {
		host: '127.0.0.1',
		port,
		mails,
		waitForCount: async (count, timeoutMs = 60_000) =>
			await waitFor(() => (mails.length >= count ? mails : undefined), {
				timeoutMs,
				intervalMs: 100,
				description: `${count} mail(s) at the SMTP sink (have ${mails.length})`,
			}),
		close: () => new Promise<void>((resolve) => server.close(() => resolve())),
	};
}
