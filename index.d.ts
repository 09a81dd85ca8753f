// Types of index.js: the client and the simulator. `n8n-nodes-nubra/simulator` has the
// simulator alone.
export * from './dist/client/index';
export * from './dist/simulator/index';
