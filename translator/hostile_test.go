package translator

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sigmabridge/sigmabridge/bench/growthtest"
	"github.com/sigmabridge/sigmabridge/translator/diag"
	"github.com/sigmabridge/sigmabridge/translator/ir"
)

// hostileDoc is one rule document with searches a and b and the given condition (a YAML
// plain scalar: it must not start with a character YAML reserves) and extra search lines.
func hostileDoc(title, condition, extra string) string {
	return "title: " + title + "\nlogsource:\n  product: test\ndetection:\n  a:\n    x: 1\n  b:\n    y: 2\n" +
		extra + "  condition: " + condition + "\nlevel: low\n"
}

// sandwich puts a hostile document between two good ones and returns the file and the
// 1-based line of the hostile document's condition.
func sandwich(hostile string) (string, int) {
	before := hostileDoc("good before", "a and b", "") + "---\n"
	line := strings.Count(before, "\n") + 1
	for _, l := range strings.Split(hostile, "\n") {
		if strings.HasPrefix(l, "  condition:") {
			break
		}
		line++
	}
	return before + hostile + "---\n" + hostileDoc("good after", "a or not b", ""), line
}

// alternating returns `a and (b or (a and (b or ... a)))` with depth nested parentheses.
func alternating(depth int) string {
	var sb strings.Builder
	ops := [2]string{" and (", " or ("}
	names := [2]string{"a", "b"}
	for i := range depth {
		sb.WriteString(names[i%2])
		sb.WriteString(ops[i%2])
	}
	sb.WriteString("a")
	sb.WriteString(strings.Repeat(")", depth))
	return sb.String()
}

// assertAlone checks that the file loaded its two good rules and failed the hostile one
// with code at line, naming the limit.
func assertAlone(t *testing.T, rules []*ir.Rule, diags diag.List, code string, line int, limit string) {
	t.Helper()
	var titles []string
	for _, r := range rules {
		titles = append(titles, r.Title)
	}
	if strings.Join(titles, ",") != "good before,good after" {
		t.Errorf("rules loaded: %q, want the two good ones", titles)
	}
	errs := diags.Errors()
	if len(errs) != 1 {
		t.Fatalf("want one error, got %v", diags)
	}
	d := errs[0]
	if string(d.Code) != code || d.Line != line || d.Path != "hostile.yml" || !strings.Contains(d.Message, limit) {
		t.Errorf("got %s (line %d), want %s at hostile.yml:%d naming %s", d, d.Line, code, line, limit)
	}
}

func TestHostileDeepConditions(t *testing.T) {
	limit := fmt.Sprint(MaxConditionDepth)
	cases := []struct {
		name, cond, code, limit string
	}{
		{"parentheses one over", strings.Repeat("(", MaxConditionDepth+1) + "a" + strings.Repeat(")", MaxConditionDepth+1), diag.ConditionTooDeep, limit},
		{"not one over", strings.Repeat("not ", MaxConditionDepth+1) + "a", diag.ConditionTooDeep, limit},
		{"alternating 2,000", alternating(2000), diag.ConditionTooDeep, limit},
		{"alternating 5,000 (deep enough to break protobuf)", alternating(5000), diag.ConditionTooLong, fmt.Sprint(MaxConditionBytes)},
		{"unclosed 10,000", strings.Repeat("(", 10000) + "a", diag.ConditionTooDeep, limit},
		{"600k parentheses, 1.2 MB", strings.Repeat("(", 600_000) + "a" + strings.Repeat(")", 600_000), diag.ConditionTooLong, fmt.Sprint(MaxConditionBytes)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			src, line := sandwich(hostileDoc("hostile", c.cond, ""))
			rules, diags := LoadBytes("hostile.yml", []byte(src))
			assertAlone(t, rules, diags, c.code, line, c.limit)
		})
	}
}

// TestHostileNestingAtTheLimit checks the limits are not off by one, and that long chains
// of one operator, parenthesised or not, are one n-ary node and cost no depth.
func TestHostileNestingAtTheLimit(t *testing.T) {
	half := MaxConditionDepth / 2
	cond := strings.Repeat("not (", half) + strings.Repeat("(", MaxConditionDepth-2*half) + "a" +
		strings.Repeat(")", MaxConditionDepth-2*half) + strings.Repeat(")", half)
	rules, diags := LoadBytes("ok.yml", []byte(hostileDoc("at the limit", cond, "")))
	if len(rules) != 1 || diags.HasErrors() {
		t.Fatalf("a condition exactly MaxConditionDepth deep: %v", diags)
	}

	var chain []string
	var extra strings.Builder
	for i := range 900 {
		chain = append(chain, fmt.Sprintf("s%d", i))
		fmt.Fprintf(&extra, "  s%d:\n    f: %d\n", i, i)
	}
	flat := strings.Join(chain, " or ")
	nested := strings.Join(chain[:MaxConditionDepth], " and (") + strings.Repeat(")", MaxConditionDepth-1)
	for name, cond := range map[string]string{"900 ors": flat, "32 nested ands": nested} {
		rules, diags := LoadBytes("ok.yml", []byte(hostileDoc(name, cond, extra.String())))
		if len(rules) != 1 || diags.HasErrors() {
			t.Fatalf("%s: %v", name, diags)
		}
		depth := 0
		var walk func(ir.Node, int)
		walk = func(n ir.Node, d int) {
			depth = max(depth, d)
			for _, c := range ir.Children(n) {
				walk(c, d+1)
			}
		}
		walk(rules[0].Conditions[0], 1)
		if depth != 2 {
			t.Errorf("%s: the tree is %d deep, want 2 (one n-ary node over the leaves)", name, depth)
		}
	}
}

// TestHostileDeepConditionCost checks that a deep condition costs time linear in its
// length, beyond the limits too, and bounded memory: the 600k-parenthesis rule.
func TestHostileDeepConditionCost(t *testing.T) {
	file := func(depth int) []byte {
		return []byte(hostileDoc("deep", alternating(depth), ""))
	}
	growthtest.Linear(t, 1<<10, 1<<19, func(n int) {
		if _, diags := LoadBytes("deep.yml", file(n)); !diags.HasErrors() {
			t.Fatalf("depth %d loaded", n)
		}
	})
	// Within the condition limit the parser stops at the depth limit, however deep.
	growthtest.Linear(t, 1<<6, 1<<11, func(n int) {
		if _, diags := LoadBytes("deep.yml", file(n)); len(diags) == 0 || diags[0].Code != diag.ConditionTooDeep {
			t.Fatalf("depth %d: %v", n, diags)
		}
	})
	data := []byte(hostileDoc("deep", strings.Repeat("(", 600_000)+"a"+strings.Repeat(")", 600_000), ""))
	// The cap: yaml.v3's nodes and copies of a 1.2 MB file, far from the 1 GB of old.
	growthtest.MaxAllocated(t, 32<<20, "loading a 600k-parenthesis rule", func() {
		LoadBytes("deep.yml", data)
	})
}

func TestHostileRuleFileTooLarge(t *testing.T) {
	dir := t.TempDir()
	big := filepath.Join(dir, "big.yml")
	good := hostileDoc("padded", "a", "")
	pad := "# " + strings.Repeat("x", 1000) + "\n"
	src := good + strings.Repeat(pad, MaxRuleFileBytes/len(pad)+1)
	if err := os.WriteFile(big, []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	rules, diags := LoadFile(big)
	if len(rules) != 0 || len(diags) != 1 || diags[0].Code != diag.RuleTooLarge || diags[0].Path != big ||
		!strings.Contains(diags[0].Message, fmt.Sprint(MaxRuleFileBytes)) {
		t.Errorf("a file over MaxRuleFileBytes: %v %v", rules, diags)
	}
	if _, diags := LoadBytes("big.yml", []byte(src)); len(diags) != 1 || diags[0].Code != diag.RuleTooLarge {
		t.Errorf("LoadBytes over MaxRuleFileBytes: %v", diags)
	}
	// A huge (sparse) file is not read past the limit.
	huge := filepath.Join(dir, "huge.yml")
	f, err := os.Create(huge)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(8 << 30); err != nil {
		t.Skipf("cannot make a sparse file: %v", err)
	}
	f.Close()
	growthtest.MaxAllocated(t, 3*MaxRuleFileBytes, "loading an 8 GiB file", func() {
		if _, diags := LoadFile(huge); len(diags) != 1 || diags[0].Code != diag.RuleTooLarge {
			t.Errorf("an 8 GiB file: %v", diags)
		}
	})
	// Just under the limit still loads.
	src = good + strings.Repeat(pad, (MaxRuleFileBytes-len(good))/len(pad))
	if rules, diags := LoadBytes("under.yml", []byte(src)); len(rules) != 1 || diags.HasErrors() {
		t.Errorf("a file just under the limit: %v", diags)
	}
}

func TestHostileHugeDetections(t *testing.T) {
	var searches strings.Builder
	for i := range MaxSearches - 1 { // with a and b: one over
		fmt.Fprintf(&searches, "  s%d: {f: %d}\n", i, i)
	}
	src, _ := sandwich(hostileDoc("hostile", "1 of s*", searches.String()))
	rules, diags := LoadBytes("hostile.yml", []byte(src))
	line := strings.Count(src[:strings.Index(src, fmt.Sprintf("  s%d:", MaxSearches-2))], "\n") + 1
	assertAlone(t, rules, diags, diag.DetectionTooLarge, line, fmt.Sprint(MaxSearches))

	// 12 flags under windash are 5^12 patterns: refused before they are built.
	flags := strings.Repeat("-x ", 12)
	windash := "  w:\n    cmd|windash|contains: '" + flags + "'\n"
	src, _ = sandwich(hostileDoc("hostile", "a and w", windash))
	line = strings.Count(src[:strings.Index(src, "    cmd|windash")], "\n") + 1
	growthtest.MaxAllocated(t, 16<<20, "lowering a 5^12-way windash", func() {
		rules, diags = LoadBytes("hostile.yml", []byte(src))
	})
	assertAlone(t, rules, diags, diag.DetectionTooLarge, line, fmt.Sprint(ir.MaxNodes))

	// A search of 1,000 values named 300 times is 300,000 nodes to every walker.
	var values strings.Builder
	values.WriteString("  v:\n    f:\n")
	for i := range 1000 {
		fmt.Fprintf(&values, "      - %d\n", i)
	}
	cond := "v" + strings.Repeat(" or v", 299)
	src, line = sandwich(hostileDoc("hostile", cond, values.String()))
	rules, diags = LoadBytes("hostile.yml", []byte(src))
	assertAlone(t, rules, diags, diag.DetectionTooLarge, line, fmt.Sprint(ir.MaxNodes))

	// A list longer than MaxNodes stops at the limit.
	values.Reset()
	values.WriteString("  v:\n    f:\n")
	for i := range ir.MaxNodes + 1 {
		fmt.Fprintf(&values, "      - %d\n", i)
	}
	src, _ = sandwich(hostileDoc("hostile", "v", values.String()))
	line = strings.Count(src[:strings.Index(src, "    f:\n      - 0")], "\n") + 1
	rules, diags = LoadBytes("hostile.yml", []byte(src))
	assertAlone(t, rules, diags, diag.DetectionTooLarge, line, fmt.Sprint(ir.MaxNodes))
}

// BenchmarkLoadHostileDeep loads the rules: 600k parentheses (1.2 MB, refused as
// too long) and 1,500 alternating levels (refused at the depth limit).
func BenchmarkLoadHostileDeep(b *testing.B) {
	for name, cond := range map[string]string{
		"600k-parentheses": strings.Repeat("(", 600_000) + "a" + strings.Repeat(")", 600_000),
		"1500-alternating": alternating(1500),
	} {
		data := []byte(hostileDoc("deep", cond, ""))
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				if _, diags := LoadBytes("deep.yml", data); !diags.HasErrors() {
					b.Fatal("loaded")
				}
			}
		})
	}
}

// TestHostileBudgetStopsBeforeLaterSearches: once the searches are over ir.MaxNodes, later
// searches are not lowered and the one diagnostic says why (no "no condition" after it).
func TestHostileBudgetStopsBeforeLaterSearches(t *testing.T) {
	var sb strings.Builder
	sb.WriteString("title: t\ndetection:\n  big:\n    f|windash: '" + strings.Repeat("-x ", 12) + "'\n  later:\n    - bad|unknownmod: 1\n  condition: big or later\n")
	_, diags := LoadBytes("b.yml", []byte(sb.String()))
	if len(diags) != 1 || diags[0].Code != diag.DetectionTooLarge || diags[0].Line != 4 {
		t.Errorf("diagnostics: %v", diags)
	}
}
