package esmatch

import (
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

// TestASCIITables: the ASCII tables of LowerClass and writeFoldedRune give what computing
// each rune gives, and a rune FoldLower cannot write still panics.
func TestASCIITables(t *testing.T) {
	for r := rune(0); r < utf8.RuneSelf; r++ {
		class, ok := LowerClass(r)
		wantClass, wantOK := lowerClass(r)
		if ok != wantOK || !slices.Equal(class, wantClass) {
			t.Errorf("LowerClass(%q) = %q, %v; computed %q, %v", r, class, ok, wantClass, wantOK)
		}
		for fold := FoldNone; fold <= FoldLower+1; fold++ {
			if fold == FoldLower && !wantOK {
				func() {
					defer func() {
						if recover() == nil {
							t.Errorf("writeFoldedRune(%q, FoldLower) did not panic", r)
						}
					}()
					writeFoldedRune(&strings.Builder{}, r, fold)
				}()
				continue
			}
			var got, want strings.Builder
			writeFoldedRune(&got, r, fold)
			writeFoldedRuneSlow(&want, r, fold)
			if got.String() != want.String() {
				t.Errorf("writeFoldedRune(%q, %d) = %q, computed %q", r, fold, got.String(), want.String())
			}
		}
	}
	if got := RegexpLength("a\u00e9\u20ac\U0001F600"); got != 5 {
		t.Errorf("RegexpLength = %d, want 5 (one UTF-16 pair)", got)
	}
}
