package translator

import (
	"strings"
	"testing"

	"github.com/sigmabridge/sigmabridge/translator/diag"
)

func TestLoadErrors(t *testing.T) {
	cases := []struct {
		name string
		src  string
		code string
		line int
		msg  string
	}{
		{"unknown modifier", "detection:\n  a:\n    x|contians: 1\n  condition: a\n", diag.UnknownModifier, 6, `unknown modifier "contians"; did you mean "contains"?`},
		{"two unknown modifiers", "detection:\n  a:\n    x|startwith|zz: 1\n  condition: a\n", diag.UnknownModifier, 6, `unknown modifier "startwith" (did you mean "startswith"?), "zz"`},
		{"bad yaml", "detection:\n  a: {x: 1\n  condition: a\n", diag.YAMLError, 0, ""},
		{"unknown identifier", "detection:\n  sel: {x: 1}\n  condition: Sel\n", diag.UnknownIdentifier, 6, `did you mean "sel"`},
		{"dangling paren", "detection:\n  a: {x: 1}\n  condition: (a\n", diag.ConditionSyntax, 6, "expected `)`"},
		{"pattern without quantifier", "detection:\n  a: {x: 1}\n  condition: a*\n", diag.ConditionSyntax, 6, "needs `1 of`"},
		{"no match", "detection:\n  a: {x: 1}\n  condition: 1 of b*\n", diag.NoMatchingSearch, 6, `"b*"`},
		{"two of", "detection:\n  a: {x: 1}\n  condition: 2 of a\n", diag.ConditionSyntax, 6, "`2 of`"},
		{"legacy count", "detection:\n  a: {x: 1}\n  condition: a | count() > 5\n", diag.LegacyAggregation, 6, "correlation rule"},
		{"near", "detection:\n  a: {x: 1}\n  b: {y: 1}\n  condition: a near b\n", diag.ConditionSyntax, 7, `unexpected "near"`},
		{"bad regex", "detection:\n  a:\n    x|re: 'a(b'\n  condition: a\n", diag.InvalidValue, 6, "invalid regular expression"},
		{"bad cidr", "detection:\n  a:\n    x|cidr: 10.0.0.1/8\n  condition: a\n", diag.InvalidValue, 6, "host bits"},
		{"exists not bool", "detection:\n  a:\n    x|exists: yes please\n  condition: a\n", diag.InvalidValue, 6, "true or false"},
		{"flag without re", "detection:\n  a:\n    x|i: abc\n  condition: a\n", diag.InvalidModifier, 6, "must follow the re"},
		{"re with contains", "detection:\n  a:\n    x|contains|re: abc\n  condition: a\n", diag.InvalidModifier, 6, "cannot be combined"},
		{"base64 wildcard", "detection:\n  a:\n    x|base64: 'ab*'\n  condition: a\n", diag.InvalidValue, 6, "wildcards"},
		{"gt on text", "detection:\n  a:\n    x|gt: many\n  condition: a\n", diag.InvalidValue, 6, "takes a number"},
		{"empty list", "detection:\n  a:\n    x: []\n  condition: a\n", diag.InvalidValue, 6, "empty value list"},
		{"no condition", "detection:\n  a: {x: 1}\n", diag.RuleStructure, 4, "no condition"},
		{"no detection", "level: low\n", diag.RuleStructure, 1, "no detection"},
		{"scalar search", "detection:\n  a: 5\n  condition: a\n", diag.RuleStructure, 5, "search \"a\""},
		{"null with contains", "detection:\n  a:\n    x|contains: null\n  condition: a\n", diag.InvalidValue, 6, "null"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rules, diags := LoadBytes("bad.yml", []byte(ruleHead+c.src))
			if len(rules) != 0 {
				t.Errorf("got %d rules from an invalid document", len(rules))
			}
			found := false
			for _, d := range diags {
				if string(d.Code) == c.code && (c.line == 0 || d.Line == c.line) && strings.Contains(d.Message, c.msg) {
					found = true
				}
				if d.Path != "bad.yml" {
					t.Errorf("diagnostic without the file: %v", d)
				}
			}
			if !found {
				t.Errorf("want %s at line %d containing %q, got:\n%v", c.code, c.line, c.msg, diags.Err())
			}
		})
	}
}

func TestAllDiagnosticsReported(t *testing.T) {
	src := ruleHead + "detection:\n  a:\n    x|foo: 1\n    y|re: '('\n  b:\n    z|bar: 2\n  condition: a or b or c\n"
	_, diags := LoadBytes("many.yml", []byte(src))
	codes := map[string]int{}
	for _, d := range diags {
		codes[string(d.Code)]++
	}
	if codes[diag.UnknownModifier] != 2 || codes[diag.InvalidValue] != 1 {
		t.Errorf("want every problem reported, got:\n%v", diags.Err())
	}
}

// TestEveryUndefinedNameReported: every search name a condition gives that the rule does
// not define is named, each once, in the order the condition reads.
func TestEveryUndefinedNameReported(t *testing.T) {
	src := ruleHead + "detection:\n  sel: {x: 1}\n  condition: sel and foo and not (bar or foo) and 1 of baz*\n"
	_, diags := LoadBytes("undef.yml", []byte(src))
	var got []string
	for _, d := range diags {
		got = append(got, string(d.Code)+" "+d.Message)
	}
	want := []string{
		`unknown-identifier the condition names "foo", which is not a search of this rule`,
		`unknown-identifier the condition names "bar", which is not a search of this rule`,
		`no-matching-search the pattern "baz*" matches no search of this rule`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestLoadFileMissing(t *testing.T) {
	_, diags := LoadFile("does/not/exist.yml")
	if len(diags) != 1 || diags[0].Code != diag.ReadError || diags[0].Path != "does/not/exist.yml" ||
		!strings.Contains(diags[0].Message, "no such file") {
		t.Errorf("got %v", diags)
	}
}

func TestBadDocumentDoesNotHideGoodOnes(t *testing.T) {
	src := ruleHead + "detection:\n  a: {x|nope: 1}\n  condition: a\n---\n" + ruleHead + "detection:\n  b: {y: 2}\n  condition: b\n"
	rules, diags := LoadBytes("mixed.yml", []byte(src))
	if len(rules) != 1 || rules[0].Conditions[0].String() != `num(y, "2")` {
		t.Errorf("good document lost: %v", rules)
	}
	if len(diags) != 1 || diags[0].Code != diag.UnknownModifier {
		t.Errorf("got %v", diags)
	}
}

func TestModifierTransforms(t *testing.T) {
	cases := []struct{ item, want string }{
		{"x|contains: 'a'", `match(x, "*a*")`},
		{"x|startswith: 'a*'", `match(x, "a*")`},
		{"x|endswith: '\\'", `match(x, "*\\\\")`},
		{"x|base64: 'abc'", `match(x, "YWJj")`},
		{"x|base64offset|contains: 'abc'", `or(match(x, "*YWJj*"), match(x, "*FiY*"), match(x, "*hYm*"))`},
		{"x|wide|base64: 'a'", `match(x, "YQA=")`},
		{"x|utf16be|base64: 'a'", `match(x, "AGE=")`},
		{"x|utf16|base64: 'a'", `match(x, "//5hAA==")`},
		{"x|windash: '-a /b c-d'", ""},
		{"x|cased: 'AbC'", `match[cased](x, "AbC")`},
		{"x|neq: 'a'", `not(match(x, "a"))`},
		{"x|neq: ['a', 'b']", `not(or(match(x, "a"), match(x, "b")))`},
		{"x|neq: 5", `not(num(x, "5"))`},
		{"x|fieldref|neq: y", `not(fieldref(x exact y))`},
		{"x|re|i|s: 'a.b'", `re[is](x, "a.b")`},
		{"x|exists: false", `not(exists(x))`},
		{"x|gte: '10'", `cmp(x >= 10)`},
		{"x|hour: 3", `time(x.hour == 3)`},
		{"x: 0x10", `num(x, "16")`},
		{"x: 1.50", `num(x, "1.50")`},
		{"x: '12'", `match(x, "12")`},
		{"x: true", `bool(x, "true")`},
		{"x|contains: 12", `match(x, "*12*")`},
	}
	for _, c := range cases {
		got := lowerOne(t, "detection:\n  a:\n    "+c.item+"\n  condition: a\n")
		if c.want == "" {
			// windash: two flag positions, five variants each.
			if n := strings.Count(got, "match("); n != 25 {
				t.Errorf("%s: got %d variants, want 25: %s", c.item, n, got)
			}
			continue
		}
		if got != c.want {
			t.Errorf("%s: got %s, want %s", c.item, got, c.want)
		}
	}
}
