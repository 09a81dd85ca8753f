import { NubraError } from '../../client/errors';

/** The NubraError a promise rejects with; anything else (or no rejection) fails the test. */
export async function nubraRejection(promise: Promise<unknown>): Promise<NubraError> {
	try {
		await promise;
	} catch (error) {
		if (error instanceof NubraError) return error;
		throw error;
	}
	throw new Error('expected a rejection with a NubraError');
}
