/**
 * The README quotes wire names (enum values, prefixes such as `ORDER_STATUS_*`) and error codes.
 * Each must exist as written in the `.proto` files or the client, so a rename cannot leave the
 * documentation behind.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as protobuf from 'protobufjs';

import { NUBRA_ERROR_CODES } from '../../client/errors';
import { loadNubraSchema } from '../../client/schema';
import { NUBRA_STATUSES } from '../../client/types';

const README = readFileSync(join(__dirname, '..', '..', 'README.md'), 'utf8');

function enumValueNames(namespace: protobuf.NamespaceBase): string[] {
	return namespace.nestedArray.flatMap((nested) => {
		if (nested instanceof protobuf.Enum) return Object.keys(nested.values);
		return nested instanceof protobuf.Namespace ? enumValueNames(nested) : [];
	});
}

/** n8n's own environment variables, which the queue-mode section quotes: not wire names. */
const N8N_SETTING = /^(N8N|DB|QUEUE|EXECUTIONS|OFFLOAD)_/;

/** Upper-case names with underscores, in backticks or JSON strings: `ORDER_SIDE_BUY`, `PRICE_TYPE_*`. */
function quotedNames(text: string): string[] {
	const names = [...text.matchAll(/[`"]([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+(?:_\*)?)[`"]/g)].map(
		(match) => match[1],
	);
	return [...new Set(names)].filter((name) => !N8N_SETTING.test(name)).sort();
}

describe('names quoted in the README', () => {
	const enumNames = enumValueNames(loadNubraSchema().root);
	const errorCodes: string[] = Object.values(NUBRA_ERROR_CODES);
	const statuses: readonly string[] = NUBRA_STATUSES;

	function known(name: string): boolean {
		if (name.endsWith('_*')) return enumNames.some((value) => value.startsWith(name.slice(0, -1)));
		return (
			enumNames.includes(name) ||
			errorCodes.includes(name) ||
			statuses.includes(name) ||
			// Prose shortens a long name to its end, as in `EXIT_SL_TRIGGERED`.
			enumNames.some((value) => value.endsWith(`_${name}`))
		);
	}

	it('finds the names it is meant to check', () => {
		expect(quotedNames(README)).toEqual(
			expect.arrayContaining([
				'EXECUTION_SATUS_REJECTED',
				'EXCUTION_TYPE_CLOSE',
				'ORDER_STATUS_*',
				'NUBRA_AUTH_CONFIG',
			]),
		);
	});

	it('each exists as written in the .proto files, the error codes or the unified statuses', () => {
		expect(quotedNames(README).filter((name) => !known(name))).toEqual([]);
	});

	it('an old spelling would be caught', () => {
		expect(
			['EXECUTION_STATUS_REJECTED', 'OPTION_TYPE_CALL', 'EXECUTION_TYPE_CLOSE'].filter(
				(name) => !known(name),
			),
		).toEqual(['EXECUTION_STATUS_REJECTED', 'OPTION_TYPE_CALL', 'EXECUTION_TYPE_CLOSE']);
	});
});
