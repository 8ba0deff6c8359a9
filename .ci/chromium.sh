#!/usr/bin/env bash
# Makes Debian's Chromium available for the browser tests of serve/ (run by .ci/test.sh).
# Idempotent: nothing is done when chromium is already on PATH. Otherwise, as root with
# apt-get, it installs the `chromium` package (apt keeps the downloaded .debs in its cache,
# /var/cache/apt/archives, so a second install on the same machine downloads nothing).
# Prints the path of the browser on stdout, or nothing (and why, on stderr) when it cannot
# be had; the browser tests then skip with their reason.
set -uo pipefail

if exe=$(command -v chromium || command -v chromium-browser); then
  echo "$exe"
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "chromium: not installed and apt-get is not available here; the browser tests will skip" >&2
  exit 0
fi
if [ "$(id -u)" != 0 ]; then
  echo "chromium: not installed, and installing it with apt-get needs root; the browser tests will skip" >&2
  exit 0
fi
echo "chromium: installing Debian's chromium package" >&2
export DEBIAN_FRONTEND=noninteractive
# Update the package lists only when they are missing or older than a day.
if [ -z "$(find /var/lib/apt/lists -maxdepth 1 -name '*_Packages*' -mtime -1 2>/dev/null | head -1)" ]; then
  apt-get update -qq >&2 || echo "chromium: apt-get update failed" >&2
fi
if ! apt-get install -y -qq --no-install-recommends chromium >&2; then
  echo "chromium: apt-get install chromium failed; the browser tests will skip" >&2
  exit 0
fi
command -v chromium || true
