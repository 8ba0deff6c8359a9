#!/usr/bin/env bash
# End-to-end scan benchmark: `sigmabridge scan` (the CLI process: decode + match + output)
# over generated CloudTrail JSON lines with the built-in T1648 pack, against sigma-go
# v0.6.6 on the pack rules it can evaluate, through the detector plugin and in process,
# pinned to one core and unpinned; plus plugin start and `sigmabridge check`. Every number
# comes from this one run; it prints a Markdown table of medians with the load average.
#
#   bench/scan.sh [FLAGS]      reproduces every number of the report
#
# Flags (passed to `scanbench run`, defaults in brackets):
#   -events N        CloudTrail events generated (deterministic) and scanned [200000]
#   -runs N          runs of each sigmabridge scan measurement [7]
#   -sigmago-runs N  runs of the sigma-go scan [3]
#   -check-runs N    runs of `sigmabridge check` [5]
#   -start-runs N    plugin starts timed [21]
#   -cpu N           the CPU of the pinned runs (taskset -c N) [0]
#   -work DIR        keep events and outputs in DIR (reused between runs) [a new temp dir]
#   -only a,b        only these measurements (inproc-pinned, plugin-pinned, inproc-unpinned,
#                    plugin-unpinned, subset-inproc-pinned, subset-plugin-pinned,
#                    sigmago-pinned, empty-inproc-pinned, empty-plugin-pinned,
#                    check-unpinned, check-pinned, start)
#   -md FILE         also write the table to FILE
# Needs Linux (taskset, /proc/loadavg). It exits 1 if the plugin and in-process scans
# print different matches.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
bin=$(mktemp -d)
trap 'rm -rf "$bin"' EXIT
go build -o "$bin/sigmabridge" ./cmd/sigmabridge
go build -o "$bin/scanbench" ./bench/scan
"$bin/scanbench" run -bin "$bin/sigmabridge" -repo "$root" "$@"
