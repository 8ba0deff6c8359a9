package pipeline

import (
	"reflect"
	"strings"
	"testing"

	"github.com/sigmabridge/sigmabridge/translator/diag"
	"github.com/sigmabridge/sigmabridge/translator/ir"
)

// An empty value list matches nothing; the tree is folded exactly so that no constant, and
// no trace of the empty item, reaches a backend.
func TestEmptyPlaceholderFoldsExactly(t *testing.T) {
	p := mustParse(t, `
vars:
  none: []
  some: [a, b]
transformations:
  - type: value_placeholders
`)
	for _, tc := range []struct {
		name string
		det  []string
		want string // "" means the condition is constant and the rule is refused
	}{
		{"negated allowlist is dropped", []string{"sel: {A: x}", "filter: {B|expand: '%none%'}", "condition: sel and not filter"}, `match(A, "x")`},
		{"or keeps the other branch", []string{"sel: {A: x}", "extra: {B|expand: '%none%'}", "condition: sel or extra"}, `match(A, "x")`},
		{"one of selections", []string{"sel_a: {A: x}", "sel_b: {B|contains|expand: '%none%'}", "filter: {C: y}", "condition: 1 of sel_* and not filter"}, `and(match(A, "x"), not(match(C, "y")))`},
		{"list with an empty placeholder keeps the rest", []string{"f:", "  B|contains|expand:", "    - '%none%'", "    - '%some%'", "sel: {A: x}", "condition: sel and not f"}, `and(match(A, "x"), not(or(match(B, "*a*"), match(B, "*b*"))))`},
		{"and with the empty item is never true", []string{"sel: {A: x, B|expand: '%none%'}", "condition: sel"}, ""},
		{"negated alone matches everything", []string{"filter: {B|expand: '%none%'}", "condition: not filter"}, ""},
		{"not of and with empty item is true, absorbs or", []string{"sel: {A: x, B|expand: '%none%'}", "other: {C: y}", "condition: other or not sel"}, ""},
		{"not of and with empty item drops from and", []string{"sel: {A: x, B|expand: '%none%'}", "other: {C: y}", "condition: other and not sel"}, `match(C, "y")`},
		{"embedded in text", []string{"sel: {A: x}", "f: {B|expand: 'pre-%none%-post'}", "condition: sel and not f"}, `match(A, "x")`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := mustRule(t, ruleWith(winLogsource, tc.det...))
			out, ds := p.Apply(r)
			if tc.want == "" {
				if got := codes(ds, diag.Error); !reflect.DeepEqual(got, []string{diag.ConstantCondition}) {
					t.Fatalf("want one constant-condition error, got %v", ds)
				}
				return
			}
			if ds.HasErrors() {
				t.Fatalf("unexpected errors: %v", ds)
			}
			got := conds(out)
			if got != tc.want {
				t.Errorf("got  %s\nwant %s", got, tc.want)
			}
			ir.Inspect(out.Conditions[0], func(n ir.Node) bool {
				if n == matchNothing || strings.Contains(n.String(), "match-nothing") {
					t.Errorf("a constant reached the output: %s", got)
				}
				return true
			})
		})
	}
}

// The source rule is never edited by folding.
func TestEmptyPlaceholderFoldKeepsInput(t *testing.T) {
	p := mustParse(t, "vars: {none: []}\ntransformations:\n  - type: value_placeholders\n")
	r := mustRule(t, ruleWith(winLogsource, "sel: {A: x}", "filter: {B|expand: '%none%'}", "condition: sel and not filter"))
	before := conds(r)
	apply(t, p, r)
	if conds(r) != before {
		t.Errorf("input rule changed: %s -> %s", before, conds(r))
	}
}
