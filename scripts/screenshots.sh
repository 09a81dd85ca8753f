#!/usr/bin/env bash
# Refreshes the README screenshots (docs/*.png) from the running demo: start `npm run demo` in
# another terminal first. Needs Chromium: `apt-get install chromium` on Debian/Ubuntu, or
# CHROMIUM=/path/to/chrome. Arguments go to scripts/screenshots.js (--out DIR --width W --height H).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${CHROMIUM:-}" ] && ! command -v chromium >/dev/null && ! command -v chromium-browser >/dev/null \
	&& ! command -v google-chrome >/dev/null; then
	echo '[screenshots] Chromium not found: apt-get install chromium (or set CHROMIUM=/path/to/chrome)' >&2
	exit 1
fi
exec node scripts/screenshots.js "$@"
