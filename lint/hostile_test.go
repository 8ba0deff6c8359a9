package lint

import (
	"fmt"
	"strings"
	"testing"

	"github.com/sigmabridge/sigmabridge/bench/growthtest"
	"github.com/sigmabridge/sigmabridge/translator"
	"github.com/sigmabridge/sigmabridge/translator/diag"
)

func errorChecks(fs []Finding) []string {
	var out []string
	for _, f := range fs {
		if f.Severity == diag.Error {
			out = append(out, fmt.Sprintf("%d:%s", f.Line, f.Check))
		}
	}
	return out
}

// TestHostileLintLimits: lint reports the loader's limit and does not do the work the
// loader refused: no reading of an over-long file's YAML, no comparing thousands of
// references with thousands of searches, no finding per search.
func TestHostileLintLimits(t *testing.T) {
	head := "title: t\nlogsource: {product: p}\ndetection:\n  sel: {a: 1}\n"
	big := head + "  condition: sel\n" + strings.Repeat("# "+strings.Repeat("x", 1000)+"\n", translator.MaxRuleFileBytes/1000)
	var res fileResult
	growthtest.MaxAllocated(t, 3*translator.MaxRuleFileBytes, "linting an over-long file", func() {
		res = lintData("big.yml", []byte(big), Config{})
	})
	if got := errorChecks(res.findings); len(res.findings) != 1 || strings.Join(got, ",") != "0:"+diag.RuleTooLarge {
		t.Errorf("an over-long file: %+v", res.findings)
	}

	var searches strings.Builder
	var refs []string
	for i := range translator.MaxSearches + 500 {
		fmt.Fprintf(&searches, "  s%d: {a: %d}\n", i, i)
		refs = append(refs, fmt.Sprintf("1 of s%d*", i))
	}
	src := head + searches.String() + "  condition: sel\n"
	res = lintData("many.yml", []byte(src), Config{})
	if got := errorChecks(res.findings); len(got) != 1 || !strings.HasSuffix(got[0], diag.DetectionTooLarge) {
		t.Errorf("too many searches: %v", got)
	}
	if len(res.findings) > 20 {
		t.Errorf("%d findings for one rule over the search limit", len(res.findings))
	}
	// Within the search limit, a condition over its own limit is not scanned either.
	searches.Reset()
	refs = refs[:0]
	for i := range 900 {
		fmt.Fprintf(&searches, "  s%d: {a: %d}\n", i, i)
		refs = append(refs, fmt.Sprintf("1 of s%d*", i), fmt.Sprintf("s%d", i))
	}
	src = head + searches.String() + "  condition: " + strings.Join(refs, " or ") + "\n"
	res = lintData("long.yml", []byte(src), Config{})
	if got := errorChecks(res.findings); len(got) != 1 || !strings.HasSuffix(got[0], diag.ConditionTooLong) {
		t.Errorf("a long condition: %v", got)
	}
	if len(res.findings) > 20 {
		t.Errorf("%d findings for one rule over the condition limit", len(res.findings))
	}
}
