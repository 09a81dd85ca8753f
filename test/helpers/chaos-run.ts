import { createNubraStream } from '../../client/connect';
import { NUBRA_ERROR_CODES } from '../../client/errors';
import { NubraAccounts } from '../../client/accounts';
import type { DeliveredEvent, OrderSubscription, StreamStatus } from '../../client/stream';
import { OrderStateTracker } from '../../client/tracker';
import type { RequestInfo, RunningSimulator, SimulatorControl } from '../../simulator';
import { faultReconnects, type ChaosFault, type ChaosPlan } from './chaos-plan';
import { playSteps } from './play-steps';
import { RecordingLogger } from './recording-logger';
import { simulatorCredentials } from './simulator-credentials';
import { waitFor } from './wait';

/** How long one fault may take to show up and heal (reconnects back off 50-200 ms). */
export const FAULT_DEADLINE_MS = 10_000;
export const CHAOS_MAX_ORDERS = 5_000;

const LOGIN_PATHS = new Set(['/totp/login', '/verifypin', '/sendphoneotp', '/verifyphoneotp']);

function inject(control: SimulatorControl, fault: ChaosFault): void {
	switch (fault.kind) {
		case 'drop':
			return control.dropAfter(fault.afterFrames);
		case 'half-open':
			return control.halfOpen();
		case 'invalid-token':
			return control.sendInvalidToken();
		case 'session-expiry':
			control.expireSessions();
			return control.dropAfter(0);
		case 'malformed':
			return control.sendMalformed(fault.variant);
		case 'corrupt':
			return control.corruptNext(fault.frames);
		case 'server-error-text':
			return control.sendMalformed('text-error');
		case 'oversize':
			return control.sendMalformed('oversize');
		case 'refuse':
			control.refuseConnections(fault.count);
			return control.dropAfter(0);
	}
}

type Disconnected = Extract<StreamStatus, { state: 'disconnected' }>;
type Warning = Extract<StreamStatus, { state: 'warning' }>;

/**
 * What each fault must look like to someone reading the statuses (or, for a session expiry,
 * the REST log: the stream logs in again). `since` holds the statuses after the injection.
 */
export function faultShowedUp(
	fault: ChaosFault,
	since: readonly StreamStatus[],
	requests: readonly RequestInfo[],
): boolean {
	const disconnects = since.filter((s): s is Disconnected => s.state === 'disconnected');
	const warnings = since.filter((s): s is Warning => s.state === 'warning');
	switch (fault.kind) {
		case 'drop':
			return disconnects.some((s) => /closed the connection/.test(s.reason));
		case 'half-open':
			return disconnects.some((s) => /half-open/.test(s.reason));
		case 'invalid-token':
			return disconnects.some(
				(s) => s.code === NUBRA_ERROR_CODES.AUTH_SESSION_EXPIRED && /Invalid Token/.test(s.reason),
			);
		case 'session-expiry':
			return (
				disconnects.length > 0 && requests.some((r) => LOGIN_PATHS.has(r.path) && r.status === 200)
			);
		case 'malformed':
		case 'corrupt':
			return warnings.some((s) => s.code === NUBRA_ERROR_CODES.DECODE_MALFORMED);
		case 'server-error-text':
			return warnings.some((s) => s.code === NUBRA_ERROR_CODES.SERVER_ERROR_MESSAGE);
		case 'oversize':
			return (
				warnings.some((s) => s.code === NUBRA_ERROR_CODES.FRAME_TOO_LARGE) &&
				disconnects.some((s) => s.code === NUBRA_ERROR_CODES.FRAME_TOO_LARGE)
			);
		case 'refuse':
			return disconnects.filter((s) => /503/.test(s.reason)).length >= fault.count;
	}
}

/** One consumer of the account's feed, with what it received. */
export interface ChaosSubscriber {
	events: DeliveredEvent[];
	statuses: StreamStatus[];
	tracker: OrderStateTracker;
	stream: OrderSubscription;
}

export interface ChaosOutcome {
	/** The first subscriber's, whose statuses decide whether a fault showed up. */
	events: DeliveredEvent[];
	statuses: StreamStatus[];
	logger: RecordingLogger;
	/** Per segment: whether its fault showed up as expected. */
	faultsSeen: Array<{ segment: number; fault: ChaosFault; seen: boolean }>;
	trackerSize: number;
	stream: OrderSubscription;
	/** Every subscriber on the shared account feed, the first one included. */
	subscribers: ChaosSubscriber[];
	/** Full logins the account cost during the run. */
	logins: number;
}

/** Triggers on one account: they share its login and socket, each with its own memory. */
export const CHAOS_SUBSCRIBERS = 3;

/**
 * Runs a plan against a running simulator: a stream with fast heartbeats and backoff, each
 * segment's generation set before its fault (so it applies from the next subscription), each
 * fault awaited until it shows and, if it cut the connection, until the stream is back.
 * Leaves the stream open: the caller closes it.
 */
export async function runChaos(sim: RunningSimulator, plan: ChaosPlan): Promise<ChaosOutcome> {
	const { control } = sim;
	const requests: RequestInfo[] = [];
	const logger = new RecordingLogger();
	const accounts = new NubraAccounts();
	const loginsBefore = control.sessionCounts.logins;
	const stopRequests = control.on('request', (request) => requests.push(request));
	const subscribers: ChaosSubscriber[] = [];
	for (let i = 0; i < CHAOS_SUBSCRIBERS; i++) {
		const tracker = new OrderStateTracker({ maxOrders: CHAOS_MAX_ORDERS });
		const stream = await createNubraStream({
			credentials: () => simulatorCredentials(sim),
			accounts,
			heartbeatIntervalMs: 200,
			heartbeatTimeoutMs: 200,
			reconnectInitialDelayMs: 50,
			reconnectMaxDelayMs: 200,
			maxReconnectAttempts: 0,
			// The fault plan ends the session on purpose, many times: no slowing down here.
			sessionReplacedMaxDelayMs: 200,
			tracker,
			logger,
		});
		const subscriber: ChaosSubscriber = { events: [], statuses: [], tracker, stream };
		stream
			.onEvent((e) => {
				subscriber.events.push(e);
			})
			.onStatus((s) => {
				subscriber.statuses.push(s);
			});
		subscribers.push(subscriber);
	}
	const [{ stream, events, statuses, tracker }] = subscribers;
	const faultsSeen: ChaosOutcome['faultsSeen'] = [];
	try {
		for (const subscriber of subscribers) await subscriber.stream.start();
		await control.waitForSubscribers(1, FAULT_DEADLINE_MS);
		const ids = new Map<string, string>();
		for (const [index, segment] of plan.segments.entries()) {
			control.setApiVersion(segment.version);
			await playSteps(control, segment.steps.slice(0, segment.faultAt), ids);
			const statusMark = statuses.length;
			const requestMark = requests.length;
			const connectedBefore = statuses.filter((s) => s.state === 'connected').length;
			inject(control, segment.fault);
			// The rest of the segment happens at once: for a reconnecting fault, mostly while down.
			await playSteps(control, segment.steps.slice(segment.faultAt), ids);
			let seen = true;
			await waitFor(
				() => faultShowedUp(segment.fault, statuses.slice(statusMark), requests.slice(requestMark)),
				FAULT_DEADLINE_MS,
				`segment #${index}: ${segment.fault.kind} to show in the statuses`,
			).catch(() => {
				seen = false;
			});
			faultsSeen.push({ segment: index, fault: segment.fault, seen });
			if (faultReconnects(segment.fault)) {
				await waitFor(
					() =>
						statuses.filter((s) => s.state === 'connected').length > connectedBefore &&
						control.subscriberCount >= 1,
					FAULT_DEADLINE_MS,
					`segment #${index}: the stream to reconnect after ${segment.fault.kind}`,
				);
				control.heal();
			}
		}
	} finally {
		stopRequests();
	}
	return {
		events,
		statuses,
		logger,
		faultsSeen,
		trackerSize: tracker.size,
		stream,
		subscribers,
		logins: control.sessionCounts.logins - loginsBefore,
	};
}
