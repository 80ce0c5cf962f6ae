#!/usr/bin/env bash
# Stop the reference stack started by start-reference.sh <port> (by PID) and
# delete its state directory.
set -uo pipefail
PORT="${1:?usage: stop-reference.sh <port>}"
STATE="${TMPDIR:-/tmp}/rivetkit-compat-ref-$PORT"
[ -f "$STATE/pids" ] || { echo "stop-reference: nothing recorded in $STATE" >&2; exit 0; }
PIDS=$(tac "$STATE/pids")   # registry first, then the engine
for pid in $PIDS; do kill -TERM "$pid" 2>/dev/null; done
for _ in $(seq 1 50); do
	alive=""
	for pid in $PIDS; do kill -0 "$pid" 2>/dev/null && alive="$alive $pid"; done
	[ -z "$alive" ] && break
	sleep 0.2
done
for pid in $PIDS; do kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null; done
echo "stopped:" $PIDS
rm -rf "$STATE/pids" "$STATE/engine-db" "$STATE/rivetkit"   # logs stay for post-mortems
