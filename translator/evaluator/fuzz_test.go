package evaluator

import (
	"bytes"
	"encoding/json"
	"io"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/sigmabridge/sigmabridge/translator/ir"
)

// globReference converts a pattern to an anchored Go regexp: the independent definition
// the linear matcher is checked against. Go's (?i) uses the same simple case folding.
func globReference(p ir.Pattern, fold bool) *regexp.Regexp {
	var b strings.Builder
	b.WriteString("(?s)")
	if fold {
		b.WriteString("(?i)")
	}
	b.WriteString("^")
	for _, s := range p {
		switch s.Kind {
		case ir.Lit:
			b.WriteString(regexp.QuoteMeta(s.Text))
		case ir.AnyString:
			b.WriteString(".*")
		case ir.AnyChar:
			b.WriteString(".")
		}
	}
	b.WriteString("$")
	return regexp.MustCompile(b.String())
}

func FuzzGlob(f *testing.F) {
	seeds := [][2]string{
		{`*\cmd.exe`, `C:\Windows\cmd.exe`}, {`a*b?c*`, `aXXbYcZ`}, {`?`, `é`}, {`*a*a*a*`, `aaaa`},
		{`ab*ba`, `aba`}, {`k*`, "\u212a"}, {`*ΣΑΣ*`, `σας`}, {`a\*b`, `a*b`}, {``, ``}, {`??*??`, `abc`},
		{`*x?y*z`, `xxyxyzz`}, {`*?`, ``},
	}
	for _, s := range seeds {
		f.Add(s[0], s[1], false)
		f.Add(s[0], s[1], true)
	}
	f.Fuzz(func(t *testing.T, sigma, value string, cased bool) {
		p := ir.ParseSigmaString(sigma)
		g := compileGlob(p, !cased)
		text := value
		if !cased {
			text = foldString(value)
		}
		got := g.match(text)
		if !utf8.ValidString(sigma) || !utf8.ValidString(value) {
			return // only the absence of a panic is checked on invalid UTF-8
		}
		if len(sigma) > 64 || len(value) > 512 {
			return // the regexp reference gets slow; the glob itself is bounded by len(value)*len(pattern)
		}
		if want := globReference(p, !cased).MatchString(value); got != want {
			t.Fatalf("pattern %q (cased=%v) on %q: glob %v, reference %v", sigma, cased, value, got, want)
		}
	})
}

// hasDuplicateKeys reports whether some object in the JSON text repeats a key; encoding/json
// keeps the last value of such a key while the evaluator keeps all of them.
func hasDuplicateKeys(data []byte) bool {
	dec := json.NewDecoder(bytes.NewReader(data))
	type frame struct {
		object  bool
		keys    map[string]bool
		wantKey bool
	}
	var stack []*frame
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return false
		}
		if err != nil {
			return false
		}
		var top *frame
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		switch v := tok.(type) {
		case json.Delim:
			switch v {
			case '{', '[':
				if top != nil && top.object {
					top.wantKey = true
				}
				stack = append(stack, &frame{object: v == '{', keys: map[string]bool{}, wantKey: true})
			default:
				stack = stack[:len(stack)-1]
			}
		case string:
			if top != nil && top.object && top.wantKey {
				if top.keys[v] {
					return true
				}
				top.keys[v] = true
				top.wantKey = false
				continue
			}
			if top != nil && top.object {
				top.wantKey = true
			}
		default:
			if top != nil && top.object {
				top.wantKey = true
			}
		}
	}
}

// fuzzProgram reads many kinds of fields, including nested and dotted ones, and keywords.
func fuzzProgram(t testing.TB) *Program {
	cidr := &ir.CIDR{Field: "ip", Prefix: mustPrefix("10.0.0.0/8")}
	rules := []*ir.Rule{
		{Conditions: []ir.Node{str("a", "*x*")}},
		{Conditions: []ir.Node{ir.NewNot(str("a.b", "y?"))}},
		{Conditions: []ir.Node{kw("z")}},
		{Conditions: []ir.Node{&ir.Exists{Field: "a.b.c"}}},
		{Conditions: []ir.Node{num("n", "1")}},
		{Conditions: []ir.Node{&ir.Compare{Field: "n", Op: ir.GT, Value: ir.Num{Text: "0", Value: 0}}}},
		{Conditions: []ir.Node{cidr}},
		{Conditions: []ir.Node{&ir.FieldRef{Field: "a", Ref: "b", Shape: ir.ShapeContains}}},
		{Conditions: []ir.Node{&ir.TimePart{Field: "t", Part: ir.Hour, Value: 1}}},
		{Conditions: []ir.Node{&ir.Regex{Field: "a", Pattern: "^[a-f]+$"}}},
		{Conditions: []ir.Node{&ir.Null{Field: "b"}}},
		{Conditions: []ir.Node{ir.NewOr(str("a", "p"), str("a", "q"), str("a", "r"), str("a", "s"))}},
	}
	p, errs := Compile(rules)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	return p
}

// FuzzMatchJSON feeds arbitrary bytes to MatchJSON: it must never panic, must accept
// exactly the JSON objects encoding/json accepts, and must give the same matches as
// MatchEvent on the encoding/json decoding (unless a key repeats).
func FuzzMatchJSON(f *testing.F) {
	for _, s := range []string{`{"a":"xyz"}`, `{"a":{"b":"y1","b.c":null}}`, `{"a.b":{"c":[]}}`, `{"n":1.0e0,"ip":"10.1.1.1"}`,
		`{"t":"2026-01-01T01:00:00Z","a":"abc","b":"B"}`, `{"k":["z",{"q":"Z"}]}`, `{"a":"\ud800\u0041"}`, "{\"a\":\"\xff\"}",
		`{"a":[1,[2,[3]]],"n":"-5"}`, `{}`, `[]`, `{"a":}`, `{"a":"p"}`} {
		f.Add([]byte(s))
	}
	p := fuzzProgram(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		m := p.NewMatcher()
		got, err := m.MatchJSON(data)
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.UseNumber()
		var v any
		decErr := dec.Decode(&v)
		if decErr == nil {
			if _, extra := dec.Token(); extra != io.EOF {
				decErr = io.ErrUnexpectedEOF // trailing data
			}
		}
		obj, isObject := v.(map[string]any)
		valid := decErr == nil && isObject
		if valid != (err == nil) {
			t.Fatalf("%q: MatchJSON error %v, encoding/json error %v (object %v)", data, err, decErr, isObject)
		}
		if !valid || hasDuplicateKeys(data) {
			return
		}
		want := p.NewMatcher().MatchEvent(obj)
		if !reflect.DeepEqual(conditionsOf(got), conditionsOf(want)) {
			t.Fatalf("%q: MatchJSON %v, MatchEvent %v", data, conditionsOf(got), conditionsOf(want))
		}
	})
}

func conditionsOf(ms []Match) []int {
	out := []int{}
	for _, m := range ms {
		out = append(out, m.RuleIndex)
	}
	return out
}
