import { backoffDelay } from '../../client/backoff';

/** The stream's defaults: 1 s first delay, 30 s cap. */
const DEFAULTS = { initialDelayMs: 1_000, maxDelayMs: 30_000 };
const low = () => 0;
const high = () => 0.999_999;

describe('backoffDelay', () => {
	it('starts at 1 s and doubles each attempt (upper end of the jitter)', () => {
		const ceilings = [1, 2, 3, 4, 5, 6].map((attempt) => backoffDelay(attempt, DEFAULTS, high));
		expect(ceilings).toEqual([1_000, 2_000, 4_000, 8_000, 16_000, 30_000]);
	});

	it('never goes below half the step (lower end of the jitter), so a retry never fires at once', () => {
		const floors = [1, 2, 3, 4, 5, 6].map((attempt) => backoffDelay(attempt, DEFAULTS, low));
		expect(floors).toEqual([500, 1_000, 2_000, 4_000, 8_000, 15_000]);
	});

	it('is capped at 30 s however many attempts failed, without overflowing', () => {
		for (const attempt of [6, 7, 20, 31, 1_000, Number.MAX_SAFE_INTEGER]) {
			const delay = backoffDelay(attempt, DEFAULTS, high);
			expect(delay).toBe(30_000);
			expect(backoffDelay(attempt, DEFAULTS, low)).toBe(15_000);
		}
	});

	it.each([0, -1, -100])('treats attempt %i like the first', (attempt) => {
		expect(backoffDelay(attempt, DEFAULTS, high)).toBe(1_000);
	});

	it('spreads delays across the jitter range with the injected random source', () => {
		const draws = [0, 0.25, 0.5, 0.75];
		let i = 0;
		const random = () => draws[i++];
		expect(draws.map(() => backoffDelay(3, DEFAULTS, random))).toEqual([
			2_000, 2_500, 3_000, 3_500,
		]);
	});

	it('stays inside [step/2, step] for random draws', () => {
		let seed = 7;
		const random = () => {
			seed = (seed * 16_807) % 2_147_483_647;
			return (seed - 1) / 2_147_483_646;
		};
		for (let attempt = 1; attempt <= 12; attempt++) {
			const step = Math.min(30_000, 1_000 * 2 ** (attempt - 1));
			for (let n = 0; n < 50; n++) {
				const delay = backoffDelay(attempt, DEFAULTS, random);
				expect(delay).toBeGreaterThanOrEqual(step / 2);
				expect(delay).toBeLessThanOrEqual(step);
			}
		}
	});

	it('honours other bounds (the fast timings of the integration tests)', () => {
		const fast = { initialDelayMs: 50, maxDelayMs: 200 };
		expect([1, 2, 3, 4].map((attempt) => backoffDelay(attempt, fast, high))).toEqual([
			50, 100, 200, 200,
		]);
	});

	it('uses Math.random when no source is given', () => {
		const delay = backoffDelay(1, DEFAULTS);
		expect(delay).toBeGreaterThanOrEqual(500);
		expect(delay).toBeLessThanOrEqual(1_000);
	});
});
