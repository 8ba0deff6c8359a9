package formats_test

import (
	"strings"
	"testing"
	"time"

	"github.com/sigmabridge/sigmabridge/backends"
	"github.com/sigmabridge/sigmabridge/formats"
	"github.com/sigmabridge/sigmabridge/translator/diag"
	"github.com/sigmabridge/sigmabridge/translator/ir"
)

func corrItem(query string, bases ...*ir.Rule) formats.Item {
	c := &ir.Correlation{Path: "mr.yml", Line: 1, ID: "c1", Title: "Corr [x]", Level: "high", Author: "A",
		Tags: []string{"attack.execution", "attack.t1648"}, Type: ir.CorrelationType("temporal_ordered"), Timespan: 10 * time.Minute}
	return formats.Item{Rule: formats.CorrelationRule(c), Source: "mr.yml", Queries: []backends.Query{{Text: query}}, Correlation: c, Bases: bases}
}

// TestCorrelationStanzaMacros: each named rule's placeholder becomes its own log source's
// macro, a placeholder left over fails the correlation alone, and the schedule reaches
// back the timespan.
func TestCorrelationStanzaMacros(t *testing.T) {
	ct := &ir.Rule{Path: "a.yml", Logsource: ir.Logsource{Product: "aws", Service: "cloudtrail"},
		Deployment: ir.Deployment{Index: []string{"aws"}}}
	gcp := &ir.Rule{Path: "b.yml", Logsource: ir.Logsource{Product: "gcp", Service: "gcp.audit"},
		Deployment: ir.Deployment{Sourcetype: []string{"gcp:audit"}}}
	ref := func(k int) string { return `index="` + formats.CorrMacroIndex(k) + `"` }
	good := corrItem("| multisearch [search "+ref(0)+` a=1 | eval r="x"] [search `+ref(1)+` b=2 | eval r="y"] | stats count by u`, ct, gcp)
	stray := corrItem("| multisearch [search "+ref(0)+" a=1] [search "+ref(1)+" b=2]", ct, nil)
	s := formats.RenderSplunk([]formats.Item{good, stray}, options("splunk"))
	if s.Diags[0].HasErrors() || len(s.ByRule[0]) != 1 {
		t.Fatalf("good: %v", s.Diags[0])
	}
	st := s.ByRule[0][0]
	for _, want := range []string{"[sigmabridge - Corr (x)]\n",
		"search = | multisearch [search `sigmabridge_aws_cloudtrail` a=1 | eval r=\"x\"] [search `sigmabridge_gcp_gcp_audit` b=2 | eval r=\"y\"] | stats count by u\n",
		"dispatch.earliest_time = -20m@m-600s\n", "alert.severity = 5\n", `"sigma_author":"A"`} {
		if !strings.Contains(st, want) {
			t.Errorf("no %q in\n%s", want, st)
		}
	}
	if s.Correlations != 1 || len(s.Macros) != 2 {
		t.Errorf("%d correlations, macros %+v", s.Correlations, s.Macros)
	}
	if !s.Diags[1].HasErrors() || s.ByRule[1] != nil || !strings.Contains(s.Diags[1].Err().Error(), formats.MacroIndex) {
		t.Errorf("a placeholder without a named rule: %v", s.Diags[1])
	}
}

// TestCorrelationElasticRule: an ES|QL or EQL correlation is an esql or eql rule that looks
// back its timespan; for a query target it fails with unsupported-correlation.
func TestCorrelationElasticRule(t *testing.T) {
	base := &ir.Rule{Deployment: ir.Deployment{Index: []string{"logs-aws.cloudtrail-*"}}}
	other := &ir.Rule{Deployment: ir.Deployment{Index: []string{"logs-gcp.audit-*", "logs-aws.cloudtrail-*"}}}
	for _, target := range []string{"esql", "eql"} {
		e := formats.RenderElastic([]formats.Item{corrItem("q", base, other)}, options(target))
		if e.Diags[0].HasErrors() || len(e.ByRule[0]) != 1 {
			t.Fatalf("%s: %v", target, e.Diags[0])
		}
		r := e.ByRule[0][0]
		if r.Type != target || r.From != "now-960s" || r.Author[0] != "A" || r.Meta["sigma_correlation"] != "temporal_ordered" || r.License != "DRL 1.1" {
			t.Errorf("%s: %+v", target, r)
		}
		if target == "eql" && strings.Join(r.Index, ",") != "logs-aws.cloudtrail-*,logs-gcp.audit-*" {
			t.Errorf("eql index %v, want the named rules' in order, once each", r.Index)
		}
		if target == "esql" && r.Index != nil {
			t.Errorf("esql index %v", r.Index)
		}
	}
	e := formats.RenderElastic([]formats.Item{corrItem("q", base)}, options("lucene"))
	if ds := e.Diags[0]; !ds.HasErrors() || ds.Errors()[0].Code != diag.UnsupportedCorrelation || e.ByRule[0] != nil {
		t.Errorf("lucene: %v", ds)
	}
}
