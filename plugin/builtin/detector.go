package builtin

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/sigmabridge/sigmabridge/plugin"
	"github.com/sigmabridge/sigmabridge/translator/evaluator"
	"github.com/sigmabridge/sigmabridge/translator/ir"
)

// Detector is the evaluator served as a plugin.Detector.
type Detector struct {
	current atomic.Pointer[program]
}

// program is one loaded rule set with a pool of matchers, one per concurrent Match call,
// and its correlations.
type program struct {
	prog     *evaluator.Program
	matchers sync.Pool
	set      *ir.RuleSet
	opts     evaluator.CorrelatorOptions
}

var _ plugin.CorrelatingDetector = (*Detector)(nil)

// NewDetector returns a detector with no rules loaded.
func NewDetector() *Detector { return &Detector{} }

// Describe describes the built-in detector.
func (d *Detector) Describe(context.Context, *plugin.DescribeRequest) (*plugin.DetectorDescription, error) {
	return &plugin.DetectorDescription{
		Name: DetectorName, Version: Version(),
		Description:      "built-in Sigma evaluator (translator/evaluator)",
		CorrelationTypes: correlationTypes(),
	}, nil
}

// Load compiles the rules; the ones that fail are named by index.
func (d *Detector) Load(_ context.Context, req *plugin.LoadRequest) (*plugin.LoadResponse, error) {
	prog, errs := evaluator.Compile(req.Rules)
	resp := &plugin.LoadResponse{Loaded: prog.Len()}
	for _, e := range errs {
		for _, dg := range e.Diags {
			resp.Errors = append(resp.Errors, plugin.RuleError{RuleIndex: e.Index, Diagnostic: dg})
		}
	}
	o := req.CorrelationOptions
	p := &program{prog: prog, set: &ir.RuleSet{Rules: req.Rules, Correlations: req.Correlations},
		opts: evaluator.CorrelatorOptions{TimeFields: o.TimeFields, MaxLateness: o.MaxLateness, MaxGroups: o.MaxGroups}}
	p.matchers.New = func() any { return prog.NewMatcher() }
	d.current.Store(p)
	return resp, nil
}

// Match matches every event of the batch, checking for cancellation every 256 events.
func (d *Detector) Match(ctx context.Context, req *plugin.MatchRequest) (*plugin.MatchResponse, error) {
	p := d.current.Load()
	if p == nil {
		return nil, status.Error(codes.FailedPrecondition, "no rules loaded")
	}
	m := p.matchers.Get().(*evaluator.Matcher)
	defer p.matchers.Put(m)
	resp := &plugin.MatchResponse{}
	for i, ev := range req.Events {
		if i%256 == 255 && ctx.Err() != nil {
			return nil, ctx.Err()
		}
		ms, err := m.MatchJSON(ev)
		if err != nil {
			resp.Errors = append(resp.Errors, plugin.EventError{Event: i, Message: err.Error()})
			continue
		}
		for _, x := range ms {
			resp.Matches = append(resp.Matches, plugin.EventMatch{Event: i, Rule: x.RuleIndex, RuleID: x.RuleID, Condition: x.Condition})
		}
	}
	return resp, nil
}

func correlationTypes() []string {
	var out []string
	for _, t := range ir.CorrelationTypes {
		out = append(out, string(t))
	}
	return out
}

// OpenStream starts a stream over the loaded correlations with an evaluator.Correlator
// of its own.
func (d *Detector) OpenStream(context.Context) (plugin.CorrelationStream, error) {
	p := d.current.Load()
	if p == nil {
		return nil, status.Error(codes.FailedPrecondition, "no rules loaded")
	}
	return &stream{k: evaluator.NewCorrelator(p.set, p.opts)}, nil
}

// stream is the correlation state of one input.
type stream struct {
	k     *evaluator.Correlator
	rules []int // scratch
}

// Observe feeds each event that matched a correlated rule to the correlator, as
// sigmabridge.Observe does in process: its time is the time field of the first such rule's
// log source (or the time the host gave), and the fields the correlations read are
// extracted from it.
func (s *stream) Observe(ctx context.Context, req *plugin.ObserveRequest) (*plugin.ObserveResponse, error) {
	var only map[int]bool
	if req.Rules != nil {
		only = make(map[int]bool, len(req.Rules))
		for _, r := range req.Rules {
			only[r] = true
		}
	}
	resp := &plugin.ObserveResponse{}
	ms := req.Matches
	for i := 0; i < len(ms); {
		ev := ms[i].Event
		s.rules = s.rules[:0]
		for ; i < len(ms) && ms[i].Event == ev; i++ {
			if only == nil || only[ms[i].Rule] {
				s.rules = append(s.rules, ms[i].Rule)
			}
		}
		if i%256 == 255 && ctx.Err() != nil {
			return nil, ctx.Err()
		}
		field := ""
		for _, r := range s.rules {
			if s.k.Relevant(r) {
				field = s.k.TimeField(r)
				break
			}
		}
		if field == "" {
			continue
		}
		id := req.ID(ev)
		fields, err := s.k.Extract(req.Events[ev])
		if err != nil {
			resp.Errors = append(resp.Errors, plugin.EventError{Event: ev, Message: err.Error()})
			continue
		}
		var t time.Time
		if req.Times != nil {
			t = req.Times[ev]
		}
		if t.IsZero() {
			ts, _ := fields(field)
			var ok bool
			if t, ok = evaluator.ParseTime(ts); !ok {
				resp.Errors = append(resp.Errors, plugin.EventError{Event: ev,
					Message: fmt.Sprintf("%s: the time field %s is missing or not a time (%q)", id, field, ts)})
				continue
			}
		}
		for _, a := range s.k.Observe(evaluator.Event{Time: t, ID: id, Fields: fields}, s.rules) {
			resp.Alerts = append(resp.Alerts, alert(a, ev))
		}
	}
	return resp, nil
}

// Advance closes the windows up to until, or all of them at the end.
func (s *stream) Advance(_ context.Context, until time.Time, end bool) (*plugin.AdvanceResponse, error) {
	var as []evaluator.Alert
	if end {
		as = s.k.Flush()
	} else {
		as = s.k.Advance(until)
	}
	resp := &plugin.AdvanceResponse{Late: s.k.Late, Limits: s.k.Limits}
	for _, a := range as {
		resp.Alerts = append(resp.Alerts, alert(a, -1))
	}
	return resp, nil
}

func alert(a evaluator.Alert, event int) plugin.Alert {
	return plugin.Alert{Correlation: a.Correlation, Group: a.Group, Start: a.Start, End: a.End, Value: a.Value,
		Events: a.Events, Omitted: a.Omitted, Event: event}
}
