package integration

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sigmabridge/sigmabridge/internal/esclient/esclienttest"
	"github.com/sigmabridge/sigmabridge/translator"
	"github.com/sigmabridge/sigmabridge/translator/evaluator"
	"github.com/sigmabridge/sigmabridge/translator/evaluator/conformance"
	"github.com/sigmabridge/sigmabridge/translator/ir"
)

// ruleTypes returns the type a real index would give each field the rule reads one way only:
// keyword for a field it matches as text (strings, regular expressions, CIDR, field
// references), double for a field it compares numerically. Fields read as numbers or
// booleans (Sigma compares those with JSON numbers and booleans by value and with strings by
// text, which no one type holds) or as timestamps, or read two ways, keep the type their
// JSON gives them.
func ruleTypes(r *ir.Rule) map[string]string {
	out := map[string]string{}
	mixed := map[string]bool{}
	set := func(f, typ string) {
		if have, ok := out[f]; ok && have != typ || typ == "" {
			mixed[f] = true
		}
		out[f] = typ
	}
	for _, c := range r.Conditions {
		ir.Inspect(c, func(n ir.Node) bool {
			switch x := n.(type) {
			case *ir.Match:
				if x.Kind == ir.String {
					set(x.Field, "keyword")
				} else {
					set(x.Field, "")
				}
			case *ir.Regex, *ir.CIDR:
				set(ir.Field(n), "keyword")
			case *ir.FieldRef:
				set(x.Field, "keyword")
				set(x.Ref, "keyword")
			case *ir.Compare:
				set(x.Field, "double")
			case *ir.TimePart:
				set(x.Field, "")
			}
			return true
		})
	}
	for f := range mixed {
		delete(out, f)
	}
	return out
}

// caseMappings is the mapping of every conformance-case index: no explicit field; strings
// become keyword (ignore_above 8191, as in the pack's templates), integers long, other
// numbers double, booleans boolean, and nothing is guessed from a string's content (no date
// or numeric detection). A case's events are split over several indexes when they give one
// field different JSON types (indexSet), so each event is stored as its own JSON says.
const caseMappings = `{
  "date_detection": false,
  "numeric_detection": false,
  "dynamic_templates": [
    {"strings_as_keyword": {"match_mapping_type": "string", "mapping": {"type": "keyword", "ignore_above": 8191}}},
    {"floats_as_double": {"match_mapping_type": "double", "mapping": {"type": "double"}}}
  ]
}`

var unsafeIndexChars = regexp.MustCompile(`[^a-z0-9_]+`)

// TestConformanceCasesOnElasticsearch runs every conformance case of testdata/cases (and
// case-changed copies of the events each rule matches) through every target on the live node.
// The evaluator's verdict is the oracle; it must also agree with the case file.
func TestConformanceCasesOnElasticsearch(t *testing.T) {
	n := connect(t)
	start := time.Now()
	cases, err := conformance.Load(filepath.Join(esclienttest.RepoRoot(), "testdata", "cases"))
	if err != nil {
		t.Fatal(err)
	}
	if len(cases) < 60 {
		t.Fatalf("only %d conformance cases", len(cases))
	}
	prefix := "sigmabridge-it-" + esclienttest.RunID + "-cases-"
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	tpl, _ := json.Marshal(map[string]any{
		"index_patterns": []string{prefix + "*"},
		"priority":       100,
		"template": map[string]any{
			"settings": map[string]any{"number_of_shards": 1, "number_of_replicas": 0},
			"mappings": json.RawMessage(caseMappings),
		},
	})
	if err := n.client.PutIndexTemplate(ctx, strings.TrimSuffix(prefix, "-"), tpl); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = n.client.DeleteIndexTemplate(context.Background(), strings.TrimSuffix(prefix, "-")) })

	var subjects []subject
	var sets []*indexSet
	skippedErrorCases := 0
	for i, c := range cases {
		if c.Error != "" {
			skippedErrorCases++ // a rule that must not load: nothing to run
			continue
		}
		rules, diags := translator.LoadBytes(c.Path, c.Rule)
		if diags.HasErrors() || len(rules) != 1 {
			t.Errorf("%s: %d rules, %v", c.Name, len(rules), diags)
			continue
		}
		r := rules[0]
		prog, errs := evaluator.Compile([]*ir.Rule{r})
		if len(errs) > 0 {
			t.Errorf("%s: %v", c.Name, errs)
			continue
		}
		set := newIndexSet(fmt.Sprintf("%s%03d-%s", prefix, i, strings.Trim(unsafeIndexChars.ReplaceAllString(strings.ToLower(c.Name), "-"), "-")), fixedMapping{typed: ruleTypes(r)})
		var matched []int
		var variants []*doc
		for j, ev := range c.Events {
			d := &doc{ID: fmt.Sprintf("event%d", j), Origin: fmt.Sprintf("%s event %d", c.Name, j), Source: ev}
			if err := set.add(d); err != nil {
				t.Fatal(err)
			}
			ms, err := prog.MatchJSON(ev)
			if err != nil {
				t.Fatalf("%s: %v", d.Origin, err)
			}
			if len(ms) > 0 {
				matched = append(matched, j)
				vs, err := caseVariants(d, r, "rule")
				if err != nil {
					t.Fatal(err)
				}
				variants = append(variants, vs...)
			}
		}
		if !slices.Equal(matched, c.Matches) && !(len(matched) == 0 && len(c.Matches) == 0) {
			t.Errorf("%s: the evaluator matches events %v, the case says %v", c.Name, matched, c.Matches)
		}
		for _, v := range variants {
			if err := set.add(v); err != nil {
				t.Fatal(err)
			}
		}
		sets = append(sets, set)
		subjects = append(subjects, subject{name: "cases/" + c.Name, rule: r, set: set})
	}
	var names []string
	for _, s := range sets {
		names = append(names, s.indexes()...)
	}
	esclienttest.Cleanup(t, n.client, names...)
	load(t, n, sets)

	ty := newTally()
	for _, s := range subjects {
		t.Run(s.name, func(t *testing.T) { check(t, n, s, ty) })
	}
	ty.report(t, fmt.Sprintf("conformance cases (%d run, %d expect a load error and have no events)", len(subjects), skippedErrorCases))
	t.Logf("whole test took %v", time.Since(start).Round(time.Millisecond))
}
