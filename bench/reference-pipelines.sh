#!/usr/bin/env bash
# Regenerates testdata/corpus/reference-pipelines.tsv: how many SigmaHQ corpus rules the
# reference converter (sigma-cli + pySigma, from PyPI through bench/pysigma-env.sh) converts
# with each of its pipelines that has a generic sigmabridge pipeline of the same name. The
# coverage report (testdata/corpus/REPORT.md) shows these counts next to sigmabridge's.
#
#   bash bench/reference-pipelines.sh     (about a minute per pipeline and target)
#
# Needs SIGMABRIDGE_CORPUS (default ../shared/corpus/sigmahq beside the repository). Without
# -update, TestReferencePipelineCounts checks that the committed file is current; .ci/test.sh
# runs it that way.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
export SIGMABRIDGE_CORPUS=${SIGMABRIDGE_CORPUS:-$root/../shared/corpus/sigmahq}
bin=$(bash bench/pysigma-env.sh)
SIGMABRIDGE_PYSIGMA_BIN=$bin go test -count=1 -timeout 60m -run '^TestReferencePipelineCounts$' ./backends/all -update
echo "wrote testdata/corpus/reference-pipelines.tsv" >&2
