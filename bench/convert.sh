#!/usr/bin/env bash
# Conversion speed, sigmabridge against the reference converter (sigma-cli + pySigma), in
# one run on this machine. Prints a Markdown table of medians and ratios.
#
#   bench/convert.sh [RUNS]        RUNS per measurement for sigmabridge (default 5);
#                                  the reference runs 3 times (it takes 13-20 s each)
# Needs SIGMABRIDGE_CORPUS (the SigmaHQ corpus). Installs the reference from PyPI once.
# bench/convert-rev.sh compares this tree with an earlier revision of itself instead.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
runs=${1:-5}
ref_runs=${REF_RUNS:-3}
corpus=${SIGMABRIDGE_CORPUS:-$root/../shared/corpus/sigmahq}
[ -d "$corpus" ] || { echo "bench: SIGMABRIDGE_CORPUS not found: $corpus" >&2; exit 2; }
export SIGMABRIDGE_CORPUS="$corpus" # the in-process benchmark at the end reads it
trees=()
for t in rules rules-emerging-threats rules-threat-hunting rules-compliance rules-placeholder; do trees+=("$corpus/$t"); done
one_rule="$corpus/rules/cloud/aws/cloudtrail/aws_lambda_function_url.yml"
[ -f "$one_rule" ] || one_rule=$(find "$corpus/rules" -name '*.yml' | head -1)

mkdir -p .cache/bin
go build -o .cache/bin/sigmabridge ./cmd/sigmabridge
bin=$(bash bench/pysigma-env.sh)

# measure N CMD... -> prints "median_wall_s max_rss_mib" over N runs (exit status ignored:
# a converter that reports failing rules exits 1). Wall time in ms from date(1) around GNU
# time, which reports the peak RSS into its own file (-o).
measure() {
  local n=$1; shift
  local walls=() rss=0 tf
  tf=$(mktemp)
  for _ in $(seq "$n"); do
    local t0 t1
    t0=$(date +%s.%N)
    /usr/bin/time -o "$tf" -f '%M' "$@" >/dev/null 2>/dev/null || true
    t1=$(date +%s.%N)
    walls+=("$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')")
    local r
    r=$(tail -1 "$tf")
    [ "$r" -gt "$rss" ] && rss=$r
  done
  rm -f "$tf"
  local med
  med=$(printf '%s\n' "${walls[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
  echo "$med $((rss / 1024))"
}

printf '| measurement | sigmabridge wall (median) | peak RSS | sigma-cli wall (median) | peak RSS | ratio |\n|---|---|---|---|---|---|\n'
for target in splunk lucene; do
  ours=$(measure "$runs" .cache/bin/sigmabridge convert -t "$target" "${trees[@]}")
  ref=$(measure "$ref_runs" "$bin/sigma" convert -t "$target" --without-pipeline -s "${trees[@]}")
  ratio=$(awk -v a="${ref% *}" -v b="${ours% *}" 'BEGIN { if (b == 0) b = 0.001; printf "%.0fx", a / b }')
  printf '| corpus (3,769 rules) -> %s, CLI end to end | %ss | %s MiB | %ss | %s MiB | %s |\n' "$target" "${ours% *}" "${ours#* }" "${ref% *}" "${ref#* }" "$ratio"
done
ours=$(measure $((runs * 4)) .cache/bin/sigmabridge convert -t splunk "$one_rule")
ref=$(measure "$ref_runs" "$bin/sigma" convert -t splunk --without-pipeline "$one_rule")
ratio=$(awk -v a="${ref% *}" -v b="${ours% *}" 'BEGIN { if (b == 0) b = 0.001; printf "%.0fx", a / b }')
printf '| one rule -> splunk, CLI end to end | %ss | %s MiB | %ss | %s MiB | %s |\n' "${ours% *}" "${ours#* }" "${ref% *}" "${ref#* }" "$ratio"
echo
echo "In-process (go test -bench, parse + convert the corpus):"
go test ./backends/all -run '^$' -bench BenchmarkCorpus -benchtime 3x -benchmem | grep -E '^Benchmark|SKIP|skip|FAIL|panic'
