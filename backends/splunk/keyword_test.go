package splunk

import (
	"encoding/json"
	"fmt"
	"math/rand"
	"regexp"
	"strings"
	"testing"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/sigmabridge/sigmabridge/translator/diag"
	"github.com/sigmabridge/sigmabridge/translator/evaluator"
	"github.com/sigmabridge/sigmabridge/translator/ir"
)

// keywordAlphabet mixes characters that need escaping in SPL, in PCRE and in JSON, the
// letters whose case orbit leaves ASCII (k, s), hex digits, a `%` for URL-encoded
// breakers, non-ASCII letters (the Kelvin sign and the long s among them) and the pieces
// of a foreach template.
var keywordAlphabet = []string{"a", "A", "b", "B", "c", "d", "k", "K", "s", "S", "z", "Z", "w", "x", "0", "1", "2", "5", "9", "e", "é", "ſ", "\u212a",
	"<", ">", "&", "/", "%", "-", ".", ":", `"`, "'", " ", "\n", `\`, "`", "[", "]", "|", "=", "<<FIELD>>", "mimi", "tag::"}

// keyword builds a random keyword that the backend renders (it regenerates those that can
// match the text of a JSON number, boolean or null; TestScalarTextWitness checks that
// decision on its own).
func (g *treeGen) keyword() *ir.Keyword {
	for {
		var p ir.Pattern
		for i := g.rng.Intn(3); i >= 0; i-- {
			switch g.rng.Intn(6) {
			case 0:
				p = append(p, ir.Segment{Kind: ir.AnyString})
			case 1:
				p = append(p, ir.Segment{Kind: ir.AnyChar})
			default:
				var b strings.Builder
				for j := g.rng.Intn(6); j >= 0; j-- {
					b.WriteString(keywordAlphabet[g.rng.Intn(len(keywordAlphabet))])
				}
				p = append(p, ir.Segment{Kind: ir.Lit, Text: b.String()})
			}
		}
		k := &ir.Keyword{Pattern: p.Normalize(), Cased: g.rng.Intn(4) == 0}
		if _, ambiguous := scalarTextWitness(k.Pattern, k.Cased); !ambiguous {
			return k
		}
	}
}

// keywordInstance builds a string that contains the keyword: its pattern with wildcards
// filled in, between a prefix and a suffix that may touch it (a URL-encoded breaker, a
// hex digit, non-ASCII), in another case or with k and s spelled as their non-ASCII
// case-fold partners when the keyword is case-insensitive.
func keywordInstance(rng *rand.Rand, k *ir.Keyword) string {
	var b strings.Builder
	b.WriteString([]string{"", "x", "%2B", "%2526", "é", `\`, "-", "A", "%", "%2", "%25", "%252"}[rng.Intn(12)])
	for _, s := range k.Pattern {
		switch s.Kind {
		case ir.Lit:
			b.WriteString(s.Text)
		case ir.AnyString:
			b.WriteString([]string{"", "q", "\n*", "%20", "<"}[rng.Intn(5)])
		case ir.AnyChar:
			b.WriteString([]string{"é", "?", "\n", "\u212a", "1"}[rng.Intn(5)])
		}
	}
	b.WriteString([]string{"", "y", "%3D", "2", "ü"}[rng.Intn(5)])
	v := b.String()
	if !k.Cased {
		switch rng.Intn(4) {
		case 0:
			v = swapASCIICase(v)
		case 1:
			v = strings.NewReplacer("k", "\u212a", "K", "\u212a", "s", "ſ", "S", "ſ").Replace(v)
		}
	}
	return v
}

// rawEncodings returns the JSON text of an event as different encoders write it: Go's
// (<, >, & as \u003c...), every non-ASCII character as \uXXXX (Python's default), and `/`
// as `\/` (PHP's default). Outside strings JSON has only ASCII and no `/`, so the
// rewrites touch string contents only.
func rawEncodings(goJSON string) []string {
	var ascii strings.Builder
	for _, r := range goJSON {
		if r < utf8.RuneSelf {
			ascii.WriteRune(r)
			continue
		}
		for _, u := range utf16.Encode([]rune{r}) {
			fmt.Fprintf(&ascii, `\u%04x`, u)
		}
	}
	return []string{goJSON, ascii.String(), strings.ReplaceAll(goJSON, "/", `\/`)}
}

// Splunk's default breakers (segmenters.conf): the multi-character major breakers (tried
// first, longest first), then every single breaker character, major and minor.
var (
	multiBreakers  = []string{"%2526", "%2520", "%21", "%26", "%3B", "%7C", "%20", "%2B", "%3D", "%5D", "%5B", "%3A", "%0A", "%2C", "%28", "%29", "--"}
	singleBreakers = "[]<>(){}|!;,'\"*\n\r \t&?+" + `/:=@.-$#%\_`
)

// rawSegments splits _raw into the smallest segments Splunk indexes (minor segments): a
// search term without a field matches an event when a segment matches it. The URL-encoded
// breakers are matched in either case, the stricter reading.
func rawSegments(raw string) []string {
	var segs []string
	start := 0
	for i := 0; i < len(raw); {
		width := 0
		for _, b := range multiBreakers {
			if len(raw)-i >= len(b) && strings.EqualFold(raw[i:i+len(b)], b) {
				width = len(b)
				break
			}
		}
		if width == 0 && strings.IndexByte(singleBreakers, raw[i]) >= 0 {
			width = 1
		}
		if width == 0 {
			i++
			continue
		}
		if i > start {
			segs = append(segs, raw[start:i])
		}
		i += width
		start = i
	}
	if start < len(raw) {
		segs = append(segs, raw[start:])
	}
	return segs
}

// scalarText is the text of a JSON number, true, false or null.
var scalarText = regexp.MustCompile(`\A(?:-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?|true|false|null)\z`)

// scalarTexts enumerates every text of a JSON number up to maxLen bytes written with the
// digits 0 and 1 only, plus true, false and null.
func scalarTexts(maxLen int) []string {
	out := []string{"true", "false", "null"}
	var grow func(s string)
	grow = func(s string) {
		if len(s) > maxLen {
			return
		}
		if scalarText.MatchString(s) {
			out = append(out, s)
		}
		for _, c := range []string{"0", "1", "-", "+", ".", "e", "E"} {
			// Prune: keep only prefixes of some number text.
			if next := s + c; scalarPrefix.MatchString(next) {
				grow(next)
			}
		}
	}
	grow("")
	return out
}

var scalarPrefix = regexp.MustCompile(`\A-?(?:0|[1-9][0-9]*)?(?:\.[0-9]*)?(?:[eE][+-]?[0-9]*)?\z`)

// TestScalarTextWitness checks the decision that rejects keywords: a rejected keyword's
// witness is a JSON number, boolean or null text that the keyword matches, and an
// accepted keyword matches no such text (enumerated by brute force).
func TestScalarTextWitness(t *testing.T) {
	texts := scalarTexts(9)
	if len(texts) < 1000 {
		t.Fatalf("only %d scalar texts", len(texts))
	}
	check := func(p ir.Pattern, cased bool) bool {
		re := globRegexp(p.Wrap(true, true))
		if cased {
			re = regexp.MustCompile(strings.Replace(re.String(), "(?is)", "(?s)", 1))
		}
		witness, ambiguous := scalarTextWitness(p, cased)
		if ambiguous {
			if !scalarText.MatchString(witness) || !re.MatchString(witness) {
				t.Errorf("keyword %s (cased %v): witness %q is not a scalar text it matches", p, cased, witness)
			}
			return true
		}
		for _, s := range texts {
			if re.MatchString(s) {
				t.Errorf("keyword %s (cased %v) accepted, but it matches %q", p, cased, s)
				break
			}
		}
		return false
	}
	fixed := []struct {
		p         string
		cased     bool
		ambiguous bool
	}{
		{"200", false, true}, {"0", false, true}, {"6", false, true}, {"", false, true}, {"*", false, true},
		{"?", false, true}, {"rue", false, true}, {"FALSE", false, true}, {"FALSE", true, false}, {"nul", false, true},
		{"fal\u017fe", false, true}, {"fal\u017fe", true, false}, {"e-", false, true}, {"E+1", false, true},
		{"1.2.3", false, false}, {"-e", false, false}, {"-d", false, false}, {":179", false, false}, {"0x", false, false},
		{"00", false, true}, {"-0", false, true}, {"1e", false, true}, {".e", false, false}, {"0.e1", false, false},
		{"t?ue", false, true}, {"t*e", false, true}, {"mimikatz", false, false}, {"1*a", false, false}, {"1*e", false, true}, {"e*1", false, true},
	}
	for _, c := range fixed {
		if got := check(ir.ParseSigmaString(c.p), c.cased); got != c.ambiguous {
			t.Errorf("keyword %q (cased %v): ambiguous %v, want %v", c.p, c.cased, got, c.ambiguous)
		}
	}
	rng := rand.New(rand.NewSource(42))
	alphabet := []string{"0", "1", ".", "-", "+", "e", "E", "t", "r", "u", "f", "a", "l", "s", "n", "ſ", "x", "?", "*"}
	rejected := 0
	for i := 0; i < 600; i++ {
		var b strings.Builder
		for j := rng.Intn(4); j >= 0; j-- {
			b.WriteString(alphabet[rng.Intn(len(alphabet))])
		}
		if check(ir.ParseSigmaString(b.String()), rng.Intn(3) == 0) {
			rejected++
		}
	}
	if rejected < 100 || rejected > 500 {
		t.Errorf("weak generator: %d of 600 keywords rejected", rejected)
	}
}

// TestKeywordPCRE checks the keyword regex on values that contain the keyword, in either
// case, and on values that do not, against the glob `*keyword*`.
func TestKeywordPCRE(t *testing.T) {
	g := &treeGen{rng: rand.New(rand.NewSource(7))}
	for i := 0; i < 2000; i++ {
		k := g.keyword()
		pcre := keywordPCRE(k.Pattern, k.Cased)
		re := regexp.MustCompile(goFromPCRE(pcre))
		want := globRegexp(k.Pattern.Wrap(true, true))
		if k.Cased {
			want = regexp.MustCompile(strings.Replace(want.String(), "(?is)", "(?s)", 1))
		}
		for j := 0; j < 10; j++ {
			v := keywordInstance(g.rng, k)
			for _, s := range []string{v, v[:len(v)/2], strings.ToUpper(v), "zz" + v[1:]} {
				if !utf8.ValidString(s) {
					continue
				}
				if got := re.MatchString(s); got != want.MatchString(s) {
					t.Fatalf("%s: regex %q on %q: %v, glob %v", k, pcre, s, got, !got)
				}
			}
		}
	}
}

// TestKeywordStage pins the rendered form of a keyword and of the stage that gathers the
// values, and the warning that states the scope.
func TestKeywordStage(t *testing.T) {
	r := &ir.Rule{Path: "k.yml", Conditions: []ir.Node{&ir.Or{Children: []ir.Node{
		&ir.Keyword{Pattern: ir.LiteralPattern("Evil<<FIELD>>"), Pos: ir.Pos{Line: 4}},
		&ir.Keyword{Pattern: ir.ParseSigmaString("a?c*d"), Cased: true, Pos: ir.Pos{Line: 5}},
	}}}}
	qs, diags := Backend{}.Convert(r)
	if len(qs) != 1 || len(diags) != 1 {
		t.Fatalf("queries %v, diagnostics %v", qs, diags)
	}
	if d := diags[0]; d.Code != diag.KeywordScope || d.Severity != diag.Warning || d.Line != 4 {
		t.Errorf("diagnostic %+v, want one keyword-scope warning at line 4", d)
	}
	want := `* | eval _sb_kw_values="0" | foreach * [eval _sb_kw_values=if(isnull('<<FIELD>>') OR match("<<FIELD>>", ` +
		`"\\A(?:host|index|linecount|punct|source|sourcetype|splunk_server|splunk_server_group|timestamp|timestartpos|timeendpos|eventtype|tag|tag::.*|date_(?:hour|mday|minute|month|second|wday|year|zone))\\z"), ` +
		`_sb_kw_values, mvappend(_sb_kw_values, '<<FIELD>>'))] | where isnotnull(mvfind('_sb_kw_values', "(?i)Evil<<FIELD>>")) OR ` +
		`isnotnull(mvfind('_sb_kw_values', "a(?s:.)c(?s:.)*d"))`
	if qs[0].Text != want {
		t.Errorf("\n got %s\nwant %s", qs[0].Text, want)
	}
	// The OR has no prefilter: the second keyword has no run of three verbatim characters.
	// A keyword AND a search leaf: both in the search, the keyword's superset included.
	got := convertOne(t, &ir.And{Children: []ir.Node{match("Image", `*\cmd.exe`), &ir.Keyword{Pattern: ir.LiteralPattern("%2BdeadBEEF-xyz")}}})
	want = `Image="*\\cmd.exe" AND *adBEEF* AND *xyz* | eval`
	if !strings.HasPrefix(got, want) || !strings.HasSuffix(got, `| where isnotnull(mvfind('_sb_kw_values', "(?i)%2BdeadBEEF-xyz"))`) {
		t.Errorf("keyword with a search leaf:\n got %s\nwant %s ...", got, want)
	}
}

// TestSplunkDefaultFields pins which field names the gathering skips: Splunk's default
// fields exactly, not names that merely contain one.
func TestSplunkDefaultFields(t *testing.T) {
	re := regexp.MustCompile(splunkDefaultFields)
	for _, f := range []string{"host", "index", "linecount", "punct", "source", "sourcetype", "splunk_server", "splunk_server_group",
		"timestamp", "timestartpos", "timeendpos", "eventtype", "tag", "tag::eventtype", "tag::host", "date_hour", "date_mday",
		"date_minute", "date_month", "date_second", "date_wday", "date_year", "date_zone"} {
		if !re.MatchString(f) {
			t.Errorf("default field %q is gathered", f)
		}
	}
	for _, f := range []string{"hostname", "Host", "a.host", "source_ip", "eventSource", "tags", "tag:x", "date", "date_created",
		"CommandLine", "requestParameters.functionName", "a{}", "a{}.b", "x-ms-mail-application", "index.html", "host\n"} {
		if re.MatchString(f) {
			t.Errorf("event field %q is skipped", f)
		}
	}
}

// TestKeywordSuperset checks the prefilter on its own: every term is a bare `*run*` of
// ASCII letters and digits, and an event whose value contains the keyword passes it
// whatever the encoder and the characters around the keyword.
func TestKeywordSuperset(t *testing.T) {
	g := &treeGen{rng: rand.New(rand.NewSource(11))}
	withTerms := 0
	for i := 0; i < 3000; i++ {
		k := g.keyword()
		s, ok := keywordSuperset(k)
		if !ok {
			continue
		}
		withTerms++
		tree, err := parseBothWays(s.Text)
		if err != nil {
			t.Fatalf("%s: superset %q: %v", k, s.Text, err)
		}
		for _, leaf := range leaves(tree) {
			if !searchTerm.MatchString(leaf) {
				t.Fatalf("%s: prefilter term %q", k, leaf)
			}
		}
		if tree.op == "or" || tree.op == "not" {
			t.Fatalf("%s: prefilter %q is not a conjunction", k, s.Text)
		}
		prog, errs := evaluator.Compile([]*ir.Rule{{ID: "k", Conditions: []ir.Node{k}}})
		if len(errs) > 0 {
			t.Fatal(errs)
		}
		for j := 0; j < 10; j++ {
			ev := map[string]any{"v": keywordInstance(g.rng, k)}
			line, _ := json.Marshal(ev)
			ms, err := prog.MatchJSON(line)
			if err != nil {
				t.Fatal(err)
			}
			if len(ms) == 0 {
				continue
			}
			for _, raw := range rawEncodings(string(line)) {
				if !evalSPL(t, tree, splEvent{"_raw": {raw}}, searchLeafTrue) {
					t.Fatalf("%s: prefilter %s rejects _raw %s, whose value contains the keyword", k, s.Text, raw)
				}
			}
		}
	}
	if withTerms < 300 {
		t.Errorf("weak generator: %d keywords with a prefilter", withTerms)
	}
	// Runs whose leading hex digits a URL-encoded breaker swallows, up to the longest.
	for _, c := range []struct{ keyword, value string }{
		{"2520abcdef", "x%2520abcdef"}, {"2526ABCxyz", "%2526abcxyz"}, {"2bxyz", "a%2Bxyz"}, {"3Dcmd.exe", "q=%3Dcmd.exe"}, {"0aBeef", "%0abeef"},
	} {
		k := &ir.Keyword{Pattern: ir.LiteralPattern(c.keyword)}
		s, ok := keywordSuperset(k)
		if !ok {
			continue
		}
		tree, err := parseBothWays(s.Text)
		if err != nil {
			t.Fatal(err)
		}
		line, _ := json.Marshal(map[string]any{"v": c.value})
		if !evalSPL(t, tree, splEvent{"_raw": {string(line)}}, searchLeafTrue) {
			t.Errorf("keyword %q: prefilter %s rejects %s", c.keyword, s.Text, line)
		}
	}
}

// TestKeywordScopeIsDocumented pins the documented limits of keyword scope on the
// interpreted SPL: a value under a top-level key starting with `_` or named like a
// Splunk default field is not searched, while the same names deeper in the event are.
func TestKeywordScopeIsDocumented(t *testing.T) {
	q := convertOne(t, &ir.Keyword{Pattern: ir.LiteralPattern("evilthing")})
	cases := []struct {
		event string
		want  bool
	}{
		{`{"a":"an evilthing here"}`, true},
		{`{"a":{"host":"EVILTHING"}}`, true},
		{`{"a":[{"b":["x","evilthing"]}]}`, true},
		{`{"hostname":"evilthing"}`, true},
		{`{"_a":"evilthing"}`, false},
		{`{"host":"evilthing"}`, false},
		{`{"sourcetype":"evilthing"}`, false},
		{`{"a":"evil thing"}`, false},
	}
	for _, c := range cases {
		var ev map[string]any
		if err := json.Unmarshal([]byte(c.event), &ev); err != nil {
			t.Fatal(err)
		}
		if got := runSPL(t, q, splunkView(ev, c.event)); got != c.want {
			t.Errorf("%s: %v, want %v", c.event, got, c.want)
		}
	}
}

// TestHostileKeywords renders hostile values as keywords and runs the query on events that
// do and do not contain them: the query keeps its stage structure (no command escapes a
// string, no raw backtick or control character) and agrees with the evaluator.
func TestHostileKeywords(t *testing.T) {
	values := append([]string{"<<FIELD>>", "'<<FIELD>>'", `"<<FIELD>>"`, "] | delete [", "[eval x=1]", "<<MATCHSTR>>", "_sb_kw_values"}, hostileValues...)
	for _, v := range values {
		for _, cased := range []bool{false, true} {
			k := &ir.Keyword{Pattern: ir.LiteralPattern(v), Cased: cased}
			qs, diags := Backend{}.Convert(&ir.Rule{Conditions: []ir.Node{k}})
			if diags.HasErrors() {
				if _, ambiguous := scalarTextWitness(k.Pattern, cased); !ambiguous || diags[0].Code != diag.UnsupportedKeyword {
					t.Errorf("%q: %v", v, diags)
				}
				continue
			}
			q := qs[0].Text
			for _, r := range q {
				if r == '`' || r < ' ' || r == 0x7f {
					t.Fatalf("%s -> %s: raw %q in the query", k, q, r)
				}
			}
			stages, err := splitPipes(q)
			if err != nil || len(stages) != 4 || !strings.HasPrefix(stages[1], "eval ") || !strings.HasPrefix(stages[2], "foreach ") || !strings.HasPrefix(stages[3], "where ") {
				t.Fatalf("%s -> %s: stages %q (%v)", k, q, stages, err)
			}
			prog, errs := evaluator.Compile([]*ir.Rule{{ID: "k", Conditions: []ir.Node{k}}})
			if len(errs) > 0 {
				t.Fatal(errs)
			}
			var events []map[string]any
			_, first := utf8.DecodeRuneInString(v)
			for _, s := range []string{"pre" + v + "post", swapASCIICase(v), v[first:], "other"} {
				events = append(events, map[string]any{"CommandLine": s}, map[string]any{"x": map[string]any{"y": []any{1, s}}})
			}
			for _, ev := range events {
				line, _ := json.Marshal(ev)
				ms, err := prog.MatchJSON(line)
				if err != nil {
					t.Fatal(err)
				}
				for _, raw := range rawEncodings(string(line)) {
					if got := runSPL(t, q, splunkView(ev, raw)); got != (len(ms) > 0) {
						t.Errorf("%s -> %s\n event %s: SPL %v, evaluator %v", k, q, line, got, len(ms) > 0)
					}
				}
			}
		}
	}
}
