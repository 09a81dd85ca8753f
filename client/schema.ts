import * as path from 'node:path';
import * as protobuf from 'protobufjs';

/**
 * The one place that loads the wire schema. The `.proto` files under `proto/` are the single
 * source of truth; the decoder and the simulator's encoder both get their types from here.
 * From `client/` (ts-jest) and from `dist/client/` (built) the schema is at `../proto`.
 */
const PROTO_ROOT = path.resolve(__dirname, '..', 'proto');

export const PROTO_FILES = ['nubra/oms.proto', 'nubra/nubrafrontend.proto', 'nubra/intent.proto'];

/** Full names of the three order-update messages and of the portfolio message. */
export const MESSAGE_NAMES = {
	v1: 'protos.zanskarsecurities.nubrafrontend.Order',
	v2: 'protos.zanskarsecurities.nubrafrontend.Executions',
	v3: 'nubra.trading.v3.NubraToClientIntentUpdate',
} as const;

/** Type-URL suffixes the decoder routes on (after the last `/` or `.`). */
export const TYPE_SUFFIXES = {
	v1: 'Order',
	v2: 'Executions',
	v3: 'NubraToClientIntentUpdate',
	portfolio: 'PortfolioResponse',
} as const;

export interface NubraSchema {
	root: protobuf.Root;
	any: protobuf.Type;
	order: protobuf.Type;
	executions: protobuf.Type;
	intentUpdate: protobuf.Type;
}

let cached: NubraSchema | undefined;

export function loadNubraSchema(): NubraSchema {
	if (cached) return cached;
	const root = new protobuf.Root();
	root.resolvePath = (_origin, target) =>
		target.startsWith('google/') ? target : path.join(PROTO_ROOT, target);
	root.loadSync(PROTO_FILES, { keepCase: true });
	root.loadSync('google/protobuf/any.proto', { keepCase: true });
	root.resolveAll();
	cached = {
		root,
		any: root.lookupType('google.protobuf.Any'),
		order: root.lookupType(MESSAGE_NAMES.v1),
		executions: root.lookupType(MESSAGE_NAMES.v2),
		intentUpdate: root.lookupType(MESSAGE_NAMES.v3),
	};
	return cached;
}
