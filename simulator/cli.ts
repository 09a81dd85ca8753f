#!/usr/bin/env node
import { generateScenario, startSimulator, type LedgerEntry, type NubraApiVersion } from './index';

/**
 * `node dist/simulator/cli.js [--port N] [--api v1|v2|v3] [--rate 5] [--seed 1]
 * [--orders N | --forever] [--host H] [--big-ids] [--several-sessions] [--quiet]`
 *
 * Runs a local Nubra for the demo: prints what to type into the n8n credential, then plays a
 * lively seeded scenario (by default round after round, until Ctrl-C or SIGTERM).
 */

export interface CliOptions {
	host: string;
	port: number;
	apiVersion: NubraApiVersion;
	ratePerSecond: number;
	seed: number;
	/** Orders to play before going idle; undefined plays forever. */
	orders: number | undefined;
	bigIds: boolean;
	/** Let several sessions of the account live at once (Nubra allows one). */
	severalSessions: boolean;
	quiet: boolean;
}

const ORDERS_PER_ROUND = 50;

export const USAGE =
	'Usage: nubra-simulator [--port N] [--api v1|v2|v3] [--rate 5] [--seed 1] [--orders N | --forever] [--host H] [--big-ids] [--several-sessions] [--quiet]';

export function parseCliArgs(argv: readonly string[]): CliOptions {
	const options: CliOptions = {
		host: '127.0.0.1',
		port: 8787,
		apiVersion: 'v3',
		ratePerSecond: 5,
		seed: 1,
		orders: undefined,
		bigIds: false,
		severalSessions: false,
		quiet: false,
	};
	for (let i = 0; i < argv.length; i++) {
		const flag = argv[i];
		const value = () => {
			const next = argv[++i];
			if (next === undefined) throw new SyntaxError(`${flag} needs a value. ${USAGE}`);
			return next;
		};
		const count = (min: number) => {
			const raw = value();
			const n = Number(raw);
			if (!Number.isFinite(n) || n < min)
				throw new RangeError(`${flag} must be a number >= ${min}, not "${raw}"`);
			return n;
		};
		switch (flag) {
			case '--host':
				options.host = value();
				break;
			case '--port':
				options.port = Math.floor(count(0));
				break;
			case '--api': {
				const api = value();
				if (api !== 'v1' && api !== 'v2' && api !== 'v3')
					throw new RangeError(`--api must be v1, v2 or v3, not "${api}"`);
				options.apiVersion = api;
				break;
			}
			case '--rate':
				options.ratePerSecond = count(0);
				break;
			case '--seed':
				options.seed = Math.floor(count(0));
				break;
			case '--orders':
				options.orders = Math.floor(count(1));
				break;
			case '--forever':
				options.orders = undefined;
				break;
			case '--big-ids':
				options.bigIds = true;
				break;
			case '--several-sessions':
				options.severalSessions = true;
				break;
			case '--quiet':
				options.quiet = true;
				break;
			default:
				throw new SyntaxError(`Unknown option "${flag}". ${USAGE}`);
		}
	}
	return options;
}

export function describeEntry(entry: LedgerEntry): string {
	const trade = entry.tradeQty
		? ` traded ${entry.tradeQty} @ ₹${(Number(entry.tradePrice) / 100).toFixed(2)}`
		: '';
	const tag = entry.tag ? ` [${entry.tag}]` : '';
	return `#${entry.seq} ${entry.kind.padEnd(6)} ${entry.orderId} ${entry.side} ${entry.displayName} ${entry.status} (${entry.request}/${entry.responseType}) ${entry.filledQty}/${entry.orderQty}${trade}${tag} → ${entry.deliveredTo.length} subscriber(s)`;
}

async function main(): Promise<void> {
	const options = parseCliArgs(process.argv.slice(2));
	const sim = await startSimulator({
		host: options.host,
		singleSession: !options.severalSessions,
		port: options.port,
		apiVersion: options.apiVersion,
		bigIds: options.bigIds,
		seed: options.seed,
	});
	const out = (line: string) => process.stdout.write(`${line}\n`);
	out(
		[
			'Nubra simulator running (a local fake: no real account, no real money).',
			'',
			'In n8n, create a "Nubra API" credential with:',
			'  Environment:   Custom',
			`  REST base URL: ${sim.restUrl}`,
			`  Phone:         ${sim.credentials.phone}`,
			`  MPIN:          ${sim.credentials.mpin}`,
			`  TOTP secret:   ${sim.credentials.totpSecret}`,
			'',
			`User socket ${sim.wsUrl} · order-service socket ${sim.orderServiceWsUrl} · frames ${options.apiVersion}`,
			`Playing ${options.orders === undefined ? 'forever' : `${options.orders} orders`} at ${options.ratePerSecond || 'max'} updates/s (seed ${options.seed}). Ctrl-C stops.`,
			'',
		].join('\n'),
	);
	sim.control.on('subscribed', (c) =>
		out(`+ connection ${c.id} subscribed (${c.apiVersion}, ${c.channel} socket)`),
	);
	sim.control.on('disconnected', (c) => out(`- connection ${c.id} closed`));
	if (!options.quiet) sim.control.on('ledger', (entry) => out(describeEntry(entry)));

	let stopping = false;
	const stop = (signal: string) => {
		if (stopping) return;
		stopping = true;
		out(`\n${signal}: stopping the simulator`);
		void sim.close().then(() => out('Stopped.'));
	};
	process.once('SIGINT', () => stop('SIGINT'));
	process.once('SIGTERM', () => stop('SIGTERM'));

	let ordersLeft = options.orders ?? Infinity;
	for (let round = 0; !stopping && ordersLeft > 0; round++) {
		const orders = Math.min(ORDERS_PER_ROUND, ordersLeft);
		ordersLeft -= orders;
		await sim.control.play(generateScenario({ seed: options.seed + round, orders }), {
			ratePerSecond: options.ratePerSecond,
		});
	}
	if (!stopping) out('Scenario finished; still serving REST and sockets until Ctrl-C.');
}

if (require.main === module) {
	main().catch((error: unknown) => {
		process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
		process.exitCode = 1;
	});
}
