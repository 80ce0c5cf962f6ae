#!/usr/bin/env bash
# Start the REAL reference stack: Rivet Engine 2.3.19 (from node_modules) with its
# client-facing guard on 127.0.0.1:<port>, plus the RivetKit 2.3.19 registry
# (reference-server.mjs) connected to it. Waits until the registry's envoy is
# registered, then prints the PIDs. Stop with: stop-reference.sh <port>
#
# Ports used: <port> (guard = client endpoint), <port>+1 (api-peer), <port>+2 (metrics).
# State (engine DB, logs, pid file): ${TMPDIR:-/tmp}/rivetkit-compat-ref-<port>/
# REFERENCE_REGISTRY (default reference-server.mjs) picks the registry script; start-workspace.sh uses it.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
PORT="${1:?usage: start-reference.sh <port>}"
STATE="${TMPDIR:-/tmp}/rivetkit-compat-ref-$PORT"
ENGINE_BIN="$HERE/node_modules/@rivetkit/engine-cli-linux-x64-musl/rivet-engine"
ENDPOINT="http://127.0.0.1:$PORT"
REGISTRY_SCRIPT="$HERE/${REFERENCE_REGISTRY:-reference-server.mjs}"

"$HERE/install.sh"
if [ -f "$STATE/pids" ]; then
	echo "start-reference: $STATE/pids exists; run stop-reference.sh $PORT first" >&2
	exit 1
fi
if curl -s -o /dev/null --max-time 2 "$ENDPOINT/health"; then
	echo "start-reference: something already answers on $ENDPOINT" >&2
	exit 1
fi
rm -rf "$STATE"
mkdir -p "$STATE/engine-db" "$STATE/rivetkit"

# The engine's workflow worker sheds load based on HOST cpu usage: on a busy machine
# (parallel builds) actor creation then stalls for tens of seconds and requests fail
# with guard route_resolve_query_timeout. Keep every workflow eligible.
cat >"$STATE/engine.json" <<'JSON'
{ "runtime": { "worker_load_shedding_curve": [[0, 1000], [1000, 999]] } }
JSON

env RIVET__GUARD__HOST=127.0.0.1 RIVET__GUARD__PORT="$PORT" \
	RIVET__API_PEER__HOST=127.0.0.1 RIVET__API_PEER__PORT="$((PORT + 1))" \
	RIVET__METRICS__HOST=127.0.0.1 RIVET__METRICS__PORT="$((PORT + 2))" \
	RIVET__FILE_SYSTEM__PATH="$STATE/engine-db" RIVET__TELEMETRY__ENABLED=false \
	setsid "$ENGINE_BIN" --config "$STATE/engine.json" start >"$STATE/engine.log" 2>&1 </dev/null &
ENGINE_PID=$!
echo "$ENGINE_PID" >"$STATE/pids"

fail() {
	echo "start-reference: $1 (logs in $STATE)" >&2
	tail -n 20 "$STATE"/*.log >&2 || true
	"$HERE/stop-reference.sh" "$PORT" >&2 || true
	exit 1
}

for _ in $(seq 1 120); do
	curl -sf -o /dev/null --max-time 2 "$ENDPOINT/health" && break
	kill -0 "$ENGINE_PID" 2>/dev/null || fail "engine exited"
	sleep 0.5
done
curl -sf -o /dev/null --max-time 2 "$ENDPOINT/health" || fail "engine not healthy after 60 s"

env RIVET_ENDPOINT="$ENDPOINT" RIVET_RUN_ENGINE=0 RIVET_RUN_SERVICES=0 \
	RIVETKIT_STORAGE_PATH="$STATE/rivetkit" NODE_ENV=development \
	setsid node "$REGISTRY_SCRIPT" >"$STATE/registry.log" 2>&1 </dev/null &
REGISTRY_PID=$!
echo "$REGISTRY_PID" >>"$STATE/pids"

for _ in $(seq 1 240); do
	if curl -sf --max-time 2 "$ENDPOINT/envoys?namespace=default" | grep -q '"pool_name":"default"'; then
		echo "engine_pid=$ENGINE_PID registry_pid=$REGISTRY_PID endpoint=$ENDPOINT state=$STATE"
		exit 0
	fi
	kill -0 "$REGISTRY_PID" 2>/dev/null || fail "registry exited"
	sleep 0.5
done
fail "registry envoy not registered after 120 s"
