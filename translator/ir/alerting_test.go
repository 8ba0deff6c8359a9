package ir

import "testing"

func TestAlertingLeavesOutBaseRules(t *testing.T) {
	a, b, c, d := &Rule{ID: "a"}, &Rule{ID: "b"}, &Rule{ID: "c"}, &Rule{ID: "d"}
	s := &RuleSet{
		Rules: []*Rule{a, b, c, d},
		Correlations: []*Correlation{
			{Refs: []CorrelationRef{{Rule: 0}, {Rule: 1}}},
			// c is named by a correlation that generates: it alerts on its own too.
			{Refs: []CorrelationRef{{Rule: 1}}},
			{Refs: []CorrelationRef{{Rule: 2}, {Rule: -1}}, Generate: true},
		},
	}
	got := s.Alerting()
	if len(got) != 2 || got[0] != c || got[1] != d {
		t.Fatalf("Alerting = %v, want rules c, d", got)
	}
	base := s.Base()
	for i, r := range s.Rules {
		alerting := r == c || r == d
		if base[i] == alerting {
			t.Errorf("rule %s: Base %v, Alerting %v", r.ID, base[i], alerting)
		}
	}
}
