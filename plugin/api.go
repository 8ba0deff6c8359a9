package plugin

import (
	"context"

	"github.com/sigmabridge/sigmabridge/backends"
	"github.com/sigmabridge/sigmabridge/translator/diag"
	"github.com/sigmabridge/sigmabridge/translator/ir"
)

// Query is one rendered query (the same type the built-in backends return).
type Query = backends.Query

// Diagnostic is one finding about one rule, printed `path:line: code: message`.
type Diagnostic = diag.Diagnostic

// Diagnostics is an ordered list of diagnostics.
type Diagnostics = diag.List

// Severity says whether a diagnostic fails the rule.
type Severity = diag.Severity

const (
	// SeverityError fails the rule for the target (the zero value).
	SeverityError = diag.Error
	// SeverityWarning is reported without failing the rule.
	SeverityWarning = diag.Warning
)

// Backend converts rules into queries. The host sees plugins through this interface, and a
// plugin binary serves an implementation of it. Implementations must be safe for concurrent
// use and should stop early when ctx is done.
type Backend interface {
	// Describe reports who the backend is and what it can do.
	Describe(ctx context.Context, req *DescribeRequest) (*BackendDescription, error)
	// Convert renders every rule of the request. The response has one result per rule, in
	// request order; a rule the target cannot express exactly gets an Error diagnostic with
	// a named code, never a widened or narrowed query. A returned error fails the whole
	// batch and is reserved for problems that are not about one rule.
	Convert(ctx context.Context, req *ConvertRequest) (*ConvertResponse, error)
}

// Detector matches events against a loaded rule set. Implementations must be safe for
// concurrent Match calls.
type Detector interface {
	// Describe reports who the detector is and what it can do.
	Describe(ctx context.Context, req *DescribeRequest) (*DetectorDescription, error)
	// Load compiles a rule set, replacing the previous one. Rules that fail are reported
	// one by one and left out; the others are loaded.
	Load(ctx context.Context, req *LoadRequest) (*LoadResponse, error)
	// Match matches a batch of events against the loaded rules.
	Match(ctx context.Context, req *MatchRequest) (*MatchResponse, error)
}

// DescribeRequest asks a plugin to describe itself. It has no fields yet.
type DescribeRequest struct{}

// BackendDescription is a backend's answer to Describe.
type BackendDescription struct {
	// Name is the plugin's name for itself.
	Name string
	// Version is the plugin's release version.
	Version string
	// ProtocolVersion is the plugin protocol spoken on this connection; it is filled in by
	// the protocol layer, not by the implementation.
	ProtocolVersion int
	// Targets are the target languages Convert accepts.
	Targets []string
	// Formats are the output formats the backend supports; "default" is the plain query.
	Formats []string
	// Capabilities are free-form feature names.
	Capabilities []string
	// Description is one line for humans.
	Description string
	// ProtocolRevision is the revision of protocol version 1 the plugin speaks (see
	// ProtocolRevision); it is filled in by the protocol layer. A plugin of a revision
	// before 2 renders no formats.
	ProtocolRevision int
	// FormatDescriptions are the deployable formats the backend renders itself, through
	// Renderer (`convert -f NAME`). Their names differ from the built-in formats'.
	FormatDescriptions []FormatDescription
	// CorrelationTypes are the correlation types ConvertCorrelations renders exactly. Only
	// a backend that implements CorrelationBackend may list any.
	CorrelationTypes []string
}

// FormatDescription describes a deployable format a backend renders itself.
type FormatDescription struct {
	// Name is what `convert -f` takes: letters, digits, '-', '_' and '.'.
	Name string
	// Description is one line for humans.
	Description string
	// Extension is the extension of the format's files with its dot (".yaml"); "" for none.
	Extension string
	// PerRule is true when the format has one file per rule (RenderResult.Data), so
	// `convert --per-rule` can write it; false for a format that is one whole.
	PerRule bool
	// Targets are the described targets the format takes; empty means all of them.
	Targets []string
}

// Renderer is implemented by a Backend that renders formats of its own
// (BackendDescription.FormatDescriptions). Implementations must be safe for concurrent use.
type Renderer interface {
	// Render renders the rules of the request in one of the described formats. The
	// response has one result per rule, in request order; a rule that cannot be rendered
	// gets an Error diagnostic and is left out of the files. A returned error fails the
	// whole request.
	Render(ctx context.Context, req *RenderRequest) (*RenderResponse, error)
}

// RenderRequest is a rule set to render in one format for one target.
type RenderRequest struct {
	Target, Format string
	// Rules are prepared for the target: the host applied the pipelines and the profile.
	Rules []*ir.Rule
	// Sources[i] is Rules[i]'s path in its rule tree, slash-separated ("" when unknown).
	// It comes from the rule tree only, never from a rule's own fields.
	Sources []string
}

// RenderResponse is a rendering: the files of the whole, and each rule's own part.
type RenderResponse struct {
	// Files are the whole rendering, the main file first (what `convert` writes to stdout
	// or -o FILE). Names are slash-separated paths relative to the output directory.
	Files []File
	// Results has one entry per request rule, in order.
	Results []RenderResult
}

// File is one output file of a rendering.
type File struct {
	Name string
	Data []byte
}

// RenderResult is one rule of a rendering. If any diagnostic has Error severity the rule is
// not in the files, and Data is discarded.
type RenderResult struct {
	// Data is the rule's own file, for a per-rule format (FormatDescription.PerRule).
	Data        []byte
	Diagnostics Diagnostics
}

// CorrelationBackend is a Backend that also renders correlation rules.
type CorrelationBackend interface {
	Backend
	// ConvertCorrelations renders every correlation of the request over the rules it
	// names; the response has one result per correlation, in order. A correlation the
	// target cannot express exactly gets an Error diagnostic (unsupported-correlation).
	ConvertCorrelations(ctx context.Context, req *ConvertCorrelationsRequest) (*ConvertResponse, error)
}

// ConvertCorrelationsRequest is a batch of correlations for one target.
type ConvertCorrelationsRequest struct {
	Target string
	Format string
	// Rules are the rules the correlations name, after the pipelines.
	Rules []*ir.Rule
	// Correlations reference Rules by index (Rule and Correlation -1: a rule that could
	// not be sent; a Correlation index: a chain).
	Correlations []*ir.Correlation
}

// DetectorDescription is a detector's answer to Describe.
type DetectorDescription struct {
	Name            string
	Version         string
	ProtocolVersion int // filled in by the protocol layer
	// ProtocolRevision is the revision of version 1 the detector's protocol layer speaks
	// (ProtocolRevision; 0 for a plugin built before correlations). Filled in by the
	// protocol layer.
	ProtocolRevision int
	Capabilities     []string
	Description      string
	// CorrelationTypes are the correlation types the detector evaluates. Only a detector
	// that implements CorrelatingDetector may list any.
	CorrelationTypes []string
}

// ConvertRequest is a batch of rules for one target.
type ConvertRequest struct {
	// Target is one of the described targets.
	Target string
	// Format is one of the described formats; "" means the default.
	Format string
	Rules  []*ir.Rule
}

// ConvertResponse holds one result per request rule, in order.
type ConvertResponse struct {
	Results []ConvertResult
}

// ConvertResult is the outcome of one rule. If any diagnostic has Error severity the
// queries must be discarded.
type ConvertResult struct {
	Queries     []Query
	Diagnostics Diagnostics
}

// LoadRequest is the rule set a detector compiles.
type LoadRequest struct {
	Rules []*ir.Rule
	// Correlations over Rules (references resolved to indexes of Rules; a reference with
	// Rule and Correlation both -1 names a rule the host could not load, which never
	// matches). Only sent to a CorrelatingDetector.
	Correlations       []*ir.Correlation
	CorrelationOptions CorrelationOptions
}

// LoadResponse reports how loading went.
type LoadResponse struct {
	// Loaded is the number of rules that compiled.
	Loaded int
	// Errors lists the rules that did not compile.
	Errors []RuleError
}

// RuleError is a rule a detector could not load.
type RuleError struct {
	// RuleIndex is the rule's position in LoadRequest.Rules.
	RuleIndex  int
	Diagnostic Diagnostic
}

// MatchRequest is a batch of events, each one JSON object. The event bytes are read-only
// and valid only until Match returns (they may lie in read-only memory the host shares and
// later rewrites): never modify them, and copy what you keep.
type MatchRequest struct {
	Events [][]byte
	// Stream, set by a host, makes the batch part of a correlated stream. The protocol
	// layer handles it: an implementation's Match never sees it.
	Stream *StreamBatch
}

// MatchResponse lists the matches of a batch sparsely: an event that matched nothing has no
// entry.
type MatchResponse struct {
	// Matches are ordered by event, then rule, then condition.
	Matches []EventMatch
	// Errors are the events that could not be read.
	Errors []EventError
	// Alerts are the correlation matches the batch of a stream completed, in order;
	// CorrelationErrors the events that matched a correlated rule but could not be fed to
	// the correlations. Both are filled by the protocol layer, never by Match.
	Alerts            []Alert
	CorrelationErrors []EventError
}

// EventMatch is one rule condition one event satisfied.
type EventMatch struct {
	// Event is the event's position in MatchRequest.Events.
	Event int
	// Rule is the rule's position in the loaded LoadRequest.Rules.
	Rule   int
	RuleID string
	// Condition is the index of the satisfied entry of the rule's condition list.
	Condition int
}

// EventError is an event that could not be read (malformed JSON, not an object).
type EventError struct {
	Event   int
	Message string
}
