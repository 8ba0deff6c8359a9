#!/usr/bin/env bash
# Regenerates testdata/elasticsearch/DIFFERENTIAL.md: the pack's Lucene queries from sigmabridge
# and from the reference converter (sigma-cli + pySigma-backend-elasticsearch, from PyPI), run
# on a real Elasticsearch against the same events, compared with sigmabridge's evaluator.
#
#   bash bench/differential-lucene.sh
#
# Uses SIGMABRIDGE_ES_URL when set; otherwise starts the node of .ci/elasticsearch (and stops
# it afterwards if this script started it). The reference converter goes into its own
# virtualenv (SIGMABRIDGE_PYSIGMA_VENV, default .cache/pysigma) through bench/pysigma-env.sh,
# which pins the versions (pyparsing included: 3.3.x breaks pySigma 1.5.0 on `a and not b`).
#
# Not part of .ci/test.sh: it needs PyPI and takes about a minute (sigma-cli runs once per rule).
# Without SIGMABRIDGE_PYSIGMA_BIN the test skips; with it and without -update it checks that
# the committed report is current.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

bin=$(bash bench/pysigma-env.sh)

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
