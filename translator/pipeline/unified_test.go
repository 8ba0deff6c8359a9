package pipeline

import (
	"strings"
	"testing"

	"github.com/sigmabridge/sigmabridge/translator"
	"github.com/sigmabridge/sigmabridge/translator/diag"
)

// TestItemMeansTheSameInRuleAndAddCondition feeds detection items through a rule and
// through a pipeline's add_condition. Both read the item with package sigma and lower it
// with translator.LowerSearch, so they get the same IR or fail with the same code and
// message. These four items once differed: the pipeline had a lowerer of its own.
func TestItemMeansTheSameInRuleAndAddCondition(t *testing.T) {
	for _, c := range []struct {
		item string
		want string // the IR, or the code of the error both report
	}{
		// `-` is not a placeholder name character (`%name%`, name a word), so this is a
		// literal value, as it is to pySigma's expand.
		{`f|expand: '%foo-bar%'`, `match(f, "\\%foo-bar\\%")`},
		{`f|expand: '%foo_bar%'`, `match(f, "%foo_bar%")`},
		{`f|re: 'a(b'`, diag.InvalidValue},
		{`f|cidr: 10.0.0.1/8`, diag.InvalidValue},
		{`f|windash: '-x'`, `or(match(f, "-x"), match(f, "/x"), match(f, "–x"), match(f, "—x"), match(f, "―x"))`},
	} {
		t.Run(c.item, func(t *testing.T) {
			// Through a rule.
			rules, ruleDiags := translator.LoadBytes("rule.yml", []byte(ruleWith("{product: test}", "sel:", "  "+c.item, "condition: sel")))
			var fromRule string
			if ruleDiags.HasErrors() {
				if len(ruleDiags) != 1 {
					t.Fatalf("rule: %v", ruleDiags)
				}
				fromRule = string(ruleDiags[0].Code)
			} else {
				fromRule = rules[0].Conditions[0].String()
			}
			if fromRule != c.want {
				t.Errorf("rule: got %s, want %s", fromRule, c.want)
			}

			// Through add_condition.
			p, err := Parse("pipe.yml", []byte("transformations:\n  - type: add_condition\n    conditions:\n      "+c.item+"\n"))
			if ruleDiags.HasErrors() {
				d := ruleDiags[0]
				if err == nil {
					t.Fatalf("add_condition accepted what the rule refused (%v)", d)
				}
				// The pipeline's diagnostic is pipe.yml:4: CODE: transformation add_condition: MESSAGE.
				want := "pipe.yml:4: " + string(d.Code) + ": transformation add_condition: " + d.Message
				if err.Error() != want {
					t.Errorf("add_condition: got %q, want %q", err, want)
				}
				return
			}
			if err != nil {
				t.Fatalf("add_condition refused what the rule accepted: %v", err)
			}
			out := apply(t, p, mustRule(t, ruleWith("{product: test}", "other: {y: 1}", "condition: other")))
			if got, want := conds(out), "and("+fromRule+`, num(y, "1"))`; got != want {
				t.Errorf("add_condition: got %s, want %s", got, want)
			}
		})
	}
}

// TestAddConditionTemplateLowersLikeARule: a template value is substituted before it is
// lowered, so it is checked like a rule value too.
func TestAddConditionTemplateLowersLikeARule(t *testing.T) {
	p := mustParse(t, "transformations:\n  - type: add_condition\n    template: true\n    conditions:\n      f|re: '$product('\n")
	_, ds := p.Apply(mustRule(t, ruleWith("{product: test}", "other: {y: 1}", "condition: other")))
	if len(ds) != 1 || ds[0].Code != diag.InvalidValue || !strings.Contains(ds[0].Message, `"test("`) {
		t.Errorf("diagnostics: %v", ds)
	}
}
