#!/usr/bin/env bash
# Evaluation speed, sigmabridge's evaluator against sigma-go v0.6.6's, in one run on this
# machine: decode + match of one event on one goroutine. Prints a Markdown table of the
# median events/s of each benchmark, the ratio to sigma-go, and the project's targets.
#
#   bench/evaluator/run.sh [COUNT]   COUNT runs of each benchmark (default 5)
#   BENCHTIME=2s                     time per run (default 1s)
#   CHECK=1                          exit 1 when a target is missed
# The SigmaHQ corpus benchmark runs when SIGMABRIDGE_CORPUS is set (it defaults to
# ../shared/corpus/sigmahq next to the repository when that exists).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
count=${1:-5}
benchtime=${BENCHTIME:-1s}
if [ -z "${SIGMABRIDGE_CORPUS:-}" ] && [ -d "$root/../shared/corpus/sigmahq" ]; then
  export SIGMABRIDGE_CORPUS="$root/../shared/corpus/sigmahq"
fi
out=$(mktemp)
trap 'rm -f "$out"' EXIT
go test ./translator/evaluator -run '^$' -bench 'CloudTrail|Corpus' -benchtime "$benchtime" -count "$count" | tee "$out" >&2

# median events/s per benchmark name
medians=$(awk '
  /^Benchmark/ {
    name=$1; sub(/-[0-9]+$/, "", name)
    for (i = 2; i < NF; i++) if ($(i+1) == "events/s") v[name] = v[name] " " $i
  }
  END {
    for (n in v) {
      k = split(substr(v[n], 2), a, " ")
      for (i = 1; i <= k; i++) for (j = i + 1; j <= k; j++) if (a[j] + 0 < a[i] + 0) { t = a[i]; a[i] = a[j]; a[j] = t }
      m = (k % 2) ? a[(k + 1) / 2] : (a[k / 2] + a[k / 2 + 1]) / 2
      printf "%s %d\n", n, m
    }
  }' "$out" | sort)

get() { awk -v n="$1" '$1 == n { print $2 }' <<<"$medians"; }
ours=$(get BenchmarkCloudTrail/sigmabridge)
theirs=$(get BenchmarkCloudTrail/sigma-go)
corpus=$(get BenchmarkCorpus/sigmabridge)
ratio=$(awk -v a="$ours" -v b="$theirs" 'BEGIN { printf "%.1f", a / b }')

missed=0
verdict() { # value target -> sets v
  if awk -v v="$1" -v t="$2" 'BEGIN { exit !(v >= t) }'; then v="met"; else v="MISSED"; missed=1; fi
}
verdict "$ours" 200000; v_ours=$v
verdict "$ratio" 10; v_ratio=$v
v_corpus=""
if [ -n "$corpus" ]; then verdict "$corpus" 20000; v_corpus=$v; fi
echo
echo "| benchmark (median of $count, $benchtime each) | events/s | target | |"
echo "|---|---|---|---|"
echo "| 40 CloudTrail rules, sigmabridge | $ours | >= 200000 | $v_ours |"
echo "| 40 CloudTrail rules, sigma-go v0.6.6 (json.Unmarshal + flatten) | $theirs | | |"
echo "| ratio sigmabridge / sigma-go | ${ratio}x | >= 10x | $v_ratio |"
if [ -n "$corpus" ]; then
  echo "| whole SigmaHQ corpus, sigmabridge | $corpus | >= 20000 | $v_corpus |"
else
  echo "| whole SigmaHQ corpus | skipped: SIGMABRIDGE_CORPUS not set | >= 20000 | |"
fi
if [ "${CHECK:-0}" = 1 ] && [ "$missed" = 1 ]; then exit 1; fi
