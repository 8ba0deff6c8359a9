package profile

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"

	"github.com/sigmabridge/sigmabridge/translator/diag"
	"github.com/sigmabridge/sigmabridge/translator/ir"
	"github.com/sigmabridge/sigmabridge/translator/pipeline"
)

// PolicyAttribute is the rule's top-level attribute that declares its placeholder policy.
const PolicyAttribute = "placeholders"

// WithoutValue is what a placeholder means when nothing gives it a value.
type WithoutValue string

const (
	// Empty: the placeholder is the empty set. An item over it matches nothing, and the rule
	// runs (an allowlist that excludes nothing, an optional extra list that adds nothing).
	Empty WithoutValue = "empty"
	// Inactive: the rule cannot decide without the value; it does not run.
	Inactive WithoutValue = "inactive"
)

// Policy is one placeholder's declared policy.
type Policy struct {
	Placeholder  string
	WithoutValue WithoutValue
	// Note says, for people, what the rule loses without the value.
	Note string
}

// Need is a placeholder that has no value, with the profile key that would give it one.
type Need struct {
	Policy
	// Key is the profile key (KeyFor).
	Key string
}

func (n Need) String() string {
	s := n.Key
	if n.Note != "" {
		s += " (" + n.Note + ")"
	}
	return s
}

// Placeholders returns the names of the placeholders in r's detection, sorted.
func Placeholders(r *ir.Rule) []string {
	seen := map[string]bool{}
	for _, c := range r.Conditions {
		if c == nil {
			continue
		}
		ir.Inspect(c, func(n ir.Node) bool {
			var pat ir.Pattern
			switch t := n.(type) {
			case *ir.Match:
				pat = t.Pattern
			case *ir.Keyword:
				pat = t.Pattern
			case *ir.And, *ir.CIDR, *ir.Compare, *ir.Exists, *ir.FieldRef, *ir.Not, *ir.Null, *ir.Or, *ir.Regex, *ir.TimePart:
				return true
			}
			for _, name := range pat.Placeholders() {
				seen[name] = true
			}
			return true
		})
	}
	return slices.Sorted(maps.Keys(seen))
}

// RulePolicies reads r's `placeholders` attribute. A rule without it declares nothing. The
// attribute must be a mapping from each placeholder the detection uses to
// {without_value: empty|inactive, note: text}; a declared name the detection does not use is an
// error too, since it is a misspelling or a leftover.
func RulePolicies(r *ir.Rule) (map[string]Policy, error) {
	raw, ok := r.Custom[PolicyAttribute]
	if !ok {
		return nil, nil
	}
	bad := func(format string, args ...any) error {
		return diag.Diagnostic{Path: r.Path, Line: r.Line, RuleID: r.ID, Code: diag.RuleStructure,
			Message: PolicyAttribute + ": " + fmt.Sprintf(format, args...)}
	}
	m, ok := raw.(map[string]any)
	if !ok {
		return nil, bad("want a mapping from placeholder name to {without_value: empty|inactive, note: text}")
	}
	used := Placeholders(r)
	out := map[string]Policy{}
	for _, name := range slices.Sorted(maps.Keys(m)) {
		if !slices.Contains(used, name) {
			hint := ""
			if s := suggest(name, used); s != "" {
				hint = fmt.Sprintf("; did you mean %q?", s)
			}
			return nil, bad("%s is not a placeholder of this rule's detection%s", name, hint)
		}
		spec, ok := m[name].(map[string]any)
		if !ok {
			return nil, bad("%s: want {without_value: empty|inactive, note: text}", name)
		}
		p := Policy{Placeholder: name}
		for k, v := range spec {
			s, isStr := v.(string)
			switch k {
			case "without_value":
				if !isStr || (s != string(Empty) && s != string(Inactive)) {
					return nil, bad("%s.without_value: want %q or %q, got %v", name, Empty, Inactive, v)
				}
				p.WithoutValue = WithoutValue(s)
			case "note":
				if !isStr {
					return nil, bad("%s.note: want text", name)
				}
				p.Note = strings.TrimSpace(s)
			default:
				hint := ""
				if s := suggest(k, []string{"without_value", "note"}); s != "" {
					hint = fmt.Sprintf("; did you mean %q?", s)
				}
				return nil, bad("%s: unknown key %q%s", name, k, hint)
			}
		}
		if p.WithoutValue == "" {
			return nil, bad("%s: without_value is required (empty or inactive)", name)
		}
		out[name] = p
	}
	return out, nil
}

// Setup prepares rules for one target: the profile's values and log locations, the user's
// pipelines, and each rule's placeholder policy. It is safe for concurrent use once built.
type Setup struct {
	// Profile is the organisation profile; nil means none.
	Profile *Profile
	// Target decides which log locations apply.
	Target Target
	// Pipelines are the user's pipelines (-p), applied in priority order with the profile's.
	Pipelines []*pipeline.Pipeline
	// Mapping is the index mapping the rules run on (convert --mapping, hunt), set on each
	// processed rule's Deployment after the pipelines; nil: none.
	Mapping *ir.IndexMapping

	chain *pipeline.Pipeline
	known map[string]bool
	built bool
	err   error
}

// Outcome is one rule after Apply.
type Outcome struct {
	// Rule is the processed rule; nil when the rule is inactive or the pipelines failed it.
	Rule *ir.Rule
	// Diags are the pipelines' diagnostics (and a policy error).
	Diags diag.List
	// Inactive lists the placeholders without value that leave the rule out (the rule did
	// not run: it is not a failure).
	Inactive []Need
	// Weakened lists the placeholders without value read as the empty set (the rule ran).
	Weakened []Need
}

// Failed reports whether the rule failed (not merely left out).
func (o Outcome) Failed() bool { return o.Diags.HasErrors() }

func (s *Setup) build() error {
	if s.built {
		return s.err
	}
	s.built = true
	var ps []*pipeline.Pipeline
	vals, err := s.Profile.ValuesPipeline()
	if err != nil {
		s.err = err
		return err
	}
	if vals != nil {
		ps = append(ps, vals)
	}
	ps = append(ps, s.Pipelines...)
	logs, err := s.Profile.LogsPipeline(s.Target)
	if err != nil {
		s.err = err
		return err
	}
	if logs != nil {
		ps = append(ps, logs)
	}
	if len(ps) > 0 {
		s.chain = pipeline.Chain(ps...)
	}
	s.known = map[string]bool{}
	for name := range s.Profile.Vars() {
		s.known[name] = true
	}
	for _, p := range s.Pipelines {
		for name, v := range p.Vars {
			if l, isList := v.([]any); !isList || len(l) > 0 {
				s.known[name] = true
			}
		}
	}
	return nil
}

// Build prepares the setup; Apply calls it, but calling it first surfaces a broken profile
// pipeline once, before any rule.
func (s *Setup) Build() error { return s.build() }

// Assess says, without applying anything, which of r's declared placeholders have no value.
func (s *Setup) Assess(r *ir.Rule) (inactive, weakened []Need, err error) {
	if err := s.build(); err != nil {
		return nil, nil, err
	}
	pols, err := RulePolicies(r)
	if err != nil {
		return nil, nil, err
	}
	for _, name := range slices.Sorted(maps.Keys(pols)) {
		if s.known[name] {
			continue
		}
		p := pols[name]
		n := Need{Policy: p, Key: KeyFor(name)}
		if p.WithoutValue == Inactive {
			inactive = append(inactive, n)
		} else {
			weakened = append(weakened, n)
		}
	}
	return inactive, weakened, nil
}

// Apply prepares one rule: an inactive rule is returned with its needs and no processed
// rule; otherwise the profile, the user's pipelines and, for the placeholders the rule reads as
// empty, an empty-set pipeline are applied.
func (s *Setup) Apply(r *ir.Rule) Outcome {
	inactive, weakened, err := s.Assess(r)
	if err != nil {
		d, ok := err.(diag.Diagnostic)
		if !ok {
			d = diag.Diagnostic{Path: r.Path, Line: r.Line, RuleID: r.ID, Code: diag.PipelineError, Message: err.Error()}
		}
		return Outcome{Diags: diag.List{d}}
	}
	if len(inactive) > 0 {
		return Outcome{Inactive: inactive, Weakened: weakened}
	}
	chain := s.chain
	if len(weakened) > 0 {
		vars := map[string][]string{}
		for _, n := range weakened {
			vars[n.Placeholder] = []string{}
		}
		empty, err := placeholderPipeline("placeholder policy of "+r.Path, vars)
		if err != nil {
			return Outcome{Diags: diag.List{{Path: r.Path, Line: r.Line, RuleID: r.ID, Code: diag.PipelineError, Message: err.Error()}}}
		}
		if chain == nil {
			chain = empty
		} else {
			chain = pipeline.Chain(empty, chain)
		}
	}
	out, ds := chain.Apply(r)
	o := Outcome{Diags: ds, Weakened: weakened}
	if !ds.HasErrors() {
		if s.Mapping != nil {
			if out == r { // no pipeline: never change the caller's rule
				out = r.Clone()
			}
			out.Deployment.Mapping = s.Mapping
		}
		o.Rule = out
	}
	return o
}

// Left is a rule left out for want of values.
type Left struct {
	Rule  *ir.Rule
	Needs []Need
}

// Summary is the one line that reports every rule left out, or "" when none was. It names
// each rule once, with the keys it needs.
func Summary(left []Left, p *Profile) string {
	if len(left) == 0 {
		return ""
	}
	sort.SliceStable(left, func(i, j int) bool { return left[i].Rule.Path < left[j].Rule.Path })
	parts := make([]string, len(left))
	for i, l := range left {
		keys := make([]string, len(l.Needs))
		for j, n := range l.Needs {
			keys[j] = n.Key
		}
		parts[i] = fmt.Sprintf("%s (needs %s)", l.Rule.Path, strings.Join(keys, ", "))
	}
	src := "no profile"
	if p != nil {
		src = "profile " + p.Name()
	}
	noun := "rules"
	if len(left) == 1 {
		noun = "rule"
	}
	return fmt.Sprintf("%d %s inactive under %s, for want of values: %s; 'sigmabridge profile show' explains each",
		len(left), noun, src, strings.Join(parts, "; "))
}
