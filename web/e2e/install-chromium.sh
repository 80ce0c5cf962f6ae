#!/usr/bin/env bash
# Debian's chromium for the browser tests (playwright's own browser download does not work on these machines;
# playwright-core drives this one, at $CHROMIUM or /usr/bin/chromium).
#
#   web/e2e/install-chromium.sh            checks only: what the browser tests run before they start; fails, naming
#                                          bin/setup, when chromium is missing (the tests never run apt-get)
#   web/e2e/install-chromium.sh --install  installs it with apt-get when it is missing (root, or sudo); bin/setup
#                                          runs this, and bin/test runs bin/setup before a full run. Idempotent.
set -euo pipefail
chromium=${CHROMIUM:-/usr/bin/chromium}
if [ -x "$chromium" ]; then
	exit 0
fi
if [ "${1:-}" != --install ]; then
	echo "The browser tests need chromium at $chromium, and it is missing: run bin/setup once (it installs Debian's" \
		"chromium with apt-get, as root or through sudo), or set CHROMIUM to a chromium binary." >&2
	exit 1
fi
if [ ! -x /usr/bin/chromium ]; then
	sudo=""
	if [ "$(id -u)" -ne 0 ]; then
		sudo=sudo
	fi
	export DEBIAN_FRONTEND=noninteractive
	$sudo apt-get update -qq >&2
	$sudo apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >&2
fi
if [ ! -x "$chromium" ]; then
	echo "Debian's chromium is at /usr/bin/chromium, but CHROMIUM=$chromium is missing." >&2
	exit 1
fi
