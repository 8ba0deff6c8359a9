package estest

import (
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/sigmabridge/sigmabridge/backends"
	"github.com/sigmabridge/sigmabridge/translator/diag"
	"github.com/sigmabridge/sigmabridge/translator/ir"
)

// The checks below are the ones every Elasticsearch target runs on its own output; each
// target supplies how it renders and reads back a query.

// LeafCheck renders one leaf, parses the query back, and checks that it reads field and
// matches what the evaluator matches on every probe (a value of field).
type LeafCheck func(t *testing.T, n ir.Node, field string, probes []string)

// CheckHostileLeaves runs check on matches built around every hostile value (exact,
// contains, startswith, endswith, with wildcards; case-insensitive and cased) and on a
// contains match on every hostile field name.
func CheckHostileLeaves(t *testing.T, check LeafCheck) {
	for _, v := range HostileValues {
		for _, p := range Patterns(v) {
			for _, cased := range []bool{false, true} {
				check(t, &ir.Match{Field: "CommandLine", Pattern: p, Cased: cased}, "CommandLine", Probes(v))
			}
		}
	}
	for _, f := range HostileFields {
		check(t, &ir.Match{Field: f, Pattern: ir.LiteralPattern("Power App").Wrap(true, true)}, f, Probes("Power App"))
	}
}

// RegexAndCIDRLeaves are regular expressions (escapes, anchors, the i flag, word
// boundaries) and CIDR blocks (one whose expression must be split to fit Elasticsearch's
// length limit) on field f.
var RegexAndCIDRLeaves = []ir.Node{
	&ir.Regex{Field: "f", Pattern: `a/b"c`},
	&ir.Regex{Field: "f", Pattern: `^\d+$`},
	&ir.Regex{Field: "f", Pattern: `k`, Flags: ir.RegexFlags{I: true}},
	&ir.Regex{Field: "f", Pattern: `\\cmd\.exe$`, Flags: ir.RegexFlags{I: true}},
	&ir.Regex{Field: "f", Pattern: `https?://(?:(?:25[0-5]|(?:2[0-4]|1\d|[1-9])?\d)(?:\.|\b)){4}`},
	&ir.Regex{Field: "f", Pattern: `\bword\b`, Flags: ir.RegexFlags{I: true}},
	&ir.Regex{Field: "f", Pattern: `(?:ab|c.)+\bd`},
	&ir.CIDR{Field: "f", Prefix: netip.MustParsePrefix("10.0.0.0/8")},
	&ir.CIDR{Field: "f", Prefix: netip.MustParsePrefix("fc00::/7")},
	&ir.CIDR{Field: "f", Prefix: netip.MustParsePrefix("2001:db8::/32")},
}

// RegexProbes are the values RegexAndCIDRLeaves are checked on.
var RegexProbes = []string{"a/b\"c", "xa/b\"cx", "123", "12a", "k", "K", "\u212a", "CMD.EXE", `\cmd.exe`, `\CMD.ExE`, "x",
	"10.1.2.3", "11.0.0.1", "::ffff:10.0.0.1", "::FFFF:a00:1", "0:0:0:0:0:ffff:10.0.0.1", "fc00::1", "fe00::1", "FD12:3456::1%eth0",
	"2001:db8::1", "2001:0DB8:0:0::1", "2001:db9::1", "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff", "", "http://1.2.3.4", "http://1.2.3.4a",
	"http://1.2.3.45", "x https://10.0.0.1/", "http://1.2.3.", "http://1.2.3.4\u212a", "word", "a Word.", "swords", "WORD_", "ab d",
	"abd", "c.d", "c.ab.d"}

// CheckRegexAndCIDRLeaves runs check on every leaf of RegexAndCIDRLeaves the target can
// express (skip lists the ones it refuses, checked by CheckFailures instead).
func CheckRegexAndCIDRLeaves(t *testing.T, check LeafCheck, skip ...ir.Node) {
	for _, n := range RegexAndCIDRLeaves {
		if !slices.Contains(skip, n) {
			check(t, n, "f", RegexProbes)
		}
	}
}

// Convert is a target's Backend.Convert.
type Convert func(*ir.Rule) ([]backends.Query, diag.List)

// Failure is a leaf a target must refuse, with the diagnostic code.
type Failure struct {
	Node ir.Node
	Code diag.Code
}

// CheckFailures converts each failing leaf OR-ed with a presence test, under state, and
// checks that exactly one error comes back, with the failure's code.
func CheckFailures(t *testing.T, convert Convert, state map[string]any, cases []Failure) {
	t.Helper()
	for _, tt := range cases {
		if _, ds := ConvertOne(t, convert, &ir.Or{Children: []ir.Node{tt.Node, &ir.Exists{Field: "x"}}}, state); len(ds.Errors()) != 1 || ds.Errors()[0].Code != tt.Code {
			t.Errorf("%s: diagnostics %v, want one %s", tt.Node, ds, tt.Code)
		}
	}
}

// Conversion is a leaf a target expresses, with a text its query must contain.
type Conversion struct {
	Node ir.Node
	Want string
}

// CheckConversions converts each leaf under state and checks that the query contains the
// wanted text.
func CheckConversions(t *testing.T, convert Convert, state map[string]any, cases []Conversion) {
	t.Helper()
	for _, tt := range cases {
		if q, ds := ConvertOne(t, convert, tt.Node, state); ds.HasErrors() || !strings.Contains(q, tt.Want) {
			t.Errorf("%s: got %q %v, want a query containing %s", tt.Node, q, ds, tt.Want)
		}
	}
}

// Deploy decodes a pipeline state map into a Deployment, as set_state does.
func Deploy(tb testing.TB, state map[string]any) ir.Deployment {
	tb.Helper()
	var d ir.Deployment
	for k, v := range state {
		if err := d.Set(k, v); err != nil {
			tb.Fatal(err)
		}
	}
	return d
}

// FlattenedState declares requestParameters a flattened object.
var FlattenedState = map[string]any{"flattened_fields": []any{"requestParameters"}}

// FlattenedExact are leaves on a keyed flattened sub-field that every target but EQL
// expresses: exact and prefix matches of values without letters or cased, `*`, presence,
// numbers and booleans.
var FlattenedExact = []ir.Node{
	&ir.Match{Field: "requestParameters.principal", Pattern: ir.LiteralPattern("*")},
	&ir.Match{Field: "requestParameters.principal", Pattern: ir.LiteralPattern("123-456")},
	&ir.Match{Field: "requestParameters.role", Pattern: ir.LiteralPattern("arn:aws:iam::1:role/Admin"), Cased: true},
	&ir.Match{Field: "requestParameters.role", Pattern: ir.LiteralPattern("arn:aws:iam::1").Wrap(false, true), Cased: true},
	&ir.Match{Field: "requestParameters.role", Pattern: ir.Pattern{{Kind: ir.AnyString}}},
	&ir.Match{Field: "requestParameters.memorySize", Pattern: ir.LiteralPattern("10240"), Kind: ir.Number},
	&ir.Exists{Field: "requestParameters.sourceArn"},
	&ir.Null{Field: "requestParameters.sourceArn"},
	&ir.Exists{Field: "requestParameters"},
}

// FlattenedRefused are leaves on a flattened object that no target expresses.
var FlattenedRefused = []ir.Node{
	&ir.Match{Field: "requestParameters.role", Pattern: ir.LiteralPattern("Admin").Wrap(true, true)},
	&ir.Match{Field: "requestParameters.role", Pattern: ir.LiteralPattern("/admin").Wrap(true, false), Cased: true},
	&ir.Match{Field: "requestParameters.role", Pattern: ir.Pattern{{Kind: ir.Lit, Text: "a"}, {Kind: ir.AnyChar}, {Kind: ir.Lit, Text: "c"}}},
	&ir.Match{Field: "requestParameters", Pattern: ir.LiteralPattern("x")},
	&ir.Regex{Field: "requestParameters.role", Pattern: "^arn"},
	&ir.CIDR{Field: "requestParameters.ip", Prefix: netip.MustParsePrefix("10.0.0.0/8")},
	&ir.Compare{Field: "requestParameters.memorySize", Op: ir.GTE, Value: ir.Num{Text: "10240", Value: 10240}},
	&ir.FieldRef{Field: "requestParameters.a", Ref: "b", Cased: true},
}

// FlattenedCaseInsensitive are case-insensitive matches of values with letters on a keyed
// sub-field: the Query DSL's case_insensitive term and prefix fold the first exactly, no
// query_string form exists for either, and no folding of Elasticsearch's is exact for the
// second (its i and s).
var FlattenedCaseInsensitive = []ir.Node{
	&ir.Match{Field: "requestParameters.action", Pattern: ir.LiteralPattern("lambda:Update").Wrap(false, true)},
	&ir.Match{Field: "requestParameters.action", Pattern: ir.LiteralPattern("lambda:InvokeFunction")},
}

// Failures returns a Failure with code for each node.
func Failures(code diag.Code, nodes ...ir.Node) []Failure {
	out := make([]Failure, len(nodes))
	for i, n := range nodes {
		out[i] = Failure{Node: n, Code: code}
	}
	return out
}

// CheckCorpusParses converts the SigmaHQ corpus (skipped without SIGMABRIDGE_CORPUS) and
// reads every query back with read, which parses it and runs its leaves (compiling every
// regular expression).
func CheckCorpusParses(t *testing.T, convert Convert, read func(t *testing.T, q string) error) {
	n := 0
	for _, r := range CorpusRules(t) {
		qs, ds := convert(r)
		if ds.HasErrors() {
			continue
		}
		for _, q := range qs {
			if err := read(t, q.Text); err != nil {
				t.Errorf("%s: %v", r.Path, err)
				continue
			}
			n++
		}
	}
	t.Logf("%d corpus queries read back", n)
}

// IPFieldsState declares two ip fields, source.ip and client.ip.
var IPFieldsState = map[string]any{"ip_fields": []any{"source.ip", "client.ip"}}

// IPFieldFailures are leaves on the ip fields of IPFieldsState that compare spellings or
// reach into the IPv4-mapped block, which no target expresses exactly.
var IPFieldFailures = []Failure{
	{Node: &ir.CIDR{Field: "source.ip", Prefix: netip.MustParsePrefix("::/0")}, Code: diag.UnsupportedCIDR},
	{Node: &ir.Match{Field: "source.ip", Pattern: ir.LiteralPattern("10.1.2.3")}, Code: diag.UnsupportedValue},
	{Node: &ir.Regex{Field: "source.ip", Pattern: "^10"}, Code: diag.UnsupportedRegex},
	{Node: &ir.FieldRef{Field: "source.ip", Ref: "client.ip", Cased: true}, Code: diag.UnsupportedFieldRef},
}

// CheckParsedLeaves checks the leaves of a parsed random tree against the IR leaves it was
// rendered from, in order: each reads the same field, and each Match matches what the
// evaluator matches on its probes. term reads a parsed leaf's text.
func CheckParsedLeaves(t *testing.T, shown string, parsed *Tree, leaves []ir.Node, term func(text string) (field string, match func(string) bool)) {
	t.Helper()
	for j, l := range parsed.Leaves() {
		field, match := term(l.Text)
		if field != ir.Field(leaves[j]) {
			t.Fatalf("%s: leaf %d is on %q, want %q", shown, j, field, ir.Field(leaves[j]))
		}
		if m, ok := leaves[j].(*ir.Match); ok {
			oracle := Oracle(t, m, m.Field)
			for _, v := range Probes(m.Pattern.Literal()) {
				if match(v) != oracle(v) {
					t.Fatalf("%s: leaf %d (%s) on %q disagrees with Sigma", shown, j, m, v)
				}
			}
		}
	}
}

// ConvertOne converts a rule whose one condition is n, under state, and returns the text of
// its query, or the diagnostics when it fails.
func ConvertOne(t testing.TB, convert Convert, n ir.Node, state map[string]any) (string, diag.List) {
	t.Helper()
	qs, ds := convert(&ir.Rule{Path: "test.yml", ID: "t", Deployment: Deploy(t, state), Conditions: []ir.Node{n}})
	if ds.HasErrors() {
		return "", ds
	}
	if len(qs) != 1 {
		t.Fatalf("%s: queries %v", n, qs)
	}
	return qs[0].Text, ds
}
