package convert

import (
	"encoding/json"
	"fmt"
	"math/rand"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sigmabridge/sigmabridge/cmd/sigmabridge/internal/cli"
)

// rawControl returns the first character of s that a line of output must not hold raw
// (any control character but tab and the line feed ending lines, and the Unicode line
// separators), or -1.
func rawControl(s string) rune {
	for _, r := range s {
		if r < 0x20 && r != '\t' && r != '\n' || r >= 0x7f && r <= 0x9f || r == 0x2028 || r == 0x2029 {
			return r
		}
	}
	return -1
}

func ruleWith(title, field, value string) string {
	q := func(s string) string { b, _ := json.Marshal(s); return string(b) }
	return "title: " + q(title) + "\nid: 7f2a9a4e-8d0c-4c1e-9a43-6f0a1c2b3d4e\nlogsource: {product: aws, service: cloudtrail}\n" +
		"detection:\n  sel:\n    " + q(field) + ": " + q(value) + "\n  condition: sel\n"
}

// TestHostileNewlineKeepsFraming converts rules whose values and field names hold line
// breaks and control characters to every target: the default output stays one query per
// line with no raw control character (the target's own escape, a JSON escape for dsl, or
// the rule failed with a named diagnostic), and jsonl stays one valid JSON object per
// line carrying the same queries.
func TestHostileNewlineKeepsFraming(t *testing.T) {
	dir := t.TempDir()
	rules := map[string]string{
		"good.yml":      goodRule,
		"lf-value.yml":  ruleWith("LF \x1b[2J value\nsecond line", "eventName", "p\nq"),
		"cr-value.yml":  ruleWith("CR", "eventName", "p\rq"),
		"lf-field.yml":  ruleWith("LF field", "a\nb", "v"),
		"esc-value.yml": ruleWith("ESC", "eventName", "\x1b]0;pwned\x07"),
		"ls-value.yml":  ruleWith("LS", "eventName", "p\u2028q\u0085r"),
		// A C1 control (CSI), which encoding/json leaves raw, written as a YAML escape.
		"csi-value.yml": strings.Replace(goodRule, "CreateFunction}", `"\u009b31m \u202e"}`, 1),
	}
	for name, body := range rules {
		write(t, dir, name, body)
	}
	// What each target must do with the line feed in a value: its own escape, or fail.
	lfValue := map[string]string{"splunk": `\\x{a}`, "esql": `"p\nq"`, "eql": `"p\nq"`, "dsl": `p\nq`, "lucene": ""}
	for _, target := range []string{"splunk", "lucene", "dsl", "esql", "eql"} {
		t.Run(target, func(t *testing.T) {
			code, out, stderr := run(t, Options{Target: target, Paths: []string{dir}})
			if c := rawControl(out); c >= 0 {
				t.Fatalf("raw %U in the default output:\n%s", c, out)
			}
			if c := rawControl(stderr); c >= 0 {
				t.Errorf("raw %U on stderr:\n%s", c, stderr)
			}
			lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
			_, jsonl, _ := run(t, Options{Target: target, Format: "jsonl", Paths: []string{dir}})
			if c := rawControl(jsonl); c >= 0 {
				t.Fatalf("raw %U in the jsonl output:\n%s", c, jsonl)
			}
			var converted []string
			failed := map[string]string{}
			for _, l := range strings.Split(strings.TrimSuffix(jsonl, "\n"), "\n") {
				var m struct {
					Path  string          `json:"path"`
					Query json.RawMessage `json:"query"`
					Error *struct{ Code string }
				}
				if err := json.Unmarshal([]byte(l), &m); err != nil {
					t.Fatalf("jsonl line %q: %v", l, err)
				}
				if m.Error != nil {
					failed[filepath.Base(m.Path)] = m.Error.Code
					continue
				}
				var text string
				if json.Unmarshal(m.Query, &text) != nil {
					text = string(m.Query) // dsl: the query is an object
				}
				converted = append(converted, filepath.Base(m.Path)+"\x00"+text)
			}
			// Every query of the default output is a whole query of jsonl, in order; the
			// ones missing failed with a named diagnostic on stderr.
			j := 0
			for _, c := range converted {
				name, text, _ := strings.Cut(c, "\x00")
				if j < len(lines) && sameQuery(lines[j], text) {
					j++
					continue
				}
				if !strings.Contains(stderr, filepath.Join(dir, name)+":1: "+ControlCharacter+": the "+target+" query holds a raw ") {
					t.Errorf("%s: neither in the default output nor failed with %s; stderr:\n%s", name, ControlCharacter, stderr)
				}
			}
			if j != len(lines) || len(lines) == 0 {
				t.Errorf("%d lines, %d matched queries of jsonl:\n%s", len(lines), j, out)
			}
			_, good, _ := run(t, Options{Target: target, Paths: []string{filepath.Join(dir, "good.yml")}})
			if failed["good.yml"] != "" || good == "" || !strings.Contains(out, good) {
				t.Errorf("the good rule's query %q is not in the output:\n%s", good, out)
			}
			if want := lfValue[target]; want == "" {
				if !strings.Contains(stderr, "lf-value.yml:1: "+ControlCharacter+": the lucene query holds a raw line feed (U+000A)") {
					t.Errorf("lucene has no escape for a line feed; stderr:\n%s", stderr)
				}
			} else if !strings.Contains(out, want) {
				t.Errorf("the line feed is not written as %s:\n%s", want, out)
			}
			// dsl frames everything with JSON escapes; every other target fails a rule.
			if want := cli.ExitFailure; code != want && target != "dsl" || target == "dsl" && code != cli.ExitOK {
				t.Errorf("exit %d", code)
			}
		})
	}
}

// sameQuery compares a line of the default output with the query jsonl carries: equal
// text, or for dsl equal JSON values.
func sameQuery(line, query string) bool {
	if line == query {
		return true
	}
	var a, b any
	if json.Unmarshal([]byte(line), &a) != nil || json.Unmarshal([]byte(query), &b) != nil {
		return false
	}
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}

// TestHostileTerminalText: a rule file whose name and title hold escape sequences gets
// its diagnostics, the -o refusal and the summary on stderr with the sequences escaped.
func TestHostileTerminalText(t *testing.T) {
	dir := t.TempDir()
	evil := write(t, dir, "evil\x1b]0;owned\x07.yml", strings.Replace(badModifier, "title: Bad", "title: \"Bad \\e[2J\"", 1))
	write(t, dir, "good.yml", goodRule)
	for _, o := range []Options{
		{Target: "splunk", Paths: []string{dir}},
		{Target: "splunk", Format: "jsonl", Paths: []string{dir}},
		{Target: "splunk", Paths: []string{dir}, Output: evil},
		{Target: "splunk", Paths: []string{filepath.Join(dir, "missing\x1b[31m")}},
	} {
		_, out, stderr := run(t, o)
		if strings.ContainsAny(out+stderr, "\x1b\x07") {
			t.Errorf("%+v: raw escape sequence in the output:\n%q\n%q", o, out, stderr)
		}
		if !strings.Contains(stderr, `\x1b`) {
			t.Errorf("%+v: the escaped path is not shown: %q", o, stderr)
		}
	}
}

// yamlQuote writes s as a YAML double-quoted scalar that holds only printable ASCII.
func yamlQuote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r >= 0x20 && r < 0x7f:
			b.WriteRune(r)
		case r > 0xffff:
			fmt.Fprintf(&b, `\U%08x`, r)
		default:
			fmt.Fprintf(&b, `\u%04x`, r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// TestHostileRandomTextKeepsFraming converts a batch of rules whose field names and values
// are random strings over an alphabet of line breaks, control and format characters,
// quotes, backslashes, wildcards and words of the targets' grammars, to every target: the
// default output has exactly one line per query jsonl carries and no raw control
// character, every failure is named on stderr, and jsonl has one valid object per rule.
func TestHostileRandomTextKeepsFraming(t *testing.T) {
	alphabet := []string{"a", "Z", "0", " ", "\t", "\n", "\r", "\r\n", "\x1b[2J", "\x07", "\x00", "\x7f", "\u0085", "\u009b",
		"\u2028", "\u2029", "\u202e", "\u200b", "\ufeff", "é", "日", "\U0001F600", `"`, "'", "`", `\`, "*", "?", "|", "=", ".",
		"where", "AND", "earliest", "NOT", "%x%", "$t$", "[", "]", "(", ")", ":", "/", "-", "@", "#", "{", "}"}
	rng := rand.New(rand.NewSource(13))
	random := func(n int) string {
		var b strings.Builder
		for range 1 + rng.Intn(n) {
			b.WriteString(alphabet[rng.Intn(len(alphabet))])
		}
		return b.String()
	}
	dir := t.TempDir()
	const rules = 200
	for i := range rules {
		field := random(3)
		if rng.Intn(2) == 0 {
			field = "f"
		}
		modifier := []string{"", "|contains", "|startswith", "|cased"}[rng.Intn(4)]
		body := fmt.Sprintf("title: %s\nid: %08d-8d0c-4c1e-9a43-6f0a1c2b3d4e\nlogsource: {product: aws}\ndetection:\n  sel:\n    %s: %s\n  condition: sel\n",
			yamlQuote(random(4)), i, yamlQuote(field+modifier), yamlQuote(random(6)))
		write(t, dir, fmt.Sprintf("r%03d.yml", i), body)
	}
	for _, target := range []string{"splunk", "lucene", "dsl", "esql", "eql"} {
		_, out, stderr := run(t, Options{Target: target, Paths: []string{dir}})
		_, jsonl, _ := run(t, Options{Target: target, Format: "jsonl", Paths: []string{dir}})
		for name, s := range map[string]string{"default": out, "stderr": stderr, "jsonl": jsonl} {
			if c := rawControl(s); c >= 0 {
				t.Fatalf("%s: raw %U in %s", target, c, name)
			}
		}
		objects, queries := 0, 0
		for _, l := range strings.Split(strings.TrimSuffix(jsonl, "\n"), "\n") {
			var m struct {
				Path  string
				Query json.RawMessage
			}
			if err := json.Unmarshal([]byte(l), &m); err != nil {
				t.Fatalf("%s: jsonl line %q: %v", target, l, err)
			}
			objects++
			if m.Query != nil {
				queries++
			}
		}
		lines := 0
		if out != "" {
			lines = strings.Count(out, "\n")
		}
		framed := strings.Count(stderr, ": "+ControlCharacter+": ")
		if objects != rules || lines+framed != queries || !strings.HasSuffix(out, "\n") && out != "" {
			t.Errorf("%s: %d jsonl objects for %d rules, %d of its queries; default output %d lines, %d rules failed with %s",
				target, objects, rules, queries, lines, framed, ControlCharacter)
		}
		t.Logf("%s: %d of %d rules converted, %d lines in the default output", target, queries, rules, lines)
	}
}
