// Package wire converts between the IR (translator/ir), diagnostics and queries and their
// protocol-buffer messages (plugin/proto/sigmabridge/v1), with one small function per
// message in each direction, and maps the shared memory regions event batches can travel
// in instead of the connection. Decoding validates everything a peer sends, so a malformed
// message is an error, never a panic or a silently different rule.
package wire
