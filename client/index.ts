/**
 * The framework-free Nubra client: decode frames, log in, stream order updates, filter and
 * shape them. Nothing here depends on n8n.
 */
export { decodeFrame, decodeFrameDetailed, FrameDecoder, typeUrlSuffix } from './codec';
export type { DecodedFrame, DecodeOptions } from './codec';
export { NubraAuthClient } from './auth';
export type { NubraSession, NubraUserInfo } from './auth';
export { flattenSentinelOrders, parseSentinelOrders, SENTINEL_BUCKETS } from './sentinel';
export type {
	SentinelBucket,
	SentinelInt64,
	SentinelLeg,
	SentinelOrderRow,
	SentinelOrders,
	SentinelOrdersQuery,
	SentinelRefData,
} from './sentinel';
export {
	credentialsFromRecord,
	resolveEndpoints,
	validateCredentials,
	NUBRA_ENVIRONMENTS,
	DEFAULT_DEVICE_ID,
	ORDER_SERVICE_SOCKET_PATH,
	USER_SOCKET_PATH,
} from './credentials';
export type { NubraCredentials, NubraEnvironment, NubraAuthentication } from './credentials';
export { createNubraStream } from './connect';
export { NubraAccounts, nubraAccounts } from './accounts';
export type { NubraAccount, AccountRegistryOptions } from './accounts';
export type { SessionStore } from './auth';
export type { ConnectOptions } from './connect';
export { NubraStream, OrderSubscription, AccountConnection } from './stream';
export type {
	ConnectionSettings,
	SubscriptionSettings,
	DeliveredEvent,
	NubraStreamOptions,
	OverflowPolicy,
	SocketChoice,
	StreamAuth,
	StreamStats,
	StreamStatus,
} from './stream';
export { compileEventFilter, compileTextMatch } from './filter';
export type { EventFilterOptions, MatchMode, TextMatch } from './filter';
export { shapeEventItem, shapeConnectionItem } from './shape';
export type { ItemShapeOptions, ShapedItem } from './shape';
export { OrderStateTracker, stateKey, orderKey, type OrderKey } from './tracker';
export type { TrackerSnapshot } from './tracker';
export { NubraError, NubraDecodeError, NUBRA_ERROR_CODES, isNubraError } from './errors';
export type { NubraErrorCode } from './errors';
export { totp, verifyTotp, hotp, decodeBase32 } from './totp';
export { backoffDelay } from './backoff';
export { NUBRA_STATUSES, FINAL_STATUSES } from './types';
export type {
	Int64,
	NubraApiVersion,
	NubraEvent,
	NubraEventKind,
	NubraLeg,
	NubraRequest,
	NubraStatus,
} from './types';
export type { NubraLogger } from './logger';
