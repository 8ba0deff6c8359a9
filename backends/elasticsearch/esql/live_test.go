package esql

import (
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/sigmabridge/sigmabridge/backends/elasticsearch/internal/estest"
	"github.com/sigmabridge/sigmabridge/translator/evaluator"
	"github.com/sigmabridge/sigmabridge/translator/ir"
)

// TestLiveFieldRefs runs every fieldref shape, cased and not, negated and not, on a real
// Elasticsearch (skipped without SIGMABRIDGE_ES_URL) over every pair of the hard values
// and with either field missing, and compares the rows with the evaluator's matches.
func TestLiveFieldRefs(t *testing.T) {
	live := estest.LiveNode(t)
	var docs []map[string]any
	var events []map[string]any
	for _, a := range fieldRefValues {
		docs = append(docs, map[string]any{"a": a}, map[string]any{"b": a})
		for _, b := range fieldRefValues {
			docs = append(docs, map[string]any{"a": a, "b": b})
		}
	}
	for _, d := range docs {
		events = append(events, d)
	}
	keyword := map[string]any{"type": "keyword"}
	index := live.Index(map[string]any{"a": keyword, "b": keyword}, docs)
	for _, shape := range []ir.Shape{ir.ShapeExact, ir.ShapePrefix, ir.ShapeSuffix, ir.ShapeContains} {
		for _, cased := range []bool{false, true} {
			n := &ir.FieldRef{Field: "a", Ref: "b", Shape: shape, Cased: cased}
			for _, tree := range []ir.Node{n, &ir.Not{Child: n}} {
				q, ds := render(t, tree)
				if ds.HasErrors() {
					t.Fatalf("%s: %v", tree, ds)
				}
				where := q[strings.Index(q, "| WHERE ")+len("| WHERE "):]
				got, err := live.ESQLIDs(index, where)
				if err != nil {
					t.Errorf("%s: %v", tree, err)
					continue
				}
				p, errs := evaluator.Compile([]*ir.Rule{{ID: "r", Conditions: []ir.Node{tree}}})
				if len(errs) > 0 {
					t.Fatal(errs)
				}
				var want []int
				for i, e := range events {
					if len(p.MatchEvent(e)) > 0 {
						want = append(want, i)
					}
				}
				if !slices.Equal(got, want) {
					t.Errorf("%s: Elasticsearch and the evaluator differ on %s", tree, differences(docs, got, want))
				}
			}
		}
	}
}

// differences names the documents in only one of the sorted id lists.
func differences(docs []map[string]any, got, want []int) string {
	var out []string
	for _, id := range got {
		if !slices.Contains(want, id) {
			out = append(out, "only Elasticsearch: "+describe(docs[id]))
		}
	}
	for _, id := range want {
		if !slices.Contains(got, id) {
			out = append(out, "only the evaluator: "+describe(docs[id]))
		}
	}
	return strings.Join(out, "; ")
}

func describe(doc map[string]any) string {
	var parts []string
	for _, k := range []string{"a", "b"} {
		if v, ok := doc[k]; ok {
			parts = append(parts, k+"="+strings.TrimSpace(strings.ReplaceAll(v.(string), "\n", `\n`)))
		}
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

// TestLiveIPFieldCIDR runs CIDR_MATCH on an ip field, plain and negated, on a real
// Elasticsearch (skipped without SIGMABRIDGE_ES_URL) and compares the rows with the
// evaluator on every document of estest.IPDocs.
func TestLiveIPFieldCIDR(t *testing.T) {
	live := estest.LiveNode(t)
	index := live.Index(map[string]any{"ip": map[string]any{"type": "ip"}, "port": map[string]any{"type": "keyword"}}, estest.IPDocs)
	r := &ir.Rule{Path: "test.yml", ID: "t", State: map[string]any{"ip_fields": []any{"ip"}}}
	for _, ps := range estest.IPPrefixes {
		n := &ir.CIDR{Field: "ip", Prefix: netip.MustParsePrefix(ps)}
		for _, tree := range []ir.Node{n, &ir.Not{Child: n}} {
			where, ds := Render(r, tree)
			if ds.HasErrors() {
				t.Fatalf("%s: %v", tree, ds)
			}
			got, err := live.ESQLIDs(index, where)
			if err != nil {
				t.Errorf("%s -> %q: %v", tree, where, err)
				continue
			}
			if want := estest.EvaluatorIDs(t, tree, estest.IPDocs); !slices.Equal(got, want) {
				t.Errorf("%s -> %q: rows %v, evaluator %v", tree, where, got, want)
			}
		}
	}
}
