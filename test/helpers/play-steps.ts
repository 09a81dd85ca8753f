import type { ScenarioStep, SimulatorControl } from '../../simulator';

/**
 * Plays scenario steps one by one, yielding between them as `control.play` does; `ids` keeps
 * scenario keys → order ids, so a scenario can be played in several calls (play() forgets them).
 */
export async function playSteps(
	control: SimulatorControl,
	steps: readonly ScenarioStep[],
	ids = new Map<string, string>(),
): Promise<void> {
	for (const step of steps) {
		if (step.op === 'place') {
			ids.set(step.key, control.placeOrder(step.spec).id);
			continue;
		}
		control.applyStep(ids.get(step.key) ?? step.key, step.step);
		await new Promise<void>((resolve) => setImmediate(resolve));
	}
}
