package lucene_test

import (
	"strings"
	"testing"

	"github.com/sigmabridge/sigmabridge/backends"
	"github.com/sigmabridge/sigmabridge/backends/elasticsearch/dsl"
	"github.com/sigmabridge/sigmabridge/backends/elasticsearch/eql"
	"github.com/sigmabridge/sigmabridge/backends/elasticsearch/esql"
	"github.com/sigmabridge/sigmabridge/backends/elasticsearch/lucene"
	"github.com/sigmabridge/sigmabridge/translator/diag"
	"github.com/sigmabridge/sigmabridge/translator/ir"
)

// TestHostileComplexity: leaves whose automaton Elasticsearch could not determinize (a
// bounded repetition after an unbounded one, in a regular expression or as a run of ? after
// a * in a wildcard pattern, cased or not, field or keyword) fail on every Elasticsearch
// target with unsupported-regex-complexity; the same shapes of a tractable size convert.
func TestHostileComplexity(t *testing.T) {
	many := ir.ParseSigmaString("*" + strings.Repeat("?", 400) + "x")
	few := ir.ParseSigmaString("*" + strings.Repeat("?", 20) + "x")
	bad := []ir.Node{
		&ir.Regex{Field: "f", Pattern: `.{1000,}`},
		&ir.Regex{Field: "f", Pattern: `a[^/]{500}$`},
		&ir.Match{Field: "f", Pattern: many},
		&ir.Match{Field: "f", Pattern: many, Cased: true},
		&ir.Keyword{Pattern: many, Cased: true},
	}
	good := []ir.Node{
		&ir.Regex{Field: "f", Pattern: `.{200,}`},
		&ir.Regex{Field: "f", Pattern: `^[^/]{500}$`},
		&ir.Match{Field: "f", Pattern: few},
		&ir.Match{Field: "f", Pattern: few, Cased: true},
	}
	for _, b := range []backends.Backend{lucene.Backend{}, dsl.Backend{}, esql.Backend{}, eql.Backend{}} {
		for _, n := range bad {
			if _, isKW := n.(*ir.Keyword); isKW && b.Name() == eql.Target {
				continue // EQL has no keyword search at all
			}
			_, ds := b.Convert(&ir.Rule{Path: "t.yml", Conditions: []ir.Node{n}})
			if !ds.HasErrors() || ds[0].Code != diag.UnsupportedRegexComplexity {
				t.Errorf("%s %s: %v, want %s", b.Name(), n, ds, diag.UnsupportedRegexComplexity)
			}
		}
		for _, n := range good {
			if _, ds := b.Convert(&ir.Rule{Path: "t.yml", Conditions: []ir.Node{n}}); ds.HasErrors() {
				t.Errorf("%s %s: %v", b.Name(), n, ds)
			}
		}
	}
}
