import { readFileSync } from 'node:fs';
import Module from 'node:module';

type Loader = (module: NodeJS.Module & { _compile(code: string, filename: string): void }, filename: string) => void;

let registered = false;

/**
 * Lets `require` load TypeScript sources by transpiling them on the fly (no type check), so
 * the compiled bench can use the e2e harness where it lives: the harness finds the pinned n8n
 * relative to its own `__dirname`, which a copy under `dist/` would get wrong. Bench-only;
 * needs the `typescript` dev dependency.
 */
export function registerTypeScript(): void {
	if (registered) return;
	registered = true;
	// eslint-disable-next-line @typescript-eslint/no-require-imports
	const ts = require('typescript') as typeof import('typescript');
	const extensions = (Module as unknown as { _extensions: Record<string, Loader> })._extensions;
	extensions['.ts'] = (module, filename) => {
		const output = ts.transpileModule(readFileSync(filename, 'utf8'), {
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
}
