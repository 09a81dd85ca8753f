import type WebSocket from 'ws';

import { describeError } from '../errors';

export interface HeartbeatTiming {
	intervalMs: number;
	timeoutMs: number;
}

/**
 * Pings every interval; a ping whose pong does not come within the timeout means the
 * connection is half-open, so `onDead` ends it. Returns the function that stops the heartbeat.
 */
export function startHeartbeat(
	socket: WebSocket,
	timing: HeartbeatTiming,
	onPong: () => void,
	onDead: (reason: string) => void,
): () => void {
	let pongDeadline: NodeJS.Timeout | undefined;
	const armDeadline = () => {
		pongDeadline = setTimeout(() => {
			// While reading is paused for backpressure the pong may sit unread in the socket: a
			// paused socket is not half-open, so wait until reading resumes.
			if (socket.isPaused) return armDeadline();
			onDead(`no pong within ${timing.timeoutMs} ms of a ping: the connection is half-open`);
		}, timing.timeoutMs);
	};
	const interval = setInterval(() => {
		if (pongDeadline !== undefined) return;
		armDeadline();
		try {
			socket.ping();
		} catch (error) {
			onDead(`ping failed: ${describeError(error)}`);
		}
	}, timing.intervalMs);
	socket.on('pong', () => {
		clearTimeout(pongDeadline);
		pongDeadline = undefined;
		onPong();
	});
	return () => {
		clearInterval(interval);
		clearTimeout(pongDeadline);
	};
}
