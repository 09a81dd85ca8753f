#!/usr/bin/env node
/*
 * Screenshots of the running demo (`npm run demo` in another terminal) for the README:
 *
 *   docs/nubra-trigger-parameters.png  the Nubra Trigger's parameters panel (partial-fills workflow)
 *   docs/demo-executions.png           the workflow's executions list and one run on the canvas
 *   docs/demo-execution.png            that execution with the Nubra Trigger's output item (JSON)
 *
 * Drives headless Chromium (Debian's `chromium`; CHROMIUM=/path overrides) over the DevTools
 * protocol with the `ws` package the project already depends on: no Playwright/Puppeteer. Logs
 * in with the demo owner (POST /rest/login → n8n-auth cookie), talks to 127.0.0.1 only, starts
 * Chromium with a fresh profile in its own process group and stops it by PID at the end.
 *
 * Usage: node scripts/screenshots.js [--out docs] [--width 1400] [--height 900]
 * (scripts/screenshots.sh is the same with a check for Chromium).
 */
'use strict';

const { spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const WebSocket = require('ws');

const ROOT = path.resolve(__dirname, '..');
const STATE_FILE = path.join(ROOT, '.n8n-run', 'demo', 'state.json');

function parseArgs(argv) {
	const options = { out: path.join(ROOT, 'docs'), width: 1400, height: 900 };
	for (let i = 0; i < argv.length; i++) {
		const flag = argv[i];
		const value = argv[++i];
		if (value === undefined) throw new Error(`${flag} needs a value`);
		if (flag === '--out') options.out = path.resolve(value);
		else if (flag === '--width') options.width = Number(value);
		else if (flag === '--height') options.height = Number(value);
		else throw new Error(`unknown option ${flag}`);
	}
	return options;
}

const log = (line) => process.stdout.write(`[screenshots] ${line}\n`);
const pause = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitFor(probe, { timeoutMs = 30_000, intervalMs = 250, what = 'condition' } = {}) {
	const deadline = Date.now() + timeoutMs;
	let last;
	for (;;) {
		try {
			const value = await probe();
			if (value) return value;
		} catch (error) {
			last = error;
		}
		if (Date.now() > deadline) {
			throw new Error(
				`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${last.message}` : ''}`,
			);
		}
		await pause(intervalMs);
	}
}

function readState() {
	let state;
	try {
		state = JSON.parse(fs.readFileSync(STATE_FILE, 'utf8'));
	} catch {
		throw new Error(
			`no running demo (${path.relative(process.cwd(), STATE_FILE)} is missing): start \`npm run demo\` first`,
		);
	}
	try {
		process.kill(state.pid, 0);
	} catch {
		throw new Error(
			`the demo that wrote ${STATE_FILE} (pid ${state.pid}) is not running: start \`npm run demo\``,
		);
	}
	return state;
}

async function rest(state, cookie, method, pathname, body) {
	const headers = { accept: 'application/json' };
	if (cookie) headers.cookie = cookie;
	if (body !== undefined) headers['content-type'] = 'application/json';
	const response = await fetch(`${state.baseUrl}${pathname}`, {
		method,
		headers,
		body: body === undefined ? undefined : JSON.stringify(body),
	});
	const text = await response.text();
	if (!response.ok)
		throw new Error(`${method} ${pathname} -> ${response.status}: ${text.slice(0, 300)}`);
	const setCookie = response.headers.getSetCookie().find((c) => c.startsWith('n8n-auth='));
	const parsed = text ? JSON.parse(text) : {};
	return { data: parsed.data ?? parsed, cookie: setCookie ? setCookie.split(';')[0] : undefined };
}

function findChromium() {
	const candidates = [
		process.env.CHROMIUM,
		'/usr/bin/chromium',
		'/usr/bin/chromium-browser',
		'/usr/bin/google-chrome',
	];
	const found = candidates.find((candidate) => candidate && fs.existsSync(candidate));
	if (!found)
		throw new Error(
			'Chromium not found: `apt-get install chromium` (or set CHROMIUM=/path/to/chrome)',
		);
	return found;
}

/** Headless Chromium in its own process group with a throwaway profile; resolves its DevTools URL. */
async function launchChromium(width, height) {
	const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'nubra-screenshots-'));
	const child = spawn(
		findChromium(),
		[
			'--headless=new',
			'--no-sandbox',
			'--disable-gpu',
			'--disable-dev-shm-usage',
			'--disable-background-networking',
			'--disable-component-update',
			'--disable-sync',
			'--disable-default-apps',
			'--disable-extensions',
			'--no-first-run',
			'--no-default-browser-check',
			'--hide-scrollbars',
			'--remote-debugging-address=127.0.0.1',
			'--remote-debugging-port=0',
			`--user-data-dir=${profile}`,
			`--window-size=${width},${height}`,
			'about:blank',
		],
		{
			stdio: ['ignore', 'ignore', fs.openSync(path.join(profile, 'chromium.log'), 'w')],
			detached: true,
		},
	);
	let exited = false;
	child.once('exit', () => (exited = true));
	const stop = async () => {
		if (!exited) {
			try {
				process.kill(-child.pid, 'SIGTERM');
			} catch {
				// Gone.
			}
			await waitFor(() => exited, { timeoutMs: 10_000, what: 'Chromium to exit' }).catch(() => {
				try {
					process.kill(-child.pid, 'SIGKILL');
				} catch {
					// Gone.
				}
			});
		}
		fs.rmSync(profile, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
	};
	try {
		const portFile = path.join(profile, 'DevToolsActivePort');
		const [port, browserPath] = await waitFor(
			() => {
				if (exited) throw new Error('Chromium exited during start-up');
				const lines = fs.existsSync(portFile)
					? fs.readFileSync(portFile, 'utf8').trim().split('\n')
					: [];
				return lines.length >= 2 ? lines : undefined;
			},
			{ timeoutMs: 30_000, what: 'Chromium DevTools port' },
		);
		return { url: `ws://127.0.0.1:${port}${browserPath}`, pid: child.pid, stop };
	} catch (error) {
		await stop();
		throw error;
	}
}

/** A minimal DevTools-protocol client: one browser connection, flattened target sessions. */
class Cdp {
	constructor(ws) {
		this.ws = ws;
		this.nextId = 1;
		this.pending = new Map();
		ws.on('message', (raw) => {
			const message = JSON.parse(raw.toString());
			if (message.id && this.pending.has(message.id)) {
				const { resolve, reject } = this.pending.get(message.id);
				this.pending.delete(message.id);
				if (message.error)
					reject(new Error(`${message.error.message} ${message.error.data ?? ''}`));
				else resolve(message.result);
			}
		});
	}

	static async connect(url) {
		const ws = new WebSocket(url, { perMessageDeflate: false });
		await new Promise((resolve, reject) => {
			ws.once('open', resolve);
			ws.once('error', reject);
		});
		return new Cdp(ws);
	}

	send(method, params = {}, sessionId) {
		const id = this.nextId++;
		this.ws.send(JSON.stringify({ id, method, params, sessionId }));
		return new Promise((resolve, reject) => {
			const timer = setTimeout(() => {
				this.pending.delete(id);
				reject(new Error(`${method} timed out`));
			}, 60_000);
			this.pending.set(id, {
				resolve: (value) => (clearTimeout(timer), resolve(value)),
				reject: (error) => (clearTimeout(timer), reject(error)),
			});
		});
	}

	close() {
		this.ws.close();
	}
}

class Page {
	constructor(cdp, sessionId) {
		this.cdp = cdp;
		this.sessionId = sessionId;
	}

	send(method, params) {
		return this.cdp.send(method, params, this.sessionId);
	}

	async evaluate(expression) {
		const result = await this.send('Runtime.evaluate', {
			expression,
			returnByValue: true,
			awaitPromise: true,
		});
		if (result.exceptionDetails)
			throw new Error(result.exceptionDetails.exception?.description ?? 'evaluate failed');
		return result.result.value;
	}

	async goto(url) {
		await this.send('Page.navigate', { url });
		await waitFor(() => this.evaluate('document.readyState === "complete"'), {
			what: `${url} to load`,
		});
	}

	waitForSelector(selector, timeoutMs = 30_000) {
		return waitFor(() => this.evaluate(`!!document.querySelector(${JSON.stringify(selector)})`), {
			timeoutMs,
			what: selector,
		});
	}

	/** Centre of the first element matching `selector`, in page coordinates (or null). */
	center(selector) {
		return this.evaluate(`(() => {
			const el = document.querySelector(${JSON.stringify(selector)});
			if (!el) return null;
			const r = el.getBoundingClientRect();
			return { x: r.x + r.width / 2, y: r.y + r.height / 2 };
		})()`);
	}

	async click(x, y, clickCount = 1) {
		await this.send('Input.dispatchMouseEvent', { type: 'mouseMoved', x, y });
		for (let i = 1; i <= clickCount; i++) {
			await this.send('Input.dispatchMouseEvent', {
				type: 'mousePressed',
				x,
				y,
				button: 'left',
				clickCount: i,
			});
			await this.send('Input.dispatchMouseEvent', {
				type: 'mouseReleased',
				x,
				y,
				button: 'left',
				clickCount: i,
			});
		}
	}

	async screenshot(file) {
		const { data } = await this.send('Page.captureScreenshot', {
			format: 'png',
			captureBeyondViewport: false,
		});
		fs.mkdirSync(path.dirname(file), { recursive: true });
		fs.writeFileSync(file, Buffer.from(data, 'base64'));
		log(`wrote ${path.relative(process.cwd(), file)}`);
	}
}

/** Lets animations and lazy panels settle: waits until the DOM stops changing for a moment. */
async function settle(page, quietMs = 800, timeoutMs = 10_000) {
	await page.evaluate(`new Promise((resolve) => {
		let timer = setTimeout(done, ${quietMs});
		const observer = new MutationObserver(() => { clearTimeout(timer); timer = setTimeout(done, ${quietMs}); });
		observer.observe(document.body, { subtree: true, childList: true, attributes: true, characterData: true });
		const hard = setTimeout(done, ${timeoutMs});
		function done() { observer.disconnect(); clearTimeout(timer); clearTimeout(hard); resolve(true); }
	})`);
}

async function main() {
	const options = parseArgs(process.argv.slice(2));
	const state = readState();
	const { cookie } = await rest(state, undefined, 'POST', '/rest/login', {
		emailOrLdapLoginId: state.email,
		password: state.password,
	});
	if (!cookie) throw new Error('POST /rest/login set no n8n-auth cookie');
	const workflow = state.workflows[0];
	const { data: workflowData } = await rest(state, cookie, 'GET', `/rest/workflows/${workflow.id}`);
	const trigger = workflowData.nodes.find((node) => node.type === 'CUSTOM.nubraTrigger');
	if (!trigger) throw new Error(`workflow ${workflow.id} has no Nubra Trigger`);
	const executions = await waitFor(
		async () => {
			const query = new URLSearchParams({
				limit: '5',
				filter: JSON.stringify({ workflowId: workflow.id, status: ['success'] }),
			});
			const { data } = await rest(state, cookie, 'GET', `/rest/executions?${query}`);
			return data.results.length > 0 ? data.results : undefined;
		},
		{ timeoutMs: 120_000, intervalMs: 1000, what: `a successful execution of "${workflow.name}"` },
	);
	const execution = executions[0];
	log(
		`n8n ${state.baseUrl}, workflow "${workflow.name}" (${workflow.id}), execution ${execution.id}`,
	);

	const chromium = await launchChromium(options.width, options.height);
	log(`Chromium pid ${chromium.pid}`);
	let cdp;
	try {
		cdp = await Cdp.connect(chromium.url);
		const { targetId } = await cdp.send('Target.createTarget', { url: 'about:blank' });
		const { sessionId } = await cdp.send('Target.attachToTarget', { targetId, flatten: true });
		const page = new Page(cdp, sessionId);
		await page.send('Page.enable');
		await page.send('Runtime.enable');
		await page.send('Network.enable');
		await page.send('Emulation.setDeviceMetricsOverride', {
			width: options.width,
			height: options.height,
			deviceScaleFactor: 1,
			mobile: false,
		});
		const [name, value] = cookie.split(/=(.*)/s);
		await page.send('Network.setCookie', { name, value, url: state.baseUrl, httpOnly: true });

		// 1. The Nubra Trigger's parameters: the editor opens a node from /workflow/:id/:nodeId.
		await page.goto(`${state.baseUrl}/workflow/${workflow.id}/${trigger.id}`);
		await page.waitForSelector(
			'[data-test-id="ndv"], .ndv-wrapper, [data-test-id="node-parameters"]',
			60_000,
		);
		await page.waitForSelector(
			'[data-test-id="parameter-input-events"], [data-test-id="node-parameters"]',
			30_000,
		);
		await settle(page);
		await page.screenshot(path.join(options.out, 'nubra-trigger-parameters.png'));

		// 2. An execution: the list and the run on the canvas; then the trigger's output items.
		await page.goto(`${state.baseUrl}/workflow/${workflow.id}/executions/${execution.id}`);
		await page.waitForSelector('[data-test-id="execution-preview-iframe"], iframe', 60_000);
		await settle(page, 1500);
		await page.screenshot(path.join(options.out, 'demo-executions.png'));
		const opened = await openTriggerInPreview(page, trigger.name);
		if (!opened)
			log('could not open the trigger inside the execution preview; the screenshot shows the run');
		await settle(page);
		await page.screenshot(path.join(options.out, 'demo-execution.png'));
	} finally {
		cdp?.close();
		await chromium.stop();
		log('Chromium stopped');
	}
}

/**
 * The execution preview is an iframe with a read-only canvas: double-clicking the trigger node
 * in it opens the node's panel with its output items.
 */
async function openTriggerInPreview(page, nodeName) {
	const frameBox = await page.evaluate(`(() => {
		const frame = document.querySelector('[data-test-id="execution-preview-iframe"]') || document.querySelector('iframe');
		if (!frame) return null;
		const r = frame.getBoundingClientRect();
		return { x: r.x, y: r.y };
	})()`);
	if (!frameBox) return false;
	const { frameTree } = await page.send('Page.getFrameTree');
	const child = (frameTree.childFrames || [])[0];
	if (!child) return false;
	const { executionContextId } = await page.send('Page.createIsolatedWorld', {
		frameId: child.frame.id,
		worldName: 'screenshots',
	});
	const inFrame = async (expression) => {
		const result = await page.send('Runtime.evaluate', {
			expression,
			contextId: executionContextId,
			returnByValue: true,
		});
		return result.result.value;
	};
	const nodeSelector = `[data-test-id="canvas-node"][data-node-name=${JSON.stringify(nodeName)}]`;
	const box = await waitFor(
		() =>
			inFrame(`(() => {
				const el = document.querySelector(${JSON.stringify(nodeSelector)});
				if (!el) return null;
				const r = el.getBoundingClientRect();
				return r.width > 0 ? { x: r.x + r.width / 2, y: r.y + r.height / 2 } : null;
			})()`),
		{ timeoutMs: 30_000, what: `node "${nodeName}" in the execution preview` },
	).catch(() => null);
	if (!box) return false;
	await page.click(frameBox.x + box.x, frameBox.y + box.y, 2);
	const opened = await waitFor(
		() => inFrame('!!document.querySelector(\'[data-test-id="ndv"], .ndv-wrapper\')'),
		{
			timeoutMs: 15_000,
			what: 'the node panel in the preview',
		},
	).catch(() => false);
	if (opened) {
		// The JSON view shows every field of the item; the table cuts it off after a few columns.
		const json = await inFrame(`(() => {
			const candidates = [...document.querySelectorAll('label, button, span, div')].filter(
				(el) => el.children.length === 0 && el.textContent.trim() === 'JSON' && el.getBoundingClientRect().width > 0,
			);
			const target = candidates[candidates.length - 1];
			if (!target) return false;
			target.click();
			return true;
		})()`);
		if (!json) log('no JSON view switch found; keeping the table view');
	}
	return opened;
}

main().catch((error) => {
	log(`failed: ${error.message}`);
	process.exitCode = 1;
});
