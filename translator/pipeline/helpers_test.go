package pipeline

import (
	"strings"
	"testing"

	"github.com/sigmabridge/sigmabridge/translator"
	"github.com/sigmabridge/sigmabridge/translator/diag"
	"github.com/sigmabridge/sigmabridge/translator/ir"
)

// mustParse loads a pipeline from YAML text or fails the test.
func mustParse(t *testing.T, src string) *Pipeline {
	t.Helper()
	p, err := Parse("test_pipeline.yml", []byte(src))
	if err != nil {
		t.Fatalf("pipeline does not load:\n%v", err)
	}
	return p
}

// mustRule lowers one Sigma rule with the project loader or fails the test.
func mustRule(t *testing.T, src string) *ir.Rule {
	t.Helper()
	return mustRuleB(t, src)
}

func mustRuleB(t testing.TB, src string) *ir.Rule {
	t.Helper()
	rules, ds := translator.LoadBytes("rule.yml", []byte(src))
	if ds.HasErrors() || len(rules) != 1 {
		t.Fatalf("rule does not load (%d rules): %v", len(rules), ds)
	}
	return rules[0]
}

// ruleWith builds a rule text from a logsource line and detection lines.
func ruleWith(logsource string, detection ...string) string {
	return "title: test rule\nid: 11111111-2222-4333-8444-555555555555\nlogsource: " + logsource +
		"\ndetection:\n  " + strings.Join(detection, "\n  ") + "\n"
}

// conds prints the rule's conditions, one per line.
func conds(r *ir.Rule) string {
	var parts []string
	for _, c := range r.Conditions {
		if c == nil {
			parts = append(parts, "<nil>")
			continue
		}
		parts = append(parts, c.String())
	}
	return strings.Join(parts, "\n")
}

// apply runs p on r and fails the test on error diagnostics.
func apply(t *testing.T, p *Pipeline, r *ir.Rule) *ir.Rule {
	t.Helper()
	out, ds := p.Apply(r)
	if ds.HasErrors() {
		t.Fatalf("unexpected errors: %v", ds)
	}
	return out
}

// codes lists the codes of the diagnostics with the given severity.
func codes(ds diag.List, sev diag.Severity) []string {
	var out []string
	for _, d := range ds {
		if d.Severity == sev {
			out = append(out, string(d.Code))
		}
	}
	return out
}

func wantConds(t *testing.T, got *ir.Rule, want string) {
	t.Helper()
	if g := conds(got); g != want {
		t.Errorf("conditions:\n got: %s\nwant: %s", g, want)
	}
}
