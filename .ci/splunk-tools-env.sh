#!/usr/bin/env bash
# Creates (once) a virtualenv with Splunk's app checker and a .conf parser from PyPI, pinned,
# and prints its bin directory. The formats tests use them: splunk-appinspect inspects the
# Splunk app that `convert -f splunk-app` builds, addonfactory-splunk-conf-parser-lib reads
# back savedsearches.conf, jsonschema validates the Elastic rules and the Navigator layer.
# splunk-appinspect needs libmagic (Debian: libmagic1), installed here when apt-get exists.
#   SIGMABRIDGE_SPLUNK_TOOLS_VENV  where to put it (default: .cache/splunk-tools in the repository)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
venv=${SIGMABRIDGE_SPLUNK_TOOLS_VENV:-$root/.cache/splunk-tools}
stamp="$venv/.installed-v1"
if [ ! -f "$stamp" ]; then
  if ! ldconfig -p 2>/dev/null | grep -q 'libmagic\.so\.1'; then
    if command -v apt-get >/dev/null 2>&1; then
      { apt-get update -qq && apt-get install -y -qq libmagic1; } >&2
    fi
  fi
  python3 -m venv "$venv" >&2
  "$venv/bin/pip" install --quiet --disable-pip-version-check \
    splunk-appinspect==4.3.1 addonfactory-splunk-conf-parser-lib==1.0.0 jsonschema==4.26.0 >&2
  touch "$stamp"
fi
echo "$venv/bin"
