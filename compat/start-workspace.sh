#!/usr/bin/env bash
# Start the TypeScript workspace stack: Rivet Engine 2.3.19 with its guard on 127.0.0.1:<port>, the RivetKit
# 2.3.19 registry of workspace-server.mjs (the seed's workspace actor, official Sandbox Agent SDK 0.4.2), and a
# Sandbox Agent 0.4.2 server on <port>+3 laid out as `serve` lays out its own (sandbox-agent-server/stand-in.sh:
# agent `amp` = fast-agent.mjs, `codex` = the ACP SDK's example agent). Waits until all three answer, then prints
#   engine_pid=… registry_pid=… endpoint=http://127.0.0.1:<port> state=… sandbox_agent_pid=… sandbox_agent_url=…
# Stop with: stop-workspace.sh <port>
#
# Ports: <port> (guard = client endpoint), <port>+1 (api-peer), <port>+2 (metrics), <port>+3 (Sandbox Agent).
# State, logs, PIDs: ${TMPDIR:-/tmp}/rivetkit-compat-ref-<port>/ (sandbox-agent/ holds its XDG_DATA_HOME and log).
# WORKSPACE_AGENT (default amp) is the agent a new workspace runs.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
PORT="${1:?usage: start-workspace.sh <port>}"
SA_PORT=$((PORT + 3))
SA_URL="http://127.0.0.1:$SA_PORT"
STATE="${TMPDIR:-/tmp}/rivetkit-compat-ref-$PORT"
SA_DIR="$HERE/../sandbox-agent-server"
SA_BIN="$SA_DIR/node_modules/@sandbox-agent/cli-linux-x64/bin/sandbox-agent"

"$SA_DIR/install.sh"
if curl -s -o /dev/null --max-time 2 "$SA_URL/v1/health"; then
	echo "start-workspace: something already answers on $SA_URL" >&2
	exit 1
fi
# The registry reads SANDBOX_AGENT_URL when a workspace wakes; the server itself starts right after.
ref=$(SANDBOX_AGENT_URL="$SA_URL" WORKSPACE_AGENT="${WORKSPACE_AGENT:-amp}" REFERENCE_REGISTRY=workspace-server.mjs \
	"$HERE/start-reference.sh" "$PORT")

mkdir -p "$STATE/sandbox-agent"
"$SA_DIR/stand-in.sh" "$STATE/sandbox-agent"
XDG_DATA_HOME="$STATE/sandbox-agent" setsid "$SA_BIN" server --no-telemetry --no-token -H 127.0.0.1 -p "$SA_PORT" \
	>"$STATE/sandbox-agent.log" 2>&1 </dev/null &
SA_PID=$!
echo "$SA_PID" >>"$STATE/pids"

for _ in $(seq 1 120); do
	if curl -sf --max-time 2 "$SA_URL/v1/health" | grep -q '"ok"'; then
		echo "$ref sandbox_agent_pid=$SA_PID sandbox_agent_url=$SA_URL"
		exit 0
	fi
	kill -0 "$SA_PID" 2>/dev/null || break
	sleep 0.5
done
echo "start-workspace: the Sandbox Agent server did not become healthy (log: $STATE/sandbox-agent.log)" >&2
tail -n 20 "$STATE/sandbox-agent.log" >&2 || true
"$HERE/stop-workspace.sh" "$PORT" >&2 || true
exit 1
