#!/usr/bin/env bash
# Scan CPU of this tree against an earlier revision, in one run on this machine. Builds
# both, generates CloudTrail JSON lines (bench/scan's deterministic generator), then scans
# them with the built-in pack through the detector plugin (the default) and --in-process,
# alternating the two binaries and which goes first, and prints a Markdown table: median
# CPU seconds (user + system, the plugin process included; min in brackets) and the ratio
# of the medians (this tree / REV). Each binary must print the same matches on every run,
# and both binaries the same number of lines.
#
# Both binaries scan with testdata/rules/profile.yml, so that every pack rule runs. When REV
# embeds another pack (issue 10 grew it), set PACK_CHANGED=1: the match counts are then
# printed instead of required to be equal. A REV older than scan's --logs flag reads the
# events from standard input, and so does this tree in that run.
#
#   bench/scan-rev.sh REV [RUNS] [EVENTS]   RUNS per binary and mode (default 5);
#                                           EVENTS generated (default 200000)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
[ $# -ge 1 ] || { echo "usage: bench/scan-rev.sh REV [RUNS] [EVENTS]" >&2; exit 2; }
rev=$1
runs=${2:-5}
events=${3:-200000}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/base"
git -C "$root" archive "$rev" | tar -x -C "$tmp/base"
(cd "$tmp/base" && go build -o "$tmp/base.bin" ./cmd/sigmabridge)
(cd "$root" && go build -o "$tmp/head.bin" ./cmd/sigmabridge)
(cd "$root" && go run ./bench/scan gen -n "$events" -o "$tmp/events.jsonl")

profile="$root/testdata/rules/profile.yml"
stdin=0
"$tmp/base.bin" scan --help 2>/dev/null | grep -q -- '--logs' || stdin=1

# run BIN MODE -> appends "cpu_s" to $tmp/BIN.MODE.times
run() {
  local bin=$1 mode=$2 out flags=(--profile "$profile")
  [ "$mode" = in-process ] && flags+=(--in-process)
  out="$tmp/$bin.$mode.out"
  if [ "$stdin" = 1 ]; then
    /usr/bin/time -o "$tmp/t" -f '%U %S' "$tmp/$bin.bin" scan "${flags[@]}" <"$tmp/events.jsonl" >"$out.new" 2>&1 || true
  else
    /usr/bin/time -o "$tmp/t" -f '%U %S' "$tmp/$bin.bin" scan "${flags[@]}" --logs "$tmp/events.jsonl" >"$out.new" 2>&1 || true
  fi
  tail -1 "$tmp/t" | awk '{printf "%.2f\n", $1 + $2}' >>"$tmp/$bin.$mode.times"
  if [ -f "$out" ]; then
    cmp -s "$out" "$out.new" || { echo "bench: $bin gave different output for $mode across runs" >&2; exit 1; }
  else
    mv "$out.new" "$out"
  fi
}

for i in $(seq "$runs"); do
  for mode in plugin in-process; do
    if [ $((i % 2)) -eq 1 ]; then run base "$mode"; run head "$mode"; else run head "$mode"; run base "$mode"; fi
  done
done
counts=""
for mode in plugin in-process; do
  a=$(wc -l <"$tmp/base.$mode.out") b=$(wc -l <"$tmp/head.$mode.out")
  if [ "${PACK_CHANGED:-0}" = 1 ]; then
    counts="$counts; $mode: $rev printed $a lines, this tree $b"
  else
    [ "$a" = "$b" ] || { echo "bench: $mode: $rev printed $a lines, this tree $b" >&2; exit 1; }
  fi
done

stats() { sort -n "$1" | awk '{u[NR]=$1} END {printf "%.2f %.2f", u[int((NR+1)/2)], u[1]}'; }
short=$(git -C "$root" rev-parse --short "$rev")
via=--logs
[ "$stdin" = 1 ] && via="standard input"
printf '`scan` of %s generated CloudTrail lines (read from %s) with the pack, CPU (user + system), median (min) of %s runs alternating the binaries; load %s%s\n\n' "$events" "$via" "$runs" "$(cut -d' ' -f1-3 /proc/loadavg)" "$counts"
printf '| mode | %s | this tree | ratio |\n|---|---|---|---|\n' "$short"
for mode in plugin in-process; do
  read -r bm bn <<<"$(stats "$tmp/base.$mode.times")"
  read -r hm hn <<<"$(stats "$tmp/head.$mode.times")"
  ratio=$(awk -v a="$hm" -v b="$bm" 'BEGIN { if (b == 0) b = 0.001; printf "%.2f", a / b }')
  printf '| %s | %s s (%s) | %s s (%s) | %s |\n' "$mode" "$bm" "$bn" "$hm" "$hn" "$ratio"
done
