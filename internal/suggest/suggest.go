// Package suggest finds the known name a mistyped one was probably meant to be, for the
// "did you mean" hints of the command line, the pipeline names and the modifier table.
package suggest

import (
	"strings"

	"github.com/agnivade/levenshtein"
)

// Closest returns the candidate nearest to name, or "" when none is near enough: at most
// two edits away, and fewer edits than half the candidate's length (so "x" does not
// suggest "re"). A candidate that differs only in case, or that starts with name or name
// starts with (three characters or more), is always near enough. Ties go to the earlier candidate.
func Closest(name string, candidates []string) string {
	best, bestDist := "", 0
	lower := strings.ToLower(name)
	for _, c := range candidates {
		lc := strings.ToLower(c)
		if c == name {
			return ""
		}
		if lc == lower {
			return c
		}
		d := levenshtein.ComputeDistance(lower, lc)
		if len(lower) >= 3 && strings.HasPrefix(lc, lower) || len(lc) >= 3 && strings.HasPrefix(lower, lc) {
			d = min(d, 1)
		}
		if d > 2 || 2*d >= len(lc) {
			continue
		}
		if best == "" || d < bestDist {
			best, bestDist = c, d
		}
	}
	return best
}

// Hint is Closest as the tail of a message: `; did you mean "NAME"?`, or "".
func Hint(name string, candidates []string) string {
	if s := Closest(name, candidates); s != "" {
		return `; did you mean "` + s + `"?`
	}
	return ""
}
