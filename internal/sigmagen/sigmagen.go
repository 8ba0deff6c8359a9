// Package sigmagen generates random Sigma rules (YAML, read through the real loader by its
// users) and random JSON events over one schema of fields, deterministically from a seed,
// for the differential tests that run every target's queries against the evaluator
// (backends/elasticsearch/integration/randdiff_test.go, backends/splunk/randdiff_test.go).
//
// Values are drawn from a shared vocabulary of hostile strings (trailing backslashes,
// slashes, quotes, query-syntax characters, letters whose case folding is irregular, long
// values), so rules hit events often enough for every leaf kind to be decided both ways.
// It is a test helper: nothing outside tests imports it.
package sigmagen

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"regexp"
	"slices"
	"strings"
	"unicode"
)

// Schema names the fields of the events, by the one JSON type each holds (besides null).
// A field is a dotted path; a path below one of ObjectArrays is a key of the objects of an
// array ("resources.ARN" with ObjectArrays ["resources"]).
type Schema struct {
	Strings []string // string values, sometimes arrays of strings
	IPs     []string // strings that are IP addresses, or are not
	Ints    []string // integers, sometimes arrays of integers
	Floats  []string // numbers written with a fraction
	Bools   []string // booleans
	// ObjectArrays are the paths that hold arrays of objects.
	ObjectArrays []string
	// NoArrays are string fields that never hold an array.
	NoArrays []string
}

// Fields returns every field of the schema.
func (s Schema) Fields() []string {
	var out []string
	for _, l := range [][]string{s.Strings, s.IPs, s.Ints, s.Floats, s.Bools} {
		out = append(out, l...)
	}
	return out
}

// MultiValued returns the fields that may hold several values in one event.
func (s Schema) MultiValued() []string {
	var out []string
	for _, f := range s.Fields() {
		if !slices.Contains(s.NoArrays, f) && !slices.Contains(s.Bools, f) && !slices.Contains(s.Floats, f) {
			out = append(out, f)
		}
	}
	return out
}

// Options turn off classes of leaves a target is known not to take.
type Options struct {
	NoFieldRef bool
	NoRegex    bool
	NoCIDR     bool
	NoNumbers  bool
	// LongLists allows lists of a few hundred values.
	LongLists bool
	// StableArrays makes every present value of a multi-valued field an array (of 0-3
	// values), as in logs whose JSON types do not vary between events.
	StableArrays bool
	// LongValuesIn, when not nil, lists the only string fields whose event values may be
	// longer than 256 bytes (Elasticsearch's default ignore_above), so that a mapping with
	// that limit leaves the other fields exact.
	LongValuesIn []string
}

// Gen draws rules and events.
type Gen struct {
	r     *rand.Rand
	s     Schema
	o     Options
	vocab []string
}

// hostile is the core of every vocabulary.
var hostile = []string{
	`a\`, `C:\Windows\`, `\\server\share`, `x\y`, `\`, `\\`, `/`, `/tmp/x/`, `a/b`, `http://e.x/p?q=1`,
	`"quoted"`, `it's`, `a"b'c`, `a*b`, `what?`, `*`, `?`, `a b`, ` lead`, `trail `, `key:value`,
	`(x)`, `{y}`, `[z]`, `~tilde`, `^caret`, `a&&b`, `a||b`, `!bang`, `<lt>`, `=eq`, `+plus`, `-dash`,
	`#hash`, `%pct`, `$dollar`, "tab\there", "line\nbreak", `é`, `É`, `ÉCOLE`, `école`, `ß`, `ẞ`, `SS`,
	"\u212a", `k`, `K`, `İstanbul`, `ı`, `Σίσυφος`, `ς`, `σ`, `Ω`, "\u2126", `ﬁ`, `日本語`, `😀x`,
	`Δ-1`, `0x41`, `007`, `+7`, `1e3`, `10`, `10.0`, `-1`, `true`, `null`, `NULL`, `AND`, `or`, `NOT x`,
	`powershell.exe`, `PowerShell.EXE`, `cmd.exe /c whoami`, `%COMSPEC%`, `Invoke-Expression`,
	`arn:aws:iam::123456789012:role/Admin`, `CreateFunction20150331`, `GetObject`,
}

// New returns a generator for the schema; the same seed gives the same rules and events.
func New(seed uint64, s Schema, o Options) *Gen {
	g := &Gen{r: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), s: s, o: o}
	// A different third of the hostile words per seed: a small vocabulary makes rules and
	// events meet often.
	for _, i := range g.r.Perm(len(hostile))[:len(hostile)/3] {
		g.vocab = append(g.vocab, hostile[i])
	}
	for range 4 {
		g.vocab = append(g.vocab, g.word())
	}
	long := strings.Repeat("L", 250) + `\tail` + g.word()
	g.vocab = append(g.vocab, long, strings.Repeat("é", 140)+"x") // over 256 bytes: ignore_above
	return g
}

func (g *Gen) word() string {
	const letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_."
	n := 2 + g.r.IntN(8)
	b := make([]byte, n)
	for i := range b {
		b[i] = letters[g.r.IntN(len(letters))]
	}
	return string(b)
}

func pick[T any](r *rand.Rand, s []T) T { return s[r.IntN(len(s))] }

// caseVariant changes the letter case of s, or not.
func (g *Gen) caseVariant(s string) string {
	switch g.r.IntN(5) {
	case 0:
		return strings.ToUpper(s)
	case 1:
		return strings.ToLower(s)
	case 2:
		return strings.Map(func(c rune) rune {
			if unicode.IsUpper(c) {
				return unicode.ToLower(c)
			}
			return unicode.ToUpper(c)
		}, s)
	}
	return s
}

// stringValue is an event's string for field f: vocabulary words, case-changed, sometimes
// joined, drawn again while too long for f (Options.LongValuesIn).
func (g *Gen) stringValue(f string) string {
	for {
		v := g.drawString()
		if len(v) <= 256 || g.o.LongValuesIn == nil || slices.Contains(g.o.LongValuesIn, f) {
			return v
		}
	}
}

func (g *Gen) drawString() string {
	v := g.caseVariant(pick(g.r, g.vocab))
	switch g.r.IntN(6) {
	case 0:
		v = g.caseVariant(pick(g.r, g.vocab)) + v
	case 1:
		v += g.caseVariant(pick(g.r, g.vocab))
	case 2:
		v = pick(g.r, []string{"", " ", "x", "-", `\`, "/"}) + v + pick(g.r, []string{"", " ", "y", `\`, "/", "."})
	}
	return v
}

var ips = []string{"10.1.2.3", "10.255.0.1", "192.168.1.1", "172.16.5.4", "8.8.8.8", "fc00::1", "fd12:3456::9", "2001:db8::1", "::1", "not-an-ip", "", "10.1.2.3 "}

// Event returns one event's JSON.
func (g *Gen) Event() []byte {
	ev := map[string]any{}
	for _, f := range g.s.Strings {
		if v, ok := g.maybe(f, func() any { return g.stringValue(f) }); ok {
			g.set(ev, f, v)
		}
	}
	for _, f := range g.s.IPs {
		if v, ok := g.maybe(f, func() any { return pick(g.r, ips) }); ok {
			g.set(ev, f, v)
		}
	}
	for _, f := range g.s.Ints {
		if v, ok := g.maybe(f, func() any {
			return json.Number(pick(g.r, []string{"-3", "0", "5", "9", "10", "11", "42", "1000000", "-10"}))
		}); ok {
			g.set(ev, f, v)
		}
	}
	for _, f := range g.s.Floats {
		if v, ok := g.maybe(f, func() any {
			return json.Number(pick(g.r, []string{"-0.5", "2.5", "9.99", "10.0", "10.5", "1.0e3", "0.0"}))
		}); ok {
			g.set(ev, f, v)
		}
	}
	for _, f := range g.s.Bools {
		if v, ok := g.maybe(f, func() any { return g.r.IntN(2) == 0 }); ok {
			g.set(ev, f, v)
		}
	}
	return Marshal(ev)
}

// Full returns an event with a value in every field, so every field is mapped.
func (g *Gen) Full() []byte {
	ev := map[string]any{}
	for _, f := range g.s.Strings {
		g.set(ev, f, "seed")
	}
	for _, f := range g.s.IPs {
		g.set(ev, f, "10.9.9.9")
	}
	for _, f := range g.s.Ints {
		g.set(ev, f, json.Number("1"))
	}
	for _, f := range g.s.Floats {
		g.set(ev, f, json.Number("1.5"))
	}
	for _, f := range g.s.Bools {
		g.set(ev, f, true)
	}
	return Marshal(ev)
}

// maybe returns a value for f, an array of values, null, or nothing.
func (g *Gen) maybe(f string, val func() any) (any, bool) {
	switch n := g.r.IntN(12); {
	case n < 2:
		return nil, false
	case n == 2:
		return nil, true
	case (n <= 4 || g.o.StableArrays) && slices.Contains(g.s.MultiValued(), f) && g.under(f) == "":
		k := g.r.IntN(4)
		vs := make([]any, 0, k)
		for range k {
			vs = append(vs, val())
		}
		return vs, true
	}
	return val(), true
}

// under returns the object array f is below, or "".
func (g *Gen) under(f string) string {
	for _, a := range g.s.ObjectArrays {
		if strings.HasPrefix(f, a+".") {
			return a
		}
	}
	return ""
}

// set stores v at the dotted path f, as nested objects; below an object array, in one of
// its objects (made as needed).
func (g *Gen) set(ev map[string]any, f string, v any) {
	if a := g.under(f); a != "" {
		parts := strings.Split(a, ".")
		parent := g.obj(ev, parts[:len(parts)-1])
		key := parts[len(parts)-1]
		arr, _ := parent[key].([]any)
		if len(arr) == 0 || g.r.IntN(3) == 0 {
			arr = append(arr, map[string]any{})
		}
		m := arr[g.r.IntN(len(arr))].(map[string]any)
		m[f[len(a)+1:]] = v
		parent[key] = arr
		return
	}
	parts := strings.Split(f, ".")
	g.obj(ev, parts[:len(parts)-1])[parts[len(parts)-1]] = v
}

func (g *Gen) obj(ev map[string]any, parts []string) map[string]any {
	m := ev
	for _, p := range parts {
		next, ok := m[p].(map[string]any)
		if !ok {
			next = map[string]any{}
			m[p] = next
		}
		m = next
	}
	return m
}

// Marshal writes v as JSON without HTML escapes.
func Marshal(v any) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		panic(err)
	}
	return bytes.TrimSpace(buf.Bytes())
}

// quote writes s as a YAML double-quoted scalar (JSON's escapes are YAML's).
func quote(s string) string { return string(Marshal(s)) }

// sigmaEscape writes s as a Sigma string whose wildcards are literal.
func sigmaEscape(s string) string {
	var b strings.Builder
	for _, c := range s {
		switch c {
		case '*', '?', '\\':
			b.WriteByte('\\')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// cut returns a piece of s by runes.
func (g *Gen) cut(s, mod string) string {
	rs := []rune(s)
	if len(rs) < 2 {
		return s
	}
	n := 1 + g.r.IntN(len(rs))
	switch mod {
	case "startswith":
		return string(rs[:n])
	case "endswith":
		return string(rs[len(rs)-n:])
	case "contains":
		i := g.r.IntN(len(rs) - n + 1)
		return string(rs[i : i+n])
	}
	return s
}

// sigmaValue returns a Sigma string for a string leaf with modifier mod: an escaped piece
// of a vocabulary word (sometimes case-changed), sometimes with a wildcard in it.
func (g *Gen) sigmaValue(mod string) string {
	v := g.cut(g.caseVariant(pick(g.r, g.vocab)), mod)
	if g.r.IntN(12) == 0 {
		v = g.word()
	}
	esc := sigmaEscape(v)
	if g.r.IntN(5) == 0 {
		// A wildcard in place of a character, or between two.
		rs := []rune(v)
		i := g.r.IntN(len(rs) + 1)
		w := pick(g.r, []string{"*", "?"})
		end := i
		if w == "?" && i < len(rs) {
			end = i + 1
		}
		esc = sigmaEscape(string(rs[:i])) + w + sigmaEscape(string(rs[end:]))
	}
	if strings.HasSuffix(esc, `\\`) && g.r.IntN(2) == 0 && !strings.HasSuffix(esc, `\\\\`) {
		// A lone trailing backslash is literal in Sigma too.
		esc = esc[:len(esc)-1]
	}
	return esc
}

// regexValue returns a regular expression built around a vocabulary word.
func (g *Gen) regexValue() string {
	w := regexp.QuoteMeta(g.cut(pick(g.r, g.vocab), "contains"))
	switch g.r.IntN(8) {
	case 0:
		return "^" + w
	case 1:
		return w + "$"
	case 2:
		return "^" + w + ".*$"
	case 3:
		return w + "|" + regexp.QuoteMeta(g.cut(pick(g.r, g.vocab), "contains"))
	case 4:
		return "[a-z]+" + w
	case 5:
		return w + `\d*`
	case 6:
		return "(" + w + ")+."
	}
	return w
}

// leaf writes one detection item ("key: value" or "key:\n  - v" lines, indented by ind).
func (g *Gen) leaf(b *strings.Builder, ind string, used map[string]bool) {
	for range 10 {
		kinds := []string{"str", "str", "str", "str", "exists", "null"}
		if len(g.s.IPs) > 0 && !g.o.NoCIDR {
			kinds = append(kinds, "cidr")
		}
		if !g.o.NoRegex {
			kinds = append(kinds, "re", "re")
		}
		if !g.o.NoNumbers && len(g.s.Ints)+len(g.s.Floats) > 0 {
			kinds = append(kinds, "num", "num")
		}
		if len(g.s.Bools) > 0 {
			kinds = append(kinds, "bool")
		}
		if !g.o.NoFieldRef && g.r.IntN(4) == 0 {
			kinds = append(kinds, "ref")
		}
		kind := pick(g.r, kinds)
		var f string
		switch kind {
		case "str", "re":
			f = pick(g.r, g.s.Strings)
		case "ref":
			f = pick(g.r, g.s.Strings)
		case "cidr":
			f = pick(g.r, g.s.IPs)
		case "num":
			f = pick(g.r, append(slices.Clone(g.s.Ints), g.s.Floats...))
		case "bool":
			f = pick(g.r, g.s.Bools)
		default:
			f = pick(g.r, g.s.Fields())
		}
		key := f
		var vals []string
		switch kind {
		case "str":
			mod := pick(g.r, []string{"", "", "contains", "startswith", "endswith"})
			if mod != "" {
				key += "|" + mod
			}
			if g.r.IntN(6) == 0 {
				key += "|cased"
			}
			n := 1
			switch k := g.r.IntN(200); {
			case k < 50:
				n = 2 + g.r.IntN(4)
			case k < 54 && g.o.LongLists:
				n = 20 + g.r.IntN(40)
			case k < 55 && g.o.LongLists:
				n = 300 + g.r.IntN(40) // past ES|QL's expression depth as OR leaves
			}
			for range n {
				vals = append(vals, quote(g.sigmaValue(mod)))
			}
			if n > 1 && g.r.IntN(4) == 0 {
				key += "|all"
			}
		case "re":
			key += "|re"
			if g.r.IntN(3) == 0 {
				key += "|i"
			}
			vals = append(vals, quote(g.regexValue()))
		case "cidr":
			key += "|cidr"
			for range 1 + g.r.IntN(2) {
				vals = append(vals, quote(pick(g.r, []string{"10.0.0.0/8", "192.168.0.0/16", "fc00::/7", "8.8.8.8/32", "2001:db8::/32", "10.1.2.0/24"})))
			}
		case "num":
			op := pick(g.r, []string{"", "|gt", "|gte", "|lt", "|lte"})
			v := pick(g.r, []string{"10", "0", "-3", "5", "2.5", "10.0", "1000000", "9.99"})
			key = f + op
			vals = append(vals, v)
		case "bool":
			vals = append(vals, pick(g.r, []string{"true", "false"}))
		case "exists":
			key += "|exists"
			vals = append(vals, pick(g.r, []string{"true", "false"}))
		case "null":
			vals = append(vals, "null")
		case "ref":
			key += "|fieldref"
			vals = append(vals, pick(g.r, g.s.Strings))
		}
		if used[key] {
			continue
		}
		used[key] = true
		if len(vals) == 1 {
			fmt.Fprintf(b, "%s%s: %s\n", ind, key, vals[0])
			return
		}
		fmt.Fprintf(b, "%s%s:\n", ind, key)
		for _, v := range vals {
			fmt.Fprintf(b, "%s  - %s\n", ind, v)
		}
		return
	}
}

// selection writes one named search: a map of 1-3 items, or a list of such maps.
func (g *Gen) selection(b *strings.Builder, name string) {
	fmt.Fprintf(b, "  %s:\n", name)
	if g.r.IntN(5) == 0 {
		for range 2 + g.r.IntN(2) {
			used := map[string]bool{}
			first := true
			for range 1 + g.r.IntN(2) {
				var item strings.Builder
				g.leaf(&item, "      ", used)
				s := item.String()
				if first {
					s = "    - " + strings.TrimPrefix(s, "      ")
					first = false
				}
				b.WriteString(s)
			}
		}
		return
	}
	used := map[string]bool{}
	for range 1 + g.r.IntN(3) {
		g.leaf(b, "    ", used)
	}
}

// condition writes a random boolean expression over the selection names.
func (g *Gen) condition(names []string, depth int) string {
	if depth == 0 || g.r.IntN(3) == 0 {
		switch g.r.IntN(8) {
		case 0:
			return "1 of sel*"
		case 1:
			return "all of sel*"
		}
		return pick(g.r, names)
	}
	switch g.r.IntN(4) {
	case 0:
		return "not " + g.condition(names, depth-1)
	case 1:
		return "(" + g.condition(names, depth-1) + " or " + g.condition(names, depth-1) + ")"
	}
	return "(" + g.condition(names, depth-1) + " and " + g.condition(names, depth-1) + ")"
}

// Rule returns the YAML of rule number i.
func (g *Gen) Rule(i int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "title: random rule %d\nid: 00000000-0000-4000-8000-%012d\nstatus: test\nlevel: low\n", i, i)
	b.WriteString("logsource:\n  product: random\ndetection:\n")
	n := 1 + g.r.IntN(4)
	var names []string
	for k := range n {
		name := fmt.Sprintf("sel%d", k)
		names = append(names, name)
		g.selection(&b, name)
	}
	fmt.Fprintf(&b, "  condition: %s\n", g.condition(names, 3))
	return b.String()
}
