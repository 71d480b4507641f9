#!/usr/bin/env bash
# Builds the console into server/target/classes/ui (run by Maven in generate-resources).
# npm ci only when the installed packages are older than the lock file: a rebuild costs a second.
set -euo pipefail
cd "$(dirname "$0")"
command -v npm >/dev/null 2>&1 || { echo "The console (/ui) is built with Node.js and npm: install them (Debian: apt-get install nodejs npm)." >&2; exit 1; }
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
npm run build --silent
