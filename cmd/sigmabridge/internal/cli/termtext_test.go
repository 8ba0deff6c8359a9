package cli

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"unicode"
)

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

func TestCell(t *testing.T) {
	if got, want := Cell("a\tb\x1b"), `a\tb\x1b`; got != want {
		t.Errorf("Cell = %q, want %q", got, want)
	}
}

// TestJSONWriter: what JSONWriter writes decodes to the same values, and holds no
// character Printable escapes other than the layout's line feeds.
func TestJSONWriter(t *testing.T) {
	v := map[string]any{"s": "esc \x1b[2J del \x7f c1 \u0085\u009b bidi \u202e ls \u2028 tag \U000E0041 nl \n tab \t ok é"}
	var b bytes.Buffer
	enc := json.NewEncoder(JSONWriter(&b))
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	if strings.ContainsAny(out, "\x1b\x7f\u0085\u009b\u202e\u2028\U000E0041") || !strings.Contains(out, "é") {
		t.Errorf("%q", out)
	}
	var back map[string]any
	if err := json.Unmarshal(b.Bytes(), &back); err != nil || back["s"] != v["s"] {
		t.Errorf("round trip: %v %q", err, back["s"])
	}
}

// TestJSONCleanAgreesWithEscape: the writer's fast path passes a text through unchanged
// exactly when escaping it would leave it unchanged, for every rune (alone and between
// ASCII) and for invalid UTF-8.
func TestJSONCleanAgreesWithEscape(t *testing.T) {
	check := func(p []byte) {
		t.Helper()
		if clean, same := jsonClean(p), bytes.Equal(jsonEscape(p), p); clean != same {
			t.Fatalf("%q: jsonClean = %v, but escaping leaves it unchanged = %v", p, clean, same)
		}
	}
	for r := rune(0); r <= unicode.MaxRune; r++ {
		if r >= 0xd800 && r <= 0xdfff {
			continue // not encodable in UTF-8
		}
		check([]byte(string(r)))
		check([]byte(`{"q":"a` + string(r) + `b"}` + "\n"))
	}
	for _, p := range []string{"\xff", "a\xc3", "\xed\xa0\x80", "\xef\xbf\xbd", "ok\r\n\t"} {
		check([]byte(p))
	}
}
