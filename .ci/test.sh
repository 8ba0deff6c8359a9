#!/usr/bin/env bash
# The full test command (README): vet and the linters (.ci/lint.sh), then every test with the race detector, with the
# services the tests need started here and stopped on exit.
#
#   SIGMABRIDGE_CORPUS   the SigmaHQ corpus (default: ../shared/corpus/sigmahq beside the repo)
#   SIGMABRIDGE_ES_URL   a running Elasticsearch; when unset this script starts one
#   SIGMABRIDGE_ES_USERS that node's users (name:password:role lines), for the credential tests
#   SIGMABRIDGE_PYSIGMA_BIN  the reference converter's bin directory; when unset this script
#                        installs it from PyPI (bench/pysigma-env.sh, cached in .cache/pysigma)
#   SIGMABRIDGE_CHROMIUM the browser for the playground's tests; this script installs Debian's
#                        chromium with apt when it is missing (.ci/chromium.sh)
#   SIGMABRIDGE_FORMATS_TOOLS_BIN  splunk-appinspect, a .conf parser, jsonschema and eql for
#                        the formats tests; when unset this script installs them from PyPI
#                        (.ci/formats-tools-env.sh, cached in .cache/formats-tools)
#   SIGMABRIDGE_PAINLESS_CP  the Painless compiler's classpath, for the Query DSL correlation
#                        scripts; when unset this script builds it with Maven
#                        (backends/elasticsearch/dsl/testdata/painless/build.sh)
#
# Tests that need the corpus skip with a reason when it is absent; Elasticsearch tests fail
# loudly when run from here without a node (SIGMABRIDGE_REQUIRE_ES=1).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

if [ -z "${SIGMABRIDGE_CORPUS:-}" ] && [ -d "$root/../shared/corpus/sigmahq" ]; then
  export SIGMABRIDGE_CORPUS="$root/../shared/corpus/sigmahq"
fi
echo "corpus: ${SIGMABRIDGE_CORPUS:-<none: corpus tests will skip>}"

es_started=""
cleanup() {
  if [ -n "$es_started" ]; then
    bash .ci/elasticsearch/stop.sh || true
  fi
}
trap cleanup EXIT INT TERM

if [ -z "${SIGMABRIDGE_ES_URL:-}" ] && [ -f .ci/elasticsearch/start.sh ]; then
  # Stop the node on exit only if this run started it (a developer's node stays up).
  pidf=.ci/elasticsearch/run/pid
  if ! { [ -s "$pidf" ] && kill -0 "$(cat "$pidf")" 2>/dev/null; }; then
    es_started=1
  fi
  SIGMABRIDGE_ES_URL=$(bash .ci/elasticsearch/start.sh)
  export SIGMABRIDGE_ES_URL
  export SIGMABRIDGE_REQUIRE_ES=1
  # The node's file-realm users (fresh passwords at every start), for the credential tests.
  export SIGMABRIDGE_ES_USERS="$root/.ci/elasticsearch/run/users"
  echo "elasticsearch: $SIGMABRIDGE_ES_URL"
fi

# The reference converter (pySigma, sigma-cli) from PyPI, for the differential test against
# it on the live node (testdata/elasticsearch/DIFFERENTIAL.md must be current).
if [ -z "${SIGMABRIDGE_PYSIGMA_BIN:-}" ]; then
  SIGMABRIDGE_PYSIGMA_BIN=$(bash bench/pysigma-env.sh)
  export SIGMABRIDGE_PYSIGMA_BIN
fi
echo "reference converter: $SIGMABRIDGE_PYSIGMA_BIN"

# Debian's Chromium for the playground's browser tests (serve/browser_test.go); when it is
# installed they must run, not skip.
chromium=$(bash .ci/chromium.sh)
if [ -n "$chromium" ]; then
  export SIGMABRIDGE_CHROMIUM="$chromium" SIGMABRIDGE_REQUIRE_BROWSER=1
  echo "chromium: $chromium ($("$chromium" --version 2>/dev/null || echo 'version unknown'))"
fi
# Splunk's app checker (splunk-appinspect), a .conf parser, jsonschema and Elastic's EQL
# parser from PyPI, for the formats tests (the Splunk app, savedsearches.conf, the Elastic
# rules and the Navigator layer).
if [ -z "${SIGMABRIDGE_FORMATS_TOOLS_BIN:-}" ]; then
  SIGMABRIDGE_FORMATS_TOOLS_BIN=$(bash .ci/formats-tools-env.sh)
  export SIGMABRIDGE_FORMATS_TOOLS_BIN
fi
export SIGMABRIDGE_REQUIRE_FORMATS_TOOLS=1
echo "formats tools: $SIGMABRIDGE_FORMATS_TOOLS_BIN"
# The Painless compiler (OpenSearch's lang-painless, from Maven Central) for the Query DSL
# correlation scripts, which the test node cannot run.
if [ -z "${SIGMABRIDGE_PAINLESS_CP:-}" ]; then
  SIGMABRIDGE_PAINLESS_CP=$(bash backends/elasticsearch/dsl/testdata/painless/build.sh)
  export SIGMABRIDGE_PAINLESS_CP
fi
export SIGMABRIDGE_REQUIRE_PAINLESS=1

echo "== go vet ./..."
go vet ./...
bash .ci/lint.sh
echo "== go test -race ./..."
go test -race -count=1 -timeout 30m ./...
echo "== fuzz (each target ${SIGMABRIDGE_FUZZTIME:-10s})"
bash .ci/fuzz.sh
