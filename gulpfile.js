// Copies what tsc does not emit into dist/: node icons, codex files and the .proto schema
// the decoder and the simulator load at run time.
const { src, dest, parallel } = require('gulp');

function copyNodeAssets() {
	return src(['nodes/**/*.{png,svg,json}', 'credentials/**/*.{png,svg}'], { base: '.' }).pipe(
		dest('dist'),
	);
}

function copyProtoSchema() {
	return src('proto/**/*.proto', { base: '.' }).pipe(dest('dist'));
}

exports.build = parallel(copyNodeAssets, copyProtoSchema);
exports.default = exports.build;
