package evaluator

import (
	"bytes"
	"encoding/json"
	"net/netip"
	"strings"
	"testing"

	"github.com/sigmabridge/sigmabridge/translator/diag"
	"github.com/sigmabridge/sigmabridge/translator/ir"
)

// matchAllWays evaluates one condition against one event through every path the package
// has (JSON scanner with and without the prefilter, decoded map with json.Number and with
// float64 numbers where the text forms agree) and fails the test if the paths disagree.
func matchAllWays(t *testing.T, cond ir.Node, event string) bool {
	t.Helper()
	rule := &ir.Rule{ID: "r1", Title: "test rule", Conditions: []ir.Node{cond}}
	p, errs := Compile([]*ir.Rule{rule})
	if len(errs) > 0 {
		t.Fatalf("compile %s: %v", cond, errs)
	}
	got := func(ms []Match) bool { return len(ms) == 1 && ms[0].RuleIndex == 0 && ms[0].Condition == 0 }
	ms, err := p.MatchJSON([]byte(event))
	if err != nil {
		t.Fatalf("MatchJSON(%s): %v", event, err)
	}
	viaJSON := got(ms)

	m := p.withoutPrefilter().NewMatcher()
	ms2, err := m.MatchJSON([]byte(event))
	if err != nil {
		t.Fatal(err)
	}
	if got(ms2) != viaJSON {
		t.Errorf("%s on %s: prefilter changed the result (with %v, without %v)", cond, event, viaJSON, got(ms2))
	}

	dec := json.NewDecoder(strings.NewReader(event))
	dec.UseNumber()
	var decoded map[string]any
	if err := dec.Decode(&decoded); err != nil {
		t.Fatalf("test event %s is not JSON: %v", event, err)
	}
	if viaMap := got(p.MatchEvent(decoded)); viaMap != viaJSON {
		t.Errorf("%s on %s: MatchEvent says %v, MatchJSON says %v", cond, event, viaMap, viaJSON)
	}
	return viaJSON
}

type evalCase struct {
	name  string
	cond  ir.Node
	event string
	want  bool
}

func runCases(t *testing.T, cases []evalCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := matchAllWays(t, c.cond, c.event); got != c.want {
				t.Errorf("%s on %s = %v, want %v", c.cond, c.event, got, c.want)
			}
		})
	}
}

func str(field, sigma string) *ir.Match {
	return &ir.Match{Field: field, Pattern: ir.ParseSigmaString(sigma)}
}

func cased(field, sigma string) *ir.Match {
	return &ir.Match{Field: field, Pattern: ir.ParseSigmaString(sigma), Cased: true}
}

func num(field, text string) *ir.Match {
	return &ir.Match{Field: field, Pattern: ir.LiteralPattern(text), Kind: ir.Number}
}

func kw(sigma string) *ir.Keyword { return &ir.Keyword{Pattern: ir.ParseSigmaString(sigma)} }

func TestMatchStrings(t *testing.T) {
	runCases(t, []evalCase{
		{"exact", str("a", "hello"), `{"a":"hello"}`, true},
		{"exact is whole value", str("a", "hello"), `{"a":"hello world"}`, false},
		{"case-insensitive", str("a", "HeLLo"), `{"a":"hEllO"}`, true},
		{"unicode simple folding kelvin", str("a", "k"), `{"a":"\u212a"}`, true},
		{"unicode simple folding long s", str("a", "S"), `{"a":"ſ"}`, true},
		{"unicode folding sigma", str("a", "ΣΑΣ"), `{"a":"σας"}`, true},
		{"cased rejects case variant", cased("a", "Hello"), `{"a":"hello"}`, false},
		{"cased exact", cased("a", "Hello"), `{"a":"Hello"}`, true},
		{"cased contains", cased("a", "*Mid*"), `{"a":"xMidy"}`, true},
		{"cased contains variant", cased("a", "*Mid*"), `{"a":"xmidy"}`, false},
		{"prefix", str("a", "abc*"), `{"a":"ABCdef"}`, true},
		{"prefix miss", str("a", "abc*"), `{"a":"xabc"}`, false},
		{"suffix", str("a", `*\cmd.exe`), `{"a":"C:\\Windows\\System32\\CMD.EXE"}`, true},
		{"suffix miss", str("a", `*\cmd.exe`), `{"a":"C:\\cmd.exe.bak"}`, false},
		{"contains", str("a", "*needle*"), `{"a":"hayNEEDLEstack"}`, true},
		{"inner star", str("a", "a*c"), `{"a":"abbbc"}`, true},
		{"inner star anchored end", str("a", "a*c"), `{"a":"abbbcd"}`, false},
		{"question mark one char", str("a", "c?t"), `{"a":"cat"}`, true},
		{"question mark not zero chars", str("a", "c?t"), `{"a":"ct"}`, false},
		{"question mark not two chars", str("a", "c?t"), `{"a":"caat"}`, false},
		{"question mark multibyte char", str("a", "c?t"), `{"a":"cät"}`, true},
		{"escaped star is literal", str("a", `a\*b`), `{"a":"a*b"}`, true},
		{"escaped star not wildcard", str("a", `a\*b`), `{"a":"axxb"}`, false},
		{"escaped question literal", str("a", `a\?`), `{"a":"a?"}`, true},
		{"escaped question not wildcard", str("a", `a\?`), `{"a":"ab"}`, false},
		{"escaped backslash", str("a", `a\\*`), `{"a":"a\\bc"}`, true},
		{"lone star any value", str("a", "*"), `{"a":""}`, true},
		{"lone star needs the field", str("a", "*"), `{"b":"x"}`, false},
		{"empty pattern matches empty", str("a", ""), `{"a":""}`, true},
		{"empty pattern not absent", str("a", ""), `{}`, false},
		{"empty pattern not null", str("a", ""), `{"a":null}`, false},
		{"missing field", str("a", "x"), `{"b":"x"}`, false},
		{"string pattern vs number text", str("a", "42"), `{"a":42}`, true},
		{"string wildcard vs number text", str("a", "4*"), `{"a":42}`, true},
		{"string pattern vs bool", str("a", "TRUE"), `{"a":true}`, true},
		{"glob general many stars", str("a", "*a?c*e*"), `{"a":"xxabceyy"}`, true},
		{"glob general miss", str("a", "*a?c*e*"), `{"a":"xxabcyy"}`, false},
		{"glob leading question", str("a", "?bc*"), `{"a":"abcd"}`, true},
		{"glob trailing question", str("a", "*ab?"), `{"a":"xxabc"}`, true},
		{"glob overlap first and last chunk", str("a", "ab*ba"), `{"a":"aba"}`, false},
		{"object value never matches", str("a", "*"), `{"a":{"b":"x"}}`, false},
		{"escaped json string", str("a", `line1*line2`), `{"a":"line1\nline2"}`, true},
		{"unicode escape", str("a", "é"), `{"a":"\u00e9"}`, true},
		{"surrogate pair escape", str("a", "😀"), `{"a":"\ud83d\ude00"}`, true},
	})
}

func TestMatchNumbersAndBooleans(t *testing.T) {
	runCases(t, []evalCase{
		{"number equals json number", num("a", "4688"), `{"a":4688}`, true},
		{"number equals float form", num("a", "10"), `{"a":1e1}`, true},
		{"number equals 10.0", num("a", "10"), `{"a":10.0}`, true},
		{"number vs string same text", num("a", "4688"), `{"a":"4688"}`, true},
		{"number vs string other text", num("a", "10"), `{"a":"10.0"}`, false},
		{"number miss", num("a", "4688"), `{"a":4689}`, false},
		{"negative number", num("a", "-1"), `{"a":-1}`, true},
		{"float rule", num("a", "1.5"), `{"a":1.50}`, true},
		{"bool true", &ir.Match{Field: "a", Pattern: ir.LiteralPattern("true"), Kind: ir.Bool}, `{"a":true}`, true},
		{"bool false vs true", &ir.Match{Field: "a", Pattern: ir.LiteralPattern("false"), Kind: ir.Bool}, `{"a":true}`, false},
		{"bool vs string", &ir.Match{Field: "a", Pattern: ir.LiteralPattern("true"), Kind: ir.Bool}, `{"a":"True"}`, true},
	})
}

func TestNestedFieldsAndArrays(t *testing.T) {
	runCases(t, []evalCase{
		{"nested", str("a.b.c", "x"), `{"a":{"b":{"c":"x"}}}`, true},
		{"dotted key", str("a.b.c", "x"), `{"a.b.c":"x"}`, true},
		{"mixed split 1", str("a.b.c", "x"), `{"a.b":{"c":"x"}}`, true},
		{"mixed split 2", str("a.b.c", "x"), `{"a":{"b.c":"x"}}`, true},
		{"nested miss", str("a.b.c", "x"), `{"a":{"b":{"d":"x"}}}`, false},
		{"path stops at scalar", str("a.b", "x"), `{"a":"x"}`, false},
		{"array any element", str("a", "y"), `{"a":["x","y"]}`, true},
		{"array no element", str("a", "z"), `{"a":["x","y"]}`, false},
		{"path through array of objects", str("a.b", "y"), `{"a":[{"b":"x"},{"b":"y"}]}`, true},
		{"nested arrays flatten", str("a", "y"), `{"a":[["x"],["y"]]}`, true},
		{"field names are case-sensitive", str("Image", "x"), `{"image":"x"}`, false},
		{"duplicate keys any value", str("a", "x"), `{"a":"y","a":"x"}`, true},
		{"deep skip of unread parts", str("z", "1"), `{"a":[{"b":[1,2,{"c":"\u0041"}]}],"z":"1"}`, true},
	})
}

func TestKeywords(t *testing.T) {
	runCases(t, []evalCase{
		{"top-level string", kw("mimikatz"), `{"a":"run Mimikatz now"}`, true},
		{"nested string", kw("mimikatz"), `{"a":{"b":["x","mimikatz.exe"]}}`, true},
		{"not in keys", kw("mimikatz"), `{"mimikatz":"x"}`, false},
		{"not numbers", kw("4688"), `{"EventID":4688}`, false},
		{"not booleans", kw("true"), `{"a":true}`, false},
		{"wildcard inside keyword", kw("inv*expr"), `{"a":"x Invoke-Expression y"}`, true},
		{"cased keyword", &ir.Keyword{Pattern: ir.LiteralPattern("Bypass"), Cased: true}, `{"a":"bypass"}`, false},
		{"keyword all (and)", ir.NewAnd(kw("Invoke-"), kw("Bypass")), `{"a":"Invoke-X","b":"bypass"}`, true},
		{"keyword all one missing", ir.NewAnd(kw("Invoke-"), kw("Bypass")), `{"a":"Invoke-X"}`, false},
		{"keyword with field rule", ir.NewAnd(kw("evil"), str("a", "x")), `{"a":"x","b":"EVIL"}`, true},
	})
}

func TestNullExistsNot(t *testing.T) {
	ex := &ir.Exists{Field: "a"}
	null := &ir.Null{Field: "a"}
	runCases(t, []evalCase{
		{"exists string", ex, `{"a":"x"}`, true},
		{"exists empty string", ex, `{"a":""}`, true},
		{"exists zero", ex, `{"a":0}`, true},
		{"exists false", ex, `{"a":false}`, true},
		{"exists null", ex, `{"a":null}`, false},
		{"exists empty array", ex, `{"a":[]}`, false},
		{"exists array of null", ex, `{"a":[null]}`, false},
		{"exists array with value", ex, `{"a":[null,1]}`, true},
		{"exists object", ex, `{"a":{"b":1}}`, true},
		{"exists empty object", ex, `{"a":{}}`, false},
		{"exists object of nulls", ex, `{"a":{"b":null}}`, false},
		{"exists absent", ex, `{}`, false},
		{"null absent", null, `{}`, true},
		{"null null", null, `{"a":null}`, true},
		{"null value", null, `{"a":"x"}`, false},
		{"not exists", ir.NewNot(ex), `{"b":1}`, true},
		{"not match on missing field", ir.NewNot(str("a", "x")), `{}`, true},
		{"not match on other value", ir.NewNot(str("a", "x")), `{"a":"y"}`, true},
		{"not match on value", ir.NewNot(str("a", "x")), `{"a":"x"}`, false},
		{"not any element", ir.NewNot(str("a", "x")), `{"a":["y","x"]}`, false},
	})
}

func TestRegex(t *testing.T) {
	re := func(p string, f ir.RegexFlags) *ir.Regex { return &ir.Regex{Field: "a", Pattern: p, Flags: f} }
	runCases(t, []evalCase{
		{"unanchored search", re(`b+c`, ir.RegexFlags{}), `{"a":"abbbcd"}`, true},
		{"case-sensitive by default", re(`ABC`, ir.RegexFlags{}), `{"a":"abc"}`, false},
		{"i flag", re(`ABC`, ir.RegexFlags{I: true}), `{"a":"abc"}`, true},
		{"without m ^ is start of text", re(`^b`, ir.RegexFlags{}), `{"a":"a\nb"}`, false},
		{"m flag", re(`^b`, ir.RegexFlags{M: true}), `{"a":"a\nb"}`, true},
		{"without s dot stops at newline", re(`a.b`, ir.RegexFlags{}), `{"a":"a\nb"}`, false},
		{"s flag", re(`a.b`, ir.RegexFlags{S: true}), `{"a":"a\nb"}`, true},
		{"anchored", re(`^\d+$`, ir.RegexFlags{}), `{"a":"123"}`, true},
		{"number text", re(`^\d+$`, ir.RegexFlags{}), `{"a":123}`, true},
		{"array element", re(`^x`, ir.RegexFlags{}), `{"a":["y","xy"]}`, true},
		{"missing", re(`.*`, ir.RegexFlags{}), `{}`, false},
	})
}

func TestCIDR(t *testing.T) {
	cidr := func(p string) *ir.CIDR { return &ir.CIDR{Field: "ip", Prefix: netip.MustParsePrefix(p)} }
	runCases(t, []evalCase{
		{"v4 inside", cidr("10.0.0.0/8"), `{"ip":"10.1.2.3"}`, true},
		{"v4 outside", cidr("10.0.0.0/8"), `{"ip":"11.1.2.3"}`, false},
		{"v4 edge", cidr("192.168.1.0/24"), `{"ip":"192.168.1.255"}`, true},
		{"v4 mapped v6", cidr("10.0.0.0/8"), `{"ip":"::ffff:10.0.0.1"}`, true},
		{"v6 inside", cidr("2001:db8::/32"), `{"ip":"2001:db8::1"}`, true},
		{"v6 outside", cidr("2001:db8::/32"), `{"ip":"2001:db9::1"}`, false},
		{"v6 zone ignored", cidr("fe80::/10"), `{"ip":"fe80::1%eth0"}`, true},
		{"v4 rule v6 value", cidr("10.0.0.0/8"), `{"ip":"2001:db8::1"}`, false},
		{"not an address", cidr("10.0.0.0/8"), `{"ip":"10.0.0.1:80"}`, false},
		{"array", cidr("10.0.0.0/8"), `{"ip":["1.1.1.1","10.9.9.9"]}`, true},
		{"unmasked rule prefix", cidr("10.1.2.3/8"), `{"ip":"10.200.0.1"}`, true},
	})
}

func TestCompare(t *testing.T) {
	cmp := func(op ir.CompareOp, v string) *ir.Compare {
		n, err := ir.ParseNum(v)
		if err != nil {
			t.Fatal(err)
		}
		return &ir.Compare{Field: "n", Op: op, Value: n}
	}
	runCases(t, []evalCase{
		{"gt", cmp(ir.GT, "10"), `{"n":11}`, true},
		{"gt equal", cmp(ir.GT, "10"), `{"n":10}`, false},
		{"gte equal", cmp(ir.GTE, "10"), `{"n":10}`, true},
		{"lt", cmp(ir.LT, "10"), `{"n":9.5}`, true},
		{"lte equal", cmp(ir.LTE, "10"), `{"n":10.0}`, true},
		{"numeric string", cmp(ir.GT, "10"), `{"n":"11"}`, true},
		{"non-numeric string", cmp(ir.GT, "10"), `{"n":"11 apples"}`, false},
		{"hex string is not a number", cmp(ir.GT, "10"), `{"n":"0x100"}`, false},
		{"bool is not a number", cmp(ir.GT, "0"), `{"n":true}`, false},
		{"exponent", cmp(ir.GT, "1000"), `{"n":1e4}`, true},
		{"negative", cmp(ir.LT, "0"), `{"n":-3}`, true},
		{"array any", cmp(ir.GT, "10"), `{"n":[1,20]}`, true},
		{"missing", cmp(ir.LT, "10"), `{}`, false},
		{"big integer", cmp(ir.GT, "9007199254740992"), `{"n":9007199254740993000}`, true},
	})
}

func TestFieldRef(t *testing.T) {
	fr := func(shape ir.Shape, c bool) *ir.FieldRef {
		return &ir.FieldRef{Field: "a", Ref: "b", Shape: shape, Cased: c}
	}
	runCases(t, []evalCase{
		{"equal", fr(ir.ShapeExact, false), `{"a":"X","b":"x"}`, true},
		{"equal cased", fr(ir.ShapeExact, true), `{"a":"X","b":"x"}`, false},
		{"not equal", fr(ir.ShapeExact, false), `{"a":"x","b":"y"}`, false},
		{"prefix", fr(ir.ShapePrefix, false), `{"a":"C:\\Tools\\x.exe -a","b":"c:\\tools\\x.exe"}`, true},
		{"prefix wrong way", fr(ir.ShapePrefix, false), `{"a":"abc","b":"abcd"}`, false},
		{"suffix", fr(ir.ShapeSuffix, false), `{"a":"dir\\file.txt","b":"FILE.txt"}`, true},
		{"contains", fr(ir.ShapeContains, false), `{"a":"run x.exe now","b":"x.exe"}`, true},
		{"missing ref", fr(ir.ShapeExact, false), `{"a":"x"}`, false},
		{"missing field", fr(ir.ShapeExact, false), `{"b":"x"}`, false},
		{"both missing", fr(ir.ShapeExact, false), `{}`, false},
		{"numbers by text", fr(ir.ShapeExact, false), `{"a":5,"b":"5"}`, true},
		{"arrays any pair", fr(ir.ShapeExact, false), `{"a":["p","q"],"b":["r","Q"]}`, true},
		{"nested ref", &ir.FieldRef{Field: "a", Ref: "c.d"}, `{"a":"v","c":{"d":"V"}}`, true},
	})
}

func TestTimeParts(t *testing.T) {
	tp := func(u ir.TimeUnit, v int) *ir.TimePart { return &ir.TimePart{Field: "t", Part: u, Value: v} }
	// 2026-12-31T23:59:58Z is a Thursday in ISO week 53 of 2026.
	const ts = `{"t":"2026-12-31T23:59:58Z"}`
	runCases(t, []evalCase{
		{"minute", tp(ir.Minute, 59), ts, true},
		{"hour", tp(ir.Hour, 23), ts, true},
		{"day", tp(ir.Day, 31), ts, true},
		{"week", tp(ir.Week, 53), ts, true},
		{"month", tp(ir.Month, 12), ts, true},
		{"year", tp(ir.Year, 2026), ts, true},
		{"year miss", tp(ir.Year, 2025), ts, false},
		{"offset converted to UTC", tp(ir.Hour, 1), `{"t":"2026-01-01T03:00:00+02:00"}`, true},
		{"fraction", tp(ir.Minute, 5), `{"t":"2026-01-01T03:05:00.123456Z"}`, true},
		{"epoch seconds", tp(ir.Year, 2023), `{"t":1700000000}`, true},
		{"epoch millis", tp(ir.Year, 2023), `{"t":1700000000000}`, true},
		{"epoch seconds string", tp(ir.Month, 11), `{"t":"1700000000"}`, true},
		{"epoch hour", tp(ir.Hour, 22), `{"t":1700000000}`, true},
		{"not a time", tp(ir.Year, 2026), `{"t":"yesterday"}`, false},
		{"iso week 1 in previous year", tp(ir.Week, 1), `{"t":"2024-12-30T00:00:00Z"}`, true},
		{"missing", tp(ir.Year, 2026), `{}`, false},
	})
}

func TestBooleanStructure(t *testing.T) {
	a, b, c := str("a", "1"), str("b", "1"), str("c", "1")
	runCases(t, []evalCase{
		{"and all", ir.NewAnd(a, b, c), `{"a":"1","b":"1","c":"1"}`, true},
		{"and one false", ir.NewAnd(a, b, c), `{"a":"1","b":"1","c":"2"}`, false},
		{"or one true", ir.NewOr(a, b, c), `{"c":"1"}`, true},
		{"or none", ir.NewOr(a, b, c), `{}`, false},
		{"and not", ir.NewAnd(a, ir.NewNot(b)), `{"a":"1","b":"2"}`, true},
		{"and not excluded", ir.NewAnd(a, ir.NewNot(b)), `{"a":"1","b":"1"}`, false},
		{"set of exact values", ir.NewOr(str("a", "v1"), str("a", "v2"), str("a", "V3"), str("a", "v4"), str("a", "v5*")), `{"a":"v3"}`, true},
		{"set of exact values miss", ir.NewOr(str("a", "v1"), str("a", "v2"), str("a", "v3"), str("a", "v4")), `{"a":"v5"}`, false},
		{"set with wildcard sibling", ir.NewOr(str("a", "v1"), str("a", "v2"), str("a", "v3"), str("a", "v4"), str("a", "v5*")), `{"a":"v55"}`, true},
		{"set keeps cased apart", ir.NewOr(str("a", "v1"), str("a", "v2"), str("a", "v3"), str("a", "v4"), cased("a", "V9")), `{"a":"v9"}`, false},
	})
}

func TestSeveralConditionsAndRules(t *testing.T) {
	rules := []*ir.Rule{
		{ID: "one", Title: "One", Level: "high", Conditions: []ir.Node{str("a", "x"), str("b", "y")}},
		{ID: "two", Title: "Two", Level: "low", Conditions: []ir.Node{ir.NewNot(str("a", "x"))}},
		{ID: "three", Title: "Three", Conditions: []ir.Node{str("a", "*")}},
	}
	p, errs := Compile(rules)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	ms, err := p.MatchJSON([]byte(`{"a":"X","b":"Y"}`))
	if err != nil {
		t.Fatal(err)
	}
	type hit struct {
		idx, cond        int
		id, title, level string
	}
	var got []hit
	for _, m := range ms {
		got = append(got, hit{m.RuleIndex, m.Condition, m.RuleID, m.Title, m.Level})
		if m.Rule != rules[m.RuleIndex] {
			t.Errorf("match %v carries the wrong rule", m)
		}
	}
	want := []hit{{0, 0, "one", "One", "high"}, {0, 1, "one", "One", "high"}, {2, 0, "three", "Three", ""}}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("match %d = %v, want %v", i, got[i], want[i])
		}
	}
}

func TestCompileErrorsNameTheRule(t *testing.T) {
	good := &ir.Rule{ID: "good", Title: "Good", Conditions: []ir.Node{str("a", "x")}}
	badRe := &ir.Rule{ID: "bad-re", Title: "Bad regex", Path: "rules/x.yml", Line: 3,
		Conditions: []ir.Node{&ir.Regex{Field: "a", Pattern: "(unclosed", Pos: ir.Pos{Line: 9}}}}
	placeholder := &ir.Rule{ID: "ph", Title: "Placeholder", Conditions: []ir.Node{
		&ir.Match{Field: "User", Pattern: ir.Pattern{{Kind: ir.Placeholder, Text: "admins"}}}}}
	noCond := &ir.Rule{ID: "empty", Title: "No condition"}
	p, errs := Compile([]*ir.Rule{good, badRe, placeholder, noCond, nil})
	if p.Len() != 1 {
		t.Errorf("compiled %d rules, want only the good one", p.Len())
	}
	if len(errs) != 4 {
		t.Fatalf("got %d errors, want 4: %v", len(errs), errs)
	}
	checks := []struct {
		code     diag.Code
		contains string
		line     int
	}{
		{diag.InvalidValue, `rule "Bad regex"`, 9},
		{diag.UnresolvedPlaceholder, `rule "Placeholder"`, 0},
		{diag.RuleStructure, `rule "No condition"`, 0},
		{diag.RuleStructure, "nil rule at index 4", 0},
	}
	for i, c := range checks {
		if errs[i].Index != i+1 || len(errs[i].Diags) != 1 {
			t.Fatalf("error %d is about rule %d with %d diagnostics, want rule %d with one", i, errs[i].Index, len(errs[i].Diags), i+1)
		}
		d := errs[i].Diags[0]
		if d.Code != c.code || !strings.Contains(d.Message, c.contains) || d.Line != c.line {
			t.Errorf("error %d = %+v, want code %s, line %d, message containing %q", i, d, c.code, c.line, c.contains)
		}
	}
	if d := errs[0].Diags[0]; d.Path != "rules/x.yml" || d.RuleID != "bad-re" {
		t.Errorf("regex error does not name the rule's file and id: %+v", d)
	}
	ms, err := p.MatchJSON([]byte(`{"a":"x"}`))
	if err != nil || len(ms) != 1 || ms[0].RuleIndex != 0 {
		t.Errorf("the good rule must still match: %v %v", ms, err)
	}
}

func TestMalformedJSON(t *testing.T) {
	p, _ := Compile([]*ir.Rule{{Conditions: []ir.Node{str("a", "x")}}})
	for _, notObject := range []string{`[]`, `"a"`, `1`, `null`} {
		if _, err := p.MatchJSON([]byte(notObject)); err == nil {
			t.Errorf("MatchJSON(%q) accepted a value that is not an object", notObject)
		}
	}
	bad := []string{``, `{`, `{"a"}`, `{"a":}`, `{"a":"x",}`, `{"a":"x"} {}`, `{"a":tru}`,
		`{"a":01}`, `{"a":1.}`, `{"a":"\x"}`, `{"a":"\u12"}`, "{\"a\":\"\x01\"}", `{"a":[1,]}`, `{"a":-}`,
		`{"a":"x"`, `{a:1}`, `{"a":1e}`, strings.Repeat(`{"a":`, maxDepth+2)}
	for _, b := range bad {
		if _, err := p.MatchJSON([]byte(b)); err == nil {
			t.Errorf("MatchJSON(%q) accepted malformed JSON", b)
		} else if _, ok := err.(*SyntaxError); !ok {
			t.Errorf("MatchJSON(%q) error is %T, want *SyntaxError", b, err)
		}
		if json.Valid([]byte(b)) {
			t.Errorf("test input %q is valid JSON", b)
		}
	}
	good := []string{`{}`, ` {"a" : "x" } `, `{"b":[{},[],"\/\b\f\n\r\t\"\\",-0.5e+3,true,false,null]}`}
	for _, g := range good {
		if _, err := p.MatchJSON([]byte(g)); err != nil {
			t.Errorf("MatchJSON(%q): %v", g, err)
		}
	}
}

func TestInvalidUTF8ReadsAsReplacementChar(t *testing.T) {
	// encoding/json turns each invalid byte into U+FFFD; the scanner must agree.
	line := []byte("{\"a\":\"x\xffy\"}")
	for _, pat := range []string{"x?y", "x\uFFFDy"} {
		p, _ := Compile([]*ir.Rule{{Conditions: []ir.Node{str("a", pat)}}})
		ms, err := p.MatchJSON(line)
		if err != nil || len(ms) != 1 {
			t.Errorf("pattern %q on invalid UTF-8: %v %v", pat, ms, err)
		}
		var ev map[string]any
		if err := json.Unmarshal(line, &ev); err != nil {
			t.Fatal(err)
		}
		if len(p.MatchEvent(ev)) != 1 {
			t.Errorf("pattern %q: MatchEvent disagrees", pat)
		}
		// a decoded event that still holds the raw invalid byte reads the same way
		if len(p.MatchEvent(map[string]any{"a": "x\xffy"})) != 1 {
			t.Errorf("pattern %q: raw invalid byte in a Go string", pat)
		}
	}
}

func TestMatchEventGoTypes(t *testing.T) {
	p, _ := Compile([]*ir.Rule{
		{Conditions: []ir.Node{num("n", "5")}},
		{Conditions: []ir.Node{&ir.Compare{Field: "n", Op: ir.GT, Value: ir.Num{Text: "4", Value: 4}}}},
		{Conditions: []ir.Node{str("s.t", "v")}},
	})
	for _, v := range []any{5, int8(5), int16(5), int32(5), int64(5), uint(5), uint8(5), uint16(5), uint32(5),
		uint64(5), float32(5), 5.0, json.Number("5")} {
		ms := p.MatchEvent(map[string]any{"n": v, "s": map[string]string{"t": "V"}})
		if len(ms) != 3 {
			t.Errorf("value %T(%v): %d matches, want 3", v, v, len(ms))
		}
	}
	if ms := p.MatchEvent(map[string]any{"n": []string{"1", "5"}}); len(ms) != 2 {
		t.Errorf("[]string values: %d matches, want 2", len(ms))
	}
}

func TestConcurrentUse(t *testing.T) {
	p, _ := Compile([]*ir.Rule{{Conditions: []ir.Node{ir.NewAnd(str("a", "x*"), kw("needle"))}}})
	done := make(chan bool)
	for g := 0; g < 4; g++ {
		go func(g int) {
			ok := true
			for i := 0; i < 500; i++ {
				want := (i+g)%2 == 0
				line := `{"a":"xy","b":"hay"}`
				if want {
					line = `{"a":"xy","b":"NEEDLE"}`
				}
				ms, err := p.MatchJSON([]byte(line))
				if err != nil || (len(ms) == 1) != want {
					ok = false
				}
			}
			done <- ok
		}(g)
	}
	for g := 0; g < 4; g++ {
		if !<-done {
			t.Error("concurrent matching gave a wrong result")
		}
	}
}

func TestMatcherReuseDoesNotLeakValues(t *testing.T) {
	p, _ := Compile([]*ir.Rule{{Conditions: []ir.Node{&ir.Exists{Field: "a"}}}, {Conditions: []ir.Node{kw("old")}}})
	m := p.NewMatcher()
	if ms, _ := m.MatchJSON([]byte(`{"a":"\u006fld"}`)); len(ms) != 2 {
		t.Fatalf("first event: %v", ms)
	}
	buf := []byte(`{"b":"new"}`)
	if ms, _ := m.MatchJSON(buf); len(ms) != 0 {
		t.Errorf("second event matched with values of the first: %v", ms)
	}
	if ms, _ := m.MatchJSON(bytes.Repeat([]byte(" "), 3)); ms != nil {
		t.Errorf("empty input gave matches %v", ms)
	}
}

func mustPrefix(s string) netip.Prefix { return netip.MustParsePrefix(s) }
