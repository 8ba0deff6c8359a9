package builtin

import (
	"context"
	"sync"
	"sync/atomic"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/sigmabridge/sigmabridge/plugin"
	"github.com/sigmabridge/sigmabridge/translator/evaluator"
)

// Detector is the evaluator served as a plugin.Detector.
type Detector struct {
	current atomic.Pointer[program]
}

// program is one loaded rule set with a pool of matchers, one per concurrent Match call.
type program struct {
	prog     *evaluator.Program
	matchers sync.Pool
}

var _ plugin.Detector = (*Detector)(nil)

// NewDetector returns a detector with no rules loaded.
func NewDetector() *Detector { return &Detector{} }

// Describe describes the built-in detector.
func (d *Detector) Describe(context.Context, *plugin.DescribeRequest) (*plugin.DetectorDescription, error) {
	return &plugin.DetectorDescription{
		Name: DetectorName, Version: Version(),
		Description: "built-in Sigma evaluator (translator/evaluator)",
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
	p := &program{prog: prog}
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
