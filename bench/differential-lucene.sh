#!/usr/bin/env bash
# Regenerates testdata/elasticsearch/DIFFERENTIAL.md: the pack's Lucene queries from sigmabridge
# and from the reference converter (sigma-cli + pySigma-backend-elasticsearch, from PyPI), run
# on a real Elasticsearch against the same events, compared with sigmabridge's evaluator.
#
#   bash bench/differential-lucene.sh
#
# Uses SIGMABRIDGE_ES_URL when set; otherwise starts the node of .ci/elasticsearch (and stops
# it afterwards if this script started it). The reference converter goes into its own
# virtualenv (SIGMABRIDGE_PYSIGMA_VENV, default .cache/pysigma-differential) through
# bench/pysigma-env.sh, with pyparsing pinned to 3.2.5: with pyparsing 3.3.x, which pip
# resolves by default, pySigma 1.5.0 crashes on every condition of the form `a and not b`
# ("TypeError: 'str' object is not callable"), 15 of the pack's 41 rules.
#
# Not part of .ci/test.sh: it needs PyPI and takes about a minute (sigma-cli runs once per rule).
# Without SIGMABRIDGE_PYSIGMA_BIN the test skips; with it and without -update it checks that
# the committed report is current.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

export SIGMABRIDGE_PYSIGMA_VENV=${SIGMABRIDGE_PYSIGMA_VENV:-$root/.cache/pysigma-differential}
bin=$(bash bench/pysigma-env.sh)
if [ "$("$bin/python" -c 'import importlib.metadata as m; print(m.version("pyparsing"))')" != 3.2.5 ]; then
  "$bin/pip" install --quiet --disable-pip-version-check pyparsing==3.2.5 >&2
fi

started=""
if [ -z "${SIGMABRIDGE_ES_URL:-}" ]; then
  run=.ci/elasticsearch/run
  if ! { [ -s "$run/pid" ] && kill -0 "$(cat "$run/pid")" 2>/dev/null; }; then
    started=1
  fi
  SIGMABRIDGE_ES_URL=$(bash .ci/elasticsearch/start.sh)
  export SIGMABRIDGE_ES_URL
fi
cleanup() { if [ -n "$started" ]; then bash .ci/elasticsearch/stop.sh || true; fi; }
trap cleanup EXIT INT TERM

SIGMABRIDGE_PYSIGMA_BIN=$bin go test -count=1 -run '^TestDifferentialLucene$' ./backends/elasticsearch/integration -update
echo "wrote testdata/elasticsearch/DIFFERENTIAL.md" >&2
