package ir

import "time"

// Logsource is a rule's logsource block.
type Logsource struct {
	Category   string `json:"category,omitempty"`
	Product    string `json:"product,omitempty"`
	Service    string `json:"service,omitempty"`
	Definition string `json:"definition,omitempty"`
}

// String prints the logsource as product/service/category, skipping empty parts.
func (l Logsource) String() string {
	s := ""
	for _, p := range []string{l.Product, l.Service, l.Category} {
		if p == "" {
			continue
		}
		if s != "" {
			s += "/"
		}
		s += p
	}
	return s
}

// Rule is one lowered Sigma detection rule.
type Rule struct {
	Path string // the file the rule came from
	Line int    // 1-based line of the rule's YAML document
	// Doc is the 0-based index of the YAML document within the file.
	Doc int

	ID             string
	Name           string
	Title          string
	Status         string
	Description    string
	Author         string
	Date           string
	Modified       string
	Level          string
	References     []string
	Tags           []string
	FalsePositives []string
	Fields         []string
	Logsource      Logsource

	// Conditions holds one detection tree per entry of the rule's condition list.
	Conditions []Node

	// Custom holds the rule's non-standard top-level attributes.
	Custom map[string]any

	// State is pipeline state (set_state): for example "index" or "sourcetype", read by
	// backends when they build the query prefix or deployable content.
	State map[string]any
}

// Clone returns a copy of r whose slices and maps can be changed without touching r. The
// detection trees are shared: passes build new trees rather than editing nodes in place.
func (r *Rule) Clone() *Rule {
	c := *r
	c.Conditions = append([]Node(nil), r.Conditions...)
	c.State = make(map[string]any, len(r.State))
	for k, v := range r.State {
		c.State[k] = v
	}
	return &c
}

// CorrelationType is the type of a correlation rule.
type CorrelationType string

const (
	EventCount      CorrelationType = "event_count"
	ValueCount      CorrelationType = "value_count"
	Temporal        CorrelationType = "temporal"
	TemporalOrdered CorrelationType = "temporal_ordered"
	ValueSum        CorrelationType = "value_sum"
	ValueAvg        CorrelationType = "value_avg"
	ValuePercentile CorrelationType = "value_percentile"
)

// Correlation is a Sigma correlation rule. Its referenced rules are named by `name` or id.
type Correlation struct {
	Path, ID, Name, Title, Level string
	Line                         int
	Type                         CorrelationType
	Rules                        []string
	GroupBy                      []string
	// Aliases maps an alias to the field it stands for in each referenced rule.
	Aliases  map[string]map[string]string
	Timespan time.Duration
	// Condition is the threshold range; for temporal types it may be nil.
	Condition []Threshold
	// ValueField is the field a value_* correlation aggregates.
	ValueField string
	Generate   bool
}

// Threshold is one bound of a correlation condition, e.g. {GTE, 10}.
type Threshold struct {
	Op    CompareOp
	Value float64
}
