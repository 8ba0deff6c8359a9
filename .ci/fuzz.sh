#!/usr/bin/env bash
# Runs every fuzz target listed in .ci/fuzz-targets for SIGMABRIDGE_FUZZTIME each (default
# 10s). A crash fails the run; the failing input is written under the package's
# testdata/fuzz/ by go test, so it can be committed as a regression seed.
set -euo pipefail
cd "$(dirname "$0")/.."
fuzztime=${SIGMABRIDGE_FUZZTIME:-10s}
n=0
while read -r pkg name; do
  case "$pkg" in ''|'#'*) continue ;; esac
  echo "== fuzz $pkg $name ($fuzztime)"
  go test -run='^$' -fuzz="^${name}\$" -fuzztime="$fuzztime" "$pkg"
  n=$((n + 1))
done < .ci/fuzz-targets
echo "fuzz: $n targets ran for $fuzztime each"
