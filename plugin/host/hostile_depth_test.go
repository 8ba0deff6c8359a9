package host_test

import (
	"context"
	"strings"
	"testing"

	"github.com/sigmabridge/sigmabridge/plugin/host"
	"github.com/sigmabridge/sigmabridge/translator/diag"
	"github.com/sigmabridge/sigmabridge/translator/ir"
)

// TestHostileDeepRuleThroughRealPlugins: one rule 5,000 levels deep (past protobuf's
// recursion limit once encoded) among good ones, through the built-in detector and a
// built-in backend as real processes. The host refuses that rule alone with
// detection-too-deep; the others load, match and convert, and no plugin is blamed.
func TestHostileDeepRuleThroughRealPlugins(t *testing.T) {
	m, _ := newManager(t, "", managerOpts{})
	ctx := context.Background()
	var deep ir.Node = &ir.Match{Field: "a", Pattern: ir.LiteralPattern("x")}
	for i := 1; i < 5000; i++ {
		leaf := &ir.Match{Field: "b", Pattern: ir.LiteralPattern("y")}
		if i%2 == 0 {
			deep = &ir.And{Children: []ir.Node{leaf, deep}}
		} else {
			deep = &ir.Or{Children: []ir.Node{leaf, deep}}
		}
	}
	rule := func(id, field string) *ir.Rule {
		return &ir.Rule{Path: id + ".yml", Line: 1, ID: id, Title: id,
			Conditions: []ir.Node{&ir.Match{Field: field, Pattern: ir.LiteralPattern("hit")}}}
	}
	rules := []*ir.Rule{rule("one", "f1"), {Path: "deep.yml", Line: 7, ID: "deep", Conditions: []ir.Node{deep}}, rule("two", "f2")}

	d, err := m.Detector(ctx, "evaluator")
	if err != nil {
		t.Fatal(err)
	}
	lr, err := d.Load(ctx, rules)
	if err != nil {
		t.Fatalf("Load failed for every rule: %v", err)
	}
	if lr.Loaded != 2 || len(lr.Errors) != 1 || lr.Errors[0].RuleIndex != 1 {
		t.Fatalf("Load: %+v", lr)
	}
	if e := lr.Errors[0].Diagnostic; e.Code != diag.DetectionTooDeep || e.Path != "deep.yml" || e.Line != 7 || !strings.Contains(e.Message, "ir.MaxDepth") {
		t.Errorf("diagnostic: %s", e)
	}
	input := strings.NewReader(`{"f2":"hit"}` + "\n" + `{"f1":"hit"}` + "\n" + `{"a":"x"}` + "\n")
	var got []string
	err = d.Scan(ctx, input, host.ScanOptions{}, func(b *host.ScanBatch) error {
		for _, em := range b.Matches {
			got = append(got, rules[em.Rule].ID)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("Scan: %v", err)
	}
	if strings.Join(got, ",") != "two,one" {
		t.Errorf("matches %v, want two then one", got)
	}

	b, err := m.BackendForTarget(ctx, "irecho")
	if err != nil {
		t.Fatal(err)
	}
	results, err := b.Convert(ctx, "irecho", "", rules)
	if err != nil {
		t.Fatalf("Convert failed for every rule: %v", err)
	}
	if len(results[0].Queries) != 1 || len(results[2].Queries) != 1 {
		t.Errorf("the good rules did not convert: %+v", results)
	}
	if ds := results[1].Diagnostics; len(ds) != 1 || ds[0].Code != diag.DetectionTooDeep || ds[0].Target != "irecho" {
		t.Errorf("the deep rule: %+v", results[1])
	}
}
