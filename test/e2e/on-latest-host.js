// jest setup for the `e2e-latest` project: the same suites, on the newest n8n host (Node 24).
process.env.N8N_E2E_HOST = 'latest';
