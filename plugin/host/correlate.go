package host

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sigmabridge/sigmabridge/plugin"
	"github.com/sigmabridge/sigmabridge/translator/ir"
)

// advancer is what the protocol layer's detector client offers for correlated streams.
type advancer interface {
	Advance(ctx context.Context, req *plugin.AdvanceRequest) (*plugin.AdvanceResponse, error)
}

// streamIDs numbers correlated streams; unique in the host process, so unique for a plugin.
var streamIDs atomic.Uint64

// endTimeout bounds the Advance that releases a stream a scan abandoned.
const endTimeout = 2 * time.Second

// Correlates reports whether the detector evaluates correlations of every type of types:
// nil, or a PluginError with the Unimplemented failure naming the plugin and what it
// lacks (a plugin built before protocol revision 1, or one that lists no such type).
func (d *Detector) Correlates(types []ir.CorrelationType) error {
	if d.desc.ProtocolRevision < plugin.RevisionCorrelations {
		return pluginErr(d.Name(), Unimplemented, "correlations: the detector speaks protocol revision %d; correlated streams need revision %d",
			d.desc.ProtocolRevision, plugin.RevisionCorrelations)
	}
	if _, ok := d.raw.(advancer); !ok {
		return pluginErr(d.Name(), Unimplemented, "correlations: the protocol client has no Advance")
	}
	var missing []string
	for _, t := range types {
		if !slices.Contains(d.desc.CorrelationTypes, string(t)) && !slices.Contains(missing, string(t)) {
			missing = append(missing, string(t))
		}
	}
	if len(missing) > 0 {
		return pluginErr(d.Name(), Unimplemented, "correlations: the detector does not evaluate %s (it lists %v)",
			strings.Join(missing, ", "), d.desc.CorrelationTypes)
	}
	return nil
}

// LoadSet sends rules and the correlations over them (references index rules) to the
// plugin, replacing the previous set. A detector that cannot evaluate the correlations
// (Correlates) gets nothing: the error is its Unimplemented PluginError.
func (d *Detector) LoadSet(ctx context.Context, rules []*ir.Rule, corrs []*ir.Correlation, opts plugin.CorrelationOptions) (*plugin.LoadResponse, error) {
	if len(corrs) > 0 {
		var types []ir.CorrelationType
		for _, c := range corrs {
			types = append(types, c.Type)
		}
		if err := d.Correlates(types); err != nil {
			return nil, err
		}
	}
	var resp *plugin.LoadResponse
	err := d.inst.call(ctx, "Load", func(ctx context.Context) error {
		var err error
		resp, err = d.raw.Load(ctx, &plugin.LoadRequest{Rules: rules, Correlations: corrs, CorrelationOptions: opts})
		return err
	})
	if err != nil {
		d.correlations.Store(0)
		return nil, err
	}
	d.correlations.Store(int64(len(corrs)))
	return resp, nil
}

// Stream is one input's events going through the detector's correlations: the plugin
// keeps the windows, the host keeps nothing but the stream's id and batch count. End it
// (or Close it) when the input is over.
type Stream struct {
	d  *Detector
	id uint64

	mu    sync.Mutex
	seq   uint64 // batches sent
	ended bool
}

// OpenStream starts a correlated stream over the loaded set. It fails with an
// Unimplemented PluginError when no correlation was loaded.
func (d *Detector) OpenStream() (*Stream, error) {
	if d.correlations.Load() == 0 {
		return nil, pluginErr(d.Name(), Unimplemented, "correlations: none were loaded into the detector (LoadSet)")
	}
	return &Stream{d: d, id: streamIDs.Add(1)}, nil
}

// StreamEvents says how a batch's events are named and observed: IDs name the events in
// alerts (one per event, or nil for "<batch>:<index>"), Times give their times (zero: the
// plugin reads the log source's time field), Rules restrict the matches fed to the
// correlations (nil: all).
type StreamEvents struct {
	IDs   []string
	Times []time.Time
	Rules []int
}

// next numbers the next batch.
func (s *Stream) next() (uint64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ended {
		return 0, fmt.Errorf("plugin %s: the stream has ended", s.d.Name())
	}
	s.seq++
	return s.seq, nil
}

// unnext takes back the number of the last batch, which was not sent.
func (s *Stream) unnext() {
	s.mu.Lock()
	s.seq--
	s.mu.Unlock()
}

// Match matches a batch of events and feeds it to the correlations. Batches are applied in
// the order Match is called; the answer holds the alerts the batch completed.
func (s *Stream) Match(ctx context.Context, events [][]byte, se StreamEvents) (*plugin.MatchResponse, error) {
	seq, err := s.next()
	if err != nil {
		return nil, err
	}
	return s.d.match(ctx, events, &plugin.StreamBatch{ID: s.id, Sequence: seq, EventIDs: se.IDs, EventTimes: se.Times, ObserveRules: se.Rules})
}

// Advance declares that no event older than until (less the lateness) will come, and
// returns the alerts of the windows that closes. It applies after the batches sent before
// it: call it between Match calls, not beside one.
func (s *Stream) Advance(ctx context.Context, until time.Time) (*plugin.AdvanceResponse, error) {
	return s.advance(ctx, until, false)
}

// End evaluates every open window and releases the stream in the plugin.
func (s *Stream) End(ctx context.Context) (*plugin.AdvanceResponse, error) {
	return s.advance(ctx, time.Time{}, true)
}

func (s *Stream) isEnded() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ended
}

// Close releases a stream that was not ended, discarding its open windows; it waits at
// most a moment for the plugin.
func (s *Stream) Close() {
	if s.isEnded() {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), endTimeout)
	defer cancel()
	_, _ = s.End(ctx)
}

func (s *Stream) advance(ctx context.Context, until time.Time, end bool) (*plugin.AdvanceResponse, error) {
	s.mu.Lock()
	if s.ended {
		s.mu.Unlock()
		return nil, fmt.Errorf("plugin %s: the stream has ended", s.d.Name())
	}
	seq := s.seq
	if end {
		s.ended = true
	}
	s.mu.Unlock()
	adv := s.d.raw.(advancer) // Correlates checked it before anything was loaded
	var resp *plugin.AdvanceResponse
	err := s.d.inst.call(ctx, "Advance", func(ctx context.Context) error {
		var err error
		resp, err = adv.Advance(ctx, &plugin.AdvanceRequest{Stream: s.id, Sequence: seq, Until: until, End: end})
		return err
	})
	return resp, err
}

// match sends one batch, in a stream or not (sb nil).
func (d *Detector) match(ctx context.Context, events [][]byte, sb *plugin.StreamBatch) (*plugin.MatchResponse, error) {
	var resp *plugin.MatchResponse
	err := d.inst.call(ctx, "Match", func(ctx context.Context) error {
		var err error
		resp, err = d.raw.Match(ctx, &plugin.MatchRequest{Events: events, Stream: sb})
		return err
	})
	return resp, err
}
