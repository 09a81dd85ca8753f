#!/usr/bin/env node
/*
 * Starts the demo (demo/demo.ts) without a separate build step.
 *
 * The demo is TypeScript because it drives n8n through the e2e harness (test/e2e/harness/*.ts),
 * which the package build does not compile and which must run from where it lives: it finds the
 * pinned n8n relative to its own __dirname. So `require` is taught to load .ts files by
 * transpiling them with the `typescript` dev dependency (transpileModule: no type check, a few
 * milliseconds per file). Type checking is `npx tsc -p demo/tsconfig.json`. The package's own
 * code (simulator) is loaded from the built dist/, as n8n loads it.
 *
 * Usage: node demo/run.js [--rate N] [--seed N] [--verbose] [--quiet]   (scripts/demo.sh runs it)
 */
'use strict';

const fs = require('node:fs');
const Module = require('node:module');

const ts = require('typescript');

Module._extensions['.ts'] = (module, filename) => {
	const output = ts.transpileModule(fs.readFileSync(filename, 'utf8'), {
		fileName: filename,
		compilerOptions: {
			module: ts.ModuleKind.CommonJS,
			target: ts.ScriptTarget.ES2022,
			esModuleInterop: true,
			sourceMap: false,
		},
	});
	module._compile(output.outputText, filename);
};

require('./demo.ts').main(process.argv.slice(2));
