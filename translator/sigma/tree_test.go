package sigma

import (
	"strconv"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/sigmabridge/sigmabridge/translator/diag"
)

const rule = `title: t
logsource: {product: test}
detection:
  sel:
    Count: 0x10
    Ratio: 1.50
    Day: 2024-01-02
    Huge: 123456789012345678901234567890
    Empty: null
    Flag: yes
    Image|endswith|windash:
      - '\x.exe'
      - 7
  kw:
    - evil
    - 42
  alts:
    - {a: 1}
    - {b: 2}
  condition: sel and not (kw or 1 of alt*)
`

func TestParseRuleTree(t *testing.T) {
	f := Parse("r.yml", []byte(rule))
	if f.Err != nil || len(f.Docs) != 1 {
		t.Fatalf("parse: %v, %d documents", f.Err, len(f.Docs))
	}
	d := f.Docs[0]
	if d.Kind != KindRule || d.Scalar("title") != "t" || d.Detection == nil {
		t.Fatalf("document %+v", d)
	}
	det := d.Detection
	if len(det.Searches) != 3 || det.Searches[0].Name != "sel" || det.Searches[1].Keywords == nil || len(det.Searches[2].Maps) != 2 {
		t.Fatalf("searches %+v", det.Searches)
	}
	items := det.Searches[0].Maps[0].Items
	want := []struct {
		field string
		kind  ValueKind
		text  string
	}{
		{"Count", Number, "16"},                            // YAML hex integer, normalised
		{"Ratio", Number, "1.50"},                          // a float keeps its text
		{"Day", String, "2024-01-02"},                      // a timestamp stays text
		{"Huge", Number, "123456789012345678901234567890"}, // beyond int64: YAML says float, text kept
		{"Empty", Null, ""},
		{"Flag", String, "yes"}, // YAML 1.2: not a boolean
	}
	for i, w := range want {
		it := items[i]
		if it.Field != w.field || len(it.Values) != 1 || it.Values[0].Kind != w.kind || it.Values[0].Text != w.text {
			t.Errorf("item %d: %s = %+v, want %s %v %q", i, it.Field, it.Values, w.field, w.kind, w.text)
		}
	}
	img := items[6]
	if img.Field != "Image" || strings.Join(img.Modifiers, "|") != "endswith|windash" || !img.Has("windash") {
		t.Errorf("key split: %q %v", img.Field, img.Modifiers)
	}
	if img.Key.Line != 11 || img.Key.Column != 5 || img.Values[1].Kind != Number || img.Values[1].Node.Line != 13 {
		t.Errorf("positions: key %d:%d, second value line %d", img.Key.Line, img.Key.Column, img.Values[1].Node.Line)
	}
	kw := det.Searches[1].Keywords
	if !kw.Keyword || len(kw.Values) != 2 || kw.Values[1].Kind != Number || kw.Values[1].Node.Line != 16 {
		t.Errorf("keywords %+v", kw)
	}

	if len(det.Conditions) != 1 {
		t.Fatalf("conditions %+v", det.Conditions)
	}
	c := det.Conditions[0]
	if c.Err != nil || c.Line != 20 || c.Col != 14 || c.Column(5) != 18 {
		t.Fatalf("condition %+v", c)
	}
	and, ok := c.Expr.(*And)
	if !ok || len(and.Xs) != 2 {
		t.Fatalf("expr %#v", c.Expr)
	}
	not := and.Xs[1].(*Not)
	or := not.X.(*Or)
	q := or.Xs[1].(*Ref)
	if not.Col != 9 || q.Kind != RefPattern || q.Quant != "1" || q.Text != "alt*" || q.Col != 25 || !q.Names("alts") || q.Names("sel") {
		t.Errorf("not %+v, quantified %+v", not, q)
	}
	var refs, ops []string
	for _, r := range c.Refs {
		refs = append(refs, r.Text)
	}
	for _, w := range c.Ops {
		ops = append(ops, w.Text)
	}
	if strings.Join(refs, ",") != "sel,kw,alt*" || strings.Join(ops, ",") != "and,not,or,1,of" {
		t.Errorf("refs %v, ops %v", refs, ops)
	}
}

func TestParseCorrelationAndFilter(t *testing.T) {
	src := "title: c\ncorrelation:\n  type: event_count\n  rules: [a, b]\n  group-by: [user]\n  timespan: 5m\n  condition: {gte: 3}\n" +
		"---\ntitle: f\nlogsource: {product: test}\nfilter:\n  rules: [a]\n  selection: {x: 1}\n  condition: not selection\n"
	f := Parse("c.yml", []byte(src))
	if f.Err != nil || len(f.Docs) != 2 {
		t.Fatalf("%v, %d docs", f.Err, len(f.Docs))
	}
	c := f.Docs[0].Correlation
	if f.Docs[0].Kind != KindCorrelation || c.Type != "event_count" || strings.Join(c.Rules, ",") != "a,b" ||
		strings.Join(c.GroupBy, ",") != "user" || c.Timespan != "5m" || c.Condition["gte"].Kind != Number || c.Condition["gte"].Text != "3" {
		t.Errorf("correlation %+v", c)
	}
	fl := f.Docs[1].Filter
	if f.Docs[1].Kind != KindFilter || f.Docs[1].Index != 1 || strings.Join(fl.Rules, ",") != "a" || fl.Detection == nil ||
		len(fl.Detection.Searches) != 1 || fl.Detection.Searches[0].Name != "selection" || fl.Detection.Conditions[0].Err != nil {
		t.Errorf("filter %+v", fl)
	}
}

func TestParseRecordsProblemsWhereFound(t *testing.T) {
	src := "title: t\ndetection:\n  a: 5\n  b: {x: [1, [2]]}\n  c: [{x: 1}, oops]\n  d: {}\n  a: {y: 1}\n  condition: [a, {b: 1}]\n"
	f := Parse("p.yml", []byte(src))
	det := f.Docs[0].Detection
	if s := det.Searches[0]; s.Err == nil || s.Err.Code != diag.RuleStructure || s.Err.Line != 3 {
		t.Errorf("scalar search: %+v", s.Err)
	}
	if v := det.Searches[1].Maps[0].Items[0].Values; v[0].Err != nil || v[1].Err == nil || v[1].Err.Code != diag.InvalidValue {
		t.Errorf("list value: %+v", v)
	}
	if m := det.Searches[2].Maps; m[0].Err != nil || m[1].Err == nil || m[1].Err.Line != 5 {
		t.Errorf("list of maps: %+v", m)
	}
	if m := det.Searches[3].Maps[0]; m.Err == nil || !strings.Contains(m.Err.Message, "empty map") {
		t.Errorf("empty map: %+v", m.Err)
	}
	if len(det.Searches) != 4 || len(det.Diags) != 2 || det.Diags[0].Line != 7 || det.Diags[1].Line != 8 {
		t.Errorf("detection diagnostics: %v", det.Diags)
	}
}

func TestParseYAMLErrorKeepsEarlierDocuments(t *testing.T) {
	f := Parse("y.yml", []byte("title: a\n---\ntitle: [b\n"))
	if len(f.Docs) != 1 || f.Err == nil || f.Err.Code != diag.YAMLError {
		t.Errorf("%d docs, err %v", len(f.Docs), f.Err)
	}
}

func TestTooManySearchesStopsReading(t *testing.T) {
	var sb strings.Builder
	sb.WriteString("detection:\n")
	for i := 0; i <= MaxSearches; i++ {
		sb.WriteString("  s" + strings.Repeat("x", i%3) + string(rune('a'+i%26)) + itoa(i) + ": {a: 1}\n")
	}
	det := Parse("m.yml", []byte(sb.String())).Docs[0].Detection
	if !det.TooManySearches || len(det.Searches) != MaxSearches || det.Diags[len(det.Diags)-1].Code != diag.DetectionTooLarge {
		t.Errorf("%d searches, %v", len(det.Searches), det.Diags)
	}
}

func itoa(i int) string {
	if i == 0 {
		return "0"
	}
	var b []byte
	for ; i > 0; i /= 10 {
		b = append([]byte{byte('0' + i%10)}, b...)
	}
	return string(b)
}

func TestConditionErrors(t *testing.T) {
	for _, c := range []struct {
		text    string
		code    diag.Code
		col     int
		lexical bool
		refs    int
	}{
		{"a | count() > 5", diag.LegacyAggregation, 3, true, 1},
		{"a $ b", diag.ConditionSyntax, 3, true, 0},
		{"  ", diag.ConditionSyntax, 1, true, 0},
		{strings.Repeat("a or ", MaxConditionBytes/5+1) + "a", diag.ConditionTooLong, 1, true, 0},
		{"a and b and (c", diag.ConditionSyntax, 15, false, 3},
		{"a and sel*", diag.ConditionSyntax, 7, false, 2},
		{"a near b", diag.ConditionSyntax, 3, false, 1},
		{"near", diag.LegacyAggregation, 1, false, 0},
		{"2 of a", diag.ConditionSyntax, 1, false, 0},
		{strings.Repeat("not ", MaxConditionDepth) + "(a)", diag.ConditionTooDeep, 4*MaxConditionDepth + 1, false, 0},
	} {
		got := ParseCondition(c.text, RuleGrammar)
		if got.Err == nil || got.Err.Code != c.code || got.Err.Col != c.col || got.Err.Lexical != c.lexical || len(got.Refs) != c.refs || got.Expr != nil {
			t.Errorf("%.40q: %+v, %d refs", c.text, got.Err, len(got.Refs))
		}
	}
	// At the depth limit, and a long chain, parse.
	for _, ok := range []string{strings.Repeat("not ", MaxConditionDepth) + "a", strings.Repeat("a or ", 3000) + "a"} {
		if c := ParseCondition(ok, RuleGrammar); c.Err != nil {
			t.Errorf("%.40q: %v", ok, c.Err)
		}
	}
}

func TestGrammarWithoutQuantifiers(t *testing.T) {
	// A pipeline's condition expression: `of` and `near` are plain names, `|` is not Sigma.
	c := ParseCondition("near and not of", Grammar{})
	if c.Err != nil || len(c.Refs) != 2 || c.Refs[0].Text != "near" || c.Refs[1].Text != "of" {
		t.Errorf("%+v %+v", c.Err, c.Refs)
	}
	if c := ParseCondition("1 of a", Grammar{}); c.Err == nil || c.Err.Col != 3 {
		t.Errorf("1 of a: %+v", c.Err)
	}
	if c := ParseCondition("a | b", Grammar{}); c.Err == nil || c.Err.Code != diag.ConditionSyntax {
		t.Errorf("a | b: %+v", c.Err)
	}
}

func TestModifierTable(t *testing.T) {
	for name, want := range map[string]struct {
		kind    ModKind
		class   string
		keyword bool
	}{
		"contains": {ModShape, "contains", true}, "startswith": {ModShape, "startswith", false},
		"windash": {ModTransform, "windash", true}, "expand": {ModTransform, "expand", true},
		"re": {ModType, "re", false}, "gte": {ModType, "cmp", false}, "month": {ModType, "time", false},
		"i": {ModRegexFlag, "i", false}, "all": {ModFlag, "all", true}, "neq": {ModFlag, "neq", true},
	} {
		m, ok := LookupModifier(name)
		if !ok || m.Name != name || m.Kind != want.kind || m.Class != want.class || m.Keyword != want.keyword || m.Since == "" {
			t.Errorf("%s: %+v", name, m)
		}
	}
	if _, ok := LookupModifier("contians"); ok {
		t.Error("a misspelt modifier is known")
	}
}

// TestReadValueAgreesWithYAMLDecoder: the shortcuts ReadValue takes for plain integers and
// booleans give what decoding the node with yaml.v3 gives, for the spellings they take and
// for the ones next to them that they must leave to the decoder.
func TestReadValueAgreesWithYAMLDecoder(t *testing.T) {
	for _, text := range []string{
		"0", "7", "-7", "4688", "-0", "007", "08", "0x1F", "0o17", "0b101", "+5", "1_000",
		"123456789012345678", "-123456789012345678", "1234567890123456789",
		"9223372036854775807", "-9223372036854775808", "9223372036854775808", "18446744073709551616",
		"true", "True", "TRUE", "false", "False", "FALSE", "tRue", "yes",
		"!!bool yes", "!!bool off", "!!bool true", "!!int 12", "!!int '-12'", "!!int 012", "!!int x",
	} {
		var doc yaml.Node
		if err := yaml.Unmarshal([]byte("v: "+text), &doc); err != nil {
			t.Fatalf("%s: %v", text, err)
		}
		n := doc.Content[0].Content[1]
		got := ReadValue("", n)
		want := Value{Kind: String, Text: n.Value}
		switch n.Tag {
		case "!!bool":
			var b bool
			if err := n.Decode(&b); err != nil {
				if got.Err == nil || got.Err.Message != err.Error() {
					t.Errorf("%s: got %+v, want the error %v", text, got, err)
				}
				continue
			}
			want = Value{Kind: Bool, Text: strconv.FormatBool(b)}
		case "!!int":
			var i int64
			var u uint64
			if err := n.Decode(&i); err == nil {
				want = Value{Kind: Number, Text: strconv.FormatInt(i, 10), Num: float64(i)}
			} else if err := n.Decode(&u); err == nil {
				want = Value{Kind: Number, Text: strconv.FormatUint(u, 10), Num: float64(u)}
			}
		case "!!float":
			var f float64
			if err := n.Decode(&f); err == nil {
				want = Value{Kind: Number, Text: n.Value, Num: f}
			}
		}
		if got.Kind != want.Kind || got.Text != want.Text || got.Num != want.Num || got.Err != nil {
			t.Errorf("%s (%s): got %v %q %v %v, want %v %q %v", text, n.Tag, got.Kind, got.Text, got.Num, got.Err, want.Kind, want.Text, want.Num)
		}
	}
}

// TestMappingValueAgreesWithMappingIndex: the lookup without a map finds what the map
// holds, the last of a repeated key and an alias resolved included.
func TestMappingValueAgreesWithMappingIndex(t *testing.T) {
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte("a: &x 1\nb: 2\na: 3\nc: *x\nd: [4]\n"), &doc); err != nil {
		t.Fatal(err)
	}
	m := doc.Content[0]
	index := MappingIndex(m)
	for _, k := range []string{"a", "b", "c", "d", "missing"} {
		if got, want := MappingValue(m, k), index[k]; got != want {
			t.Errorf("%s: MappingValue = %v, MappingIndex = %v", k, got, want)
		}
	}
	if v := MappingValue(m, "a"); v == nil || v.Value != "3" {
		t.Errorf("a: %v, want the last value 3", v)
	}
	if v := MappingValue(m, "c"); v == nil || v.Value != "1" {
		t.Errorf("c: %v, want the alias resolved to 1", v)
	}
}
