// The package's main entry: the framework-free Nubra client (auth, stream, decoder, filters)
// and the local Nubra simulator. n8n itself loads the node and credential from the `n8n`
// section of package.json, not from here.
module.exports = {
	...require('./dist/client/index.js'),
	...require('./dist/simulator/index.js'),
};
