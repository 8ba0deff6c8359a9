package splunk

import (
	"math/rand"
	"strings"
	"testing"

	"github.com/sigmabridge/sigmabridge/backends"
	"github.com/sigmabridge/sigmabridge/translator/diag"
	"github.com/sigmabridge/sigmabridge/translator/ir"
)

func match(f, sigma string) *ir.Match {
	return &ir.Match{Field: f, Pattern: ir.ParseSigmaString(sigma)}
}

// TestB1MixedAndOrParenthesised pins docs/peers.md B1: `selection_cli and (Image|endswith or
// OriginalFileName)` keeps its parentheses, in search and in where.
func TestB1MixedAndOrParenthesised(t *testing.T) {
	var tree ir.Node = &ir.And{Children: []ir.Node{
		match("CommandLine", "* localgroup*"),
		&ir.Or{Children: []ir.Node{match("Image", `*\net.exe`), match("OriginalFileName", "net.exe")}},
	}}
	want := `CommandLine="* localgroup*" AND (Image="*\\net.exe" OR OriginalFileName="net.exe")`
	if got := convertOne(t, tree); got != want {
		t.Errorf("search:\n got %s\nwant %s", got, want)
	}

	tree = &ir.Or{Children: []ir.Node{
		&ir.And{Children: []ir.Node{&ir.Regex{Field: "a", Pattern: "x"}, match("b", "y")}},
		match("c", "z"),
	}}
	// The search holds the superset b="y" OR c="z"; the where the exact tree.
	want = `b="y" OR c="z" | where (isnotnull(mvfind('a', "x")) AND isnotnull(mvfind('b', "(?i)\\Ay\\z"))) OR isnotnull(mvfind('c', "(?i)\\Az\\z"))`
	if got := convertOne(t, tree); got != want {
		t.Errorf("where:\n got %s\nwant %s", got, want)
	}
}

// TestB2RegexUnderOrNotSplit pins docs/peers.md B2: a regex under OR is never hoisted into its
// own pipe; the whole OR goes to one where stage. Under AND it is hoisted alone.
func TestB2RegexUnderOrNotSplit(t *testing.T) {
	re := &ir.Regex{Field: "CommandLine", Pattern: `a.*b`}
	var tree ir.Node = &ir.And{Children: []ir.Node{
		match("EventID", "1"),
		&ir.Or{Children: []ir.Node{re, match("Image", `*\x.exe`)}},
	}}
	want := `EventID="1" | where isnotnull(mvfind('CommandLine', "a[^\\n]*b")) OR isnotnull(mvfind('Image', "(?i)\\A(?s:.)*\\\\x\\.exe\\z"))`
	got := convertOne(t, tree)
	if got != want {
		t.Errorf("regex under OR:\n got %s\nwant %s", got, want)
	}
	if strings.Count(got, "|") != 1 {
		t.Errorf("more than one pipe in %s", got)
	}

	tree = &ir.And{Children: []ir.Node{match("Image", `*\x.exe`), re}}
	want = `Image="*\\x.exe" | where isnotnull(mvfind('CommandLine', "a[^\\n]*b"))`
	if got := convertOne(t, tree); got != want {
		t.Errorf("regex under AND:\n got %s\nwant %s", got, want)
	}

	// NOT over a regex: hoisted whole, the NOT inside the where.
	tree = &ir.And{Children: []ir.Node{match("Image", "x"), &ir.Not{Child: re}}}
	want = `Image="x" | where NOT isnotnull(mvfind('CommandLine', "a[^\\n]*b"))`
	if got := convertOne(t, tree); got != want {
		t.Errorf("NOT regex:\n got %s\nwant %s", got, want)
	}
}

// TestB3QuestionMarkNotWidened pins docs/peers.md B3: `?` matches exactly one character. The
// search keeps only a widened prefilter; the where stage matches exactly one character.
func TestB3QuestionMarkNotWidened(t *testing.T) {
	got := convertOne(t, match("Image", `*\cm?.exe`))
	want := `Image="*\\cm*.exe" | where isnotnull(mvfind('Image', "(?i)\\A(?s:.)*\\\\cm(?s:.)\\.exe\\z"))`
	if got != want {
		t.Errorf("\n got %s\nwant %s", got, want)
	}
	// A literal `?` (escaped in Sigma) is a literal in search too: no where stage.
	got = convertOne(t, match("Uri", `/index.php\?id=*`))
	if want := `Uri="/index.php?id=*"`; got != want {
		t.Errorf("literal ?:\n got %s\nwant %s", got, want)
	}
}

// TestB7NoDoubleNegation pins docs/peers.md B7: not null is exists, never NOT NOT.
func TestB7NoDoubleNegation(t *testing.T) {
	cases := map[ir.Node]string{
		&ir.Not{Child: &ir.Null{Field: "f"}}:                            `f=*`,
		&ir.Null{Field: "f"}:                                            `NOT f=*`,
		&ir.Not{Child: &ir.Not{Child: match("f", "x")}}:                 `f="x"`,
		&ir.Not{Child: &ir.Not{Child: &ir.Not{Child: match("f", "x")}}}: `NOT f="x"`,
	}
	for tree, want := range cases {
		got := convertOne(t, tree)
		if got != want {
			t.Errorf("%s: got %s want %s", tree, got, want)
		}
		if strings.Contains(got, "NOT NOT") {
			t.Errorf("%s: double negation in %s", tree, got)
		}
	}
}

// TestB8TrailingBackslash pins docs/peers.md B8: literal text is escaped after the modifiers
// added their wildcards, so a trailing backslash never eats the wildcard.
func TestB8TrailingBackslash(t *testing.T) {
	cases := []struct {
		pattern ir.Pattern
		want    string
	}{
		{ir.ParseSigmaString(`\Desktop\`).Wrap(true, true), `f="*\\Desktop\\*"`},
		{ir.ParseSigmaString(`C:\Users\`).Wrap(false, true), `f="C:\\Users\\*"`},
		{ir.ParseSigmaString(`\`).Wrap(true, false), `f="*\\"`},
		{ir.ParseSigmaString(`a\\`).Wrap(true, true), `f="*a\\*"`},     // Sigma `\\` is one backslash
		{ir.ParseSigmaString(`a\\\\`).Wrap(true, true), `f="*a\\\\*"`}, // two backslashes
		{ir.ParseSigmaString(`a\\*`), `f="a\\*"`},                      // backslash, then the wildcard
		// Sigma `\*` is a literal star: search cannot say it, so it goes to where.
		{ir.ParseSigmaString(`a\*`).Wrap(true, true), `f="*a*" | where isnotnull(mvfind('f', "(?i)\\A(?s:.)*a\\*(?s:.)*\\z"))`},
	}
	for _, c := range cases {
		got := convertOne(t, &ir.Match{Field: "f", Pattern: c.pattern})
		if got != c.want {
			t.Errorf("%s:\n got %s\nwant %s", c.pattern, got, c.want)
		}
	}
}

// TestSupersetAdmitsEveryMatch checks widenedMatch semantically: for random patterns, the
// widened search value accepts every string the exact pattern accepts.
func TestSupersetAdmitsEveryMatch(t *testing.T) {
	rng := rand.New(rand.NewSource(3))
	const chars = "ab*?\\\"`\n é"
	rs := []rune(chars)
	widened := 0
	for i := 0; i < 2000; i++ {
		var p ir.Pattern
		for j := rng.Intn(4); j >= 0; j-- {
			switch rng.Intn(4) {
			case 0:
				p = append(p, ir.Segment{Kind: ir.AnyString})
			case 1:
				p = append(p, ir.Segment{Kind: ir.AnyChar})
			default:
				p = append(p, ir.Segment{Kind: ir.Lit, Text: string(rs[rng.Intn(len(rs))]) + string(rs[rng.Intn(len(rs))])})
			}
		}
		m := &ir.Match{Field: "f", Pattern: p.Normalize(), Cased: rng.Intn(2) == 0}
		e, ok := widenedMatch(m)
		if !ok {
			if !canMatchEmpty(m.Pattern) {
				t.Errorf("%s: no superset", m)
			}
			continue
		}
		widened++
		_, wide := searchLeafPattern(t, e.Text)
		ref := globRegexp(wide)
		for j := 0; j < 20; j++ {
			// Instantiate the pattern: every string built this way matches it.
			var b strings.Builder
			for _, s := range m.Pattern {
				switch s.Kind {
				case ir.Lit:
					b.WriteString(s.Text)
				case ir.AnyString:
					for k := rng.Intn(3); k > 0; k-- {
						b.WriteRune(rs[rng.Intn(len(rs))])
					}
				case ir.AnyChar:
					b.WriteRune(rs[rng.Intn(len(rs))])
				}
			}
			if !ref.MatchString(b.String()) {
				t.Fatalf("%s: superset %s rejects %q", m, e.Text, b.String())
			}
		}
	}
	if widened < 1000 {
		t.Errorf("only %d patterns widened", widened)
	}
}

// TestStatePrefix pins the index/sourcetype/source prefix.
func TestStatePrefix(t *testing.T) {
	r := &ir.Rule{
		Conditions: []ir.Node{&ir.Or{Children: []ir.Node{match("a", "1"), &ir.Regex{Field: "b", Pattern: "x"}}}},
		Deployment: ir.Deployment{Index: []string{"aws", "cloud*"}, Sourcetype: []string{`aws:"cloudtrail"`}, Source: []string{`s\1`}},
	}
	qs, diags := Backend{}.Convert(r)
	if len(diags) > 0 || len(qs) != 1 {
		t.Fatalf("%v %v", qs, diags)
	}
	want := `(index="aws" OR index="cloud*") AND sourcetype="aws:\"cloudtrail\"" AND source="s\\1" | where isnotnull(mvfind('a', "\\A1\\z")) OR isnotnull(mvfind('b', "x"))`
	if qs[0].Text != want {
		t.Errorf("\n got %s\nwant %s", qs[0].Text, want)
	}

	// A value that is not a string never reaches a backend (ir.Deployment.Set refuses it);
	// one SPL cannot quote does.
	r.Deployment = ir.Deployment{Index: []string{"a`b`"}, Sourcetype: []string{"x\ny"}}
	_, diags = Backend{}.Convert(r)
	if len(diags) != 2 || diags[0].Code != diag.UnsupportedValue || diags[1].Code != diag.UnsupportedValue {
		t.Errorf("bad state values: %v", diags)
	}
}

// TestAllDiagnosticsOfARule checks that every unsupported construct of a rule is reported,
// with its code, and that no query is returned.
func TestAllDiagnosticsOfARule(t *testing.T) {
	r := &ir.Rule{Path: "r.yml", ID: "id-1", Conditions: []ir.Node{
		&ir.Or{Children: []ir.Node{
			// A keyword that matches the text of a JSON boolean: not expressible.
			&ir.Keyword{Pattern: ir.LiteralPattern("rue"), Pos: ir.Pos{Line: 7}},
			&ir.And{Children: []ir.Node{
				&ir.TimePart{Field: "t", Part: ir.Hour, Value: 3, Pos: ir.Pos{Line: 9}},
				&ir.Match{Field: "u", Pattern: ir.Pattern{{Kind: ir.Placeholder, Text: "admins"}}},
			}},
			&ir.Not{Child: &ir.FieldRef{Field: "a", Ref: "b", Shape: ir.ShapeContains}},
			&ir.Regex{Field: "r", Pattern: "("},
		}},
		match("ok", "fine"),
	}}
	qs, diags := Backend{}.Convert(r)
	if qs != nil {
		t.Errorf("queries returned with errors: %v", qs)
	}
	var codes []string
	for _, d := range diags {
		codes = append(codes, string(d.Code))
		if d.Target != Target || d.Path != "r.yml" || d.RuleID != "id-1" {
			t.Errorf("diagnostic without rule context: %+v", d)
		}
	}
	want := []string{diag.UnsupportedKeyword, diag.UnsupportedTimePart, diag.UnresolvedPlaceholder, diag.UnsupportedFieldRef, diag.UnsupportedRegex}
	if strings.Join(codes, ",") != strings.Join(want, ",") {
		t.Errorf("codes %v, want %v", codes, want)
	}
	if diags[0].Line != 7 || diags[1].Line != 9 {
		t.Errorf("lines %d, %d; want 7, 9", diags[0].Line, diags[1].Line)
	}
}

// TestFieldRefForms pins the eval forms of fieldref.
func TestFieldRefForms(t *testing.T) {
	cases := []struct {
		n    *ir.FieldRef
		want string
	}{
		{&ir.FieldRef{Field: "a", Ref: "b", Shape: ir.ShapeExact}, `* | where lower('a')==lower('b')`},
		{&ir.FieldRef{Field: "a", Ref: "b", Shape: ir.ShapeExact, Cased: true}, `* | where 'a'=='b'`},
		{&ir.FieldRef{Field: "a", Ref: "b", Shape: ir.ShapePrefix, Cased: true},
			`* | where (len('b')==0 AND isnotnull('a')) OR substr('a', 1, len('b'))=='b'`},
		{&ir.FieldRef{Field: "a", Ref: "b", Shape: ir.ShapeSuffix},
			`* | where (len(lower('b'))==0 AND isnotnull('a')) OR substr(lower('a'), -len(lower('b')))==lower('b')`},
	}
	for _, c := range cases {
		if got := convertOne(t, c.n); got != c.want {
			t.Errorf("%s:\n got %s\nwant %s", c.n, got, c.want)
		}
	}
	// Under OR (the case pySigma rejects) the whole OR goes to where.
	got := convertOne(t, &ir.Or{Children: []ir.Node{&ir.FieldRef{Field: "a", Ref: "b"}, match("c", "d")}})
	if want := `* | where lower('a')==lower('b') OR isnotnull(mvfind('c', "(?i)\\Ad\\z"))`; got != want {
		t.Errorf("fieldref under OR:\n got %s\nwant %s", got, want)
	}
}

func TestRegistered(t *testing.T) {
	b, err := backends.Get("splunk")
	if err != nil {
		t.Fatal(err)
	}
	if b.Name() != Target {
		t.Errorf("registered backend is %q", b.Name())
	}
}

// TestConvertConcurrent runs conversions in parallel (go test -race checks the sharing).
func TestConvertConcurrent(t *testing.T) {
	tree := &ir.And{Children: []ir.Node{match("a", "x?"), &ir.Or{Children: []ir.Node{match("b", "y"), &ir.Regex{Field: "c", Pattern: "z"}}}}}
	want := convertOne(t, tree)
	done := make(chan string)
	for i := 0; i < 8; i++ {
		go func() {
			qs, _ := Backend{}.Convert(&ir.Rule{Conditions: []ir.Node{tree}})
			done <- qs[0].Text
		}()
	}
	for i := 0; i < 8; i++ {
		if got := <-done; got != want {
			t.Errorf("concurrent result %s differs from %s", got, want)
		}
	}
}
