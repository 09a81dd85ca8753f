// Copies what tsc does not emit: node icons, codex files and the .proto schema the decoder and
// the simulator load at run time into dist/ (`build`); the schema into dist-tools/ (`tools`),
// where the bench and the demo run their own compiled copy of the client and simulator.
const { src, dest, parallel } = require('gulp');

function copyNodeAssets() {
	return src(['nodes/**/*.{png,svg,json}', 'credentials/**/*.{png,svg}'], { base: '.' }).pipe(
		dest('dist'),
	);
}

function copyProtoSchema() {
	return src('proto/**/*.proto', { base: '.' }).pipe(dest('dist'));
}

function copyProtoSchemaForTools() {
	return src('proto/**/*.proto', { base: '.' }).pipe(dest('dist-tools'));
}

exports.build = parallel(copyNodeAssets, copyProtoSchema);
exports.tools = copyProtoSchemaForTools;
exports.default = exports.build;
