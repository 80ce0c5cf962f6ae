#!/usr/bin/env bash
# Installs Debian's chromium for the browser tests when it is missing (playwright's own browser download does not
# work on these machines; playwright-core drives this one). Needs root, or sudo.
set -euo pipefail
if [ -x /usr/bin/chromium ]; then
	exit 0
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then
	sudo=sudo
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq >&2
$sudo apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >&2
