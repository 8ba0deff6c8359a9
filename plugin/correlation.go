package plugin

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"sync"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/sigmabridge/sigmabridge/plugin/internal/wire"
	pb "github.com/sigmabridge/sigmabridge/plugin/proto/sigmabridge/v1"
	"github.com/sigmabridge/sigmabridge/translator/evaluator"
)

// Correlated streams (protocol revision 1). A host that loaded correlations streams the
// events of one input through the detector: every batch of a stream carries the stream's
// id and a sequence number, and the detector feeds each batch's matches to the
// correlations in sequence order, whatever order the batches arrive in (a host keeps
// several in flight). A batch's answer carries the alerts its events completed; Advance
// closes the windows up to a watermark, or all of them at the end of the input, and
// releases the stream. The ordering is done here, in the protocol layer: an
// implementation sees the batches of one stream one at a time, in order.

// CorrelationOptions configure the evaluation of correlations
// (evaluator.CorrelatorOptions).
type CorrelationOptions struct {
	// TimeFields override the timestamp field per log source ("product",
	// "product/service", or "" for the default).
	TimeFields map[string]string
	// MaxLateness is how far out of order events may arrive.
	MaxLateness time.Duration
	// MaxGroups bounds the group-by keys per correlation (0: the detector's default).
	MaxGroups int
}

// StreamBatch places a MatchRequest in a correlated stream.
type StreamBatch struct {
	// ID is the host's id of the stream (not 0).
	ID uint64
	// Sequence numbers the stream's batches from 1.
	Sequence uint64
	// EventIDs, one per event when set, name the events in alerts.
	EventIDs []string
	// IDBytes and IDLengths, when set instead, are the names back to back and their
	// lengths (one per event): no allocation per event on either side.
	IDBytes   []byte
	IDLengths []uint32
	// IDNumbers, when set instead (one per event; revision RevisionEventNumbers), name
	// event i IDPrefix followed by IDNumbers[i] in decimal: an input's name travels once
	// per batch, and the detector formats names only for the events it keeps.
	IDPrefix  string
	IDNumbers []int64
	// EventTimes, one per event when set, are the events' times (zero: read the time
	// field of the event's log source).
	EventTimes []time.Time
	// ObserveRules, when set, are the only rules whose matches feed the correlations.
	ObserveRules []int
}

// AlertEvent is one event that made an alert.
type AlertEvent = evaluator.AlertEvent

// Alert is one correlation match (evaluator.Alert without the correlation itself).
type Alert struct {
	// Correlation is the index in LoadRequest.Correlations.
	Correlation int
	Group       map[string]string
	Start, End  time.Time
	Value       float64
	Events      []AlertEvent
	// Omitted counts the window's events not listed in Events.
	Omitted int
	// Event is, in a MatchResponse, the batch's event whose observation completed the
	// alert; -1 in an AdvanceResponse.
	Event int
}

// AdvanceRequest moves the watermark of a stream.
type AdvanceRequest struct {
	Stream uint64
	// Sequence is the number of batches sent on the stream before the call.
	Sequence uint64
	// Until: no event older than Until - MaxLateness will come. Ignored when End is set.
	Until time.Time
	// End: the input is over; every window is evaluated and the stream released.
	End bool
}

// AdvanceResponse holds the alerts of the windows an Advance closed.
type AdvanceResponse struct {
	Alerts []Alert
	// Late counts the stream's events dropped so far for arriving too late.
	Late int
	// Limits are the limit diagnostics raised on the stream so far.
	Limits Diagnostics
}

// CorrelatingDetector is a Detector that also evaluates correlations. The protocol layer
// orders a stream's batches; an implementation only keeps the state of each stream.
type CorrelatingDetector interface {
	Detector
	// OpenStream starts a stream over the rule set loaded now (a later Load does not
	// change it).
	OpenStream(ctx context.Context) (CorrelationStream, error)
}

// CorrelationStream is the correlation state of one input. Its methods are called one at
// a time, in the stream's order.
type CorrelationStream interface {
	// Observe feeds a batch's events with the matches Match found for them.
	Observe(ctx context.Context, req *ObserveRequest) (*ObserveResponse, error)
	// Advance moves the watermark to until, or evaluates every window when end is set.
	Advance(ctx context.Context, until time.Time, end bool) (*AdvanceResponse, error)
}

// ObserveRequest is one batch of a stream with its matches.
type ObserveRequest struct {
	// Events are read-only and valid only until Observe returns (as MatchRequest.Events).
	Events [][]byte
	// Times, when set, give the events' times (zero: read from the event).
	Times []time.Time
	// Matches are Match's answer for Events.
	Matches []EventMatch
	// Rules, when set, are the only rules whose matches feed the correlations.
	Rules []int

	seq      uint64  // the batch's sequence number
	ids      []byte  // the events' names back to back (nil: named by seq)
	idEnds   []int   // where each name ends in ids
	idPrefix string  // with idNums: event i is idPrefix and idNums[i]
	idNums   []int64 // the events' numbers (nil: named by ids or seq)
}

// ID is the name of event i in alerts.
func (r *ObserveRequest) ID(i int) string {
	if r.idNums != nil {
		return r.idPrefix + strconv.FormatInt(r.idNums[i], 10)
	}
	if r.idEnds == nil {
		return strconv.FormatUint(r.seq, 10) + ":" + strconv.Itoa(i)
	}
	start := 0
	if i > 0 {
		start = r.idEnds[i-1]
	}
	return string(r.ids[start:r.idEnds[i]])
}

// ObserveResponse is what a batch completed.
type ObserveResponse struct {
	// Alerts carry Event, the event whose observation completed them.
	Alerts []Alert
	// Errors are events that matched a correlated rule but could not be observed.
	Errors []EventError
}

// MaxStreams bounds the streams a detector holds at once: a host opens one per input it
// scans concurrently, and ends it.
const MaxStreams = 256

// streams is the detector server's open streams.
type streams struct {
	mu sync.Mutex
	m  map[uint64]*stream
}

// stream is one open stream: the implementation's state and the next batch to apply.
type stream struct {
	mu      sync.Mutex
	impl    CorrelationStream
	next    uint64        // the sequence number to apply next
	changed chan struct{} // closed when next or err changes
	err     error         // the stream broke: every later call fails with it
}

// get returns stream id, opening it with open when it is new.
func (ss *streams) get(ctx context.Context, id uint64, open func(context.Context) (CorrelationStream, error)) (*stream, error) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if st, ok := ss.m[id]; ok {
		return st, nil
	}
	if open == nil {
		return nil, nil
	}
	if len(ss.m) >= MaxStreams {
		return nil, status.Errorf(codes.ResourceExhausted, "%d streams open (at most %d): end streams with Advance", len(ss.m), MaxStreams)
	}
	impl, err := open(ctx)
	if err != nil {
		return nil, statusError(ctx, err)
	}
	if ss.m == nil {
		ss.m = map[uint64]*stream{}
	}
	st := &stream{impl: impl, next: 1, changed: make(chan struct{})}
	ss.m[id] = st
	return st, nil
}

func (ss *streams) drop(id uint64) {
	ss.mu.Lock()
	delete(ss.m, id)
	ss.mu.Unlock()
}

// turn waits until batch seq is the next to apply and returns with st.mu held. A stream
// that broke, or a sequence number already applied, is an error.
func (st *stream) turn(ctx context.Context, seq uint64) error {
	for {
		st.mu.Lock()
		switch {
		case st.err != nil:
			err := st.err
			st.mu.Unlock()
			return err
		case st.next == seq:
			return nil
		case st.next > seq:
			st.mu.Unlock()
			return status.Errorf(codes.InvalidArgument, "batch %d of the stream was already applied", seq)
		}
		ch := st.changed
		st.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			err := status.FromContextError(ctx.Err()).Err()
			st.breakWith(status.Errorf(codes.Aborted, "batch %d of the stream was never applied: %v", seq, ctx.Err()))
			return err
		}
	}
}

// done ends a turn (st.mu held): the next batch may go, or, after err, none.
func (st *stream) done(err error) {
	if err != nil && st.err == nil {
		st.err = status.Errorf(codes.Aborted, "the stream broke at batch %d: %v", st.next, status.Convert(err).Message())
	} else {
		st.next++
	}
	close(st.changed)
	st.changed = make(chan struct{})
	st.mu.Unlock()
}

// breakWith marks the stream broken: a batch will never be applied.
func (st *stream) breakWith(err error) {
	st.mu.Lock()
	if st.err == nil {
		st.err = err
		close(st.changed)
		st.changed = make(chan struct{})
	}
	st.mu.Unlock()
}

// observe applies a batch of stream sb, which impl.Match answered with resp, in order.
func (s *detectorServer) observe(ctx context.Context, sb *StreamBatch, events [][]byte, resp *MatchResponse, matchErr error) error {
	cd, ok := s.impl.(CorrelatingDetector)
	if !ok {
		return status.Error(codes.Unimplemented, "the detector evaluates no correlations")
	}
	st, err := s.streams.get(ctx, sb.ID, cd.OpenStream)
	if err != nil {
		return err
	}
	if matchErr != nil {
		st.breakWith(status.Errorf(codes.Aborted, "batch %d of the stream failed: %v", sb.Sequence, status.Convert(matchErr).Message()))
		return matchErr
	}
	if err := st.turn(ctx, sb.Sequence); err != nil {
		return err
	}
	req := &ObserveRequest{Events: events, Times: sb.EventTimes, Matches: resp.Matches, Rules: sb.ObserveRules, seq: sb.Sequence, ids: sb.IDBytes,
		idPrefix: sb.IDPrefix, idNums: sb.IDNumbers}
	if sb.IDLengths != nil {
		req.idEnds = make([]int, len(sb.IDLengths))
		end := 0
		for i, n := range sb.IDLengths {
			end += int(n)
			req.idEnds[i] = end
		}
	}
	or, err := st.impl.Observe(ctx, req)
	if err != nil {
		err = statusError(ctx, err)
		st.done(err)
		return err
	}
	st.done(nil)
	resp.Alerts, resp.CorrelationErrors = or.Alerts, or.Errors
	return nil
}

// streamBatch decodes and checks the stream fields of a request with n events.
func streamBatch(m *pb.MatchRequest, n int) (*StreamBatch, error) {
	if m.GetStream() == 0 {
		if m.GetSequence() != 0 || len(m.GetEventIds()) > 0 || len(m.GetEventIdLengths()) > 0 || m.GetEventIdPrefix() != "" || len(m.GetEventIdNumbers()) > 0 || len(m.GetEventTimes()) > 0 || len(m.GetObserveRules()) > 0 {
			return nil, status.Error(codes.InvalidArgument, "stream fields on a batch of no stream")
		}
		return nil, nil
	}
	sb := &StreamBatch{ID: m.GetStream(), Sequence: m.GetSequence(), IDBytes: m.GetEventIds(), IDLengths: m.GetEventIdLengths(),
		IDPrefix: m.GetEventIdPrefix(), IDNumbers: m.GetEventIdNumbers()}
	total := uint64(0)
	for _, l := range sb.IDLengths {
		total += uint64(l)
	}
	switch {
	case sb.Sequence == 0:
		return nil, status.Error(codes.InvalidArgument, "a stream's batches are numbered from 1")
	case len(sb.IDLengths) != 0 && len(sb.IDLengths) != n:
		return nil, status.Errorf(codes.InvalidArgument, "%d event ids for %d events", len(sb.IDLengths), n)
	case len(sb.IDNumbers) != 0 && len(sb.IDNumbers) != n:
		return nil, status.Errorf(codes.InvalidArgument, "%d event numbers for %d events", len(sb.IDNumbers), n)
	case len(sb.IDNumbers) != 0 && (len(sb.IDLengths) != 0 || len(sb.IDBytes) != 0):
		return nil, status.Error(codes.InvalidArgument, "events named both by event_ids and by event_id_numbers")
	case sb.IDPrefix != "" && len(sb.IDNumbers) == 0:
		return nil, status.Error(codes.InvalidArgument, "event_id_prefix without event_id_numbers")
	case total != uint64(len(sb.IDBytes)):
		return nil, status.Errorf(codes.InvalidArgument, "event ids of %d bytes cut into %d", len(sb.IDBytes), total)
	case len(m.GetEventTimes()) != 0 && len(m.GetEventTimes()) != n:
		return nil, status.Errorf(codes.InvalidArgument, "%d event times for %d events", len(m.GetEventTimes()), n)
	}
	if ts := m.GetEventTimes(); len(ts) > 0 {
		sb.EventTimes = make([]time.Time, n)
		for i, t := range ts {
			if t != 0 {
				sb.EventTimes[i] = time.Unix(0, t).UTC()
			}
		}
	}
	for _, r := range m.GetObserveRules() {
		if r < 0 {
			return nil, status.Errorf(codes.InvalidArgument, "observe rule %d", r)
		}
		sb.ObserveRules = append(sb.ObserveRules, int(r))
	}
	if sb.ObserveRules == nil && len(m.GetObserveRules()) > 0 {
		sb.ObserveRules = []int{}
	}
	return sb, nil
}

// Advance serves AdvanceRequest.
func (s *detectorServer) Advance(ctx context.Context, m *pb.AdvanceRequest) (*pb.AdvanceResponse, error) {
	if _, ok := s.impl.(CorrelatingDetector); !ok {
		return nil, status.Error(codes.Unimplemented, "the detector evaluates no correlations")
	}
	if m.GetStream() == 0 {
		return nil, status.Error(codes.InvalidArgument, "Advance on stream 0")
	}
	st, _ := s.streams.get(ctx, m.GetStream(), nil)
	if st == nil {
		if m.GetSequence() == 0 {
			return &pb.AdvanceResponse{}, nil // nothing was sent on it
		}
		return nil, status.Errorf(codes.FailedPrecondition, "stream %d is not open (never sent, or already ended)", m.GetStream())
	}
	if m.GetEnd() {
		defer s.streams.drop(m.GetStream())
	}
	if err := st.turn(ctx, m.GetSequence()+1); err != nil {
		return nil, err
	}
	var until time.Time
	if !m.GetEnd() {
		until = time.Unix(0, m.GetUntil()).UTC()
	}
	resp, err := st.impl.Advance(ctx, until, m.GetEnd())
	st.mu.Unlock() // an Advance does not use a sequence number
	if err != nil {
		return nil, statusError(ctx, err)
	}
	out := &pb.AdvanceResponse{Late: int64(resp.Late), Alerts: alertsToProto(resp.Alerts, false)}
	for _, d := range resp.Limits {
		out.Limits = append(out.Limits, wire.DiagnosticToProto(d))
	}
	return out, nil
}

func alertsToProto(as []Alert, withEvent bool) []*pb.Alert {
	var out []*pb.Alert
	for _, a := range as {
		m := &pb.Alert{CorrelationIndex: int32(a.Correlation), Group: a.Group, Start: a.Start.UnixNano(), End: a.End.UnixNano(),
			Value: a.Value, Omitted: int32(a.Omitted)}
		if withEvent {
			m.EventIndex = int32(a.Event)
		}
		for _, e := range a.Events {
			m.Events = append(m.Events, &pb.AlertEvent{Id: e.ID, Time: e.Time.UnixNano(), Ref: int32(e.Ref)})
		}
		out = append(out, m)
	}
	return out
}

// alertsFromProto checks and converts the alerts of an answer: correlations is the
// number loaded, events the batch's (-1: an Advance, whose alerts name no event).
func alertsFromProto(ms []*pb.Alert, correlations, events int, method string) ([]Alert, error) {
	var out []Alert
	for _, m := range ms {
		ci := int(m.GetCorrelationIndex())
		if ci < 0 || ci >= correlations {
			return nil, fmt.Errorf("%w from %s: an alert of correlation %d of %d loaded", ErrMalformedResponse, method, ci, correlations)
		}
		a := Alert{Correlation: ci, Group: m.GetGroup(), Start: time.Unix(0, m.GetStart()).UTC(), End: time.Unix(0, m.GetEnd()).UTC(),
			Value: m.GetValue(), Omitted: int(m.GetOmitted()), Event: -1}
		if events >= 0 {
			a.Event = int(m.GetEventIndex())
			if a.Event < 0 || a.Event >= events {
				return nil, fmt.Errorf("%w from %s: an alert completed by event %d of %d", ErrMalformedResponse, method, a.Event, events)
			}
		}
		if a.Omitted < 0 {
			return nil, fmt.Errorf("%w from %s: %d events omitted", ErrMalformedResponse, method, a.Omitted)
		}
		for _, e := range m.GetEvents() {
			a.Events = append(a.Events, AlertEvent{ID: e.GetId(), Time: time.Unix(0, e.GetTime()).UTC(), Ref: int(e.GetRef())})
		}
		for _, id := range m.GetEventIds() { // a detector that fills only the first list
			a.Events = append(a.Events, AlertEvent{ID: id})
		}
		out = append(out, a)
	}
	return out, nil
}

// Advance moves a stream's watermark, or ends it.
func (c *detectorClient) Advance(ctx context.Context, req *AdvanceRequest) (*AdvanceResponse, error) {
	m := &pb.AdvanceRequest{Stream: req.Stream, Sequence: req.Sequence, End: req.End}
	if !req.End {
		m.Until = req.Until.UnixNano()
	}
	resp, err := c.rpc.Advance(ctx, m)
	if err != nil {
		return nil, err
	}
	alerts, err := alertsFromProto(resp.GetAlerts(), int(c.correlations.Load()), -1, "Advance")
	if err != nil {
		return nil, err
	}
	out := &AdvanceResponse{Alerts: alerts, Late: int(resp.GetLate())}
	ds, err := wire.DiagnosticsFromProto(resp.GetLimits())
	if err != nil {
		return nil, fmt.Errorf("%w from Advance: %v", ErrMalformedResponse, err)
	}
	out.Limits = ds
	return out, nil
}

// setStream fills the stream fields of a request.
func (c *detectorClient) setStream(m *pb.MatchRequest, sb *StreamBatch, n int) error {
	if sb == nil {
		return nil
	}
	if sb.ID == 0 || sb.Sequence == 0 {
		return fmt.Errorf("%w: stream %d, batch %d (both count from 1)", ErrEncodeRequest, sb.ID, sb.Sequence)
	}
	if (sb.EventIDs != nil && len(sb.EventIDs) != n) || (sb.IDLengths != nil && len(sb.IDLengths) != n) || (sb.IDNumbers != nil && len(sb.IDNumbers) != n) || (sb.EventTimes != nil && len(sb.EventTimes) != n) {
		return fmt.Errorf("%w: %d ids and %d times for %d events", ErrEncodeRequest, max(len(sb.EventIDs), len(sb.IDLengths)), len(sb.EventTimes), n)
	}
	m.Stream, m.Sequence = sb.ID, sb.Sequence
	switch {
	case sb.IDNumbers != nil:
		m.EventIdPrefix, m.EventIdNumbers = sb.IDPrefix, sb.IDNumbers
	case sb.IDLengths != nil:
		m.EventIds, m.EventIdLengths = sb.IDBytes, sb.IDLengths
	case sb.EventIDs != nil:
		m.EventIdLengths = make([]uint32, n)
		for i, id := range sb.EventIDs {
			m.EventIds = append(m.EventIds, id...)
			m.EventIdLengths[i] = uint32(len(id))
		}
	}
	if sb.EventTimes != nil {
		m.EventTimes = make([]int64, n)
		for i, t := range sb.EventTimes {
			if !t.IsZero() {
				m.EventTimes[i] = t.UnixNano()
			}
		}
	}
	if sb.ObserveRules != nil {
		// To the rules as sent; a rule that was not sent never matches.
		sent := map[int]int32{}
		if p := c.index.Load(); p != nil {
			for s, r := range *p {
				sent[r] = int32(s)
			}
		}
		m.ObserveRules = []int32{}
		for _, r := range sb.ObserveRules {
			if c.index.Load() == nil {
				m.ObserveRules = append(m.ObserveRules, int32(r))
			} else if s, ok := sent[r]; ok {
				m.ObserveRules = append(m.ObserveRules, s)
			}
		}
		if len(m.ObserveRules) == 0 {
			m.ObserveRules = []int32{math.MaxInt32} // none: an index no rule has
		}
	}
	return nil
}
