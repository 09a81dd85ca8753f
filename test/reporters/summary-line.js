// Ends the jest output with one plain line, "tests: N passed, N failed", that any CI can read.
class SummaryLineReporter {
	onRunComplete(_contexts, results) {
		const skipped = results.numPendingTests + results.numTodoTests;
		const tail = skipped > 0 ? `, ${skipped} skipped` : '';
		process.stdout.write(
			`\ntests: ${results.numPassedTests} passed, ${results.numFailedTests + results.numRuntimeErrorTestSuites} failed${tail}\n`,
		);
	}
}

module.exports = SummaryLineReporter;
