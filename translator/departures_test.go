package translator

import (
	"strings"
	"testing"

	sigma "github.com/bradleyjkemp/sigma-go"

	"github.com/sigmabridge/sigmabridge/translator/ir"
)

// Each test here pins one place where sigmabridge deliberately departs from sigma-go
// v0.6.6 (docs/peers.md, sigma-go parser). The sigma-go half of each test asserts sigma-go's own
// behaviour, so an upgrade that changes it is noticed and this list is revisited.

const ruleHead = "title: t\nid: 0b0f8f43-6b43-4c2a-9f57-6f6a7c1d3b10\nlogsource: {product: test}\n"

func lowerOne(t *testing.T, body string) string {
	t.Helper()
	rules, diags := LoadBytes("t.yml", []byte(ruleHead+body))
	if diags.HasErrors() {
		t.Fatalf("unexpected diagnostics:\n%v", diags.Err())
	}
	if len(rules) != 1 {
		t.Fatalf("got %d rules, want 1", len(rules))
	}
	var parts []string
	for _, c := range rules[0].Conditions {
		parts = append(parts, c.String())
	}
	return strings.Join(parts, "\n")
}

func sigmaGoParses(body string) error {
	_, err := sigma.ParseRule([]byte(ruleHead + body))
	return err
}

func TestDepartureAnyOf(t *testing.T) {
	body := "detection:\n  sel_a: {a: 1}\n  sel_b: {b: 2}\n  condition: any of sel_*\n"
	if err := sigmaGoParses(body); err == nil {
		t.Fatal("sigma-go now parses `any of`; revisit this departure")
	}
	if got, want := lowerOne(t, body), `or(num(a, "1"), num(b, "2"))`; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
}

func TestDepartureDashAndDigitIdentifiers(t *testing.T) {
	body := "detection:\n  sel-1: {a: 1}\n  sel1x: {b: 2}\n  condition: sel-1 and 1 of sel1*\n"
	if err := sigmaGoParses(body); err == nil {
		t.Fatal("sigma-go now parses `-` identifiers and digit-before-* patterns; revisit")
	}
	if got, want := lowerOne(t, body), `and(num(a, "1"), num(b, "2"))`; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
}

func TestDepartureUppercaseOperators(t *testing.T) {
	body := "detection:\n  a: {x: 1}\n  b: {y: 2}\n  condition: a AND NOT b\n"
	if err := sigmaGoParses(body); err == nil {
		t.Fatal("sigma-go now accepts upper-case operators; revisit")
	}
	if got, want := lowerOne(t, body), `and(num(x, "1"), not(num(y, "2")))`; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
}

func TestDepartureThemSkipsUnderscore(t *testing.T) {
	// sigma-go includes `_`-prefixed searches in `them`; the spec excludes them.
	body := "detection:\n  a: {x: 1}\n  _b: {y: 2}\n  condition: all of them\n"
	if got, want := lowerOne(t, body), `num(x, "1")`; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
}

func TestDepartureMultiDocument(t *testing.T) {
	src := ruleHead + "detection:\n  a: {x: 1}\n  condition: a\n---\n" + ruleHead + "detection:\n  b: {y: 2}\n  condition: b\n"
	rules, diags := LoadBytes("m.yml", []byte(src))
	if diags.HasErrors() || len(rules) != 2 {
		t.Fatalf("got %d rules, %v; want 2 rules", len(rules), diags.Err())
	}
	if rules[1].Line != 8 || rules[1].Doc != 1 {
		t.Errorf("second rule at line %d doc %d, want line 8 doc 1", rules[1].Line, rules[1].Doc)
	}
}

func TestDepartureCorrelationAndFilterRecognised(t *testing.T) {
	// sigma-go parses both as empty rules with no error.
	corr := "title: c\ncorrelation:\n  type: event_count\n  rules: [a]\n  timespan: 5m\n  condition: {gte: 3}\n"
	if r, err := sigma.ParseRule([]byte(corr)); err != nil || len(r.Detection.Searches) != 0 {
		t.Fatalf("sigma-go behaviour changed: %v %v", r.Detection.Searches, err)
	}
	set, diags := LoadSetBytes("c.yml", []byte(corr))
	if len(diags) != 0 || len(set.Correlations) != 1 || set.Correlations[0].Type != "event_count" {
		t.Errorf("got %v %v, want one event_count correlation", set.Correlations, diags)
	}
	filter := "title: f\nlogsource: {product: test}\nfilter:\n  rules: [a]\n  selection: {x: 1}\n  condition: not selection\n"
	set, diags = LoadSetBytes("f.yml", []byte(filter))
	if len(diags) != 0 || len(set.Filters) != 1 || set.Filters[0].Condition.String() == "" {
		t.Errorf("got %v %v, want one filter", set.Filters, diags)
	}
}

func TestDepartureNullValue(t *testing.T) {
	// sigma-go's evaluator errors on null; the loader lowers it to a Null node.
	body := "detection:\n  a: {x: null}\n  condition: a\n"
	if got, want := lowerOne(t, body), `null(x)`; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
}

func TestDeparturePlaceholderOnlyWithExpand(t *testing.T) {
	// sigma-go expands any %x% value; the spec makes it literal unless |expand is given.
	body := "detection:\n  a: {x: '%COMSPEC%'}\n  b: {y|expand: '%COMSPEC%'}\n  condition: a and b\n"
	got := lowerOne(t, body)
	if want := `and(match(x, "\\%COMSPEC\\%"), match(y, "%COMSPEC%"))`; got != want {
		t.Fatalf("got %s, want %s", got, want)
	}
	rules, _ := LoadBytes("p.yml", []byte(ruleHead+body))
	and := rules[0].Conditions[0].(*ir.And)
	lit := and.Children[0].(*ir.Match).Pattern
	ph := and.Children[1].(*ir.Match).Pattern
	if len(lit.Placeholders()) != 0 || lit.Literal() != "%COMSPEC%" {
		t.Errorf("value without expand became %#v", lit)
	}
	if names := ph.Placeholders(); len(names) != 1 || names[0] != "COMSPEC" {
		t.Errorf("value with expand became %#v", ph)
	}
	// A placeholder name is a word (letters, digits, `_`), as in pySigma: `%foo-bar%` stays
	// literal under expand. A pipeline's add_condition lowers items with this loader, so it
	// agrees (pipeline/unified_test.go); it once read `%foo-bar%` as a placeholder.
	body = "detection:\n  a: {x|expand: '%foo-bar%'}\n  condition: a\n"
	if got, want := lowerOne(t, body), `match(x, "\\%foo-bar\\%")`; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
}

func TestDepartureTimeframeIgnored(t *testing.T) {
	// sigma-go fails to decode `timeframe` inside detection (docs/peers.md, sigma-go parser).
	body := "detection:\n  a: {x: 1}\n  timeframe: 5m\n  condition: a\n"
	if err := sigmaGoParses(body); err == nil {
		t.Fatal("sigma-go now decodes timeframe; revisit")
	}
	if got := lowerOne(t, body); got != `num(x, "1")` {
		t.Errorf("got %s", got)
	}
}

func TestDepartureDateValueKeepsText(t *testing.T) {
	// yaml decodes an unquoted 2024-01-02 to time.Time; the rule value is its text.
	body := "detection:\n  a: {d: 2024-01-02}\n  condition: a\n"
	if got, want := lowerOne(t, body), `match(d, "2024-01-02")`; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
}
