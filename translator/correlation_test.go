package translator

import (
	"strings"
	"testing"
	"time"

	"github.com/sigmabridge/sigmabridge/translator/diag"
	"github.com/sigmabridge/sigmabridge/translator/ir"
	"github.com/sigmabridge/sigmabridge/translator/sigma"
)

const baseRules = `title: create
id: 11111111-1111-4111-8111-111111111111
name: r_create
logsource: {product: aws, service: cloudtrail}
detection:
  sel: {eventName: CreateFunction}
  condition: sel
---
title: delete
id: 22222222-2222-4222-8222-222222222222
name: r_delete
logsource: {product: aws, service: cloudtrail}
detection:
  sel: {eventName: DeleteFunction}
  condition: sel
`

// loadSet lowers several files and resolves them as one set.
func loadSet(t *testing.T, files ...string) (*ir.RuleSet, diag.List) {
	t.Helper()
	set := &ir.RuleSet{}
	var diags diag.List
	for i, f := range files {
		s, ds := LoadSetBytes("f"+string(rune('0'+i))+".yml", []byte(f))
		set.Rules = append(set.Rules, s.Rules...)
		set.Correlations = append(set.Correlations, s.Correlations...)
		set.Filters = append(set.Filters, s.Filters...)
		diags = append(diags, ds...)
	}
	diags = append(diags, Resolve(set)...)
	return set, diags
}

func TestCorrelationAllTypes(t *testing.T) {
	cases := []struct {
		body  string
		check func(c *ir.Correlation) bool
	}{
		{"type: event_count\n  rules: [r_create]\n  group-by: [userIdentity.arn]\n  timespan: 10m\n  condition: {gte: 3}",
			func(c *ir.Correlation) bool {
				return c.Timespan == 10*time.Minute && c.Condition.Holds(3) && !c.Condition.Holds(2) && c.GroupBy[0] == "userIdentity.arn"
			}},
		{"type: value_count\n  rules: r_create\n  timespan: 1h\n  condition: {field: actor.email, gte: 5}",
			func(c *ir.Correlation) bool { return c.Field == "actor.email" && c.Timespan == time.Hour }},
		{"type: temporal\n  rules: [r_create, 22222222-2222-4222-8222-222222222222]\n  timespan: 30s",
			func(c *ir.Correlation) bool {
				return c.Refs[1].Rule == 1 && c.Condition.Holds(2) && !c.Condition.Holds(1) && c.Timespan == 30*time.Second
			}},
		{"type: temporal_ordered\n  rules: [r_create, r_delete]\n  group-by: [fn]\n  aliases:\n    fn: {r_create: responseElements.functionName, r_delete: requestParameters.functionName}\n  timespan: 1d",
			func(c *ir.Correlation) bool {
				return c.FieldFor(0, "fn") == "responseElements.functionName" && c.FieldFor(1, "fn") == "requestParameters.functionName" && c.Timespan == 24*time.Hour
			}},
		{"type: value_sum\n  rules: [r_create]\n  timespan: 5m\n  condition: {field: bytes, gt: 100, lte: 1000}",
			func(c *ir.Correlation) bool {
				return !c.Condition.Holds(100) && c.Condition.Holds(1000) && !c.Condition.Holds(1000.5)
			}},
		{"type: value_avg\n  rules: [r_create]\n  timespan: 5m\n  condition: {field: ms, lt: 7}",
			func(c *ir.Correlation) bool { return c.Condition.Holds(6.9) && !c.Condition.Holds(7) }},
		{"type: value_percentile\n  rules: [r_create]\n  timespan: 5m\n  percentile: 95\n  condition: {field: ms, eq: 7}",
			func(c *ir.Correlation) bool {
				return c.Percentile == 95 && c.Condition.Holds(7) && !c.Condition.Holds(8)
			}},
	}
	for _, tc := range cases {
		corr := "title: c\nname: c1\ncorrelation:\n  " + tc.body + "\n"
		set, diags := loadSet(t, baseRules, corr)
		if len(diags) != 0 || len(set.Correlations) != 1 {
			t.Errorf("%s: %v", tc.body, diags)
			continue
		}
		if c := set.Correlations[0]; !tc.check(c) || c.Refs[0].Rule != 0 {
			t.Errorf("%s: lowered to %+v", tc.body, c)
		}
	}
}

func TestCorrelationChainedAndMultiDocument(t *testing.T) {
	file := `title: inner
name: inner
correlation:
  type: temporal_ordered
  rules: [r_create, r_delete]
  group-by: [recipientAccountId]
  timespan: 10m
---
title: outer
correlation:
  type: event_count
  rules: [inner]
  group-by: [recipientAccountId]
  timespan: 1h
  condition: {gte: 2}
`
	set, diags := loadSet(t, file, baseRules) // the rules are in a later file
	if len(diags) != 0 || len(set.Correlations) != 2 {
		t.Fatalf("%v", diags)
	}
	if r := set.Correlations[1].Refs[0]; r.Correlation != 0 || r.Rule != -1 {
		t.Errorf("outer ref = %+v, want correlation 0", r)
	}
	if base := set.Base(); !base[0] || !base[1] {
		t.Errorf("generate defaults to false: base = %v", base)
	}
}

func TestCorrelationDiagnostics(t *testing.T) {
	cases := []struct {
		body string
		code diag.Code
		line int
	}{
		{"type: event_cnt\n  rules: [r_create]\n  timespan: 5m\n  condition: {gte: 1}", diag.CorrelationType, 4},
		{"type: event_count\n  rules: [r_create]\n  timespan: 5 minutes\n  condition: {gte: 1}", diag.CorrelationTimespan, 6},
		{"type: event_count\n  rules: [r_create]\n  timespan: 0s\n  condition: {gte: 1}", diag.CorrelationTimespan, 6},
		{"type: event_count\n  rules: [r_create]\n  timespan: 5m", diag.CorrelationCondition, 4},
		{"type: event_count\n  rules: [r_create]\n  timespan: 5m\n  condition: {gte: 5, lt: 5}", diag.CorrelationCondition, 7},
		{"type: event_count\n  rules: [r_create]\n  timespan: 5m\n  condition: {neq: 5}", diag.CorrelationCondition, 7},
		{"type: event_count\n  rules: [r_create]\n  timespan: 5m\n  condition: {gte: many}", diag.CorrelationCondition, 7},
		{"type: value_count\n  rules: [r_create]\n  timespan: 5m\n  condition: {gte: 5}", diag.CorrelationField, 7},
		{"type: event_count\n  rules: [r_create]\n  timespan: 5m\n  condition: {field: x, gte: 5}", diag.CorrelationField, 7},
		{"type: temporal\n  rules: [r_create]\n  timespan: 5m", diag.CorrelationReference, 5},
		{"type: temporal\n  rules: [r_create, r_create]\n  timespan: 5m", diag.CorrelationReference, 5},
		{"type: temporal\n  rules: [r_create, r_delete]\n  group-by: [fn]\n  aliases:\n    fn: {r_create: a}\n  timespan: 5m", diag.CorrelationField, 8},
		{"type: temporal\n  rules: [r_create, r_delete]\n  timespan: 5m\n  generate: maybe", diag.CorrelationStructure, 7},
		{"type: temporal\n  rules: [r_create, r_delete]\n  timespan: 5m\n  windo: 5", diag.CorrelationStructure, 7},
		{"type: temporal\n  timespan: 5m", diag.CorrelationStructure, 4},
		{"type: temporal\n  rules: [r_create, nosuch]\n  timespan: 5m", diag.CorrelationReference, 1},
	}
	for _, tc := range cases {
		corr := "title: c\nname: c1\ncorrelation:\n  " + tc.body + "\n"
		set, diags := loadSet(t, baseRules, corr)
		found := false
		for _, d := range diags {
			if d.Code == tc.code && d.Line == tc.line && d.Path == "f1.yml" && strings.Contains(d.Message, `correlation "c"`) {
				found = true
			}
		}
		if !found || len(set.Correlations) != 0 {
			t.Errorf("%q: got %v (kept %d), want %s at f1.yml:%d", tc.body, diags, len(set.Correlations), tc.code, tc.line)
		}
	}
}

func TestCorrelationCycle(t *testing.T) {
	file := "title: a\nname: ca\ncorrelation: {type: event_count, rules: [cb], timespan: 5m, condition: {gte: 1}}\n---\n" +
		"title: b\nname: cb\ncorrelation: {type: event_count, rules: [ca], timespan: 5m, condition: {gte: 1}}\n---\n" +
		"title: c\nname: cc\ncorrelation: {type: event_count, rules: [cb], timespan: 5m, condition: {gte: 1}}\n"
	set, diags := loadSet(t, file)
	if len(set.Correlations) != 0 {
		t.Errorf("kept %d correlations of a cycle", len(set.Correlations))
	}
	n := 0
	for _, d := range diags {
		if d.Code == diag.CorrelationReference {
			n++
		}
	}
	if n != 3 {
		t.Errorf("want 3 correlation-reference diagnostics, got %v", diags)
	}
}

func TestFilterApplied(t *testing.T) {
	filter := `title: exclude ci
logsource: {product: aws, service: cloudtrail}
filter:
  rules: [r_create, 22222222-2222-4222-8222-222222222222]
  sel: {userAgent|contains: terraform}
  condition: sel
`
	set, diags := loadSet(t, baseRules, filter)
	if len(diags) != 0 {
		t.Fatal(diags)
	}
	for _, r := range set.Rules {
		if got := r.Conditions[0].String(); !strings.Contains(got, "not(") || !strings.Contains(got, "terraform") {
			t.Errorf("%s: condition %s is not filtered", r.Title, got)
		}
	}
	_, diags = loadSet(t, baseRules, strings.Replace(filter, "r_create", "nosuch", 1))
	if len(diags) != 1 || diags[0].Code != diag.FilterReference || diags[0].Path != "f1.yml" {
		t.Errorf("got %v, want one filter-reference", diags)
	}
	_, diags = loadSet(t, strings.Replace(filter, "  rules: [r_create, 22222222-2222-4222-8222-222222222222]\n", "", 1))
	if len(diags) != 1 || diags[0].Code != diag.FilterReference {
		t.Errorf("got %v, want one filter-reference for no rules", diags)
	}
}

func TestParseTimespan(t *testing.T) {
	good := map[string]time.Duration{"30s": 30 * time.Second, "5m": 5 * time.Minute, "1h": time.Hour, "1d": 24 * time.Hour, "2w": 14 * 24 * time.Hour}
	for s, want := range good {
		if got, err := ParseTimespan(s); err != nil || got != want {
			t.Errorf("%s: %v %v", s, got, err)
		}
	}
	for _, s := range []string{"", "5", "m", "-5m", "5M", "1.5h", "32d", "99999999999999999999s", "5 m"} {
		if _, err := ParseTimespan(s); err == nil {
			t.Errorf("%q accepted", s)
		}
	}
}

func TestHostileCorrelationDocuments(t *testing.T) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		for _, body := range []string{
			"correlation: [1, 2]\n",
			"correlation: {type: [x], rules: {a: b}, timespan: [1], condition: [1], aliases: [1], group-by: {a: 1}}\n",
			"correlation: {type: temporal, rules: [" + strings.Repeat("x,", 200) + "y], timespan: 5m}\n",
			"filter: 5\n",
			"filter: {rules: [a]}\n",
			"correlation: {type: value_percentile, rules: [a], timespan: 5m, percentile: 101, condition: {field: f, gte: 1}}\n",
		} {
			set, diags := LowerSet(sigma.Parse("h.yml", []byte(body)))
			if len(set.Correlations)+len(set.Filters) != 0 || !diags.HasErrors() {
				t.Errorf("%q: accepted (%v)", body, diags)
			}
		}
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("timed out")
	}
}

// FuzzCorrelationDocuments lowers and resolves arbitrary correlation and filter documents
// next to two base rules: never a panic, only loader codes, and every correlation kept is
// well formed (a valid type, a timespan within bounds, resolved references).
func FuzzCorrelationDocuments(f *testing.F) {
	f.Add("title: c\nname: c1\ncorrelation:\n  type: temporal_ordered\n  rules: [r_create, r_delete]\n  group-by: [fn]\n  aliases:\n    fn: {r_create: a, r_delete: b}\n  timespan: 10m\n")
	f.Add("title: c\ncorrelation: {type: value_sum, rules: [r_create], timespan: 1h, condition: {field: x, gt: 1, lte: 5}}\n")
	f.Add("title: c\ncorrelation: {type: value_percentile, rules: [r_create], timespan: 1h, percentile: 95, condition: {field: x, gte: 1}}\n")
	f.Add("title: f\nlogsource: {product: aws}\nfilter:\n  rules: [r_create]\n  sel: {a: b}\n  condition: sel\n")
	f.Add("title: a\nname: ca\ncorrelation: {type: event_count, rules: [cb], timespan: 5m, condition: {gte: 1}}\n---\ntitle: b\nname: cb\ncorrelation: {type: event_count, rules: [ca], timespan: 5m, condition: {gte: 1}}\n")
	f.Fuzz(func(t *testing.T, doc string) {
		if len(doc) > 1<<14 {
			return
		}
		set, diags := loadSet(t, baseRules, doc)
		for _, d := range diags {
			if !loaderCodes[string(d.Code)] {
				t.Fatalf("code %s is not a loader code: %v", d.Code, d)
			}
		}
		for _, c := range set.Correlations {
			if !c.Type.Valid() || c.Timespan <= 0 || c.Timespan > MaxTimespan || len(c.Refs) == 0 {
				t.Fatalf("malformed correlation kept: %+v", c)
			}
			for _, r := range c.Refs {
				if (r.Rule < 0) == (r.Correlation < 0) || r.Rule >= len(set.Rules) || r.Correlation >= len(set.Correlations) {
					t.Fatalf("unresolved reference kept: %+v", r)
				}
			}
		}
	})
}
