/**
 * Type-level only (no test runs it): the bench's view of the e2e harness (`BenchHarness` in
 * bench/n8n.ts) must still fit the harness. `npx tsc -p tsconfig.test.json` fails here when
 * the harness changes under the bench, rather than `npm run bench -- --n8n` at run time.
 */
import type { BenchHarness } from '../../bench/n8n';
import * as harness from '../e2e/harness';

export const benchHarnessFits: BenchHarness = harness;
