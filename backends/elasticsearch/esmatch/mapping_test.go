package esmatch

import (
	"regexp"
	"strings"
	"testing"

	"github.com/sigmabridge/sigmabridge/backends/elasticsearch/internal/lucenetest"
	"github.com/sigmabridge/sigmabridge/translator/diag"
	"github.com/sigmabridge/sigmabridge/translator/ir"
)

func TestReadMapping(t *testing.T) {
	m := ReadMapping(&ir.Deployment{
		IPFields:          []string{"source.ip"},
		FlattenedFields:   []string{"requestParameters", "gcp.audit.request"},
		MultiValuedFields: []string{"tags", "resources"},
	})
	for _, tt := range []struct {
		field         string
		flattened     string
		multiValued   bool
		ip            bool
		nativeUnknown bool
	}{
		{field: "source.ip", ip: true},
		{field: "requestParameters", flattened: "requestParameters"},
		{field: "requestParameters.functionName", flattened: "requestParameters"},
		{field: "requestParameters.a.b", flattened: "requestParameters"},
		{field: "requestParametersX.a"},
		{field: "gcp.audit.request.function.name", flattened: "gcp.audit.request"},
		{field: "gcp.audit.requests"},
		{field: "tags", multiValued: true},
		{field: "resources.ARN", multiValued: true},
		{field: "tag"},
	} {
		if got := m.FlattenedObject(tt.field); got != tt.flattened {
			t.Errorf("FlattenedObject(%s) = %q, want %q", tt.field, got, tt.flattened)
		}
		if got := m.IsMultiValued(tt.field); got != tt.multiValued {
			t.Errorf("IsMultiValued(%s) = %v", tt.field, got)
		}
		if m.IP[tt.field] != tt.ip {
			t.Errorf("IP[%s] = %v", tt.field, m.IP[tt.field])
		}
	}
	if m := ReadMapping(&ir.Deployment{}); m.FlattenedObject("a") != "" || m.IsMultiValued("a") {
		t.Errorf("ReadMapping(empty) = %v", m)
	}
}

func TestFlattenedUnsupported(t *testing.T) {
	m := Mapping{Flattened: map[string]bool{"rp": true}}
	lit := ir.LiteralPattern
	for _, tt := range []struct {
		n          ir.Node
		nativeFold bool
		ok         bool
	}{
		{&ir.Match{Field: "rp.a", Pattern: lit("123")}, false, true},
		{&ir.Match{Field: "rp.a", Pattern: lit("Abc"), Cased: true}, false, true},
		{&ir.Match{Field: "rp.a", Pattern: lit("Abc")}, false, false},
		{&ir.Match{Field: "rp.a", Pattern: lit("Abc")}, true, true},
		{&ir.Match{Field: "rp.a", Pattern: lit("Abs")}, true, false}, // s folds with ſ
		{&ir.Match{Field: "rp.a", Pattern: lit("Ab").Wrap(false, true)}, true, true},
		{&ir.Match{Field: "rp.a", Pattern: lit("12").Wrap(true, false)}, true, false},
		{&ir.Match{Field: "rp.a", Pattern: lit("12").Wrap(true, true), Cased: true}, true, false},
		{&ir.Match{Field: "rp.a", Pattern: ir.Pattern{{Kind: ir.AnyString}}}, false, true},
		{&ir.Match{Field: "rp.a", Pattern: lit("10"), Kind: ir.Number}, false, true},
		{&ir.Match{Field: "rp.a", Pattern: lit("true"), Kind: ir.Bool}, false, true},
		{&ir.Match{Field: "rp", Pattern: lit("1")}, true, false},
		{&ir.Exists{Field: "rp"}, false, true},
		{&ir.Null{Field: "rp.a"}, false, true},
		{&ir.Regex{Field: "rp.a", Pattern: "x"}, true, false},
		{&ir.Compare{Field: "rp.a", Op: ir.GT, Value: ir.Num{Text: "1", Value: 1}}, true, false},
		{&ir.FieldRef{Field: "x", Ref: "rp.a"}, true, false},
		{&ir.Match{Field: "other", Pattern: lit("a").Wrap(true, true)}, false, true},
	} {
		code, msg := FlattenedUnsupported(tt.n, m, tt.nativeFold)
		if (code == "") != tt.ok || code != "" && (code != diag.UnsupportedFlattened || !strings.Contains(msg, "flattened")) {
			t.Errorf("FlattenedUnsupported(%s, nativeFold %v) = %q %q, want ok %v", tt.n, tt.nativeFold, code, msg, tt.ok)
		}
	}
}

func TestPackAlternatives(t *testing.T) {
	long := strings.Repeat("a", 600)
	got, err := PackAlternatives([]string{"x", long, long, "y", "z"})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"x|" + long, long + "|y|z"}; strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("PackAlternatives = %q, want %q", got, want)
	}
	if _, err := PackAlternatives([]string{"x", strings.Repeat("b", 1001)}); err == nil {
		t.Error("an alternative of 1,001 characters fits")
	}
	// Java counts UTF-16 units: the Kelvin sign is one, an emoji two.
	if n := RegexpLength("K😀"); n != 3 {
		t.Errorf("RegexpLength = %d, want 3", n)
	}
	if fit, err := FitRegexp(strings.Repeat("K", 1000)); err != nil || len(fit) != 1 {
		t.Errorf("1,000 Kelvin signs do not fit: %v", err)
	}
}

func TestRegexpChunks(t *testing.T) {
	// A long alternation splits at its top level; each part is a whole alternative.
	var alts []string
	for i := 0; i < 60; i++ {
		// Neighbours start differently, so Go's parser factors nothing out.
		alts = append(alts, string(rune('a'+i%26))+strings.Repeat("x", 20)+string(rune('a'+i/26)))
	}
	re, err := TranslateRegexp("^("+strings.Join(alts, "|")+")$", ir.RegexFlags{}, false)
	if err != nil {
		t.Fatal(err)
	}
	chunks, err := re.Chunks()
	if err != nil || len(chunks) < 2 {
		t.Fatalf("Chunks = %d parts, %v", len(chunks), err)
	}
	var parts []lucenetest.Matcher
	for _, c := range chunks {
		if RegexpLength(c) > MaxRegexpLength {
			t.Errorf("a part of %d characters", RegexpLength(c))
		}
		m, err := lucenetest.Compile(c, nil)
		if err != nil {
			t.Fatalf("part %q: %v", c, err)
		}
		parts = append(parts, m)
	}
	whole := regexp.MustCompile("^(" + strings.Join(alts, "|") + ")$")
	for _, v := range append(alts, "", "x", alts[0]+"x", "x"+alts[1], alts[2][:5]) {
		in := false
		for _, m := range parts {
			in = in || m.MatchString(v)
		}
		if in != whole.MatchString(v) {
			t.Errorf("value %q: the parts say %v", v, in)
		}
	}
	// One alternative too long has no split.
	re, _ = TranslateRegexp(strings.Repeat("[ab]", 300), ir.RegexFlags{}, false)
	if _, err := re.Chunks(); err == nil {
		t.Errorf("a %d-character expression without alternatives was split", len(re.Text))
	}
}
