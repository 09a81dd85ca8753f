/**
 * `node dist-tools/bench/profile-top.js <dir-or-file.cpuprofile> [count]`: the functions with the
 * most self time in a V8 CPU profile (as written by `node --cpu-prof`), and how much of the
 * total each took. With a directory, reads its newest `.cpuprofile`.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

interface ProfileNode {
	id: number;
	callFrame: { functionName: string; url: string; lineNumber: number };
	children?: number[];
}

interface CpuProfile {
	nodes: ProfileNode[];
	samples: number[];
}

function newestProfile(path: string): string {
	if (!statSync(path).isDirectory()) return path;
	const files = readdirSync(path)
		.filter((file) => file.endsWith('.cpuprofile'))
		.map((file) => join(path, file))
		.sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs);
	if (files.length === 0) throw new Error(`No .cpuprofile in ${path}`);
	return files[0];
}

function frameName(node: ProfileNode): string {
	const { functionName, url, lineNumber } = node.callFrame;
	const where =
		url === ''
			? ''
			: ` ${url
					.replace(/^file:\/\//, '')
					.split('/')
					.slice(-3)
					.join('/')}:${lineNumber + 1}`;
	return `${functionName || '(anonymous)'}${where}`;
}

export function topFrames(
	profile: CpuProfile,
	count: number,
): Array<{ frame: string; share: number }> {
	const byId = new Map(profile.nodes.map((node) => [node.id, node]));
	const self = new Map<string, number>();
	for (const id of profile.samples) {
		const node = byId.get(id);
		if (!node) continue;
		const name = frameName(node);
		self.set(name, (self.get(name) ?? 0) + 1);
	}
	const total = profile.samples.length || 1;
	return [...self.entries()]
		.sort((a, b) => b[1] - a[1])
		.slice(0, count)
		.map(([frame, samples]) => ({ frame, share: samples / total }));
}

if (require.main === module) {
	const [target = '.n8n-run/prof', count = '25'] = process.argv.slice(2);
	const file = newestProfile(target);
	const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
	process.stdout.write(`${file}: ${profile.samples.length} samples\n`);
	for (const { frame, share } of topFrames(profile, Number(count))) {
		process.stdout.write(`${(share * 100).toFixed(1).padStart(5)} %  ${frame}\n`);
	}
}
