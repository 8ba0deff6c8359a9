package esmatch

import (
	"errors"
	"strings"
	"testing"
)

// Expressions measured on Elasticsearch 8.19 (live_test.go checks them on the node): the
// refused ones must be refused by the estimate, and the common shapes it accepts must stay
// accepted.
var (
	refusedByLucene = []string{
		".*[^\n]{1000,}.*", ".*.{1000,}.*", ".*[^\n]{1000,}", ".*a{1000,}.*", ".*[^\n]{446}",
		".*(ab){315}", "(.*a){316}", ".*[^\n]{315,}.*",
	}
	acceptedShapes = []string{
		".*([^\n]){200,}.*", "[^\n]{1000,}.*", ".{1000,}", ".*[^\n]{150}.*", ".*[^\\/]{100,}",
		".*\\\\[pP][oO][wW][eE][rR][sSſ][hH][eE][lL][lL]\\.[eE][xX][eE]", "()", "[cC]\\:\\\\.*",
		".*(a|b|[cC]\\-d)+.*x?y{2,5}", "(.*[^\\w])?foo([^\\w].*)?",
	}
)

func TestCheckDeterminizable(t *testing.T) {
	for _, re := range refusedByLucene {
		var ce *ComplexityError
		if err := CheckDeterminizable(re); !errors.As(err, &ce) {
			t.Errorf("%q: %v, want a *ComplexityError", re, err)
		}
	}
	for _, re := range acceptedShapes {
		if err := CheckDeterminizable(re); err != nil {
			t.Errorf("%q: %v", re, err)
		}
	}
}

// TestHostileDeterminizeBounded: an expression with a huge number of positions is refused
// without building them all, and one whose subset construction explodes stops at the
// budget.
func TestHostileDeterminizeBounded(t *testing.T) {
	for _, re := range []string{"(((a{1000}){1000}){1000}){1000}", ".*" + strings.Repeat("[ab]", 400) + ".*", "(a|b)*a(a|b){30}"} {
		if err := CheckDeterminizable(re); err == nil {
			t.Errorf("%.40q: accepted", re)
		}
	}
}

func TestCanonicalNumber(t *testing.T) {
	for text, want := range map[string]bool{
		"0": true, "7": true, "-7": true, "10": true, "1.5": true, "-0.25": true, "4688": true,
		"07": false, "1.50": false, "-0": false, "1e3": false, "+7": false, "7.": false, ".5": false, "": false, "1.0": false,
	} {
		if got := CanonicalNumber(text); got != want {
			t.Errorf("CanonicalNumber(%q) = %v", text, got)
		}
	}
}
