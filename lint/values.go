package lint

import (
	"fmt"
	"regexp"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/sigmabridge/sigmabridge/translator/ir"
	"github.com/sigmabridge/sigmabridge/translator/sigma"
)

// Shapes a whole item's values can share, and the modifier that says the same thing.
var shapeModifiers = map[ir.Shape]string{
	ir.ShapeContains: "contains",
	ir.ShapePrefix:   "startswith",
	ir.ShapeSuffix:   "endswith",
}

func checkWildcardsInsteadOfModifiers(d *document, r *reporter) {
	for _, it := range d.items {
		if it.Keyword || !it.stringValued() || it.shapeModifier() != "" || it.Has("base64") || it.Has("base64offset") || len(it.values) == 0 {
			continue
		}
		shape := ir.Shape(255)
		for _, v := range it.values {
			if !isString(v) {
				shape = 255
				break
			}
			s := ir.ParseSigmaString(v.Value).Shape()
			if _, ok := shapeModifiers[s]; !ok || (shape != 255 && s != shape) {
				shape = 255
				break
			}
			shape = s
		}
		mod, ok := shapeModifiers[shape]
		if !ok {
			continue
		}
		which := "every value"
		if len(it.values) == 1 {
			which = "the value " + quote(it.values[0].Value)
		}
		r.at(it.key, "%s: %s %s; write %s and drop the wildcards", it.label(), which, shapeWording[shape], quote(it.Field+"|"+strings.Join(append([]string{mod}, it.Modifiers...), "|")))
	}
}

var shapeWording = map[ir.Shape]string{
	ir.ShapeContains: "starts and ends with *",
	ir.ShapePrefix:   "ends with *",
	ir.ShapeSuffix:   "starts with *",
}

// stringValues calls f for every string value of every item whose values are Sigma
// strings (not regular expressions, networks or other typed values).
func stringValues(d *document, f func(it *detectionItem, text string, at int)) {
	for _, it := range d.items {
		if !it.stringValued() {
			continue
		}
		for _, v := range it.values {
			if isString(v) {
				f(it, v.Value, v.Line)
			}
		}
	}
}

// wildcardRuns scans a Sigma string as the loader does (a backslash escapes `*`, `?` and
// another backslash) and reports whether it has an escaped wildcard and whether it has
// two unescaped `*` in a row.
func wildcardRuns(s string) (escaped, double bool) {
	prevStar := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\' && i+1 < len(s) && (s[i+1] == '*' || s[i+1] == '?'):
			escaped = true
			prevStar = false
			i++
		case c == '\\' && i+1 < len(s) && s[i+1] == '\\':
			prevStar = false
			i++
		case c == '*':
			if prevStar {
				double = true
			}
			prevStar = true
		default:
			prevStar = false
		}
	}
	return escaped, double
}

func checkEscapedWildcards(d *document, r *reporter) {
	stringValues(d, func(it *detectionItem, text string, line int) {
		if escaped, _ := wildcardRuns(text); escaped {
			r.atPos(line, 0, "%s: the value %s has an escaped wildcard (\\* or \\?), which matches a literal * or ?; write \\\\* if a backslash followed by a wildcard was meant", it.label(), quote(text))
		}
	})
}

func checkDoubleWildcards(d *document, r *reporter) {
	stringValues(d, func(it *detectionItem, text string, line int) {
		if _, double := wildcardRuns(text); double {
			r.atPos(line, 0, "%s: the value %s has ** (consecutive wildcards); one * matches the same", it.label(), quote(text))
		}
	})
}

var wholeNumberRe = regexp.MustCompile(`^-?(0|[1-9][0-9]*)$`)

func checkNumbersAsStrings(d *document, r *reporter) {
	for _, it := range d.items {
		if it.Keyword || !plainValues(it) {
			continue
		}
		for _, v := range it.values {
			if v.Tag == "!!str" && v.Style&(yaml.SingleQuotedStyle|yaml.DoubleQuotedStyle) != 0 && wholeNumberRe.MatchString(v.Value) {
				r.at(v, "%s: the value %s is a number written as a string; write it unquoted", it.label(), quote(v.Value))
			}
		}
	}
}

// plainValues reports whether an item's values are compared as they are: no modifier
// other than all, cased or neq.
func plainValues(it *detectionItem) bool {
	for _, m := range it.Modifiers {
		switch m {
		case "all", "cased", "neq":
		default:
			return false
		}
	}
	return true
}

func checkControlCharacters(d *document, r *reporter) {
	for _, it := range d.items {
		for _, v := range it.values {
			if !isString(v) {
				continue
			}
			for _, c := range v.Value {
				if c < 0x20 || c == 0x7f {
					r.at(v, "%s: the value %s has the control character %s; in a double-quoted YAML string a backslash starts an escape, so write \\\\ or use single quotes", it.label(), quote(v.Value), controlName(c))
					break
				}
			}
		}
	}
}

func controlName(c rune) string {
	switch c {
	case '\t':
		return `\t (tab)`
	case '\n':
		return `\n (new line)`
	case '\r':
		return `\r (carriage return)`
	case '\a':
		return `\a (bell)`
	case '\b':
		return `\b (backspace)`
	case '\f':
		return `\f (form feed)`
	case '\v':
		return `\v (vertical tab)`
	case 0:
		return `\0 (NUL)`
	}
	return fmt.Sprintf("U+%04X", c)
}

// loaderRejectsTwice are the modifiers whose repetition the loader already reports as
// invalid-modifier: the shape modifiers and the type modifiers.
func loaderRejectsTwice(m string) bool {
	mod, ok := sigma.LookupModifier(m)
	return ok && (mod.Kind == sigma.ModShape || mod.Kind == sigma.ModType)
}

func checkRepeatedModifiers(d *document, r *reporter) {
	for _, it := range d.items {
		count := map[string]int{}
		for _, m := range it.Modifiers {
			count[m]++
		}
		var rep []string
		for _, m := range it.Modifiers {
			if count[m] > 1 && m != "base64" && !loaderRejectsTwice(m) {
				rep = append(rep, m)
				count[m] = 0
			}
		}
		if len(rep) > 0 {
			r.at(it.key, "%s applies %s more than once", it.label(), strings.Join(rep, ", "))
		}
	}
}

func checkModifierCombinations(d *document, r *reporter) {
	for _, it := range d.items {
		if it.Has("base64offset") && !it.Has("contains") {
			r.at(it.key, "%s: base64offset yields fragments of an encoding that only occur inside a longer value; add contains (|base64offset|contains)", it.label())
		}
	}
}

func checkAllSingleValue(d *document, r *reporter) {
	for _, it := range d.items {
		if it.Has("all") && len(it.values) == 1 {
			r.at(it.key, "%s: all has no effect on a single value; remove it", it.label())
		}
	}
}

func checkAllExactValues(d *document, r *reporter) {
	for _, it := range d.items {
		if it.Keyword || !it.Has("all") || !it.stringValued() || it.shapeModifier() != "" || it.Has("windash") || it.Has("expand") {
			continue
		}
		var first string
		for _, v := range it.values {
			if v.Tag == "!!null" {
				continue
			}
			if isString(v) && ir.ParseSigmaString(v.Value).HasWildcard() {
				continue
			}
			if first == "" {
				first = v.Value
				continue
			}
			if !strings.EqualFold(first, v.Value) {
				r.at(it.key, "%s: a value cannot equal both %s and %s, so this matches only a field holding a list; did you mean %s?", it.label(), quote(first), quote(v.Value), quote(it.Field+"|contains|"+strings.Join(it.Modifiers, "|")))
				break
			}
		}
	}
}

func checkWindashAll(d *document, r *reporter) {
	for _, it := range d.items {
		if it.Has("windash") && it.Has("all") {
			r.at(it.key, "%s: windash with all means every value in one of its dash forms; sigmabridge does that, but pySigma puts the dash forms under the same all and its validators report the combination as invalid", it.label())
		}
	}
}

// windashDashes are the characters windash stands for one another.
const windashDashes = "-/\u2013\u2014\u2015"

// checkWindashLiteralDash reports a windash value holding a dash windash leaves as written:
// sigmabridge, like the reference converter, expands only a `-` or `/` that starts a word
// (translator/transform.go), while spec 2.1 speaks of all permutations of the five dashes.
func checkWindashLiteralDash(d *document, r *reporter) {
	stringValues(d, func(it *detectionItem, text string, line int) {
		if !it.Has("windash") {
			return
		}
		word := func(i int) bool {
			c := text[i]
			return c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80
		}
		for i, c := range text {
			if !strings.ContainsRune(windashDashes, c) {
				continue
			}
			starts := (c == '-' || c == '/') && !(i > 0 && word(i-1)) && i+1 < len(text) && word(i+1)
			if !starts {
				r.atPos(line, 0, "%s: windash leaves %s in %s as written: it expands only a - or / that starts a word (as the reference converter does), not every dash as spec 2.1 says; add the other forms as values if they matter", it.label(), quote(string(c)), quote(text))
				return
			}
		}
	})
}
