package ir

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// Node is one node of a detection tree. The set of node types is sealed: only the types in
// this package implement it, and Children panics on anything else. Every type switch over
// it lists every node type or has a default; .ci/lint.sh checks this (go-check-sumtype).
//
//sumtype:decl
type Node interface {
	// String prints the node in its canonical form.
	String() string
	node()
}

// Pos is the 1-based line and column of the YAML item a node was lowered from. The zero Pos
// means "unknown". Positions never take part in the canonical String form.
type Pos struct {
	Line, Col int
}

// ValueKind says which YAML type a Match value had, so a backend can print numbers and
// booleans bare and the evaluator can compare numbers numerically.
type ValueKind uint8

const (
	// String is a YAML string (the default).
	String ValueKind = iota
	// Number is a YAML integer or float; the Pattern holds its text exactly as written.
	Number
	// Bool is a YAML boolean; the Pattern holds "true" or "false".
	Bool
)

type (
	// And is true when every child is true. It has at least two children.
	And struct {
		Children []Node
	}

	// Or is true when any child is true. It has at least two children.
	Or struct {
		Children []Node
	}

	// Not negates its child.
	Not struct {
		Child Node
	}

	// Match compares a field's value with a pattern: equals, contains, startswith,
	// endswith and wildcard values are all Match nodes of different Shape.
	Match struct {
		Field   string    // dotted path into the event
		Pattern Pattern   // the value, with wildcard tokens
		Kind    ValueKind // the YAML type of the value
		Cased   bool      // the `cased` modifier: compare case-sensitively
		Pos     Pos
	}

	// Keyword matches when any string value anywhere in the event contains Pattern
	// (a value with no field: Sigma keywords).
	Keyword struct {
		Pattern Pattern
		Cased   bool
		Pos     Pos
	}

	// Regex matches when the regular expression finds a match anywhere in the field's
	// value (RE2 syntax, Sigma's `re` modifier). Flags are the `i`, `m`, `s` sub-modifiers.
	Regex struct {
		Field   string
		Pattern string
		Flags   RegexFlags
		Pos     Pos
	}

	// CIDR matches when the field's value is an IP address inside Prefix.
	CIDR struct {
		Field  string
		Prefix netip.Prefix
		Pos    Pos
	}

	// Compare compares the field's numeric value with Value (gt, gte, lt, lte).
	Compare struct {
		Field string
		Op    CompareOp
		Value Num
		Pos   Pos
	}

	// Exists is true when the field is present with at least one non-null value.
	// `field|exists: false` lowers to Not(Exists).
	Exists struct {
		Field string
		Pos   Pos
	}

	// Null is true when the field is absent or null (`field: null`). It always means
	// exactly Not(Exists{Field}); it is its own node so no value transform can touch it.
	Null struct {
		Field string
		Pos   Pos
	}

	// FieldRef compares a field's value with another field's value of the same event
	// (the `fieldref` modifier, optionally with contains, startswith or endswith).
	FieldRef struct {
		Field string
		Ref   string
		Shape Shape // ShapeExact, ShapePrefix, ShapeSuffix or ShapeContains
		Cased bool
		Pos   Pos
	}

	// TimePart compares one part of a timestamp field (the minute, hour, day, week,
	// month and year modifiers) with an integer.
	TimePart struct {
		Field string
		Part  TimeUnit
		Value int
		Pos   Pos
	}
)

func (*And) node()      {}
func (*Or) node()       {}
func (*Not) node()      {}
func (*Match) node()    {}
func (*Keyword) node()  {}
func (*Regex) node()    {}
func (*CIDR) node()     {}
func (*Compare) node()  {}
func (*Exists) node()   {}
func (*Null) node()     {}
func (*FieldRef) node() {}
func (*TimePart) node() {}

// RegexFlags are the sub-modifiers of `re`.
type RegexFlags struct {
	I bool // case-insensitive
	M bool // multi-line: ^ and $ match at line breaks
	S bool // single-line: . matches a newline
}

// String returns the flags as letters, e.g. "im", or "" when none is set.
func (f RegexFlags) String() string {
	s := ""
	if f.I {
		s += "i"
	}
	if f.M {
		s += "m"
	}
	if f.S {
		s += "s"
	}
	return s
}

// CompareOp is a numeric comparison operator.
type CompareOp uint8

const (
	LT CompareOp = iota
	LTE
	GT
	GTE
)

var compareOpText = [...]string{"<", "<=", ">", ">="}

func (o CompareOp) String() string { return compareOpText[o] }

// Num is a number from a rule: its text as written and its value.
type Num struct {
	Text  string
	Value float64
}

// ParseNum parses a decimal or float number.
func ParseNum(text string) (Num, error) {
	v, err := strconv.ParseFloat(text, 64)
	if err != nil {
		return Num{}, err
	}
	return Num{Text: text, Value: v}, nil
}

// TimeUnit is the part of a timestamp a TimePart node compares.
type TimeUnit uint8

const (
	Minute TimeUnit = iota
	Hour
	Day
	Week
	Month
	Year
)

var timeUnitNames = [...]string{"minute", "hour", "day", "week", "month", "year"}

func (u TimeUnit) String() string { return timeUnitNames[u] }

// ParseTimeUnit maps a modifier name to its TimeUnit.
func ParseTimeUnit(s string) (TimeUnit, bool) {
	for i, n := range timeUnitNames {
		if n == s {
			return TimeUnit(i), true
		}
	}
	return 0, false
}

func quote(s string) string { return strconv.Quote(s) }

func joinChildren(op string, cs []Node) string {
	parts := make([]string, len(cs))
	for i, c := range cs {
		parts[i] = c.String()
	}
	return op + "(" + strings.Join(parts, ", ") + ")"
}

func (n *And) String() string { return joinChildren("and", n.Children) }
func (n *Or) String() string  { return joinChildren("or", n.Children) }
func (n *Not) String() string { return "not(" + n.Child.String() + ")" }

func (n *Match) String() string {
	op := "match"
	switch n.Kind {
	case Number:
		op = "num"
	case Bool:
		op = "bool"
	}
	if n.Cased {
		op += "[cased]"
	}
	return fmt.Sprintf("%s(%s, %s)", op, n.Field, quote(n.Pattern.String()))
}

func (n *Keyword) String() string {
	op := "keyword"
	if n.Cased {
		op += "[cased]"
	}
	return fmt.Sprintf("%s(%s)", op, quote(n.Pattern.String()))
}

func (n *Regex) String() string {
	if f := n.Flags.String(); f != "" {
		return fmt.Sprintf("re[%s](%s, %s)", f, n.Field, quote(n.Pattern))
	}
	return fmt.Sprintf("re(%s, %s)", n.Field, quote(n.Pattern))
}

func (n *CIDR) String() string { return fmt.Sprintf("cidr(%s, %s)", n.Field, n.Prefix) }
func (n *Compare) String() string {
	return fmt.Sprintf("cmp(%s %s %s)", n.Field, n.Op, n.Value.Text)
}
func (n *Exists) String() string { return fmt.Sprintf("exists(%s)", n.Field) }
func (n *Null) String() string   { return fmt.Sprintf("null(%s)", n.Field) }
func (n *FieldRef) String() string {
	op := "fieldref"
	if n.Cased {
		op += "[cased]"
	}
	return fmt.Sprintf("%s(%s %s %s)", op, n.Field, n.Shape, n.Ref)
}
func (n *TimePart) String() string {
	return fmt.Sprintf("time(%s.%s == %d)", n.Field, n.Part, n.Value)
}

// Children returns the direct children of n. It panics on a node type this package does
// not define, so a new node type cannot be forgotten by a walker.
func Children(n Node) []Node {
	switch n := n.(type) {
	case *And:
		return n.Children
	case *Or:
		return n.Children
	case *Not:
		return []Node{n.Child}
	case *Match, *Keyword, *Regex, *CIDR, *Compare, *Exists, *Null, *FieldRef, *TimePart:
		return nil
	}
	panic(fmt.Sprintf("ir: unknown node type %T", n))
}

// Inspect calls f for n and, while f returns true, for each descendant in depth-first order.
func Inspect(n Node, f func(Node) bool) {
	if !f(n) {
		return
	}
	for _, c := range Children(n) {
		Inspect(c, f)
	}
}

// Field returns the field a leaf node reads, or "" for inner nodes, keywords and nil. It panics
// on a node outside the sealed set, as Children does.
func Field(n Node) string {
	switch n.(type) {
	case *CIDR, *Compare, *Exists, *FieldRef, *Keyword, *Match, *Null, *Regex, *TimePart:
		// Every leaf is a Leaf; listing them keeps the switch exhaustive for .ci/lint.sh.
		return n.(Leaf).LeafField()
	case *And, *Or, *Not, nil:
		return ""
	}
	panic(fmt.Sprintf("ir: unknown node type %T", n))
}

// Position returns the source position of a node: a leaf's own, an inner node's first
// leaf's (the zero Pos for nil). It panics on a node outside the sealed set, as Children does.
func Position(n Node) Pos {
	switch n := n.(type) {
	case *CIDR, *Compare, *Exists, *FieldRef, *Keyword, *Match, *Null, *Regex, *TimePart:
		return n.(Leaf).LeafPos()
	case *Not:
		return Position(n.Child)
	case *And:
		if len(n.Children) > 0 {
			return Position(n.Children[0])
		}
		return Pos{}
	case *Or:
		if len(n.Children) > 0 {
			return Position(n.Children[0])
		}
		return Pos{}
	case nil:
		return Pos{}
	}
	panic(fmt.Sprintf("ir: unknown node type %T", n))
}

// NewAnd returns the conjunction of nodes, flattening nested Ands; a single node is
// returned as is.
func NewAnd(nodes ...Node) Node {
	if len(nodes) == 1 {
		if _, ok := nodes[0].(*And); !ok {
			return nodes[0]
		}
	}
	cs := make([]Node, 0, len(nodes))
	for _, n := range nodes {
		if a, ok := n.(*And); ok {
			cs = append(cs, a.Children...)
		} else {
			cs = append(cs, n)
		}
	}
	switch len(cs) {
	case 0:
		return &And{} // Children nil, as it always was
	case 1:
		return cs[0]
	}
	return &And{Children: cs}
}

// NewOr returns the disjunction of nodes, flattening nested Ors; a single node is returned
// as is.
func NewOr(nodes ...Node) Node {
	if len(nodes) == 1 {
		if _, ok := nodes[0].(*Or); !ok {
			return nodes[0]
		}
	}
	cs := make([]Node, 0, len(nodes))
	for _, n := range nodes {
		if o, ok := n.(*Or); ok {
			cs = append(cs, o.Children...)
		} else {
			cs = append(cs, n)
		}
	}
	switch len(cs) {
	case 0:
		return &Or{} // Children nil, as it always was
	case 1:
		return cs[0]
	}
	return &Or{Children: cs}
}

// NewNot negates n, removing a double negation.
func NewNot(n Node) Node {
	if inner, ok := n.(*Not); ok {
		return inner.Child
	}
	return &Not{Child: n}
}
