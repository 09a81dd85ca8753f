import type { NubraCredentials } from '../../client/credentials';
import { simulatorCredentialFields, type RunningSimulator } from '../../simulator';

/** A credential as a plain object type, so it also fits n8n's decrypted-credential type. */
export type CredentialFields = { [K in keyof NubraCredentials]: NubraCredentials[K] };

/**
 * The one credential the tests log in to a simulator with: its own TOTP login in a Custom
 * environment. `overrides` change single fields (a wrong MPIN, a relay's REST base URL).
 */
export function simulatorCredentials(
	sim: Pick<RunningSimulator, 'restUrl' | 'credentials'>,
	overrides: Partial<NubraCredentials> = {},
): CredentialFields {
	return { ...simulatorCredentialFields(sim), ...overrides };
}
