package plugin

import (
	"errors"

	goplugin "github.com/hashicorp/go-plugin"
)

// ProtocolVersion is the plugin protocol this package speaks: the package sigmabridge.v1
// of plugin/proto. It is negotiated through go-plugin's versioned plugin sets, so a host
// that speaks several versions picks the highest one both sides know.
const ProtocolVersion = 1

// ProtocolRevision numbers the additions made to protocol version 1 since its release, which
// a peer reports in Describe so that a host finds a plugin built before an addition before
// relying on it. Revision 0 (a plugin that does not report one) is the first release;
// revision 1 adds correlations (LoadRequest.Correlations, MatchRequest.Stream, Advance, and
// the backend's ConvertCorrelations); revision 2 adds the backend's Render call and its format
// descriptions; revision 3 names a stream's events by number (MatchRequest.event_id_prefix
// and event_id_numbers). Additions are fields and methods a plugin of a lower revision ignores or
// answers Unimplemented; an incompatible change is a new version.
const ProtocolRevision = 3

// RevisionCorrelations is the first protocol revision with correlations.
const RevisionCorrelations = 1

// RevisionFormats is the first protocol revision with Render and format descriptions.
const RevisionFormats = 2

// RevisionEventNumbers is the first protocol revision that names a stream's events by
// number (StreamBatch.IDNumbers).
const RevisionEventNumbers = 3

// ErrNoFormats marks a backend that renders no formats of its own: it describes none, or it
// speaks a protocol revision before RevisionFormats.
var ErrNoFormats = errors.New("the backend renders no formats of its own")

// The names under which the two plugin kinds are dispensed. A plugin binary serves either
// kind or both.
const (
	KindBackend  = "backend"
	KindDetector = "detector"
)

// BinaryPrefix starts the file name of every external plugin: sigmabridge-plugin-NAME.
const BinaryPrefix = "sigmabridge-plugin-"

// MaxMessageBytes bounds one gRPC message in either direction. Event batches are far
// smaller (2 MiB by default); the bound is for large rule sets.
const MaxMessageBytes = 256 << 20

// windowBytes is the HTTP/2 flow-control window of plugin connections. gRPC's default of
// 64 KiB would cost a window-update round trip every 64 KiB of a 2 MiB event batch; on a
// local socket a large window is free.
const windowBytes = 16 << 20

// Handshake returns the go-plugin handshake of sigmabridge plugins. The magic cookie only
// keeps a plugin from being run by hand by mistake; it is not a security measure (the
// host pins plugin binaries by sha256 instead).
func Handshake() goplugin.HandshakeConfig {
	return goplugin.HandshakeConfig{
		ProtocolVersion:  ProtocolVersion,
		MagicCookieKey:   "SIGMABRIDGE_PLUGIN",
		MagicCookieValue: "6b1f0d3e9a7c4e25b8d2f4a1c0e9b7d3",
	}
}

// ErrMalformedResponse marks an answer from a plugin that does not follow the protocol:
// a wrong number of results, an index out of range, an invalid IR node or enum value.
var ErrMalformedResponse = errors.New("malformed response")

// ErrEncodeRequest marks a request the host could not encode (a rule carrying a value the
// protocol cannot represent). It is the caller's problem, not the plugin's.
var ErrEncodeRequest = errors.New("cannot encode request")

// HostPluginSets returns the plugin sets a host offers to go-plugin: every protocol
// version it speaks, with both kinds in each.
func HostPluginSets() map[int]goplugin.PluginSet {
	return map[int]goplugin.PluginSet{
		1: {
			KindBackend:  &backendPlugin{},
			KindDetector: &detectorPlugin{},
		},
	}
}

// servePluginSets returns the plugin sets a plugin binary serves: the kinds it implements,
// under every protocol version this package speaks.
func servePluginSets(b Backend, d Detector) map[int]goplugin.PluginSet {
	set := goplugin.PluginSet{}
	if b != nil {
		set[KindBackend] = &backendPlugin{impl: b}
	}
	if d != nil {
		set[KindDetector] = &detectorPlugin{impl: d}
	}
	return map[int]goplugin.PluginSet{ProtocolVersion: set}
}
