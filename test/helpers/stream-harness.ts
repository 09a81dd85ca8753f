import { createNubraStream, type ConnectOptions } from '../../client/connect';
import type { DeliveredEvent, NubraStream, StreamStatus } from '../../client/stream';
import type { RequestInfo, RunningSimulator } from '../../simulator';
import { RecordingLogger } from './recording-logger';
import { simulatorCredentials } from './simulator-credentials';
import { waitFor } from './wait';

/**
 * A stream wired to a running simulator that records every event and status it emits, for the
 * stream integration tests.
 */

/** The order ids of the events that came from a catch-up, sorted (one per recovered update). */
export function recoveredOrderIds(events: readonly DeliveredEvent[]): string[] {
	return events
		.filter((delivered) => delivered.recovered)
		.map((delivered) => String(delivered.event.order_id))
		.sort();
}

/** Small timings so each fault heals within a few hundred milliseconds. */
export const FAST_TIMINGS = {
	heartbeatIntervalMs: 200,
	heartbeatTimeoutMs: 200,
	handshakeTimeoutMs: 2_000,
	reconnectInitialDelayMs: 50,
	reconnectMaxDelayMs: 200,
} as const;

export interface StreamUnderTest {
	stream: NubraStream;
	events: DeliveredEvent[];
	statuses: StreamStatus[];
	logger: RecordingLogger;
	/** Statuses of one state, in order. */
	statusesOf<S extends StreamStatus['state']>(state: S): Extract<StreamStatus, { state: S }>[];
	/** The timestamp (performance.now) at which each status arrived, same index as `statuses`. */
	statusTimes: number[];
}

export interface HarnessOptions extends Partial<ConnectOptions> {
	/** Do not call start(): the test does (to catch its error). */
	noStart?: boolean;
}

/** Snapshot reads of a first connection: the baseline before subscribing, the catch-up after. */
const FIRST_CONNECTION_SNAPSHOTS = 2;

/**
 * A stream against the simulator with the fast timings, recording events and statuses.
 * Started and subscribed (the simulator has seen the subscription) unless `noStart`.
 */
export async function startStreamAgainst(
	sim: RunningSimulator,
	overrides: HarnessOptions = {},
): Promise<StreamUnderTest> {
	const { noStart, ...options } = overrides;
	const logger = new RecordingLogger();
	const stream = await createNubraStream({
		credentials: () => simulatorCredentials(sim),
		logger,
		...FAST_TIMINGS,
		...options,
	});
	const events: DeliveredEvent[] = [];
	const statuses: StreamStatus[] = [];
	const statusTimes: number[] = [];
	stream.onEvent((event) => {
		events.push(event);
	});
	stream.onStatus((status) => {
		statuses.push(status);
		statusTimes.push(performance.now());
	});
	const handle: StreamUnderTest = {
		stream,
		events,
		statuses,
		statusTimes,
		logger,
		statusesOf: <S extends StreamStatus['state']>(state: S) =>
			statuses.filter(
				(status): status is Extract<StreamStatus, { state: S }> => status.state === state,
			),
	};
	if (!noStart) {
		const before = sim.control.subscriberCount;
		// Faults injected while the first catch-up is still in flight would test that race
		// instead of the fault: wait until the simulator has answered both snapshot reads.
		let snapshots = 0;
		const stop = sim.control.on('request', (request) => {
			if (request.path === '/sentinel/orders' && request.status === 200) snapshots++;
		});
		try {
			await stream.start();
			await sim.control.waitForSubscribers(before + 1);
			if (options.catchUp !== false) {
				await waitFor(
					() => snapshots >= FIRST_CONNECTION_SNAPSHOTS,
					4_000,
					"the first connection's snapshot reads",
				);
			}
		} finally {
			stop();
		}
	}
	return handle;
}

/** Records the simulator's REST requests from now on. */
export function recordRequests(sim: RunningSimulator): {
	requests: RequestInfo[];
	stop: () => void;
} {
	const requests: RequestInfo[] = [];
	const stop = sim.control.on('request', (request) => {
		requests.push(request);
	});
	return { requests, stop };
}

/** `METHOD /path status` lines, for readable expectations. */
export function requestLines(requests: readonly RequestInfo[]): string[] {
	return requests.map((request) => `${request.method} ${request.path} ${request.status}`);
}

/** Resolves once the simulator's ledger is fully reflected in final states delivered to the stream. */
export function finalStatesDelivered(
	sim: RunningSimulator,
	events: readonly DeliveredEvent[],
): boolean {
	const finals = new Map<string, string>();
	for (const entry of sim.control.ledger) {
		finals.set(
			entry.orderId,
			`${entry.status}|${entry.filledQty}|${entry.orderQty}|${entry.orderPrice}`,
		);
	}
	const got = new Set<string>();
	for (const { event } of events) {
		const id = String(event.order_id);
		got.add(
			`${id}|${event.status}|${Number(event.filled_qty ?? 0)}|${Number(event.order_qty ?? 0)}|${Number(event.order_price ?? 0)}`,
		);
		if (event.event === 'basket') got.add(`${id}|${event.status}|basket`);
	}
	for (const [id, state] of finals) {
		const [status] = state.split('|');
		if (!got.has(`${id}|${state}`) && !got.has(`${id}|${status}|basket`)) return false;
	}
	return finals.size > 0;
}

/**
 * Runs `action` synchronously the moment the stream first reports `state` (from now on), so a
 * test can change orders while the stream is certainly between two connections.
 */
export function onFirstStatus(
	stream: NubraStream,
	state: StreamStatus['state'],
	action: (status: StreamStatus) => void,
): void {
	let done = false;
	stream.onStatus((status) => {
		if (done || status.state !== state) return;
		done = true;
		action(status);
	});
}

/** Places, accepts and fills `count` orders at once; returns their ids. */
export function fillOrdersNow(sim: RunningSimulator, count: number): string[] {
	const ids: string[] = [];
	for (let i = 0; i < count; i++) {
		const order = sim.control.placeOrder({ qty: 10 + i });
		sim.control.applyStep(order.id, { type: 'accept' });
		sim.control.applyStep(order.id, { type: 'fill' });
		ids.push(order.id);
	}
	return ids;
}
