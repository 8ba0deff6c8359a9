package plugin

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/sigmabridge/sigmabridge/translator/diag"
	"github.com/sigmabridge/sigmabridge/translator/ir"
)

// titleDetector matches an event with every loaded rule whose title it contains, so the
// rule indexes of its matches can be checked.
type titleDetector struct{ titles []string }

func (d *titleDetector) Describe(context.Context, *DescribeRequest) (*DetectorDescription, error) {
	return &DetectorDescription{Name: "titles", Version: "1"}, nil
}

func (d *titleDetector) Load(_ context.Context, req *LoadRequest) (*LoadResponse, error) {
	d.titles = d.titles[:0]
	for _, r := range req.Rules {
		d.titles = append(d.titles, r.Title)
	}
	return &LoadResponse{Loaded: len(req.Rules)}, nil
}

func (d *titleDetector) Match(_ context.Context, req *MatchRequest) (*MatchResponse, error) {
	resp := &MatchResponse{}
	for i, ev := range req.Events {
		for j, title := range d.titles {
			if bytes.Contains(ev, []byte(title)) {
				resp.Matches = append(resp.Matches, EventMatch{Event: i, Rule: j})
			}
		}
	}
	return resp, nil
}

// deepRule is a rule whose condition is levels deep: alternating And and Or, as a
// condition `a and (b or (a and ...))` lowers, beyond anything the loader accepts.
func deepRule(title string, levels int) *ir.Rule {
	var n ir.Node = &ir.Exists{Field: "a"}
	for i := 1; i < levels; i++ {
		leaf := &ir.Exists{Field: "b"}
		if i%2 == 0 {
			n = &ir.And{Children: []ir.Node{leaf, n}}
		} else {
			n = &ir.Or{Children: []ir.Node{leaf, n}}
		}
	}
	return &ir.Rule{Title: title, Path: title + ".yml", Line: 1, ID: title, Conditions: []ir.Node{n}}
}

func okRule(title string) *ir.Rule {
	return &ir.Rule{Title: title, Path: title + ".yml", Line: 1, ID: title, Conditions: []ir.Node{&ir.Exists{Field: "x"}}}
}

func assertLimitDiag(t *testing.T, d diag.Diagnostic, path string) {
	t.Helper()
	if d.Code != diag.DetectionTooDeep || d.Path != path || d.Line != 1 || !strings.Contains(d.Message, "ir.MaxDepth") {
		t.Errorf("got %s, want %s:1: %s naming ir.MaxDepth", d, path, diag.DetectionTooDeep)
	}
}

// TestHostileDeepRuleRefusedAlone: a rule 5,000 levels deep encodes past protobuf's
// recursion limit (10,000 messages). The host must refuse that rule alone, before sending,
// with the named diagnostic, and send the others: no protocol error, no "garbage".
func TestHostileDeepRuleRefusedAlone(t *testing.T) {
	rules := []*ir.Rule{okRule("first"), deepRule("deep", 5000), okRule("last"), deepRule("deep2", ir.MaxDepth+1)}
	b, d := connect(t, &RuleBackend{Description: BackendDescription{Targets: []string{"t"}},
		ConvertRule: func(_, _ string, r *ir.Rule) ([]Query, Diagnostics) {
			return []Query{{Text: r.Title}}, nil
		}}, &titleDetector{})
	ctx := context.Background()

	resp, err := b.Convert(ctx, &ConvertRequest{Target: "t", Rules: rules})
	if err != nil {
		t.Fatalf("Convert failed for the whole batch: %v", err)
	}
	if len(resp.Results) != 4 {
		t.Fatalf("%d results", len(resp.Results))
	}
	for i, want := range []string{"first", "", "last", ""} {
		res := resp.Results[i]
		if want == "" {
			if len(res.Queries) != 0 || len(res.Diagnostics) != 1 {
				t.Fatalf("rule %d: %+v", i, res)
			}
			assertLimitDiag(t, res.Diagnostics[0], rules[i].Path)
			continue
		}
		if len(res.Queries) != 1 || res.Queries[0].Text != want || len(res.Diagnostics) != 0 {
			t.Errorf("rule %d: %+v, want the query %q", i, res, want)
		}
	}
	// A batch of only refused rules makes no call.
	resp, err = b.Convert(ctx, &ConvertRequest{Target: "t", Rules: rules[1:2]})
	if err != nil || len(resp.Results) != 1 || len(resp.Results[0].Diagnostics) != 1 {
		t.Fatalf("only a deep rule: %+v, %v", resp, err)
	}

	lr, err := d.Load(ctx, &LoadRequest{Rules: rules})
	if err != nil {
		t.Fatalf("Load failed for the whole set: %v", err)
	}
	if lr.Loaded != 2 || len(lr.Errors) != 2 || lr.Errors[0].RuleIndex != 1 || lr.Errors[1].RuleIndex != 3 {
		t.Fatalf("Load: %+v", lr)
	}
	assertLimitDiag(t, lr.Errors[0].Diagnostic, "deep.yml")
	// Matches name the rules by their place in the request, not in what was sent.
	mr, err := d.Match(ctx, &MatchRequest{Events: [][]byte{[]byte(`{"t":"last"}`), []byte(`{"t":"first"}`)}})
	if err != nil {
		t.Fatal(err)
	}
	if len(mr.Matches) != 2 || mr.Matches[0] != (EventMatch{Event: 0, Rule: 2}) || mr.Matches[1] != (EventMatch{Event: 1, Rule: 0}) {
		t.Errorf("matches: %+v, want event 0 rule 2 (last), event 1 rule 0 (first)", mr.Matches)
	}
	// A later Load without refused rules maps indexes one to one again.
	if _, err := d.Load(ctx, &LoadRequest{Rules: []*ir.Rule{okRule("x"), okRule("last")}}); err != nil {
		t.Fatal(err)
	}
	mr, err = d.Match(ctx, &MatchRequest{Events: [][]byte{[]byte(`{"t":"last"}`)}})
	if err != nil || len(mr.Matches) != 1 || mr.Matches[0].Rule != 1 {
		t.Errorf("after a clean Load: %+v %v", mr, err)
	}
}
