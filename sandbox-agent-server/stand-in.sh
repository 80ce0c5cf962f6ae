#!/usr/bin/env bash
# stand-in.sh DATA_DIR: lays out a private XDG_DATA_HOME for `sandbox-agent server` in which
#   codex = the ACP SDK's example agent (npm @agentclientprotocol/sdk, a real ACP agent that runs offline)
#   amp   = fast-agent.mjs (this folder's fast, scriptable ACP agent)
# Start the server with XDG_DATA_HOME=DATA_DIR. Run install.sh first.
set -euo pipefail
[ $# -eq 1 ] || { echo "usage: $0 DATA_DIR" >&2; exit 2; }
here=$(cd "$(dirname "$0")" && pwd)
example="$here/node_modules/@agentclientprotocol/sdk/dist/examples/agent.js"
[ -f "$example" ] || { echo "$example is missing: run $here/install.sh first" >&2; exit 1; }
bin="$1/sandbox-agent/bin"
mkdir -p "$bin/agent_processes"
# The server counts codex as installed only when a native binary answering --version exists.
cat >"$bin/codex" <<'STUB'
#!/usr/bin/env sh
echo "codex-cli 0.0.0 (stand-in: the ACP SDK example agent)"
STUB
printf '#!/usr/bin/env sh\nexec node "%s" "$@"\n' "$example" >"$bin/agent_processes/codex-acp"
printf '#!/usr/bin/env sh\nexec node "%s" "$@"\n' "$here/fast-agent.mjs" >"$bin/agent_processes/amp-acp"
chmod +x "$bin/codex" "$bin/agent_processes/codex-acp" "$bin/agent_processes/amp-acp"
