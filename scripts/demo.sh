#!/usr/bin/env bash
# `npm run demo`: the Nubra Trigger inside a real n8n, fed by the local Nubra simulator.
#
# Prepares what the demo needs, then hands over to the compiled demo (exec, so Ctrl-C reaches
# the demo itself, which stops n8n, the simulator and the sinks by PID):
#   1. `npm ci` when node_modules is missing (a fresh clone);
#   2. `npm run build` when dist/ is missing or older than the sources (NUBRA_DEMO_BUILD=1
#      always builds, NUBRA_DEMO_BUILD=0 never does);
#   3. `npm run build:tools`: the demo and the n8n tooling (tools/n8n-host) into dist-tools/;
#   4. `node scripts/ensure-n8n.js`: the pinned n8n hosts (minutes the first time, under a
#      second when already installed). N8N_E2E_HOST=latest runs the demo on the newest host.
# Arguments go to the demo: `npm run demo -- --rate 5 --seed 7 --verbose` (see demo/demo.ts).
set -euo pipefail

cd "$(dirname "$0")/.."
say() { printf '[demo] %s\n' "$*"; }

if [ ! -d node_modules ] || [ ! -e node_modules/typescript/package.json ]; then
	say "node_modules is missing: npm ci"
	npm ci --no-audit --no-fund
fi

built=dist/nodes/NubraTrigger/NubraTrigger.node.js
needs_build=0
case "${NUBRA_DEMO_BUILD:-auto}" in
	1) needs_build=1 ;;
	0) needs_build=0 ;;
	*)
		if [ ! -e "$built" ] || [ ! -e dist/simulator/index.js ] || [ ! -e dist/credentials/NubraApi.credentials.js ]; then
			needs_build=1
		elif [ -n "$(find client credentials nodes simulator proto tsconfig.json gulpfile.js package.json \
			-type f -newer "$built" -print -quit 2>/dev/null)" ]; then
			needs_build=1
		fi
		;;
esac
if [ "$needs_build" = 1 ]; then
	say "building the package (npm run build)"
	npm run build --silent
else
	say "dist/ is up to date (NUBRA_DEMO_BUILD=1 forces a build)"
fi

say "compiling the demo and the n8n tooling (npm run build:tools)"
npm run build:tools --silent

node scripts/ensure-n8n.js

exec node dist-tools/demo/demo.js "$@"
