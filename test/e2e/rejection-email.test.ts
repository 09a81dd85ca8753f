/**
 * examples/alert-on-rejection-email.json in the pinned n8n, with real SMTP to a local sink:
 * - exactly the rejected orders of a scripted scenario arrive, each once, with symbol, side,
 *   quantity, price in rupees and the reason in the subject and body;
 * - a simulator drop with rejections while the socket is gone: caught up, nothing lost or
 *   doubled;
 * - an n8n restart on the same user folder with the workflow active: the rejections that
 *   happened while n8n was down arrive exactly once, nothing earlier twice;
 * - deactivating the workflow closes the socket.
 */
import { rmSync } from 'node:fs';

import { startSimulator, type LedgerEntry, type RunningSimulator } from '../../simulator';
import {
	createUserFolder,
	type CredentialJson,
	type N8nInstance,
	type N8nSession,
	n8nId,
	PACKAGE_DIST,
	startN8nWith,
	type StartN8nWithOptions,
	waitForExecutions,
	type WorkflowJson,
} from '../../tools/n8n-host';
import { forCustomExtensions, loadExample, simulatorCredential } from './fixtures/examples';
import {
	playOrder,
	playOrders,
	rejections,
	rupees,
	type ScriptedOrder,
	SPECS,
} from './fixtures/scenario';
import { type ReceivedMail, type SmtpSink, startSmtpSink } from './sinks/smtp';

jest.setTimeout(300_000);

/** What the example's subject says for a rejection. */
function subjectFor(entry: LedgerEntry): string {
	return `Nubra order rejected: ${entry.side} ${entry.orderQty} ${entry.displayName} @ ₹${rupees(entry.orderPrice)}`;
}

function orderIdOf(mail: ReceivedMail): string {
	const match = /^Order id: (\S+)$/m.exec(mail.text);
	if (!match) throw new Error(`no order id in mail body:\n${mail.text}`);
	return match[1];
}

const reject = (reason: string): ScriptedOrder['steps'] => [{ type: 'reject', reason }];

describe('rejection email example in the pinned n8n, SMTP to a local sink', () => {
	let sim: RunningSimulator;
	let smtp: SmtpSink;
	let n8n: N8nInstance | undefined;
	let session: N8nSession;
	let userFolder: string;
	let workflowId: string;
	const played: LedgerEntry[] = [];
	/** Rejections the trigger can only learn from a catch-up (the socket was gone). */
	const caughtUp = new Set<string>();

	/** Starts n8n on the test's user folder, kept across stops so the next start is a restart. */
	async function start(
		setup: Pick<StartN8nWithOptions, 'credentials' | 'workflows' | 'owner'>,
	): Promise<void> {
		({ n8n, session } = await startN8nWith({
			customExtensionsDir: PACKAGE_DIST,
			userFolder,
			keepUserFolder: true,
			...setup,
		}));
		console.log(`n8n ready in ${n8n.startupMs} ms (log ${n8n.logFile})`);
	}

	/** The sink holds exactly one mail per rejection in the ledger, and every run finished. */
	async function expectOneMailPerRejection(): Promise<ReceivedMail[]> {
		const expected = rejections(played);
		await smtp.waitForCount(expected.length);
		await waitForExecutions(
			session,
			workflowId,
			expected.length,
			(execution) => execution.status === 'success',
		);
		expect(smtp.mails.map(orderIdOf).sort()).toEqual(expected.map((entry) => entry.orderId).sort());
		for (const entry of expected) {
			const [mail] = smtp.mails.filter((candidate) => orderIdOf(candidate) === entry.orderId);
			expect(mail.subject).toBe(subjectFor(entry));
			expect(mail.to).toEqual(['trader@example.com']);
			expect(mail.from).toBe('alerts@example.com');
			expect(mail.text).toContain(`Symbol: ${entry.displayName}\n`);
			expect(mail.text).toContain(`Exchange: ${entry.exchange}\n`);
			expect(mail.text).toContain(`Side: ${entry.side}\n`);
			expect(mail.text).toContain(`Quantity: ${entry.orderQty}\n`);
			expect(mail.text).toContain(`Price: ₹${rupees(entry.orderPrice)}\n`);
			expect(mail.text).toContain(`Tag: ${entry.tag}\n`);
			// Live rejections carry the reason; caught-up ones: see the failing test below.
			if (!caughtUp.has(entry.orderId))
				expect(mail.text).toContain(`Reason: ${entry.rejectionMsg}\n`);
		}
		return smtp.mails;
	}

	beforeAll(async () => {
		sim = await startSimulator();
		smtp = await startSmtpSink();
		userFolder = createUserFolder();
		const nubra = simulatorCredential(sim);
		const mailer: CredentialJson & { id: string } = {
			id: n8nId(),
			name: 'Local SMTP sink',
			type: 'smtp',
			data: {
				user: '',
				password: '',
				host: smtp.host,
				port: smtp.port,
				secure: false,
				disableStartTls: true,
			},
		};
		const workflow: WorkflowJson = forCustomExtensions(loadExample('alert-on-rejection-email'), {
			nubraApi: { id: nubra.id, name: nubra.name },
			smtp: { id: mailer.id, name: mailer.name },
		});
		workflowId = workflow.id as string;
		await start({ credentials: [nubra, mailer], workflows: [{ ...workflow, active: true }] });
		await sim.control.waitForSubscribers(1, 60_000);
	});

	afterAll(async () => {
		await n8n?.stop();
		if (userFolder) rmSync(userFolder, { recursive: true, force: true });
		await smtp?.close();
		await sim?.close();
	});

	it('mails exactly the rejected orders, with symbol, side, quantity, rupee price and reason', async () => {
		const orders = playOrders(sim.control, [
			{
				spec: { ...SPECS.sbin, side: 'BUY', qty: 100, price: 80_235, tag: 'e2e-r1' },
				steps: reject('RMS: Insufficient margin'),
			},
			{
				spec: { ...SPECS.tcs, side: 'SELL', qty: 5, price: 390_055, tag: 'e2e-r2' },
				steps: [{ type: 'accept' }, { type: 'fill' }],
			},
			{
				spec: { ...SPECS.niftyPe, side: 'SELL', qty: 75, price: 9_835, tag: 'e2e-r3' },
				steps: reject('Exchange: Price outside circuit limits'),
			},
			{
				spec: { ...SPECS.infy, side: 'BUY', qty: 8, price: 150_215, tag: 'e2e-r4' },
				steps: [{ type: 'accept' }, { type: 'partialFill', qty: 2 }, { type: 'cancel' }],
			},
		]);
		played.push(...orders.flatMap((order) => order.entries));
		expect(rejections(played)).toHaveLength(2);
		const mails = await expectOneMailPerRejection();
		expect(mails[0].subject).toMatch(
			/^Nubra order rejected: (BUY 100 SBIN @ ₹802\.35|SELL 75 NIFTY 25DEC 24000 PE @ ₹98\.35)$/,
		);
	});

	it('loses and doubles nothing when the socket drops with rejections happening meanwhile', async () => {
		let gapError: unknown;
		const stopListening = sim.control.on('disconnected', () => {
			stopListening();
			// Synchronously, before the trigger can reconnect: only a catch-up can see these.
			try {
				const gap = playOrders(sim.control, [
					{
						spec: { ...SPECS.hdfc, side: 'SELL', qty: 20, price: 165_485, tag: 'e2e-gap1' },
						steps: reject('RMS: Order value exceeds limit'),
					},
					{
						spec: { ...SPECS.reliance, side: 'BUY', qty: 2, price: 245_035, tag: 'e2e-gap2' },
						steps: [{ type: 'accept' }],
					},
				]);
				played.push(...gap.flatMap((order) => order.entries));
				caughtUp.add(gap[0].id);
			} catch (error) {
				gapError = error;
			}
		});
		sim.control.dropAfter(1);
		// Delivered, then the socket is destroyed.
		played.push(
			...playOrder(sim.control, {
				spec: { ...SPECS.relianceBse, side: 'BUY', qty: 3, price: 245_015, tag: 'e2e-drop' },
				steps: reject('RMS: Quantity exceeds freeze limit'),
			}).entries,
		);
		await sim.control.waitForDisconnect(30_000);
		expect(gapError).toBeUndefined();
		await sim.control.waitForSubscribers(1, 60_000);
		played.push(
			...playOrder(sim.control, {
				spec: { ...SPECS.tcs, side: 'BUY', qty: 1, price: 390_105, tag: 'e2e-after-drop' },
				steps: reject('Exchange: Market is closed for this segment'),
			}).entries,
		);
		expect(rejections(played)).toHaveLength(5);
		expect(caughtUp.size).toBe(1);
		await expectOneMailPerRejection();
	});

	it('after a restart on the same user folder, mails exactly the rejections that happened while down', async () => {
		await n8n!.stop();
		await sim.control.waitForDisconnect(30_000);
		// While n8n is down: two rejections, and another order moving (not mailed).
		const down = playOrders(sim.control, [
			{
				spec: { ...SPECS.sbin, side: 'SELL', qty: 40, price: 80_240, tag: 'e2e-down1' },
				steps: reject('RMS: Insufficient margin'),
			},
			{
				spec: { ...SPECS.niftyCe, side: 'BUY', qty: 150, price: 12_045, tag: 'e2e-down2' },
				steps: [{ type: 'accept' }, { type: 'partialFill', qty: 75 }],
			},
			{
				spec: { ...SPECS.infy, side: 'SELL', qty: 6, price: 150_495, tag: 'e2e-down3' },
				steps: reject('RMS: Order value exceeds limit'),
			},
		]);
		played.push(...down.flatMap((order) => order.entries));
		caughtUp.add(down[0].id);
		caughtUp.add(down[2].id);

		await start({ owner: { existing: true } });
		expect(await session.activeWorkflowIds()).toContain(workflowId);
		await sim.control.waitForSubscribers(1, 60_000);
		await expectOneMailPerRejection();

		// Live again: one more rejection arrives, once, and still nothing earlier twice.
		played.push(
			...playOrder(sim.control, {
				spec: { ...SPECS.hdfc, side: 'BUY', qty: 7, price: 165_470, tag: 'e2e-after-restart' },
				steps: reject('Exchange: Price outside circuit limits'),
			}).entries,
		);
		expect(rejections(played)).toHaveLength(8);
		await expectOneMailPerRejection();
	});

	// The catch-up row's `rejectionMsg` becomes the item's update_msg, as on the socket.
	it('mails the reason of a rejection learnt from a catch-up too', () => {
		expect(caughtUp.size).toBe(3);
		for (const entry of rejections(played).filter((candidate) => caughtUp.has(candidate.orderId))) {
			const [mail] = smtp.mails.filter((candidate) => orderIdOf(candidate) === entry.orderId);
			expect(mail.text).toContain(`Reason: ${entry.rejectionMsg}\n`);
		}
	});

	it('closes the socket when the workflow is deactivated', async () => {
		expect(sim.control.subscriberCount).toBe(1);
		await session.deactivateWorkflow(workflowId);
		await sim.control.waitForDisconnect(30_000);
		expect(sim.control.subscriberCount).toBe(0);
		expect(await session.activeWorkflowIds()).not.toContain(workflowId);
	});
});
