#!/usr/bin/env bash
# Installs the pinned npm packages when node_modules is missing or older than package-lock.json, and makes the
# server binary executable (npm does not run its postinstall chmod). Idempotent; the SDK tests call it.
set -euo pipefail
cd "$(dirname "$0")"
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
	npm install --no-audit --no-fund --no-save >&2
	touch node_modules/.package-lock.json
fi
chmod +x node_modules/@sandbox-agent/cli-linux-x64/bin/sandbox-agent
