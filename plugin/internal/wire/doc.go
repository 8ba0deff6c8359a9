// Package wire converts between the IR (translator/ir), diagnostics and queries and their
// protocol-buffer messages (plugin/proto/sigmabridge/v1), with one small function per
// message in each direction, and maps the shared memory regions event batches can travel
// in instead of the connection. Decoding validates everything a peer sends, so a malformed
// message is an error, never a panic or a silently different rule.
//
// Depth and size: RuleToProto refuses a rule with a condition beyond ir.MaxDepth (64 levels)
// or ir.MaxNodes (200,000 nodes) with a *LimitError carrying the named diagnostic
// (detection-too-deep, detection-too-large), before encoding anything. Each tree level is
// two messages (Node and And, Or or Not), so an accepted rule nests at most about 130
// messages deep, far below protobuf-go's recursion limit of 10,000, which a 5,000-level
// condition would cross and make the whole request unreadable to the plugin. The client
// (plugin/grpc_backend.go, plugin/grpc_detector.go) reports a refused rule alone and sends
// the others. Decoding applies the same bounds to what a peer sends.
package wire
