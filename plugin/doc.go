// Package plugin is sigmabridge's public plugin API over hashicorp/go-plugin and gRPC: the
// Backend and Detector interfaces the host calls, the versioned handshake, the gRPC shims
// that carry the IR across the process boundary, and Serve for plugin binaries.
//
// A third-party backend is a main package that implements Backend (or fills a RuleBackend)
// and calls Serve; the host package (plugin/host) finds, verifies, launches and supervises
// such binaries. Nothing may be written to stdout before Serve: go-plugin's handshake line
// must be the first thing a plugin prints.
//
// A backend may also render deployable formats of its own (`convert -f NAME`): it lists them
// in BackendDescription.FormatDescriptions and implements Renderer (RuleBackend.RenderFormat
// does both checks for it). Render was added to protocol version 1 as revision 2
// (ProtocolRevision, reported in Describe); the host tells a plugin of an earlier revision,
// which has no Render, by its revision and names it as lacking formats.
//
// A rule with a condition beyond ir.MaxDepth or ir.MaxNodes is never sent: the host's
// Convert gives it a result holding only the detection-too-deep or detection-too-large
// diagnostic, and Load reports it as a RuleError and sends the rest (match indexes still
// name the rules as requested). So one rule cannot break a request for the others, and a
// plugin never receives a tree near protobuf's recursion limit (plugin/internal/wire).
//
// A detector that also implements CorrelatingDetector evaluates the correlations of the
// loaded set over streams of batches (protocol revision 1, ProtocolRevision): the protocol
// layer here applies each stream's batches in order, however the host's concurrent calls
// arrive, and hands the implementation's CorrelationStream one batch at a time with its
// matches; Advance closes windows or ends the stream. A detector that does not lists no
// correlation types, and the host never sends it correlations. Since revision 3 a host
// may name a stream's events by number (StreamBatch.IDNumbers: one prefix per batch), and
// ObserveRequest.ID formats a name only for the events that are kept.
package plugin
