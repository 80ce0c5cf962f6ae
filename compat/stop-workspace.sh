#!/usr/bin/env bash
# Stop the stack started by start-workspace.sh <port>: the Sandbox Agent server (its agents with it), the
# registry and the engine, by PID; deletes their state but keeps the logs.
set -uo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
PORT="${1:?usage: stop-workspace.sh <port>}"
STATE="${TMPDIR:-/tmp}/rivetkit-compat-ref-$PORT"
"$HERE/stop-reference.sh" "$PORT"
rm -rf "$STATE/sandbox-agent"
