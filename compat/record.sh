#!/usr/bin/env bash
# Re-record the golden outputs in expected/ against the REAL stack.
#   record.sh            start the reference stack on a free port, record, stop it
#   record.sh <endpoint> record against an already running reference stack
# Restrict with SCENARIOS / ENCODINGS / CLIENTS (space-separated lists).
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
cd "$HERE"
./install.sh
ENDPOINT="${1:-}"
if [ -z "$ENDPOINT" ]; then
	PORT="${REFERENCE_PORT:-$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')}"
	trap './stop-reference.sh "$PORT" >/dev/null' EXIT
	./start-reference.sh "$PORT"
	ENDPOINT="http://127.0.0.1:$PORT"
fi
mkdir -p expected
for scenario in ${SCENARIOS:-$(node scenario.mjs --list)}; do
	for encoding in ${ENCODINGS:-bare json cbor}; do
		for client in ${CLIENTS:-2.3.19 2.3.11}; do
			out="expected/$scenario.$encoding.$client.jsonl"
			echo "recording $out"
			node scenario.mjs "$ENDPOINT" "$encoding" "$client" "$scenario" >"$out.tmp"
			mv "$out.tmp" "$out"
		done
	done
done
