package evaluator

import (
	"unicode"
	"unicode/utf8"
)

// foldRune maps r to the smallest rune of its simple case-folding orbit, so two strings are
// equal under strings.EqualFold exactly when their folded forms are byte-equal. For ASCII
// letters that representative is the upper-case letter.
func foldRune(r rune) rune {
	if r < utf8.RuneSelf {
		if 'a' <= r && r <= 'z' {
			return r - ('a' - 'A')
		}
		return r
	}
	least := r
	for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
		if f < least {
			least = f
		}
	}
	return least
}

// foldedAlready reports whether s is valid UTF-8 already in folded form (no ASCII lower-case
// letter and no byte >= 0x80), so folding would return s itself.
func foldedAlready(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= utf8.RuneSelf || ('a' <= c && c <= 'z') {
			return false
		}
	}
	return true
}

// appendFold appends the folded form of s to dst. Invalid UTF-8 bytes become U+FFFD, one
// per byte, which is how strings.EqualFold and range loops read them.
func appendFold(dst []byte, s string) []byte {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if 'a' <= c && c <= 'z' {
				c -= 'a' - 'A'
			}
			dst = append(dst, c)
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		dst = utf8.AppendRune(dst, foldRune(r))
		i += size
	}
	return dst
}

// foldString returns the folded form of s.
func foldString(s string) string {
	if foldedAlready(s) {
		return s
	}
	return string(appendFold(make([]byte, 0, len(s)), s))
}

// validUTF8 returns s with every invalid byte replaced by U+FFFD (as encoding/json does),
// or s itself when it is valid.
func validUTF8(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	b := make([]byte, 0, len(s)+8)
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		b = utf8.AppendRune(b, r)
		i += size
	}
	return string(b)
}
