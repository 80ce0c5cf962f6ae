#!/usr/bin/env bash
# Builds the workspace page into OUT_DIR (index.html, app.js, app.css): installs the pinned npm packages when
# node_modules is missing or older than package-lock.json, then bundles src/ with esbuild.
# Called by the app module's Maven build (generate-resources), so `serve` and `bin/test` always carry the page.
set -euo pipefail
cd "$(dirname "$0")"
out=${1:?usage: web/build.sh OUT_DIR}
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
	# Same reason as compat/install.sh: npm ci rejects optional platform packages recorded without versions.
	npm install --no-audit --no-fund --no-save >&2
	touch node_modules/.package-lock.json
fi
mkdir -p "$out"
node_modules/.bin/esbuild src/main.jsx --bundle --format=esm --platform=browser --target=es2022 \
	--jsx=automatic --minify --define:process.env.NODE_ENV='"production"' \
	--log-level=warning --outfile="$out/app.js"
cp index.html src/app.css "$out/"
