package esmatch

import (
	"fmt"
	"strings"
)

// MaxRegexpLength is Elasticsearch's default index.max_regex_length: a regexp query,
// query_string regular expression, ES|QL RLIKE or EQL regex longer than this is refused
// with HTTP 400. Elasticsearch counts Java chars (UTF-16 code units) of the expression as
// its query language hands it over, with the language's own string escapes undone.
const MaxRegexpLength = 1000

// RegexpLength returns the length Elasticsearch compares with MaxRegexpLength.
func RegexpLength(re string) int {
	n := 0
	for _, r := range re {
		// Ranging over a string yields no surrogate, so a rune is one code unit or a pair.
		if r > 0xFFFF {
			n += 2
		} else {
			n++
		}
	}
	return n
}

// LengthError reports a regular expression that does not fit MaxRegexpLength.
type LengthError struct {
	Length int
}

func (e *LengthError) Error() string {
	return fmt.Sprintf("it needs a regular expression of %d characters, and Elasticsearch refuses those longer than index.max_regex_length (%d)", e.Length, MaxRegexpLength)
}

// PackAlternatives joins whole-value alternatives (a value matches the union when it
// matches one of them) into as few regular expressions as fit MaxRegexpLength, in order; a
// value matches one of the results exactly when it matches one of the alternatives. It
// fails with a *LengthError when one alternative alone is too long.
func PackAlternatives(alts []string) ([]string, error) {
	var out []string
	var cur strings.Builder
	curLen := 0
	for _, a := range alts {
		n := RegexpLength(a)
		if n > MaxRegexpLength {
			return nil, &LengthError{Length: n}
		}
		if curLen > 0 && curLen+1+n > MaxRegexpLength {
			out = append(out, cur.String())
			cur.Reset()
			curLen = 0
		}
		if curLen > 0 {
			cur.WriteByte('|')
			curLen++
		}
		cur.WriteString(a)
		curLen += n
	}
	if curLen > 0 || len(out) == 0 {
		out = append(out, cur.String())
	}
	return out, nil
}

// FitRegexp returns re alone when it fits MaxRegexpLength, or a *LengthError.
func FitRegexp(re string) ([]string, error) {
	if n := RegexpLength(re); n > MaxRegexpLength {
		return nil, &LengthError{Length: n}
	}
	return []string{re}, nil
}
