package esmatch

import "strings"

// query_string delimits a regular expression with slashes, and its lexer reads `\/` as an
// escaped slash that does not close the expression, whatever precedes the backslash. An
// expression ending in an escaped backslash (`a\\`) would therefore run on to the next `/`
// of the query: a parse error, or a different query. SlashedRegexp writes that last
// backslash as the class `[\\]`, which matches the same rune and ends in `]`.

// SlashedRegexp returns re between slashes for query_string, with a final escaped backslash
// written as a class. It fails with a *LengthError when the class makes the expression
// longer than MaxRegexpLength.
func SlashedRegexp(re string) (string, error) {
	if trailingBackslashes(re) > 0 {
		re = re[:len(re)-2] + `[\\]`
		if n := RegexpLength(re); n > MaxRegexpLength {
			return "", &LengthError{Length: n}
		}
	}
	return "/" + re + "/", nil
}

// trailingBackslashes counts the backslashes that end s.
func trailingBackslashes(s string) int {
	return len(s) - len(strings.TrimRight(s, `\`))
}
