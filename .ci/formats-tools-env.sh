#!/usr/bin/env bash
# Creates (once) a virtualenv with the checkers the formats tests use, from PyPI, pinned, and
# prints its bin directory: splunk-appinspect inspects the Splunk app that
# `convert -f splunk-app` builds, addonfactory-splunk-conf-parser-lib reads back
# savedsearches.conf, jsonschema validates the Elastic rules and the Navigator layer, and eql
# (Elastic's EQL parser) parses the EQL rules, which the test node cannot run (x-pack-eql is
# not on Maven Central, .ci/elasticsearch/README.md).
# splunk-appinspect needs libmagic (Debian: libmagic1), installed here when apt-get exists.
#   SIGMABRIDGE_FORMATS_TOOLS_VENV  where to put it (default: .cache/formats-tools in the repository)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
venv=${SIGMABRIDGE_FORMATS_TOOLS_VENV:-$root/.cache/formats-tools}
stamp="$venv/.installed-v1"
if [ ! -f "$stamp" ]; then
  if ! ldconfig -p 2>/dev/null | grep -q 'libmagic\.so\.1'; then
    if command -v apt-get >/dev/null 2>&1; then
      { apt-get update -qq && apt-get install -y -qq libmagic1; } >&2
    fi
  fi
  python3 -m venv "$venv" >&2
  "$venv/bin/pip" install --quiet --disable-pip-version-check \
    splunk-appinspect==4.3.1 addonfactory-splunk-conf-parser-lib==1.0.0 jsonschema==4.26.0 eql==1.0.1 >&2
  touch "$stamp"
fi
echo "$venv/bin"
