package ir

import (
	"fmt"
	"strconv"
	"time"
)

// CorrelationType is the `type` of a Sigma correlation rule.
type CorrelationType string

// The seven correlation types of the Sigma correlation specification.
const (
	EventCount      CorrelationType = "event_count"
	ValueCount      CorrelationType = "value_count"
	Temporal        CorrelationType = "temporal"
	TemporalOrdered CorrelationType = "temporal_ordered"
	ValueSum        CorrelationType = "value_sum"
	ValueAvg        CorrelationType = "value_avg"
	ValuePercentile CorrelationType = "value_percentile"
)

// CorrelationTypes lists every type, in the specification's order.
var CorrelationTypes = []CorrelationType{EventCount, ValueCount, Temporal, TemporalOrdered, ValueSum, ValueAvg, ValuePercentile}

// Valid reports whether t is one of the seven types.
func (t CorrelationType) Valid() bool {
	for _, k := range CorrelationTypes {
		if k == t {
			return true
		}
	}
	return false
}

// IsTemporal reports whether t counts rules rather than events (temporal, temporal_ordered).
func (t CorrelationType) IsTemporal() bool { return t == Temporal || t == TemporalOrdered }

// NeedsField reports whether t reads a `field` (value_count and the metric types).
func (t CorrelationType) NeedsField() bool {
	return t == ValueCount || t == ValueSum || t == ValueAvg || t == ValuePercentile
}

// Range is a correlation condition: a lower bound, an upper bound, or both. `eq` sets both,
// inclusive. A zero Range (no bound) holds for every value.
type Range struct {
	HasMin, MinIncl bool
	Min             float64
	HasMax, MaxIncl bool
	Max             float64
}

// Holds reports whether x is inside the range.
func (r Range) Holds(x float64) bool {
	if r.HasMin && (x < r.Min || (!r.MinIncl && x == r.Min)) {
		return false
	}
	if r.HasMax && (x > r.Max || (!r.MaxIncl && x == r.Max)) {
		return false
	}
	return true
}

// Terms returns the range as (operator, value) pairs, operators among gt, gte, lt, lte, eq.
func (r Range) Terms() [][2]string {
	f := func(x float64) string { return strconv.FormatFloat(x, 'f', -1, 64) }
	if r.HasMin && r.HasMax && r.MinIncl && r.MaxIncl && r.Min == r.Max {
		return [][2]string{{"eq", f(r.Min)}}
	}
	var out [][2]string
	if r.HasMin {
		op := "gt"
		if r.MinIncl {
			op = "gte"
		}
		out = append(out, [2]string{op, f(r.Min)})
	}
	if r.HasMax {
		op := "lt"
		if r.MaxIncl {
			op = "lte"
		}
		out = append(out, [2]string{op, f(r.Max)})
	}
	return out
}

// String prints the range as `gte 3 and lt 10`.
func (r Range) String() string {
	s := ""
	for i, t := range r.Terms() {
		if i > 0 {
			s += " and "
		}
		s += t[0] + " " + t[1]
	}
	if s == "" {
		return "any"
	}
	return s
}

// CorrelationRef is one entry of a correlation's `rules`, resolved: either a detection rule
// (Rule, an index into RuleSet.Rules) or another correlation (Correlation, an index into
// RuleSet.Correlations). The unused index is -1.
type CorrelationRef struct {
	Name        string // as written: a rule's name or id
	Rule        int
	Correlation int
}

// Correlation is one lowered Sigma correlation rule.
type Correlation struct {
	Path string
	Line int
	Doc  int

	ID, Name, Title, Level, Status, Description string
	Tags                                        []string
	FalsePositives                              []string
	// Author and References are the rule's, as written (deployable content carries them:
	// the DRL asks that the author travel with a shared rule).
	Author     string
	References []string

	Type CorrelationType
	// Refs are the named rules, in the order written (temporal_ordered reads it), resolved
	// by RuleSet.Resolve.
	Refs []CorrelationRef
	// GroupBy are the group-by names as written; an alias name stands for a field per rule.
	GroupBy []string
	// Aliases maps an alias name to the field of each named rule, by the rule's name as
	// written in Refs.
	Aliases  map[string]map[string]string
	Timespan time.Duration
	// Condition bounds the count, the distinct count, the number of rules matched
	// (temporal types; gte the number of rules when not written) or the aggregate.
	Condition Range
	// Field is the counted or aggregated field (value_count, value_sum, value_avg,
	// value_percentile).
	Field string
	// Percentile is the rank of value_percentile, 0 to 100.
	Percentile float64
	// Generate: the named rules also alert on their own.
	Generate bool
	// Deployment is what the pipelines' set_state said about the correlation.
	Deployment Deployment
}

// Label names the correlation in messages.
func (c *Correlation) Label() string {
	switch {
	case c.Title != "":
		return fmt.Sprintf("correlation %q", c.Title)
	case c.Name != "":
		return "correlation " + c.Name
	}
	return "correlation " + c.ID
}

// FieldFor returns the field a group-by name reads in the ref-th named rule: the alias's
// field for that rule, else the name itself.
func (c *Correlation) FieldFor(ref int, name string) string {
	if a, ok := c.Aliases[name]; ok && ref >= 0 && ref < len(c.Refs) {
		if f, ok := a[c.Refs[ref].Name]; ok {
			return f
		}
	}
	return name
}

// Filter is one lowered Sigma filter document: the rules it names lose the events its
// condition matches (the rule's condition becomes `rule and not filter`).
type Filter struct {
	Path  string
	Line  int
	ID    string
	Name  string
	Title string
	// Rules are the rules it applies to, by id or name as written.
	Rules     []string
	Logsource Logsource
	// Condition is the filter's detection (one tree; a list of conditions is OR-ed).
	Condition Node
}

// RuleSet is everything loaded from a set of rule files: detection rules, correlations over
// them, and the global filters (already applied to Rules once resolved).
type RuleSet struct {
	Rules        []*Rule
	Correlations []*Correlation
	Filters      []*Filter
}

// Base reports the rules that alert only through correlations: named by some correlation
// and by none that sets `generate: true`.
func (s *RuleSet) Base() map[int]bool {
	named, gen := map[int]bool{}, map[int]bool{}
	for _, c := range s.Correlations {
		for _, r := range c.Refs {
			if r.Rule >= 0 {
				named[r.Rule] = true
				gen[r.Rule] = gen[r.Rule] || c.Generate
			}
		}
	}
	for i := range named {
		if gen[i] {
			delete(named, i)
		}
	}
	return named
}

// Alerting returns the rules of s that alert on their own, in order: all but the base
// rules (Base). Deployable content and rule listings use it.
func (s *RuleSet) Alerting() []*Rule {
	base := s.Base()
	out := make([]*Rule, 0, len(s.Rules)-len(base))
	for i, r := range s.Rules {
		if !base[i] {
			out = append(out, r)
		}
	}
	return out
}
