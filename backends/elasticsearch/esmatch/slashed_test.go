package esmatch

import (
	"errors"
	"strings"
	"testing"
)

// TestSlashedRegexp: an expression ending in an escaped backslash ends in the class [\\]
// instead, so query_string's lexer cannot read the closing slash as escaped; others are
// only delimited, and a class that overflows the length limit is a *LengthError.
func TestSlashedRegexp(t *testing.T) {
	for re, want := range map[string]string{
		`a\\`:     `/a[\\]/`,
		`[aA]\\`:  `/[aA][\\]/`,
		`\\\\`:    `/\\[\\]/`,
		`a\/`:     `/a\//`,
		`.*\\.*`:  `/.*\\.*/`,
		`[a\\]`:   `/[a\\]/`,
		`()`:      `/()/`,
		`x\\|y\\`: `/x\\|y[\\]/`,
	} {
		got, err := SlashedRegexp(re)
		if err != nil || got != want {
			t.Errorf("SlashedRegexp(%q) = %q, %v; want %q", re, got, err, want)
		}
	}
	var le *LengthError
	if _, err := SlashedRegexp(strings.Repeat("a", MaxRegexpLength-2) + `\\`); !errors.As(err, &le) {
		t.Errorf("a %d-character expression ending in a backslash: %v, want a *LengthError", MaxRegexpLength, err)
	}
}
