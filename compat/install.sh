#!/usr/bin/env bash
# Install the pinned npm packages when node_modules is missing or older than
# package-lock.json. Called by the Java test suite's setup.
set -euo pipefail
cd "$(dirname "$0")"
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ] \
	|| [ ! -f node_modules/.package-lock.json ]; then
	# npm ci rejects this lock (optional platform packages recorded without versions); install honours it.
	npm install --no-audit --no-fund --no-save >&2
	touch node_modules/.package-lock.json
fi
