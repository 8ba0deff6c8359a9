package backends

import (
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/sigmabridge/sigmabridge/translator/diag"
	"github.com/sigmabridge/sigmabridge/translator/ir"
)

// Query is one rendered query.
type Query struct {
	// Condition is the index of the rule condition the query was rendered from.
	Condition int
	// Text is the query. For JSON targets (dsl) it is one compact JSON document.
	Text string
	// JSON reports whether Text is a JSON document rather than query text.
	JSON bool
}

// Backend renders rules for one target language.
type Backend interface {
	// Name is the target name used on the command line, e.g. "splunk".
	Name() string
	// Convert renders one query per condition of r. If any diagnostic has Error
	// severity the queries must be discarded: the rule is not convertible to the target.
	// Convert must be safe for concurrent use.
	Convert(r *ir.Rule) ([]Query, diag.List)
}

var (
	mu       sync.RWMutex
	registry = map[string]Backend{}
)

// Register adds a backend to the registry. It panics on a duplicate name, a programming
// error caught at start-up.
func Register(b Backend) {
	mu.Lock()
	defer mu.Unlock()
	if _, dup := registry[b.Name()]; dup {
		panic("backends: duplicate backend " + b.Name())
	}
	registry[b.Name()] = b
}

// Get returns the backend registered under name.
func Get(name string) (Backend, error) {
	mu.RLock()
	defer mu.RUnlock()
	b, ok := registry[name]
	if !ok {
		return nil, fmt.Errorf("unknown target %q (known: %s)", name, strings.Join(namesLocked(), ", "))
	}
	return b, nil
}

// Names lists the registered targets in sorted order.
func Names() []string {
	mu.RLock()
	defer mu.RUnlock()
	return namesLocked()
}

func namesLocked() []string {
	names := make([]string, 0, len(registry))
	for n := range registry {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// ConvertEach renders every condition of r with render, which returns the query's text
// (and whether it is JSON), and returns every diagnostic, pre (the rule's own, such as a
// source the target cannot name) first, and no query when one is an error.
func ConvertEach(r *ir.Rule, pre diag.List, render func(cond ir.Node) (text string, json bool, ds diag.List)) ([]Query, diag.List) {
	var qs []Query
	diags := pre
	for i, cond := range r.Conditions {
		text, isJSON, ds := render(cond)
		diags = append(diags, ds...)
		qs = append(qs, Query{Condition: i, Text: text, JSON: isJSON})
	}
	if diags.HasErrors() {
		return nil, diags
	}
	return qs, diags
}

// Fold renders a (simplified) detection tree bottom up: leaf renders each leaf, returning
// its value or the diagnostics saying why it has none (and may return warnings with a
// value); and, or and not combine the values of a node's children. It visits the whole tree
// and returns every diagnostic the leaves report, and the zero value when one is an error.
func Fold[T any](tree ir.Node, leaf func(ir.Node) (T, diag.List), and, or func([]T) T, not func(T) T) (T, diag.List) {
	var diags diag.List
	var walk func(n ir.Node) T
	walk = func(n ir.Node) T {
		switch n := n.(type) {
		case *ir.And, *ir.Or:
			cs := ir.Children(n)
			vs := make([]T, len(cs))
			for i, c := range cs {
				vs[i] = walk(c)
			}
			if _, ok := n.(*ir.And); ok {
				return and(vs)
			}
			return or(vs)
		case *ir.Not:
			return not(walk(n.Child))
		case *ir.CIDR, *ir.Compare, *ir.Exists, *ir.FieldRef, *ir.Keyword, *ir.Match, *ir.Null, *ir.Regex, *ir.TimePart:
			// no case of its own (listed for the exhaustiveness lint, .ci/lint.sh)
		}
		v, ds := leaf(n)
		diags = append(diags, ds...)
		return v
	}
	v := walk(tree)
	if diags.HasErrors() {
		var zero T
		return zero, diags
	}
	return v, diags
}

// Diag builds an Error diagnostic for rule r at node n on the given target.
func Diag(r *ir.Rule, n ir.Node, target string, code diag.Code, format string, args ...any) diag.Diagnostic {
	line := r.Line
	col := 0
	if n != nil {
		if p := ir.Position(n); p.Line > 0 {
			line, col = p.Line, p.Col
		}
	}
	return diag.Diagnostic{
		Path: r.Path, Line: line, Col: col, RuleID: r.ID, Target: target,
		Code: code, Message: fmt.Sprintf(format, args...),
	}
}
