package ir

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

	// Deployment is what the pipelines' set_state said about where the rule runs, read by
	// backends when they build the query prefix or deployable content.
	Deployment Deployment
}

// Clone returns a copy of r whose slices and maps can be changed without touching r. The
// detection trees are shared: passes build new trees rather than editing nodes in place.
func (r *Rule) Clone() *Rule {
	c := *r
	c.Conditions = append([]Node(nil), r.Conditions...)
	c.Deployment = r.Deployment.Clone()
	return &c
}
