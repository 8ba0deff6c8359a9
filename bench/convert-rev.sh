#!/usr/bin/env bash
# Conversion CPU of this tree against an earlier revision, in one run on this machine.
# Builds both, then converts the SigmaHQ corpus (the five trees bench/convert.sh and the
# corpus tests use, 3,769 rules) with each target, alternating the two binaries and which
# goes first, and prints a Markdown table: median user CPU seconds (min in brackets), the
# peak RSS, and the ratio of the medians (this tree / REV). It also checks that each binary
# gives the same output on every run.
#
#   bench/convert-rev.sh REV [RUNS] [TARGET...]   RUNS per binary and target (default 5);
#                                                  targets default to splunk lucene dsl esql eql
# Needs SIGMABRIDGE_CORPUS (the SigmaHQ corpus). REV is any git revision, e.g. e9c7545.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
[ $# -ge 1 ] || { echo "usage: bench/convert-rev.sh REV [RUNS] [TARGET...]" >&2; exit 2; }
rev=$1
runs=${2:-5}
shift $(($# < 2 ? $# : 2))
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(splunk lucene dsl esql eql)
corpus=${SIGMABRIDGE_CORPUS:-$root/../shared/corpus/sigmahq}
[ -d "$corpus" ] || { echo "bench: SIGMABRIDGE_CORPUS not found: $corpus" >&2; exit 2; }
trees=()
for t in rules rules-emerging-threats rules-threat-hunting rules-compliance rules-placeholder; do trees+=("$corpus/$t"); done

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/base"
git -C "$root" archive "$rev" | tar -x -C "$tmp/base"
(cd "$tmp/base" && go build -o "$tmp/base.bin" ./cmd/sigmabridge)
(cd "$root" && go build -o "$tmp/head.bin" ./cmd/sigmabridge)

# run BIN TARGET -> appends "user_s rss_kib" to $tmp/BIN.TARGET.times; the output (stdout
# and stderr, which names every failed rule) must be the same on every run of a binary.
run() {
  local bin=$1 target=$2 out
  out="$tmp/$bin.$target.out"
  /usr/bin/time -o "$tmp/t" -f '%U %M' "$tmp/$bin.bin" convert -t "$target" "${trees[@]}" >"$out.new" 2>&1 || true
  # GNU time adds "Command exited with non-zero status" above its figures; keep the figures.
  tail -1 "$tmp/t" >>"$tmp/$bin.$target.times"
  if [ -f "$out" ]; then
    cmp -s "$out" "$out.new" || { echo "bench: $bin gave different output for $target across runs" >&2; exit 1; }
  else
    mv "$out.new" "$out"
  fi
}

for i in $(seq "$runs"); do
  for target in "${targets[@]}"; do
    if [ $((i % 2)) -eq 1 ]; then run base "$target"; run head "$target"; else run head "$target"; run base "$target"; fi
  done
done

# stats FILE -> "median min max_rss_mib"
stats() {
  sort -n "$1" | awk '{u[NR]=$1; if ($2 > r) r = $2} END {printf "%.2f %.2f %d", u[int((NR+1)/2)], u[1], r/1024}'
}
short=$(git -C "$root" rev-parse --short "$rev")
printf 'corpus (3,769 rules), `convert -t TARGET`, user CPU, median (min) of %s runs alternating the binaries\n\n' "$runs"
printf '| target | %s | this tree | ratio |\n|---|---|---|---|\n' "$short"
for target in "${targets[@]}"; do
  read -r bm bn br <<<"$(stats "$tmp/base.$target.times")"
  read -r hm hn hr <<<"$(stats "$tmp/head.$target.times")"
  ratio=$(awk -v a="$hm" -v b="$bm" 'BEGIN { if (b == 0) b = 0.001; printf "%.2f", a / b }')
  printf '| %s | %s s (%s), %s MiB | %s s (%s), %s MiB | %s |\n' "$target" "$bm" "$bn" "$br" "$hm" "$hn" "$hr" "$ratio"
done
