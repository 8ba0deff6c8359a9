#!/usr/bin/env bash
# Static checks beyond go vet, run by .ci/test.sh:
#   staticcheck       the usual bug, simplification and dead-code checks (staticcheck.conf
#                     files turn single checks off where a directory has a reason);
#   go-check-sumtype  every type switch over the sealed ir.Node (translator/ir/node.go,
#                     //sumtype:decl) lists every node type, so a new node type is a finding
#                     wherever it needs a decision; a default clause does not count.
# Both are installed from the Go module proxy at pinned versions (the module cache keeps them
# between runs) into .cache/bin.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

staticcheck_version=v0.8.2     # staticcheck 2026.2.2, which supports Go 1.26
sumtype_version=v0.4.0         # v0.5.0 needs Go 1.27

export GOBIN="$root/.cache/bin"
mkdir -p "$GOBIN"
if ! "$GOBIN/staticcheck" -version 2>/dev/null | grep -qF "(${staticcheck_version#v})"; then
  go install "honnef.co/go/tools/cmd/staticcheck@$staticcheck_version"
fi
if [ ! -x "$GOBIN/go-check-sumtype-$sumtype_version" ]; then
  go install "github.com/alecthomas/go-check-sumtype/cmd/go-check-sumtype@$sumtype_version"
  mv "$GOBIN/go-check-sumtype" "$GOBIN/go-check-sumtype-$sumtype_version"
fi

echo "== staticcheck ./..."
"$GOBIN/staticcheck" ./...
echo "== go-check-sumtype ./..."
"$GOBIN/go-check-sumtype-$sumtype_version" -default-signifies-exhaustive=false ./...
