#!/usr/bin/env bash
# Runs every fuzz target listed in .ci/fuzz-targets for SIGMABRIDGE_FUZZTIME each (default
# 10s). A crash fails the run; the failing input is written under the package's
# testdata/fuzz/ by go test, so it can be committed as a regression seed.
#
# Go's fuzzer minimises each new interesting input for up to -fuzzminimizetime (60s by
# default); when -fuzztime runs out during that, the coordinator reports "context deadline
# exceeded" although no input failed. Minimisation is capped at 1s here, and a run that ends
# that way without a failing input is run once more; if it ends the same way again it is
# reported as inconclusive (printed, not counted as run), never as a crash or a pass.
set -euo pipefail
cd "$(dirname "$0")/.."
fuzztime=${SIGMABRIDGE_FUZZTIME:-10s}
ran=0 inconclusive=0
out=$(mktemp)
trap 'rm -f "$out"' EXIT
while read -r pkg name; do
  case "$pkg" in ''|'#'*) continue ;; esac
  for attempt in 1 2; do
    echo "== fuzz $pkg $name ($fuzztime, attempt $attempt)"
    if go test -run='^$' -fuzz="^${name}\$" -fuzztime="$fuzztime" -fuzzminimizetime=1s "$pkg" 2>&1 | tee "$out"; then
      ran=$((ran + 1))
      break
    fi
    if grep -q 'Failing input written to' "$out" || ! grep -q 'context deadline exceeded' "$out"; then
      echo "fuzz: $pkg $name failed" >&2
      exit 1
    fi
    echo "fuzz: $pkg $name: the fuzzer's deadline passed while it minimised an input; no input failed"
    if [ "$attempt" = 2 ]; then
      inconclusive=$((inconclusive + 1))
    fi
  done
done < .ci/fuzz-targets
echo "fuzz: $ran targets ran for $fuzztime each, $inconclusive inconclusive"
