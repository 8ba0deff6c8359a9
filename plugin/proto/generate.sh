#!/bin/sh
# Regenerates the Go code of the plugin protocol. Needs protoc (Debian: protobuf-compiler);
# the Go generators are pinned in go.mod as tool dependencies and run through `go tool`.
# The generated files are committed, so a normal build never needs this script.
set -eu
cd "$(dirname "$0")"
bin=$(mktemp -d)
trap 'rm -rf "$bin"' EXIT
go build -o "$bin/protoc-gen-go" google.golang.org/protobuf/cmd/protoc-gen-go
go build -o "$bin/protoc-gen-go-grpc" google.golang.org/grpc/cmd/protoc-gen-go-grpc
PATH="$bin:$PATH" protoc \
	--proto_path=. \
	--go_out=. --go_opt=paths=source_relative \
	--go-grpc_out=. --go-grpc_opt=paths=source_relative \
	sigmabridge/v1/sigmabridge.proto
