package translator

import (
	"fmt"
	"strings"

	"github.com/sigmabridge/sigmabridge/translator/diag"
	"github.com/sigmabridge/sigmabridge/translator/ir"
	"github.com/sigmabridge/sigmabridge/translator/sigma"
)

// condLowerer lowers one parsed condition (sigma.Condition) over the lowered searches of
// its detection: searches are inlined as IR subtrees. `them` skips searches whose name
// starts with `_`.
type condLowerer struct {
	path     string
	cond     *sigma.Condition
	searches map[string]*search
	order    []*search
	// picked caches what each `x of pattern` names: a condition may repeat a pattern.
	picked map[string][]*search
}

// lowerCondition reports problems in the order the condition is read, as a parser that
// resolves names while it reads would: every name that resolves to nothing before a syntax
// error is reported (each once), and the syntax error only when there is none.
func lowerCondition(path string, c *sigma.Condition, searches map[string]*search, order []*search) (ir.Node, diag.List) {
	l := &condLowerer{path: path, cond: c, searches: searches, order: order, picked: map[string][]*search{}}
	if c.Err != nil && c.Err.Lexical {
		return nil, diag.List{l.diag(c.Err.Col, c.Err.Code, "%s", c.Err.Message)}
	}
	var unresolved diag.List
	reported := map[string]bool{}
	broken := false
	for _, ref := range c.Refs {
		if ref.Kind == sigma.RefPattern && ref.Quant == "" {
			break // a pattern without a quantifier: the syntax error below
		}
		picked, d := l.resolve(ref)
		if d != nil {
			if !reported[ref.Text] {
				reported[ref.Text] = true
				unresolved = append(unresolved, *d)
			}
			continue
		}
		for _, s := range picked {
			broken = broken || s.tree == nil
		}
	}
	if len(unresolved) > 0 {
		return nil, unresolved
	}
	if broken {
		return nil, nil // the search's own diagnostics explain it
	}
	if c.Err != nil {
		return nil, diag.List{l.diag(c.Err.Col, c.Err.Code, "%s", c.Err.Message)}
	}
	return l.lower(c.Expr), nil
}

func (l *condLowerer) diag(col int, code diag.Code, format string, args ...any) diag.Diagnostic {
	return diag.Diagnostic{Path: l.path, Line: l.cond.Line, Col: l.cond.Column(col), Code: code, Message: fmt.Sprintf(format, args...)}
}

// lower builds the IR of a condition whose names all resolve. It recurses once per `(` and
// `not`, at most sigma.MaxConditionDepth times.
func (l *condLowerer) lower(e sigma.Expr) ir.Node {
	switch e := e.(type) {
	case *sigma.Ref:
		picked, _ := l.resolve(e)
		nodes := make([]ir.Node, len(picked))
		for i, s := range picked {
			nodes[i] = s.tree
		}
		if e.All {
			return ir.NewAnd(nodes...)
		}
		return ir.NewOr(nodes...)
	case *sigma.Not:
		return ir.NewNot(l.lower(e.X))
	case *sigma.And:
		return ir.NewAnd(l.lowerAll(e.Xs)...)
	case *sigma.Or:
		return ir.NewOr(l.lowerAll(e.Xs)...)
	}
	panic(fmt.Sprintf("translator: unknown condition node %T", e))
}

func (l *condLowerer) lowerAll(xs []sigma.Expr) []ir.Node {
	out := make([]ir.Node, len(xs))
	for i, x := range xs {
		out[i] = l.lower(x)
	}
	return out
}

// resolve returns the searches a reference names, or the diagnostic saying it names none.
func (l *condLowerer) resolve(ref *sigma.Ref) ([]*search, *diag.Diagnostic) {
	if ref.Kind == sigma.RefIdent {
		s, ok := l.searches[ref.Text]
		if !ok {
			d := l.diag(ref.Col, diag.UnknownIdentifier, "the condition names %q, which is not a search of this rule%s", ref.Text, l.suggest(ref.Text))
			return nil, &d
		}
		return []*search{s}, nil
	}
	if picked, seen := l.picked[ref.Text]; seen {
		return picked, nil
	}
	var picked []*search
	for _, s := range l.order {
		if ref.Names(s.name) {
			picked = append(picked, s)
		}
	}
	if len(picked) == 0 {
		var d diag.Diagnostic
		if ref.Kind == sigma.RefThem {
			d = l.diag(ref.Col, diag.NoMatchingSearch, "`them` names no search (identifiers starting with `_` are skipped)")
		} else {
			d = l.diag(ref.Col, diag.NoMatchingSearch, "the pattern %q matches no search of this rule", ref.Text)
		}
		return nil, &d
	}
	l.picked[ref.Text] = picked
	return picked, nil
}

func (l *condLowerer) suggest(name string) string {
	for _, s := range l.order {
		if strings.EqualFold(s.name, name) {
			return fmt.Sprintf(" (did you mean %q? identifiers are case-sensitive)", s.name)
		}
	}
	return ""
}
