import type { BenchResult } from './run';
import { round } from './stats';

function table(headers: string[], rows: Array<Array<string | number>>): string[] {
	const cells = rows.map((row) => row.map(String));
	const widths = headers.map((header, i) =>
		Math.max(header.length, ...cells.map((row) => row[i]?.length ?? 0)),
	);
	const line = (row: string[]) => `| ${row.map((cell, i) => cell.padEnd(widths[i])).join(' | ')} |`;
	return [line(headers), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...cells.map(line)];
}

const goal = (ok: boolean) => (ok ? 'met' : 'MISSED');

/** The human-readable report: markdown tables, so it can be pasted into the README as is. */
export function printTable(result: BenchResult, print: (line: string) => void): void {
	const m = result.machine;
	print(`Machine: ${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB, Node ${m.node} (${m.platform})`);
	print(`Run: ${result.startedAt}, ${Math.round(result.durationMs / 1000)} s`);
	if (result.stages) {
		print('');
		print(
			'Per-frame cost of each stage alone, µs (best of 10 passes; shape: node defaults / rupees + metadata):',
		);
		for (const line of table(
			[
				'gen',
				'frames',
				'decode + normalise',
				'dedup (tracker)',
				'filter',
				'shape default',
				'shape all options',
			],
			result.stages.map((row) => [
				row.version,
				row.frames,
				row.decodeUs,
				row.trackUs,
				row.filterUs,
				row.shapeDefaultUs,
				row.shapeFullOptionsUs,
			]),
		))
			print(line);
	}
	if (result.snapshot) {
		const s = result.snapshot;
		print('');
		print(
			`Tracker snapshot at each emit (static data): ${s.snapshotMs} ms with ${s.ordersRemembered} orders remembered, ${s.baselineMs} ms with only the ${s.ordersWritten} it writes (${round(s.snapshotMs / s.baselineMs, 1)}×)`,
		);
	}
	if (result.throughput) {
		print('');
		print(
			'Throughput (socket → decode → normalise → dedup → filter → shapeEventItem), median of the repeats:',
		);
		for (const line of table(
			[
				'gen',
				'frames',
				'orders',
				'bytes/frame',
				'bare ws ev/s',
				'pipeline ev/s',
				'ratio',
				'ratio per repeat',
				'CPU µs/frame bare / pipeline',
				'feed CPU',
				'dups',
				'goal ≥ 0.2',
			],
			result.throughput.map((row) => [
				row.version,
				row.frames,
				row.orders,
				row.frameBytes,
				row.bareEventsPerSecond,
				row.pipelineEventsPerSecond,
				row.ratio.toFixed(3),
				`${row.ratioPerRepeat.min.toFixed(3)}–${row.ratioPerRepeat.max.toFixed(3)}`,
				`${row.bareCpuUsPerFrame} / ${row.pipelineCpuUsPerFrame}`,
				`${Math.round(row.feedCpuShare * 100)} %`,
				row.duplicatesSuppressed,
				goal(row.ratio >= 0.2),
			]),
		))
			print(line);
	}
	if (result.latency) {
		const l = result.latency;
		print('');
		print(`Latency at a steady ${l.ratePerSecond} events/s, ${l.frames} ${l.version} frames (ms):`);
		for (const line of table(
			['measure', 'p50', 'p99', 'max', 'goal'],
			[
				[
					'pipeline: frame read → handler',
					l.pipelineInProcess.p50,
					l.pipelineInProcess.p99,
					l.pipelineInProcess.max,
					`p99 < 1 ms ${goal(l.pipelineInProcess.p99 < 1)}`,
				],
				[
					'pipeline: feed write → handler',
					l.pipelineEndToEnd.p50,
					l.pipelineEndToEnd.p99,
					l.pipelineEndToEnd.max,
					'',
				],
				[
					'bare ws: feed write → callback',
					l.bareEndToEnd.p50,
					l.bareEndToEnd.p99,
					l.bareEndToEnd.max,
					'baseline',
				],
			],
		))
			print(line);
	}
	if (result.memory) {
		print('');
		print('Memory, MiB (before and after: after a full GC; peak: sampled every 20 ms):');
		for (const line of table(
			[
				'maxOrders',
				'events',
				'orders',
				'tracker size',
				'heap before',
				'heap peak',
				'heap after',
				'RSS before',
				'RSS peak',
				'RSS after',
				'ev/s',
			],
			result.memory.map((p) => [
				p.maxOrders,
				p.events,
				p.orders,
				`${p.trackerSize} ${p.trackerSize <= p.maxOrders ? '≤' : '>'} ${p.maxOrders}`,
				p.heapBefore,
				p.heapPeak,
				p.heapAfter,
				p.rssBefore,
				p.rssPeak,
				p.rssAfter,
				p.eventsPerSecond,
			]),
		))
			print(line);
	}
	if (result.accounts) {
		print('');
		print(
			'Triggers on one account (one credential): one login, one socket, each frame decoded once:',
		);
		for (const line of table(
			[
				'triggers',
				'frames',
				'sockets',
				'logins',
				'decodes/frame',
				'CPU µs/frame',
				'CPU µs/event',
				'CPU vs 1 trigger',
				'heap MiB',
			],
			result.accounts.map((row) => [
				row.triggers,
				row.frames,
				row.sockets,
				row.logins,
				row.decodesPerFrame,
				row.cpuPerFrameUs,
				row.cpuPerDeliveredEventUs,
				`${row.cpuRatioToOneTrigger.toFixed(2)} (× ${row.triggers} triggers)`,
				row.heapMiB,
			]),
		))
			print(line);
	}
	if (result.n8n) {
		print('');
		const n = result.n8n;
		if ('skipped' in n) {
			print(`n8n: skipped (${n.skipped})`);
		} else {
			print(
				`Real ${n.n8nVersion}: a burst of ${n.events} events into an active workflow, regular and queue mode:`,
			);
			for (const line of table(
				[
					'trigger',
					'events sent',
					'executions',
					'lost',
					'doubled',
					'failed',
					'drain s',
					'executions/s',
					'events/s',
				],
				n.rows.map((row) => [
					row.trigger,
					row.sent,
					row.executions,
					row.lost,
					row.doubled,
					row.failed,
					(row.drainMs / 1000).toFixed(1),
					row.executionsPerSecond.toFixed(1),
					row.eventsPerSecond.toFixed(1),
				]),
			))
				print(line);
			const ratio =
				n.webhook.executionsPerSecond > 0
					? n.batched.eventsPerSecond / n.webhook.executionsPerSecond
					: 0;
			print(`  Batched events/s ÷ Webhook executions/s: ${ratio.toFixed(1)}×`);
			print('');
			print(
				`The same burst into a destination that accepts ${n.rateLimited.limitPerMinute} requests a minute (429 beyond):`,
			);
			for (const line of table(
				[
					'trigger',
					'events',
					'executions',
					'requests ok',
					'requests 429',
					'rows written',
					'rows lost',
					'delay median s',
					'delay max s',
				],
				n.rateLimited.rows.map((row) => [
					row.trigger,
					row.events,
					row.executions,
					row.requestsAccepted,
					row.requestsRefused,
					row.rowsWritten,
					row.rowsLost,
					(row.delayMedianMs / 1000).toFixed(1),
					(row.delayMaxMs / 1000).toFixed(1),
				]),
			))
				print(line);
			for (const note of n.notes) print(`  ${note}`);
		}
	}
}
