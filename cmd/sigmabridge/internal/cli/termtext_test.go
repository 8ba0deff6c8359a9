package cli

import "testing"

func TestPrintable(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"plain title", "plain title"},
		{"tab\tkept", "tab\tkept"},
		{"\x1b]0;pwned\x07", `\x1b]0;pwned\a`},
		{"line\nbreak\r", `line\nbreak\r`},
		{"bidi \u202egnp.exe", `bidi \u202egnp.exe`},
		{"c1 \u009b31m", `c1 \u009b31m`},
		{"bad \xff utf8", `bad \xff utf8`},
		{"real \uFFFD stays escaped", `real \ufffd stays escaped`},
		{"é ü 日本", "é ü 日本"},
	} {
		if got := Printable(c.in); got != c.want {
			t.Errorf("Printable(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}
