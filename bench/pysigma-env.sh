#!/usr/bin/env bash
# Creates (once) a virtualenv with the reference converter from PyPI, pinned to the
# versions docs/peers.md cites, and prints its bin directory. pyparsing is pinned too: with
# 3.3.x, which pip picks by default, pySigma 1.5.0 crashes on every `a and not b` condition
# ("TypeError: 'str' object is not callable").
#   SIGMABRIDGE_PYSIGMA_VENV  where to put it (default: .cache/pysigma in the repository)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
venv=${SIGMABRIDGE_PYSIGMA_VENV:-$root/.cache/pysigma}
stamp="$venv/.installed-v2"
if [ ! -f "$stamp" ]; then
  python3 -m venv "$venv" >&2
  "$venv/bin/pip" install --quiet --disable-pip-version-check \
    pysigma==1.5.0 sigma-cli==3.0.2 pysigma-backend-splunk==2.1.0 pysigma-backend-elasticsearch==2.1.0 pyparsing==3.2.5 >&2
  touch "$stamp"
fi
echo "$venv/bin"
