package serve

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing/fstest"
	"unicode/utf8"

	sigmabridge "github.com/sigmabridge/sigmabridge"
	"github.com/sigmabridge/sigmabridge/backends"
	"github.com/sigmabridge/sigmabridge/lint"
	"github.com/sigmabridge/sigmabridge/plugin/host"
	"github.com/sigmabridge/sigmabridge/ruleset"
	"github.com/sigmabridge/sigmabridge/translator"
	"github.com/sigmabridge/sigmabridge/translator/diag"
	"github.com/sigmabridge/sigmabridge/translator/ir"
	"github.com/sigmabridge/sigmabridge/translator/pipeline"
	"github.com/sigmabridge/sigmabridge/translator/profile"
)

// RulePath is how a pasted rule is named in diagnostics.
const RulePath = "playground_rule.yml"

// PipelinePath is how a pasted pipeline is named in diagnostics.
const PipelinePath = "pipeline.yml"

// Request is the body of the POST endpoints; each reads the fields it needs.
type Request struct {
	// Rule is the Sigma YAML (one or more documents).
	Rule string `json:"rule"`
	// Pipelines are built-in pipeline names, each applied to the targets it is for.
	Pipelines []string `json:"pipelines,omitempty"`
	// PipelineYAML is a pasted pipeline in pySigma's format.
	PipelineYAML string `json:"pipeline_yaml,omitempty"`
	// Events are log records in Format (an --input format; default jsonl).
	Events string `json:"events,omitempty"`
	Format string `json:"format,omitempty"`
	// Profile is "" for the organisation profile serve was started with, or "pack" for the
	// profile the built-in pack's samples assume (testdata/rules/profile.yml).
	Profile string `json:"profile,omitempty"`
}

// profileFor returns the profile a request asks for.
func (s *Server) profileFor(req *Request) (*profile.Profile, error) {
	switch req.Profile {
	case "":
		return s.cfg.Profile, nil
	case "pack":
		return sigmabridge.PackProfile()
	}
	return nil, badRequest("profile %q: \"\" (serve's) or \"pack\" expected", req.Profile)
}

// pipelineSet is a request's pipelines, parsed once.
type pipelineSet struct {
	builtin []*pipeline.Pipeline
	pasted  *pipeline.Pipeline
}

// readPipelines resolves built-in names (never a path: requests do not reach the
// filesystem) and parses the pasted pipeline.
func readPipelines(req *Request) (pipelineSet, error) {
	var ps pipelineSet
	for _, n := range req.Pipelines {
		p, err := pipeline.Builtin(n)
		if err != nil {
			return ps, badRequest("%v", err)
		}
		ps.builtin = append(ps.builtin, p)
	}
	if strings.TrimSpace(req.PipelineYAML) != "" {
		p, err := pipeline.Parse(PipelinePath, []byte(req.PipelineYAML))
		if err != nil {
			return ps, &apiError{Status: http.StatusUnprocessableEntity, Message: err.Error()}
		}
		ps.pasted = p
	}
	return ps, nil
}

// forTarget returns the pipelines that apply to target ("" is the evaluator).
func (ps pipelineSet) forTarget(target string) []*pipeline.Pipeline {
	var out []*pipeline.Pipeline
	for _, p := range ps.builtin {
		if target != "" && allows(p, target) {
			out = append(out, p)
		}
	}
	if p := ps.pasted; p != nil {
		if len(p.AllowedBackends) == 0 || (target != "" && allows(p, target)) {
			out = append(out, p)
		}
	}
	return out
}

func allows(p *pipeline.Pipeline, target string) bool {
	if slices.Contains(p.AllowedBackends, target) {
		return true
	}
	// "elasticsearch" in allowed_backends is pySigma's name for the Elastic targets.
	return profile.TargetOf(target) == profile.Elastic && slices.Contains(p.AllowedBackends, "elasticsearch")
}

// setup builds a profile.Setup from pipelines already loaded, as sigmabridge.Setup does
// from names.
func (s *Server) setup(req *Request, target profile.Target, ps []*pipeline.Pipeline) (*profile.Setup, error) {
	prof, err := s.profileFor(req)
	if err != nil {
		return nil, err
	}
	st := &profile.Setup{Profile: prof, Target: target, Pipelines: ps}
	if err := st.Build(); err != nil {
		return nil, &apiError{Status: http.StatusUnprocessableEntity, Message: err.Error()}
	}
	return st, nil
}

// readRuleRequest decodes a request, parses its pipelines and lowers its rule.
func readRuleRequest(r *http.Request) (req *Request, ps pipelineSet, rules []*ir.Rule, load diag.List, err error) {
	req = &Request{}
	if err = decode(r, req); err != nil {
		return nil, ps, nil, nil, err
	}
	if ps, err = readPipelines(req); err != nil {
		return nil, ps, nil, nil, err
	}
	if strings.TrimSpace(req.Rule) == "" {
		return nil, ps, nil, nil, badRequest("rule is empty")
	}
	rules, load = translator.LoadBytes(RulePath, []byte(req.Rule))
	return req, ps, rules, nonNil(load), nil
}

func nonNil(l diag.List) diag.List {
	if l == nil {
		return diag.List{}
	}
	return l
}

// PipelineInfo is one built-in pipeline.
type PipelineInfo struct {
	Name     string   `json:"name"`
	Targets  []string `json:"targets"`
	Priority int      `json:"priority"`
}

func (s *Server) pipelines(ctx context.Context, r *http.Request) (any, error) {
	var out []PipelineInfo
	for _, n := range pipeline.BuiltinNames() {
		p, err := pipeline.Builtin(n)
		if err != nil {
			return nil, err
		}
		info := PipelineInfo{Name: n, Priority: p.Priority, Targets: []string{}}
		for _, t := range targets() {
			if allows(p, t) {
				info.Targets = append(info.Targets, t)
			}
		}
		out = append(out, info)
	}
	return map[string]any{"pipelines": out}, nil
}

func (s *Server) info(ctx context.Context, r *http.Request) (any, error) {
	prof := ""
	if s.cfg.Profile != nil {
		prof = s.cfg.Profile.Name()
	}
	return map[string]any{
		"targets": targets(),
		"formats": inputFormats(),
		"profile": prof,
		"es":      s.cfg.ES != nil,
		"limits": map[string]any{
			"max_body_bytes": s.cfg.MaxBodyBytes,
			"max_events":     s.cfg.MaxEvents,
			"max_rule_bytes": translator.MaxRuleFileBytes,
		},
	}, nil
}

// QueryOut is one query of one rule.
type QueryOut struct {
	Rule      string `json:"rule"`
	Condition int    `json:"condition"`
	Text      string `json:"text"`
	JSON      bool   `json:"json,omitempty"`
}

// TargetOut is one target's conversion of the request's rules.
type TargetOut struct {
	Target string `json:"target"`
	// Plugin names the external plugin that serves the target; "" for a built-in target.
	Plugin string `json:"plugin,omitempty"`
	// Error says why the plugin could not convert at all.
	Error       string     `json:"error,omitempty"`
	Pipelines   []string   `json:"pipelines"`
	Queries     []QueryOut `json:"queries"`
	Diagnostics diag.List  `json:"diagnostics"`
	// Failed counts the rules that gave no query; Unsupported those that failed only
	// because the target cannot express them.
	Failed      int      `json:"failed"`
	Unsupported int      `json:"unsupported"`
	Inactive    []string `json:"inactive,omitempty"`
}

// ConvertOut is the answer of /api/convert.
type ConvertOut struct {
	Rules   int         `json:"rules"`
	Load    diag.List   `json:"load"`
	Targets []TargetOut `json:"targets"`
}

func (s *Server) convert(ctx context.Context, r *http.Request) (any, error) {
	req, ps, rules, load, err := readRuleRequest(r)
	if err != nil {
		return nil, err
	}
	return s.convertRules(ctx, req, rules, load, ps)
}

func (s *Server) convertRules(ctx context.Context, req *Request, rules []*ir.Rule, load diag.List, ps pipelineSet) (*ConvertOut, error) {
	out := &ConvertOut{Rules: len(rules), Load: load, Targets: []TargetOut{}}
	for _, name := range targets() {
		b, err := backends.Get(name)
		if err != nil {
			return nil, err
		}
		chosen := ps.forTarget(name)
		st, err := s.setup(req, profile.TargetOf(name), chosen)
		if err != nil {
			return nil, err
		}
		t := TargetOut{Target: name, Pipelines: []string{}, Queries: []QueryOut{}, Diagnostics: diag.List{}}
		for _, p := range chosen {
			t.Pipelines = append(t.Pipelines, p.Name)
		}
		if len(rules) > 0 {
			res, _, err := sigmabridge.Convert(ctx, b, st, rules)
			if err != nil {
				return nil, err
			}
			t.add(res)
		}
		out.Targets = append(out.Targets, t)
	}
	if s.cfg.Plugins != nil && len(rules) > 0 {
		out.Targets = append(out.Targets, s.convertPlugins(ctx, req, rules, ps)...)
	}
	return out, nil
}

// convertPlugins converts through every usable external backend plugin, each target it
// serves, with the same profile and pipelines as a built-in target of that name would get.
func (s *Server) convertPlugins(ctx context.Context, req *Request, rules []*ir.Rule, ps pipelineSet) []TargetOut {
	var out []TargetOut
	for _, spec := range s.cfg.Plugins.Specs() {
		if spec.Builtin || spec.Problem != nil {
			continue
		}
		b, err := s.cfg.Plugins.Backend(ctx, spec.Name)
		if host.HasFailure(err, host.WrongKind) {
			continue // a detector
		}
		if err != nil {
			out = append(out, TargetOut{Target: spec.Name, Plugin: spec.Name, Error: err.Error(), Pipelines: []string{}, Queries: []QueryOut{}, Diagnostics: diag.List{}})
			continue
		}
		for _, target := range b.Description().Targets {
			t := TargetOut{Target: target, Plugin: spec.Name, Pipelines: []string{}, Queries: []QueryOut{}, Diagnostics: diag.List{}}
			chosen := ps.forTarget(target)
			for _, p := range chosen {
				t.Pipelines = append(t.Pipelines, p.Name)
			}
			st, err := s.setup(req, profile.TargetOf(target), chosen)
			if err != nil {
				t.Error = err.Error()
				out = append(out, t)
				continue
			}
			res, _, err := sigmabridge.ConvertBackendPlugin(ctx, b, target, st, rules)
			if err != nil {
				t.Error = err.Error()
				out = append(out, t)
				continue
			}
			t.add(res)
			out = append(out, t)
		}
	}
	return out
}

// add records the conversion results of the request's rules.
func (t *TargetOut) add(res []sigmabridge.Result) {
	for _, rr := range res {
		for _, q := range rr.Queries {
			t.Queries = append(t.Queries, QueryOut{Rule: ruleLabel(rr.Rule), Condition: q.Condition, Text: q.Text, JSON: q.JSON})
		}
		t.Diagnostics = append(t.Diagnostics, rr.Diags...)
		if rr.Failed {
			t.Failed++
			if rr.Unsupported {
				t.Unsupported++
			}
		}
		for _, n := range rr.Inactive {
			t.Inactive = append(t.Inactive, ruleLabel(rr.Rule)+": "+n.String())
		}
	}
}

func ruleLabel(r *ir.Rule) string {
	switch {
	case r.Title != "":
		return r.Title
	case r.ID != "":
		return r.ID
	}
	return "rule"
}

// FindingOut is one lint finding.
type FindingOut struct {
	Line int `json:"line"`
	Col  int `json:"col"`
	// ColFromLine is set when the check gave no column and Col is the line's first
	// character (after a list dash).
	ColFromLine bool   `json:"col_from_line,omitempty"`
	Check       string `json:"check"`
	Severity    string `json:"severity"`
	Message     string `json:"message"`
}

func (s *Server) lint(ctx context.Context, r *http.Request) (any, error) {
	var req Request
	if err := decode(r, &req); err != nil {
		return nil, err
	}
	return lintRule(req.Rule), nil
}

func lintRule(rule string) map[string]any {
	files := []ruleset.File{{Path: RulePath, FS: fstest.MapFS{RulePath: {Data: []byte(rule)}}, Name: RulePath}}
	rep := lint.Run(files, lint.Config{})
	lines := strings.Split(rule, "\n")
	out := make([]FindingOut, 0, len(rep.Findings))
	for _, f := range rep.Findings {
		fo := FindingOut{Line: f.Line, Col: f.Col, Check: f.Check, Severity: f.Severity.String(), Message: f.Message}
		if fo.Col == 0 && fo.Line > 0 && fo.Line <= len(lines) {
			fo.Col, fo.ColFromLine = firstColumn(lines[fo.Line-1]), true
		}
		out = append(out, fo)
	}
	return map[string]any{"findings": out, "errors": rep.Errors, "warnings": rep.Warnings}
}

// firstColumn is the 1-based column of a line's first character that is not blank or a
// list dash.
func firstColumn(line string) int {
	i := 0
	for i < len(line) && (line[i] == ' ' || line[i] == '\t' || (line[i] == '-' && i+1 < len(line) && line[i+1] == ' ')) {
		i++
	}
	return utf8.RuneCountInString(line[:i]) + 1
}

// targetOrder is the order targets are shown in: the SIEMs' own order, then any other.
var targetOrder = []string{"splunk", "lucene", "dsl", "esql", "eql"}

// targets lists the built-in targets in targetOrder.
func targets() []string {
	names := backends.Names()
	slices.SortStableFunc(names, func(a, b string) int { return rank(a) - rank(b) })
	return names
}

func rank(t string) int {
	if i := slices.Index(targetOrder, t); i >= 0 {
		return i
	}
	return len(targetOrder)
}
