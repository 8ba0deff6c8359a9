package serve

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	sigmabridge "github.com/sigmabridge/sigmabridge"
	"github.com/sigmabridge/sigmabridge/input"
	"github.com/sigmabridge/sigmabridge/translator"
	"github.com/sigmabridge/sigmabridge/translator/diag"
	"github.com/sigmabridge/sigmabridge/translator/evaluator"
	"github.com/sigmabridge/sigmabridge/translator/ir"
	"github.com/sigmabridge/sigmabridge/translator/profile"
	"github.com/sigmabridge/sigmabridge/translator/sigma"
)

// maxShownEventBytes caps the event text echoed back per event.
const maxShownEventBytes = 1 << 10

// maxShownValues caps the values shown per field.
const maxShownValues = 8

func inputFormats() []string { return input.Formats() }

// RuleState is one rule of a match request after its setup.
type RuleState struct {
	Title string `json:"title"`
	// State is "ok", "failed" (the pipelines or the evaluator refused it) or "inactive".
	State       string    `json:"state"`
	Selections  []string  `json:"selections"`
	Diagnostics diag.List `json:"diagnostics"`
}

// FieldOut is a field a matched selection reads, with the event's values there.
type FieldOut struct {
	Field  string   `json:"field"`
	Values []string `json:"values"`
}

// SelectionOut is one selection that matched an event.
type SelectionOut struct {
	Rule   int        `json:"rule"`
	Name   string     `json:"name"`
	Fields []FieldOut `json:"fields"`
}

// EventOut is one event of a match request.
type EventOut struct {
	// N is the event's 1-based position among the events read.
	N    int    `json:"n"`
	Line int    `json:"line"`
	Text string `json:"text"`
	// Rules are the indexes of the rules the event matched.
	Rules      []int          `json:"rules"`
	Selections []SelectionOut `json:"selections"`
}

// MatchOut is the answer of /api/match.
type MatchOut struct {
	Rules    []RuleState `json:"rules"`
	Load     diag.List   `json:"load"`
	Events   []EventOut  `json:"events"`
	Matched  int         `json:"matched"`
	Problems []string    `json:"problems"`
	// Truncated is set when more than Config.MaxEvents events were given.
	Truncated bool `json:"truncated,omitempty"`
}

func (s *Server) match(ctx context.Context, r *http.Request) (any, error) {
	req, ps, rules, load, err := readRuleRequest(r)
	if err != nil {
		return nil, err
	}
	recs, problems, truncated, err := s.readEvents(ctx, req)
	if err != nil {
		return nil, err
	}
	m, err := s.explainer(req, rules, ps)
	if err != nil {
		return nil, err
	}
	out := &MatchOut{Rules: m.states, Load: load, Events: []EventOut{}, Problems: problems, Truncated: truncated}
	for i, rec := range recs {
		if i%256 == 0 && ctx.Err() != nil {
			return nil, ctx.Err()
		}
		ev, err := m.explain(i+1, rec)
		if err != nil {
			out.Problems = append(out.Problems, fmt.Sprintf("event %d (line %d): %v", i+1, rec.Line, err))
			continue
		}
		if len(ev.Rules) > 0 {
			out.Matched++
		}
		out.Events = append(out.Events, ev)
	}
	return out, nil
}

// readEvents reads the request's events in its format, at most MaxEvents of them.
func (s *Server) readEvents(ctx context.Context, req *Request) (recs []input.Record, problems []string, truncated bool, err error) {
	format := req.Format
	if format == "" {
		format = input.JSONL
	}
	if !slices.Contains(input.Formats(), format) {
		return nil, nil, false, badRequest("unknown input format %q (known: %s)", format, strings.Join(input.Formats(), ", "))
	}
	problems = []string{}
	errStop := errors.New("stop")
	prof, err := s.profileFor(req)
	if err != nil {
		return nil, nil, false, err
	}
	opts := input.Options{AcceptedDomains: prof.AcceptedDomains()}
	rerr := input.ReadWith(format, "events", strings.NewReader(req.Events), opts, func(rec input.Record) error {
		if len(recs) >= s.cfg.MaxEvents {
			truncated = true
			return errStop
		}
		if len(recs)%256 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		rec.JSON = append([]byte(nil), rec.JSON...) // the reader reuses its buffer
		recs = append(recs, rec)
		return nil
	})
	switch {
	case rerr == nil, errors.Is(rerr, errStop):
	case ctx.Err() != nil:
		return nil, nil, false, ctx.Err()
	default:
		var ie *input.Errors
		if errors.As(rerr, &ie) {
			for _, le := range ie.List {
				problems = append(problems, le.Error())
			}
			if ie.Dropped > 0 {
				problems = append(problems, fmt.Sprintf("and %d more problems", ie.Dropped))
			}
		} else {
			problems = append(problems, rerr.Error())
		}
	}
	if truncated {
		problems = append(problems, fmt.Sprintf("only the first %d events were read", s.cfg.MaxEvents))
	}
	return recs, problems, truncated, nil
}

// selection is one search of one rule, run as the rule's only condition.
type selection struct {
	rule   int
	name   string
	fields []string // after the pipelines
	prog   int      // index among the compiled rules; -1 when it did not compile
}

// explainer matches events against a request's rules and their selections.
type explainer struct {
	states []RuleState
	prog   *evaluator.Program
	nrules int // rules come first in prog's input, then the selections
	sels   []selection
	// progRule maps an index of the compiled input to a rule (< nrules) or a selection.
	progRule []int
}

// explainer prepares rules and one copy of each rule per search, through the evaluator's
// setup (the profile, and the pasted pipeline when it is for every target).
func (s *Server) explainer(req *Request, rules []*ir.Rule, ps pipelineSet) (*explainer, error) {
	st, err := s.setup(req, profile.NoTarget, ps.forTarget(""))
	if err != nil {
		return nil, err
	}
	// Searches per YAML document (rules from one request share one file).
	var docs []*sigma.Document
	if len(rules) > 0 {
		// The rule loaded, so its size is within translator.MaxRuleFileBytes.
		docs = sigma.Parse(RulePath, []byte(req.Rule)).Docs
	}
	all := slices.Clone(rules)
	var sels []selection
	for ri, r := range rules {
		if r.Doc >= len(docs) || docs[r.Doc].Detection == nil {
			continue
		}
		for _, sr := range docs[r.Doc].Detection.Searches {
			tree, ds := translator.LowerSearch(RulePath, sr)
			if tree == nil || ds.HasErrors() {
				continue
			}
			cp := *r
			cp.Conditions = []ir.Node{tree}
			all = append(all, &cp)
			sels = append(sels, selection{rule: ri, name: sr.Name, prog: -1})
		}
	}
	prep := sigmabridge.Prepare(st, all)
	prog, errs := evaluator.Compile(prep.Rules)
	compileErr := map[int]diag.List{}
	for _, e := range errs {
		compileErr[e.Index] = e.Diags
	}
	e := &explainer{prog: prog, nrules: len(rules), sels: sels, progRule: make([]int, len(prep.Rules))}
	for i := range e.progRule {
		e.progRule[i] = -1
	}
	for i, r := range rules {
		rs := RuleState{Title: ruleLabel(r), State: "ok", Selections: []string{}, Diagnostics: nonNil(prep.Diags[i])}
		j := prep.Index[i]
		switch {
		case prep.Needs(r) != nil:
			rs.State = "inactive"
			for _, n := range prep.Needs(r) {
				rs.Diagnostics = append(rs.Diagnostics, diag.Diagnostic{Path: r.Path, Line: r.Line, Code: "inactive", Severity: diag.Warning, Message: n.String()})
			}
		case j < 0:
			rs.State = "failed"
		case compileErr[j] != nil:
			rs.State = "failed"
			rs.Diagnostics = append(rs.Diagnostics, compileErr[j]...)
		default:
			e.progRule[j] = i
		}
		e.states = append(e.states, rs)
	}
	for k := range e.sels {
		sel := &e.sels[k]
		j := prep.Index[len(rules)+k]
		if j < 0 || compileErr[j] != nil {
			continue
		}
		sel.prog = j
		e.progRule[j] = len(rules) + k
		ir.Inspect(prep.Rules[j].Conditions[0], func(n ir.Node) bool {
			if f := ir.Field(n); f != "" && !slices.Contains(sel.fields, f) {
				sel.fields = append(sel.fields, f)
			}
			return true
		})
		e.states[sel.rule].Selections = append(e.states[sel.rule].Selections, sel.name)
	}
	return e, nil
}

func (e *explainer) explain(n int, rec input.Record) (EventOut, error) {
	ev := EventOut{N: n, Line: rec.Line, Text: shorten(rec.JSON), Rules: []int{}, Selections: []SelectionOut{}}
	ms, err := e.prog.MatchJSON(rec.JSON)
	if err != nil {
		return ev, err
	}
	var hit []int
	for _, m := range ms {
		k := e.progRule[m.RuleIndex]
		switch {
		case k < 0:
		case k < e.nrules:
			if !slices.Contains(ev.Rules, k) {
				ev.Rules = append(ev.Rules, k)
			}
		default:
			if !slices.Contains(hit, k-e.nrules) {
				hit = append(hit, k-e.nrules)
			}
		}
	}
	slices.Sort(ev.Rules)
	slices.Sort(hit)
	if len(hit) == 0 {
		return ev, nil
	}
	var doc any
	dec := json.NewDecoder(bytes.NewReader(rec.JSON))
	dec.UseNumber()
	_ = dec.Decode(&doc) // the evaluator read it: it is JSON
	for _, k := range hit {
		sel := e.sels[k]
		so := SelectionOut{Rule: sel.rule, Name: sel.name, Fields: []FieldOut{}}
		for _, f := range sel.fields {
			so.Fields = append(so.Fields, FieldOut{Field: f, Values: lookup(doc, f)})
		}
		ev.Selections = append(ev.Selections, so)
	}
	return ev, nil
}

func shorten(b []byte) string {
	if len(b) <= maxShownEventBytes {
		return string(b)
	}
	return strings.ToValidUTF8(string(b[:maxShownEventBytes]), "") + "…"
}

// lookup returns the scalar values at a dotted field path, addressing nested objects and
// keys that contain dots alike, and every element of an array on the way (the evaluator's
// reading, package evaluator's doc).
func lookup(v any, field string) []string {
	out := []string{}
	var walk func(v any, rest string)
	walk = func(v any, rest string) {
		if len(out) >= maxShownValues {
			return
		}
		if arr, ok := v.([]any); ok {
			for _, x := range arr {
				walk(x, rest)
			}
			return
		}
		if rest == "" {
			switch x := v.(type) {
			case string:
				out = append(out, x)
			case json.Number:
				out = append(out, x.String())
			case bool:
				out = append(out, fmt.Sprint(x))
			case map[string]any:
				out = append(out, "{…}")
			}
			return
		}
		obj, ok := v.(map[string]any)
		if !ok {
			return
		}
		for i := 0; i <= len(rest); i++ {
			if i < len(rest) && rest[i] != '.' {
				continue
			}
			if x, ok := obj[rest[:i]]; ok {
				next := ""
				if i < len(rest) {
					next = rest[i+1:]
				}
				walk(x, next)
			}
		}
	}
	walk(v, field)
	return out
}
