package esmapping_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/sigmabridge/sigmabridge/backends"
	"github.com/sigmabridge/sigmabridge/backends/elasticsearch/dsl"
	"github.com/sigmabridge/sigmabridge/backends/elasticsearch/eql"
	"github.com/sigmabridge/sigmabridge/backends/elasticsearch/esmapping"
	"github.com/sigmabridge/sigmabridge/backends/elasticsearch/esql"
	"github.com/sigmabridge/sigmabridge/backends/elasticsearch/lucene"
	"github.com/sigmabridge/sigmabridge/translator"
	"github.com/sigmabridge/sigmabridge/translator/diag"
	"github.com/sigmabridge/sigmabridge/translator/ir"
)

// rule loads a one-selection rule whose selection holds item.
func rule(t *testing.T, item string) *ir.Rule {
	t.Helper()
	src := "title: t\nid: 00000000-0000-4000-8000-000000000001\nlogsource: {product: aws, service: cloudtrail}\ndetection:\n  sel:\n    " + item + "\n  condition: sel\n"
	rs, ds := translator.LoadBytes("t.yml", []byte(src))
	if ds.HasErrors() || len(rs) != 1 {
		t.Fatalf("%s: %v", item, ds)
	}
	return rs[0]
}

var targets = []backends.Backend{lucene.Backend{}, dsl.Backend{}, esql.Backend{}, eql.Backend{}}

// convert converts item under m with every target: the query text or the first error code.
func convert(t *testing.T, m *ir.IndexMapping, item string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, b := range targets {
		r := rule(t, item)
		r.Deployment.Mapping = m
		qs, ds := b.Convert(r)
		if errs := ds.Errors(); len(errs) > 0 {
			out[b.Name()] = "!" + string(errs[0].Code) + ": " + errs[0].Message
			continue
		}
		out[b.Name()] = qs[0].Text
	}
	return out
}

func TestRenderOnTheMapping(t *testing.T) {
	m, err := esmapping.ReadFile(filepath.Join("testdata", "dynamic.json"))
	if err != nil {
		t.Fatal(err)
	}
	long := strings.Repeat("x", 300)
	// Each case: the item, and what each target's query must contain ("!code" for a
	// failure with that code). The same text for every target unless listed.
	for _, tc := range []struct {
		item string
		want map[string]string
	}{
		// Text with a keyword multi-field: comparisons on the multi-field.
		{"eventName: CreateFunction", map[string]string{
			"lucene": `eventName.keyword:/`, "dsl": `"eventName.keyword"`, "esql": `eventName.keyword`, "eql": `eventName.keyword regex "[cC][rR]`}},
		{"eventName|cased: CreateFunction", map[string]string{
			"lucene": `eventName.keyword:CreateFunction`, "dsl": `{"term":{"eventName.keyword":{"value":"CreateFunction"}}}`,
			"esql": `eventName.keyword == "CreateFunction"`, "eql": `eventName.keyword == "CreateFunction"`}},
		// Presence stays on the text field, which indexes every value.
		{"eventName|exists: true", map[string]string{
			"lucene": `_exists_:eventName`, "dsl": `{"exists":{"field":"eventName"}}`, "esql": `eventName IS NOT NULL`, "eql": `?eventName != null`}},
		{"eventName: '*'", map[string]string{"lucene": `_exists_:eventName`, "dsl": `{"exists":{"field":"eventName"}}`}},
		// ignore_above: a wildcard or regex could match a value the multi-field left out.
		{"eventName|contains: Create", all("!mapping-ignore-above")},
		{"eventName|re: ^Cr", all("!mapping-ignore-above")},
		{"eventName|cidr: 10.0.0.0/8", all("!mapping-ignore-above")},
		{"eventName|cased: " + long, all("!mapping-ignore-above")},
		// Within the limit, counting the longest spelling of each case orbit (K has the
		// Kelvin sign, one UTF-16 unit too).
		{"short: abcdefgh", map[string]string{"dsl": `"short"`}},
		{"short: abcdefghi", all("!mapping-ignore-above")},
		{"short|exists: true", all("!mapping-ignore-above")},
		// Text without a keyword multi-field answers no comparison; presence it answers.
		{"userAgent: curl", all("!mapping-text-field")},
		{"userAgent|exists: true", map[string]string{"dsl": `{"exists":{"field":"userAgent"}}`}},
		// Numbers as numbers; texts and wildcards on numbers fail.
		{"count: 5", map[string]string{"lucene": `count:5`, "dsl": `{"term":{"count":{"value":5}}}`, "eql": `count == 5`}},
		{"count: 5.5", all("!mapping-field-type")},
		{"count|gt: 5", map[string]string{"dsl": `{"range":{"count":{"gt":5}}}`, "esql": `count > 5`}},
		{"count: '5*'", all("!mapping-field-type")},
		// float keeps a rounded copy (9.99 reads back as 9.98999977): no comparison is
		// exact there; double keeps the source's number.
		{"ratio|gte: 9.99", all("!mapping-field-type")},
		{"ratio: 1", all("!mapping-field-type")},
		{"exact|gte: 9.99", map[string]string{"dsl": `{"range":{"exact":{"gte":9.99}}}`, "esql": `exact >= 9.99`}},
		{"code|gt: 5", all("!mapping-field-type")},
		{"eventName|gt: 5", all("!mapping-field-type")},
		{"readOnly: true", map[string]string{"dsl": `{"term":{"readOnly":{"value":true}}}`}},
		{"readOnly: yes", all("!mapping-field-type")},
		{"eventTime: '2025*'", all("!mapping-field-type")},
		// ip and flattened keep the pipeline-state forms.
		{"sourceIPAddress|cidr: 10.0.0.0/8", map[string]string{"lucene": `sourceIPAddress:"10.0.0.0/8"`, "dsl": `{"term":{"sourceIPAddress":{"value":"10.0.0.0/8"}}}`,
			"esql": `CIDR_MATCH(sourceIPAddress, "10.0.0.0/8")`, "eql": `cidrMatch(sourceIPAddress, "10.0.0.0/8")`}},
		{"sourceIPAddress: 10.1.2.3", all("!!unsupported-value")},
		{"requestParameters.functionName|contains: x", all("!!unsupported-flattened")},
		// Keyword fields as without a mapping.
		{"code|contains: abc", map[string]string{"dsl": `"code"`, "lucene": `code:`}},
		// A normalizer rewrites values and terms: nothing but presence is exact.
		{"lower: abc", all("!mapping-field-type")},
		{"lowered: abc", all("!mapping-field-type")},
		{"lower|exists: true", map[string]string{"dsl": `{"exists":{"field":"lower"}}`}},
		// Conflicts, unindexed and unmapped fields.
		{"mixed: 5", all("!mapping-type-conflict")},
		{"hidden: x", all("!mapping-unindexed-field")},
		{"items.name: x", all("!mapping-unindexed-field")},
		{"blob.inner: x", all("!mapping-unindexed-field")},
		{"brandNew: x", map[string]string{"dsl": `"brandNew"`}},
		// A keyword search reads analysed text fields.
		{"'|all': x", nil},
	} {
		got := convert(t, m, tc.item)
		for _, b := range targets {
			want, ok := tc.want[b.Name()]
			if !ok {
				continue
			}
			g := got[b.Name()]
			if code, ok := strings.CutPrefix(want, "!!"); ok {
				// The pipeline-state checks, which the mapping's ip and flattened fields join.
				if !strings.HasPrefix(g, "!"+code+": ") {
					t.Errorf("%s on %s: %s, want %s", tc.item, b.Name(), g, code)
				}
				continue
			}
			if strings.HasPrefix(want, "!") {
				if !strings.HasPrefix(g, want+": ") || !strings.Contains(g, "(mapping testdata/dynamic.json)") {
					t.Errorf("%s on %s: %s, want %s naming the mapping", tc.item, b.Name(), g, want)
				}
				continue
			}
			if strings.HasPrefix(g, "!") || !strings.Contains(g, want) {
				t.Errorf("%s on %s: %s, want it to contain %s", tc.item, b.Name(), g, want)
			}
		}
	}
}

func all(v string) map[string]string {
	return map[string]string{"lucene": v, "dsl": v, "esql": v, "eql": v}
}

// TestKeywordSearchOnText: a keyword search runs over the default fields, analysed text
// among them on a dynamic mapping.
func TestKeywordSearchOnText(t *testing.T) {
	src := "title: t\nid: 00000000-0000-4000-8000-000000000001\nlogsource: {product: aws}\ndetection:\n  kw: [evil]\n  condition: kw\n"
	m, err := esmapping.Read("m", []byte(`{"i":{"mappings":{"properties":{"a":{"type":"text"}}}}}`))
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range []backends.Backend{lucene.Backend{}, dsl.Backend{}, esql.Backend{}} {
		rs, _ := translator.LoadBytes("t.yml", []byte(src))
		rs[0].Deployment.Mapping = m
		_, ds := b.Convert(rs[0])
		if errs := ds.Errors(); len(errs) == 0 || errs[0].Code != diag.MappingTextField {
			t.Errorf("%s: %v, want mapping-text-field", b.Name(), ds)
		}
		// Without text fields the keyword runs as before.
		km, _ := esmapping.Read("m", []byte(`{"i":{"mappings":{"properties":{"a":{"type":"keyword"}}}}}`))
		rs[0].Deployment.Mapping = km
		if _, ds := b.Convert(rs[0]); ds.HasErrors() {
			t.Errorf("%s on keyword fields: %v", b.Name(), ds)
		}
	}
}

// TestMappingCodesAreUnsupported: --skip-unsupported counts every mapping code.
func TestMappingCodesAreUnsupported(t *testing.T) {
	for _, c := range []diag.Code{esmapping.TextField, esmapping.IgnoreAbove, esmapping.FieldType, esmapping.Conflict, esmapping.Unmapped, esmapping.Unindexed} {
		if !diag.IsUnsupported(c) {
			t.Errorf("%s is not an unsupported code", c)
		}
	}
}
