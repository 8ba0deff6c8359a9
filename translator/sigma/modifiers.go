package sigma

import "sort"

// ModKind is what a modifier does to an item.
type ModKind uint8

const (
	// ModShape wraps a string value in wildcards: contains, startswith, endswith.
	ModShape ModKind = iota + 1
	// ModTransform rewrites a string value into one or more patterns: base64, wide, windash...
	ModTransform
	// ModType turns the values into something other than a string pattern: re, cidr,
	// exists, fieldref, gt..., minute...; an item has at most one.
	ModType
	// ModFlag changes how the values combine or compare: all, cased, neq.
	ModFlag
	// ModRegexFlag is a flag of the re modifier: i, m, s.
	ModRegexFlag
)

// Modifier is what Sigma defines about one modifier (sigma-appendix-modifiers.md of the
// specification).
type Modifier struct {
	Name string
	Kind ModKind
	// Class groups ModType modifiers that take the same kind of value: "cmp" for gt, gte, lt
	// and lte, "time" for minute ... year; otherwise the name itself.
	Class string
	// Keyword is true when the modifier applies to a keyword (a value without a field).
	Keyword bool
	// Since is the version of the specification that defines it.
	Since string
}

// modifiers is the one table of Sigma modifiers: the loader's lowering, the pipeline's
// add_condition (through the same lowering) and the linter all read it.
var modifiers = func() map[string]Modifier {
	m := map[string]Modifier{}
	add := func(kind ModKind, class string, keyword bool, since string, names ...string) {
		for _, n := range names {
			c := class
			if c == "" {
				c = n
			}
			m[n] = Modifier{Name: n, Kind: kind, Class: c, Keyword: keyword, Since: since}
		}
	}
	add(ModShape, "", true, "1.0", "contains")
	add(ModShape, "", false, "1.0", "startswith", "endswith")
	add(ModTransform, "", true, "1.0", "base64", "base64offset", "wide", "utf16le", "utf16be", "utf16", "windash")
	add(ModTransform, "", true, "2.0", "expand")
	add(ModType, "", false, "1.0", "re")
	add(ModType, "", false, "2.0", "cidr", "exists", "fieldref")
	add(ModType, "cmp", false, "2.0", "gt", "gte", "lt", "lte")
	add(ModType, "time", false, "2.0", "minute", "hour", "day", "week", "month", "year")
	add(ModRegexFlag, "", false, "2.0", "i", "m", "s")
	add(ModFlag, "", true, "1.0", "all")
	add(ModFlag, "", true, "2.0", "cased")
	add(ModFlag, "", true, "2.1", "neq")
	return m
}()

// LookupModifier returns what Sigma defines about the modifier called name.
func LookupModifier(name string) (Modifier, bool) {
	m, ok := modifiers[name]
	return m, ok
}

// ModifierNames lists every modifier Sigma defines, sorted (for "did you mean" hints).
func ModifierNames() []string {
	names := make([]string, 0, len(modifiers))
	for n := range modifiers {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
