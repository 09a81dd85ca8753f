import { OrderBook, type OrderChange } from '../simulator/book';
import { encodeChange } from '../simulator/encode';
import { generateScenario } from '../simulator/scenario';
import type { NubraApiVersion } from '../simulator/types';

/** The frames of one generation, each already wrapped in a websocket frame header. */
export interface FrameSet {
	version: NubraApiVersion;
	/** Protobuf payloads, as the order socket carries them. */
	payloads: Buffer[];
	/** Server→client websocket frames (unmasked binary), ready to write to a TCP socket. */
	wire: Buffer[];
	orders: number;
	payloadBytes: number;
}

/**
 * Order state changes of seeded scenarios, played on a private order book until `count`
 * changes exist. The same seed gives the same changes, so every generation and every client
 * of one bench run sees the same order flow.
 */
export function scenarioChanges(options: { seed: number; count: number }): {
	changes: OrderChange[];
	orders: number;
} {
	const book = new OrderBook(false);
	const changes: OrderChange[] = [];
	let orders = 0;
	// Each round plays a fresh scenario; 1 000 orders give about 3 500 changes.
	for (let round = 0; changes.length < options.count && round < 10_000; round++) {
		const ids = new Map<string, string>();
		for (const step of generateScenario({ seed: options.seed + round, orders: 1_000 })) {
			if (step.op === 'place') {
				ids.set(step.key, book.place(step.spec).id);
				orders++;
				continue;
			}
			changes.push(book.apply(ids.get(step.key) ?? step.key, step.step));
			if (changes.length >= options.count) break;
		}
	}
	return { changes, orders };
}

/** One websocket frame as a server sends it (RFC 6455 §5.2): FIN + binary opcode, no mask. */
export function wsBinaryFrame(payload: Buffer): Buffer {
	const length = payload.length;
	const headerLength = length < 126 ? 2 : length < 65_536 ? 4 : 10;
	const frame = Buffer.allocUnsafe(headerLength + length);
	frame[0] = 0x82;
	if (length < 126) {
		frame[1] = length;
	} else if (length < 65_536) {
		frame[1] = 126;
		frame.writeUInt16BE(length, 2);
	} else {
		frame[1] = 127;
		frame.writeBigUInt64BE(BigInt(length), 2);
	}
	payload.copy(frame, headerLength);
	return frame;
}

/** Encodes the changes for one generation with the simulator's own encoder. */
export function encodeFrames(
	changes: readonly OrderChange[],
	orders: number,
	version: NubraApiVersion,
): FrameSet {
	const payloads: Buffer[] = [];
	const wire: Buffer[] = [];
	let payloadBytes = 0;
	for (const change of changes) {
		const bytes = encodeChange(change, version);
		const payload = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
		payloads.push(payload);
		wire.push(wsBinaryFrame(payload));
		payloadBytes += payload.length;
	}
	return { version, payloads, wire, orders, payloadBytes };
}
