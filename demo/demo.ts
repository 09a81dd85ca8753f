/**
 * `npm run demo`: the Nubra Trigger in the pinned, real n8n, fed by the local Nubra simulator.
 *
 * 1. Local sinks: the tooling's HTTP sink, logging every request to .n8n-run/demo/http-sink.jsonl,
 *    and a watcher that prints what n8n appends to .n8n-run/demo/rejections.jsonl.
 * 2. The Nubra simulator (in this process) on a free loopback port.
 * 3. n8n started with the tooling's one start-up sequence (tools/n8n-host, startN8nWith): the
 *    "Nubra API" credential (environment Custom → the simulator, its demo phone/MPIN/TOTP
 *    secret), the demo workflows, N8N_CUSTOM_EXTENSIONS=dist/, an owner, the workflows
 *    published over REST; then a seeded scenario played round after round until Ctrl-C.
 *
 * Ctrl-C (or SIGTERM/SIGHUP) stops n8n (SIGTERM to its process group, SIGKILL after 20 s), the
 * simulator and the sinks, removes the user folder and exits 0. Compiled with
 * tsconfig.tools.json and started by scripts/demo.sh.
 */
import {
	existsSync,
	mkdirSync,
	openSync,
	readFileSync,
	readSync,
	closeSync,
	rmSync,
	statSync,
	writeFileSync,
	appendFileSync,
} from 'node:fs';
import { join, relative } from 'node:path';

import {
	generateScenario,
	simulatorCredentialFields,
	startSimulator,
	type LedgerEntry,
	type RunningSimulator,
} from '../simulator';
import { describeEntry } from '../simulator/cli';
import {
	n8nHost,
	PACKAGE_DIST,
	PACKAGE_ROOT,
	RUN_DIR,
	startHttpSink,
	startN8nWith,
	type HttpSink,
	type StartedN8n,
	type WorkflowJson,
} from '../tools/n8n-host';

export const DEMO_OWNER = {
	email: 'demo@example.com',
	password: 'NubraDemo2468',
	firstName: 'Nubra',
	lastName: 'Demo',
};
const CREDENTIAL_NAME = 'Nubra simulator (demo)';
/** The demo's output, git-ignored with the rest of .n8n-run/. */
export const DEMO_DIR = join(RUN_DIR, 'demo');
/** Read by scripts/screenshots.js to find the running demo; removed on exit. */
export const STATE_FILE = join(DEMO_DIR, 'state.json');
const WORKFLOW_DIR = join(__dirname, 'workflows');
const EXAMPLE_PARTIAL_FILLS = join(PACKAGE_ROOT, 'examples', 'webhook-on-partial-fills.json');
const ORDERS_PER_ROUND = 50;
const STATUS_EVERY_MS = 30_000;
/** The terminal's Ctrl-C and npm's forwarding of it arrive together: count them as one. */
const SIGNAL_COALESCE_MS = 2_000;

interface DemoOptions {
	rate: number;
	seed: number;
	verbose: boolean;
	quiet: boolean;
}

const USAGE = 'Usage: npm run demo -- [--rate 3] [--seed 1] [--verbose] [--quiet]';

function parseArgs(argv: readonly string[]): DemoOptions {
	const options: DemoOptions = { rate: 3, seed: 1, verbose: false, quiet: false };
	for (let i = 0; i < argv.length; i++) {
		const flag = argv[i];
		const number = (): number => {
			const raw = argv[++i];
			const value = Number(raw);
			if (raw === undefined || !Number.isFinite(value) || value < 0) {
				throw new RangeError(`${flag} needs a number >= 0. ${USAGE}`);
			}
			return value;
		};
		switch (flag) {
			case '--rate':
				options.rate = number();
				break;
			case '--seed':
				options.seed = Math.floor(number());
				break;
			case '--verbose':
				options.verbose = true;
				break;
			case '--quiet':
				options.quiet = true;
				break;
			case '--help':
			case '-h':
				process.stdout.write(`${USAGE}\n`);
				process.exit(0);
				break;
			default:
				throw new SyntaxError(`Unknown option "${flag}". ${USAGE}`);
		}
	}
	return options;
}

const out = (line = ''): void => {
	process.stdout.write(`${line}\n`);
};
const rel = (path: string): string => relative(process.cwd(), path) || '.';
const clock = (): string => new Date().toISOString().slice(11, 19);

function rupees(paise: unknown): string {
	const value = Number(paise);
	return Number.isFinite(value) ? `₹${(value / 100).toFixed(2)}` : '?';
}

/** One console line for a trigger item, whichever workflow sent it. */
export function describeItem(item: Record<string, unknown>): string {
	if (item.event === 'connection') {
		const extra = item.url
			? ` ${String(item.url)}`
			: item.reason
				? ` (${String(item.reason)})`
				: '';
		return `connection ${String(item.state)}${extra}`;
	}
	const name = String(item.display_name ?? item.order_id ?? '?');
	const qty = `${String(item.filled_qty ?? 0)}/${String(item.order_qty ?? '?')}`;
	const fill = item.trade_qty
		? ` fill ${String(item.trade_qty)} @ ${rupees(item.trade_price)}`
		: '';
	const reason =
		item.status === 'REJECTED' && item.update_msg ? ` — ${String(item.update_msg)}` : '';
	const tag = item.tag ? ` [${String(item.tag)}]` : '';
	const side = String(item.side ?? '').replace(/^ORDER_SIDE_/, '');
	return `${String(item.status)} ${side ? `${side} ` : ''}${name} ${qty}${fill}${reason}${tag} (order ${String(item.order_id)})`;
}

// ---------------------------------------------------------------------------------------------
// Sinks

/** The tooling's HTTP sink, each POST appended to `file` and printed. */
async function startLoggingHttpSink(
	file: string,
	print: (line: string) => void,
): Promise<HttpSink> {
	return await startHttpSink({
		onRequest: (request) => {
			const body = request.json ?? request.text;
			appendFileSync(
				file,
				`${JSON.stringify({ received_at: new Date(request.at).toISOString(), path: request.path, body })}\n`,
			);
			const item =
				body !== null && typeof body === 'object' ? (body as Record<string, unknown>) : {};
			print(`[http sink ${clock()}] ${request.method} ${request.path}  ${describeItem(item)}`);
		},
	});
}

interface FileWatch {
	lines: number;
	stop(): void;
}

/** Prints each line appended to `file` (polling: the file may not exist yet). */
function watchFile(file: string, print: (line: string) => void): FileWatch {
	let offset = 0;
	let partial = '';
	const watch = { lines: 0, stop: () => clearInterval(timer) };
	const timer = setInterval(() => {
		let size: number;
		try {
			size = statSync(file).size;
		} catch {
			return;
		}
		if (size <= offset) return;
		const buffer = Buffer.alloc(size - offset);
		const fd = openSync(file, 'r');
		try {
			readSync(fd, buffer, 0, buffer.length, offset);
		} finally {
			closeSync(fd);
		}
		offset = size;
		const lines = (partial + buffer.toString('utf8')).split('\n');
		partial = lines.pop() ?? '';
		for (const line of lines) {
			if (!line.trim()) continue;
			watch.lines++;
			let item: Record<string, unknown> = {};
			try {
				item = JSON.parse(line) as Record<string, unknown>;
			} catch {
				// Printed as is below.
			}
			print(
				`[file sink ${clock()}] ${rel(file)}  ${Object.keys(item).length ? describeItem(item) : line}`,
			);
		}
	}, 500);
	return watch;
}

// ---------------------------------------------------------------------------------------------
// Workflows

const NUBRA_TYPES = new Set([
	'n8n-nodes-nubra.nubraTrigger',
	'nubraTrigger',
	'CUSTOM.nubraTrigger',
]);

interface Substitutions {
	credentialId: string;
	httpSink: string;
	outputDir: string;
}

/** Replaces the `__TOKEN__` placeholders in every string of a workflow template. */
function substitute<T>(value: T, subs: Substitutions): T {
	if (typeof value === 'string') {
		return value
			.replaceAll('__CREDENTIAL_ID__', subs.credentialId)
			.replaceAll('__CREDENTIAL_NAME__', CREDENTIAL_NAME)
			.replaceAll('__HTTP_SINK__', subs.httpSink)
			.replaceAll('__OUTPUT_DIR__', subs.outputDir) as T;
	}
	if (Array.isArray(value)) return value.map((entry) => substitute(entry, subs)) as T;
	if (value !== null && typeof value === 'object') {
		return Object.fromEntries(
			Object.entries(value).map(([key, entry]) => [key, substitute(entry, subs)]),
		) as T;
	}
	return value;
}

/**
 * Makes a workflow file (a demo template or one of examples/) fit this n8n: the package's
 * node type as N8N_CUSTOM_EXTENSIONS names it, the demo credential on every Nubra node, and,
 * for HTTP Request nodes, `httpUrl` when given.
 */
function adapt(workflow: WorkflowJson, subs: Substitutions, httpUrl?: string): WorkflowJson {
	// A fresh id (the harness makes one) and the published state the harness decides.
	const rest = { ...substitute(workflow, subs) };
	delete rest.id;
	delete rest.active;
	return {
		...rest,
		nodes: rest.nodes.map((node) => {
			if (NUBRA_TYPES.has(node.type)) {
				return {
					...node,
					type: 'CUSTOM.nubraTrigger',
					credentials: { nubraApi: { id: subs.credentialId, name: CREDENTIAL_NAME } },
				};
			}
			if (httpUrl !== undefined && node.type === 'n8n-nodes-base.httpRequest') {
				return { ...node, parameters: { ...node.parameters, url: httpUrl } };
			}
			return node;
		}),
	};
}

function readWorkflow(file: string): WorkflowJson {
	return JSON.parse(readFileSync(file, 'utf8')) as WorkflowJson;
}

/**
 * The partial-fills workflow from examples/webhook-on-partial-fills.json when that file exists
 * and has a Nubra Trigger and an HTTP Request node (its URL pointed at the sink), else the demo's
 * own; then rejections → file and connection events → sink.
 */
function demoWorkflows(subs: Substitutions): { workflows: WorkflowJson[]; notes: string[] } {
	const notes: string[] = [];
	let partialFills = adapt(
		readWorkflow(join(WORKFLOW_DIR, 'partial-fills-to-http-sink.json')),
		subs,
	);
	if (existsSync(EXAMPLE_PARTIAL_FILLS)) {
		try {
			const example = readWorkflow(EXAMPLE_PARTIAL_FILLS);
			const nodes = Array.isArray(example.nodes) ? example.nodes : [];
			if (
				nodes.some((node) => NUBRA_TYPES.has(node.type)) &&
				nodes.some((node) => node.type === 'n8n-nodes-base.httpRequest')
			) {
				partialFills = adapt(example, subs, `${subs.httpSink}/partial-fills`);
				partialFills.name = 'Demo: partial fills → HTTP sink';
				notes.push(
					`partial fills: ${rel(EXAMPLE_PARTIAL_FILLS)}, its HTTP Request pointed at the sink`,
				);
			} else {
				notes.push(
					`${rel(EXAMPLE_PARTIAL_FILLS)} has no Nubra Trigger + HTTP Request: using demo/workflows/`,
				);
			}
		} catch (error) {
			notes.push(
				`${rel(EXAMPLE_PARTIAL_FILLS)} unreadable (${(error as Error).message}): using demo/workflows/`,
			);
		}
	}
	return {
		workflows: [
			partialFills,
			adapt(readWorkflow(join(WORKFLOW_DIR, 'rejections-to-file.json')), subs),
			adapt(readWorkflow(join(WORKFLOW_DIR, 'connection-events-to-http-sink.json')), subs),
		],
		notes,
	};
}

// ---------------------------------------------------------------------------------------------
// Running and stopping

class Stopped extends Error {}

interface Resource {
	name: string;
	close(): Promise<void> | void;
}

export async function main(argv: readonly string[]): Promise<void> {
	let options: DemoOptions;
	try {
		options = parseArgs(argv);
	} catch (error) {
		process.stderr.write(`${(error as Error).message}\n`);
		process.exit(2);
	}
	const started = Date.now();
	const seconds = (since = started): string => `${((Date.now() - since) / 1000).toFixed(1)} s`;
	const print = options.quiet ? () => undefined : out;

	// Closed in reverse order of creation: n8n first (its triggers disconnect cleanly), then the
	// simulator, then the sinks.
	const resources: Resource[] = [];
	let stopping = false;
	let firstSignalAt = 0;
	let shutdownPromise: Promise<void> | undefined;
	let resolveStopped: () => void = () => undefined;
	const stopped = new Promise<void>((resolve) => (resolveStopped = resolve));

	const shutdown = (): Promise<void> => {
		shutdownPromise ??= (async () => {
			stopping = true;
			resolveStopped();
			while (resources.length > 0) {
				const resource = resources.pop() as Resource;
				const since = Date.now();
				try {
					await resource.close();
					out(`[demo] stopped ${resource.name} (${seconds(since)})`);
				} catch (error) {
					out(`[demo] stopping ${resource.name} failed: ${(error as Error).message}`);
				}
			}
			rmSync(STATE_FILE, { force: true });
		})();
		return shutdownPromise;
	};
	const track = async (resource: Resource): Promise<void> => {
		resources.push(resource);
		if (stopping) await shutdown();
	};
	const checkpoint = (): void => {
		if (stopping) throw new Stopped();
	};

	const onSignal = (signal: NodeJS.Signals): void => {
		const now = Date.now();
		if (firstSignalAt === 0) {
			firstSignalAt = now;
			out(
				`\n[demo] ${signal}: stopping n8n, the simulator and the sinks (Ctrl-C again after 2 s forces)`,
			);
			void shutdown();
			return;
		}
		if (now - firstSignalAt < SIGNAL_COALESCE_MS) return;
		out(`[demo] ${signal} again: killing what is left`);
		process.exit(130); // The harness's exit hook SIGKILLs n8n's process group.
	};
	const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
	for (const signal of signals) process.on(signal, onSignal);
	/** startN8nWith() adds its own last-resort handlers (SIGKILL); while the demo runs, ours stop n8n gently. */
	const keepOnlyOurSignalHandlers = (): void => {
		for (const signal of signals) {
			for (const listener of process.listeners(signal)) {
				if (listener !== onSignal)
					process.removeListener(signal, listener as (...args: unknown[]) => void);
			}
		}
	};

	try {
		mkdirSync(DEMO_DIR, { recursive: true });
		const httpSinkFile = join(DEMO_DIR, 'http-sink.jsonl');
		const rejectionsFile = join(DEMO_DIR, 'rejections.jsonl');
		const simulatorLog = join(DEMO_DIR, 'simulator.log');
		for (const file of [httpSinkFile, rejectionsFile, simulatorLog, STATE_FILE])
			rmSync(file, { force: true });

		// 1. Sinks.
		const httpSink = await startLoggingHttpSink(httpSinkFile, print);
		await track({ name: `HTTP sink ${httpSink.url}`, close: () => httpSink.close() });
		const fileWatch = watchFile(rejectionsFile, print);
		await track({ name: 'file sink watcher', close: () => fileWatch.stop() });
		checkpoint();

		// 2. Simulator.
		const sim: RunningSimulator = await startSimulator({ seed: options.seed });
		await track({ name: `Nubra simulator ${sim.restUrl}`, close: () => sim.close() });
		writeFileSync(
			simulatorLog,
			`Nubra simulator ${sim.restUrl} (seed ${options.seed}, ${options.rate} updates/s)\n`,
		);
		sim.control.on('subscribed', (c) => {
			appendFileSync(
				simulatorLog,
				`+ connection ${c.id} subscribed (${c.apiVersion}, ${c.channel} socket)\n`,
			);
		});
		sim.control.on('disconnected', (c) =>
			appendFileSync(simulatorLog, `- connection ${c.id} closed\n`),
		);
		let updates = 0;
		sim.control.on('ledger', (entry: LedgerEntry) => {
			updates++;
			appendFileSync(simulatorLog, `${new Date(entry.at).toISOString()} ${describeEntry(entry)}\n`);
			if (options.verbose)
				out(
					`[simulator ${clock()}] #${entry.seq} ${entry.kind} ${entry.status} ${entry.side} ${entry.displayName} ${entry.filledQty}/${entry.orderQty}`,
				);
		});
		checkpoint();

		// 3. n8n: credential and workflows (n8n's CLI), start, owner, workflows published over
		// REST (one CLI run less per workflow, and a trigger that cannot activate says why).
		const host = n8nHost();
		out(
			`[demo] starting ${host.label} with this package (N8N_CUSTOM_EXTENSIONS=dist/): credential, workflows, owner`,
		);
		const n8nStartedAt = Date.now();
		let notes: string[] = [];
		let workflows: WorkflowJson[] = [];
		let running: StartedN8n;
		try {
			running = await startN8nWith({
				host,
				credentials: [
					{
						name: CREDENTIAL_NAME,
						type: 'nubraApi',
						data: {
							...simulatorCredentialFields(sim),
							socketUrl: '',
							allowUnauthorizedCerts: false,
							deviceId: 'n8n-nodes-nubra-demo',
						},
					},
				],
				workflows: ([credential]) => {
					({ workflows, notes } = demoWorkflows({
						credentialId: credential.id,
						httpSink: httpSink.url,
						outputDir: DEMO_DIR,
					}));
					return workflows;
				},
				publish: 'after-start',
				owner: DEMO_OWNER,
				customExtensionsDir: PACKAGE_DIST,
				holdEventLoop: true,
				logDir: join(RUN_DIR, 'logs'),
				env: {
					// Read/Write Files from Disk may only touch the demo's output folder.
					N8N_RESTRICT_FILE_ACCESS_TO: DEMO_DIR,
				},
			});
		} finally {
			for (const note of notes) out(`[demo] ${note}`);
		}
		const { n8n, session, workflowIds } = running;
		const [credential] = running.credentials;
		await track({ name: `n8n (pid ${n8n.pid})`, close: () => n8n.stop() });
		keepOnlyOurSignalHandlers();
		checkpoint();
		out(
			`[demo] n8n ready and ${workflowIds.length} workflows published in ${seconds(n8nStartedAt)}`,
		);

		// Every trigger subscribes once its workflow is active.
		await sim.control.waitForSubscribers(workflows.length, 60_000).catch(() => {
			out(
				`[demo] warning: only ${sim.control.subscriberCount} of ${workflows.length} triggers subscribed; see ${rel(n8n.logFile)}`,
			);
		});
		checkpoint();

		const state = {
			pid: process.pid,
			baseUrl: n8n.baseUrl,
			email: DEMO_OWNER.email,
			password: DEMO_OWNER.password,
			workflows: workflows.map((workflow, i) => ({ id: workflowIds[i], name: workflow.name })),
			credentialId: credential.id,
			simulator: sim.restUrl,
			httpSink: httpSink.url,
			outputDir: DEMO_DIR,
			n8nLog: n8n.logFile,
			startedAt: new Date(started).toISOString(),
		};
		writeFileSync(STATE_FILE, `${JSON.stringify(state, null, '\t')}\n`);

		const line = '─'.repeat(78);
		const pad = (text: string, width: number): string => text.padEnd(width);
		out(line);
		out(
			`Nubra Trigger demo running: everything local, no Nubra account, no real money (ready in ${seconds()})`,
		);
		out('');
		out(`  Open n8n     ${n8n.baseUrl}`);
		out(`  Email        ${DEMO_OWNER.email}`);
		out(`  Password     ${DEMO_OWNER.password}`);
		out('');
		out('  Active workflows:');
		for (const { id, name } of state.workflows)
			out(`    ${pad(name, 44)} ${n8n.baseUrl}/workflow/${id}`);
		out('');
		out('  Running:');
		out(`    ${host.label}    pid ${n8n.pid}, log ${rel(n8n.logFile)}`);
		out(
			`    Nubra simulator  ${sim.restUrl} (in this process, pid ${process.pid}), ${options.rate} updates/s, seed ${options.seed}; log ${rel(simulatorLog)}`,
		);
		out(
			`    HTTP sink        ${httpSink.url} (GET / lists the latest posts) → ${rel(httpSinkFile)}`,
		);
		out(`    File sink        n8n appends rejected orders to ${rel(rejectionsFile)}`);
		out('');
		out(
			`  Credential "${CREDENTIAL_NAME}": Environment Custom, REST ${sim.restUrl}, phone ${sim.credentials.phone}, MPIN ${sim.credentials.mpin}, TOTP secret ${sim.credentials.totpSecret}`,
		);
		out('  Screenshots of this demo: bash scripts/screenshots.sh');
		out('  Ctrl-C stops everything.');
		out(line);

		// Status every 30 s.
		const statusTimer = setInterval(() => {
			void (async () => {
				const count = async (filter?: Record<string, string[]>): Promise<number | string> => {
					const query = new URLSearchParams({ limit: '1' });
					if (filter) query.set('filter', JSON.stringify(filter));
					const page = await session
						.request<{ count?: number }>('GET', `/rest/executions?${query.toString()}`)
						.catch(() => undefined);
					return page?.count ?? '?';
				};
				const [all, failed] = await Promise.all([count(), count({ status: ['error'] })]);
				if (stopping) return;
				out(
					`[status ${clock()}] simulator ${updates} updates · n8n ${all} executions (${failed} failed) · HTTP sink ${httpSink.requests.length} requests · file sink ${fileWatch.lines} lines`,
				);
			})();
		}, STATUS_EVERY_MS);
		await track({ name: 'status timer', close: () => clearInterval(statusTimer) });

		// 5. The scenario, round after round, until stopped.
		for (let round = 0; !stopping; round++) {
			const steps = generateScenario({ seed: options.seed + round, orders: ORDERS_PER_ROUND });
			await sim.control.play(steps, { ratePerSecond: options.rate });
		}
		await stopped;
	} catch (error) {
		if (!(error instanceof Stopped) && !stopping) {
			out(`[demo] failed after ${seconds()}: ${(error as Error).message}`);
			process.exitCode = 1;
		}
	} finally {
		await shutdown();
		out(`[demo] stopped after ${seconds()}; nothing left running`);
		for (const signal of signals) process.removeListener(signal, onSignal);
	}
}

if (require.main === module) void main(process.argv.slice(2));
