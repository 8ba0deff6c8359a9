package pipeline

import (
	"fmt"
	"strings"
	"testing"

	"github.com/sigmabridge/sigmabridge/translator/diag"
	"github.com/sigmabridge/sigmabridge/translator/ir"
)

// TestHostilePipelineFanOutOverTheLimit: a mapping of one field to many fans every item
// out; a rule the loader accepted can then be past ir.MaxNodes. Apply fails that rule with
// the named diagnostic (as the plugin host would refuse it) instead of handing it on.
func TestHostilePipelineFanOutOverTheLimit(t *testing.T) {
	targets := make([]string, 12)
	for i := range targets {
		targets[i] = fmt.Sprintf("f%d", i)
	}
	p := mustParse(t, "transformations:\n  - type: field_name_mapping\n    mapping:\n      F: ["+strings.Join(targets, ", ")+"]\n")
	values := make([]string, 20_000) // 20,000 leaves: fine; 12 fields each: 240,000
	for i := range values {
		values[i] = fmt.Sprint(i)
	}
	r := mustRule(t, ruleWith(winLogsource, "sel:", "  F: ["+strings.Join(values, ", ")+"]", "condition: sel"))
	_, ds := p.Apply(r)
	errs := ds.Errors()
	if len(errs) != 1 || errs[0].Code != diag.DetectionTooLarge || !strings.Contains(errs[0].Message, "ir.MaxNodes") {
		t.Fatalf("diagnostics: %v", ds)
	}
	small := mustRule(t, ruleWith(winLogsource, "sel:", "  F: [1, 2]", "condition: sel"))
	out, ds := p.Apply(small)
	if ds.HasErrors() || ir.CheckLimits(out.Conditions[0]) != nil {
		t.Fatalf("a small rule: %v", ds)
	}
}
