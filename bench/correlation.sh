#!/usr/bin/env bash
# Correlation throughput and memory on the T1648 pack (issue 15, Must-show 3).
#
# Replays the pack's sample events (one a second, every time field rewritten) through
# single-event matching alone and through matching plus the pack's correlations, best of
# five interleaved runs over 20,000 events, and fails when the correlated pass keeps less
# than half the single-event throughput; then streams 1,000,000 events through the
# correlator and reports the peak heap in use (asserted under 64 MiB) and the most events
# held in windows at once. Usage: bash bench/correlation.sh
set -euo pipefail
cd "$(dirname "$0")/.."
SIGMABRIDGE_BENCH_RATIO=1 SIGMABRIDGE_BENCH_MILLION=1 \
	go test -count=1 -run '^TestCorrelationThroughputAndMemory$' -v . 2>&1 | grep -E 'corrbench_test|^(ok|FAIL|---)'
