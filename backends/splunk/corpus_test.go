package splunk

import (
	"os"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/sigmabridge/sigmabridge/ruleset"
	"github.com/sigmabridge/sigmabridge/translator/diag"
	"github.com/sigmabridge/sigmabridge/translator/ir"
)

// TestCorpus converts the SigmaHQ corpus named by SIGMABRIDGE_CORPUS. Every rule must
// either convert to queries that the test parser accepts (one search plus at most one
// where stage) or fail with diagnostics whose codes this backend documents.
func TestCorpus(t *testing.T) {
	dir := os.Getenv("SIGMABRIDGE_CORPUS")
	if dir == "" {
		t.Skip("SIGMABRIDGE_CORPUS is not set: skipping the SigmaHQ corpus conversion")
	}
	files, diags := ruleset.Discover([]string{dir})
	if len(files) == 0 {
		t.Fatalf("no rule files under %s: %v", dir, diags)
	}
	rules, _ := ruleset.Load(files)
	allowed := map[string]bool{
		diag.UnsupportedKeyword: true, diag.UnsupportedTimePart: true, diag.UnsupportedFieldRef: true,
		diag.UnresolvedPlaceholder: true, diag.UnsupportedFieldName: true, diag.UnsupportedRegex: true,
		diag.UnsupportedValue: true,
	}
	ok, failed, withWhere, keywordRules, keywordOK := 0, 0, 0, 0, 0
	codes := map[string]int{}
	for _, r := range rules {
		keywords := false
		for _, c := range r.Conditions {
			keywords = keywords || hasKeyword(c)
		}
		if keywords {
			keywordRules++
		}
		qs, ds := Backend{}.Convert(r)
		if ds.HasErrors() {
			failed++
			seen := map[string]bool{}
			for _, d := range ds {
				if !allowed[string(d.Code)] {
					t.Errorf("%s: undocumented code %s: %s", r.Path, d.Code, d.Message)
				}
				if !seen[string(d.Code)] {
					codes[string(d.Code)]++
					seen[string(d.Code)] = true
				}
			}
			continue
		}
		ok++
		if keywords {
			keywordOK++
		}
		for i, q := range qs {
			if hasKeyword(r.Conditions[i]) != strings.Contains(q.Text, " | "+keywordStage()+" | where ") {
				t.Errorf("%s: keyword stage present %v in %q", r.Path, !hasKeyword(r.Conditions[i]), q.Text)
			}
			checkWellFormed(t, r, q.Text)
			if strings.Contains(q.Text, "| where ") {
				withWhere++
			}
		}
	}
	var summary []string
	for c, n := range codes {
		summary = append(summary, c+"="+strconv.Itoa(n))
	}
	sort.Strings(summary)
	t.Logf("%d rules: %d converted (%d with a where stage), %d failed: %s", len(rules), ok, withWhere, failed, strings.Join(summary, " "))
	t.Logf("%d rules with keywords: %d converted", keywordRules, keywordOK)
	if ok == 0 {
		t.Error("no rule converted")
	}
	if keywordRules > 0 && keywordOK == 0 {
		t.Error("no rule with keywords converted")
	}
}

func checkWellFormed(t *testing.T, r *ir.Rule, q string) {
	t.Helper()
	stages, err := splitPipes(q)
	if err == nil && len(stages) == 4 && stages[1]+" | "+stages[2] == keywordStage() {
		stages = []string{stages[0], stages[3]}
	}
	if err != nil || len(stages) > 2 || len(stages) == 2 && !strings.HasPrefix(stages[1], "where ") {
		t.Errorf("%s: malformed query %q (%v)", r.Path, q, err)
		return
	}
	if stages[0] != "*" {
		if _, err := parseBothWays(stages[0]); err != nil {
			t.Errorf("%s: search %q: %v", r.Path, stages[0], err)
		}
	}
	if len(stages) == 2 {
		if _, err := parseBothWays(strings.TrimPrefix(stages[1], "where ")); err != nil {
			t.Errorf("%s: where %q: %v", r.Path, stages[1], err)
		}
	}
}
