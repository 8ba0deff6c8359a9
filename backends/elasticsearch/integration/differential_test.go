package integration

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/sigmabridge/sigmabridge/backends/elasticsearch/lucene"
	"github.com/sigmabridge/sigmabridge/internal/esclient/esclienttest"
	"github.com/sigmabridge/sigmabridge/translator/evaluator"
	"github.com/sigmabridge/sigmabridge/translator/ir"
)

var update = flag.Bool("update", false, "rewrite testdata/elasticsearch/DIFFERENTIAL.md")

// EnvPySigma names the bin directory of a virtualenv with sigma-cli, pySigma and
// pySigma-backend-elasticsearch (bench/differential-lucene.sh sets it).
const envPySigma = "SIGMABRIDGE_PYSIGMA_BIN"

// reportPath is the committed report, relative to the repository.
const reportPath = "testdata/elasticsearch/DIFFERENTIAL.md"

// refQueries is the reference converter's output for one rule file.
type refQueries struct {
	queries []string
	err     string
}

// answer is one converter's hits on one subject, or why it has none.
type answer struct {
	hits    map[string]bool
	queries []string
	failed  string // not converted, or refused by Elasticsearch
}

// TestDifferentialLucene converts the pack to Lucene with the reference converter (sigma-cli
// and pySigma-backend-elasticsearch), runs its queries and sigmabridge's on the same indexes
// as TestPackOnElasticsearch, and writes (with -update) or checks the report of where each
// departs from the evaluator. It needs SIGMABRIDGE_PYSIGMA_BIN; run it with
// `bash bench/differential-lucene.sh`.
func TestDifferentialLucene(t *testing.T) {
	bin := os.Getenv(envPySigma)
	if bin == "" {
		t.Skipf("%s is unset: the reference converter is not installed (bash bench/differential-lucene.sh installs it and regenerates %s)", envPySigma, reportPath)
	}
	n := connect(t)
	root := esclienttest.RepoRoot()
	pack, subjects := preparePack(t, n, "diff")
	ref := map[string]refQueries{}
	for _, pr := range pack {
		ref[pr.path] = convertWithPySigma(t, bin, root, pr)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	info, err := n.client.Ping(ctx)
	if err != nil {
		t.Fatal(err)
	}

	var rows []diffRow
	for _, s := range subjects {
		row := diffRow{subject: s, want: map[string]bool{}, byID: map[string]*doc{}}
		for _, d := range s.set.docs {
			row.byID[d.ID] = d
		}
		for _, ids := range oracle(t, s) {
			for id := range ids {
				row.want[id] = true
			}
		}
		row.caseOnly = caseOnlyMatches(t, s)
		row.ours = ourLucene(ctx, n, s)
		row.ref = refLucene(ctx, n, s, ref[s.path])
		rows = append(rows, row)
	}
	for key := range departureNotes {
		found := false
		for _, r := range rows {
			for _, side := range []struct {
				name string
				a    answer
			}{{"sigmabridge", r.ours}, {"pySigma", r.ref}} {
				if key == r.path+" "+r.mapping+" "+side.name && side.a.failed == "" && (len(r.departure(side.a).missOther) > 0 || len(r.departure(side.a).extra) > 0) {
					found = true
				}
			}
		}
		if !found {
			t.Errorf("departureNotes[%q] explains a departure that no longer happens", key)
		}
	}
	report := renderReport(rows, versions(t, bin), info.Version.Number, len(pack))
	path := filepath.Join(root, reportPath)
	if *update {
		if err := os.WriteFile(path, []byte(report), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s", reportPath)
		return
	}
	old, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (regenerate with bash bench/differential-lucene.sh)", err)
	}
	if !bytes.Equal(old, []byte(report)) {
		t.Errorf("%s is stale: regenerate it with bash bench/differential-lucene.sh", reportPath)
	}
}

// placeholderRules need the placeholders pipeline; pySigma reads testdata/rules/placeholders.yml
// as is (it is written in its pipeline format, with value_placeholders).
func convertWithPySigma(t *testing.T, bin, root string, pr packRule) refQueries {
	t.Helper()
	src, err := os.ReadFile(filepath.Join(root, "rules", pr.path))
	if err != nil {
		t.Fatal(err)
	}
	args := []string{"convert", "-t", "lucene", "-f", "default"}
	if bytes.Contains(src, []byte("|expand")) {
		args = append(args, "-p", filepath.Join(root, "testdata", "rules", "placeholders.yml"))
	} else {
		args = append(args, "--without-pipeline")
	}
	args = append(args, filepath.Join(root, "rules", pr.path))
	cmd := exec.Command(filepath.Join(bin, "sigma"), args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		lines := strings.Split(strings.TrimSpace(stderr.String()), "\n")
		return refQueries{err: strings.ReplaceAll(lines[len(lines)-1], filepath.Join(root, "rules")+"/", "")}
	}
	var qs []string
	for _, line := range strings.Split(stdout.String(), "\n") {
		if strings.TrimSpace(line) != "" {
			qs = append(qs, line)
		}
	}
	if len(qs) == 0 {
		return refQueries{err: "no query: " + strings.TrimSpace(stderr.String())}
	}
	return refQueries{queries: qs}
}

func versions(t *testing.T, bin string) string {
	out, err := exec.Command(filepath.Join(bin, "python"), "-c",
		`import importlib.metadata as m; print(", ".join(p + " " + m.version(p) for p in ["sigma-cli", "pySigma", "pySigma-backend-elasticsearch", "pyparsing"]))`).Output()
	if err != nil {
		t.Fatalf("reading the reference converter's versions: %v", err)
	}
	return strings.TrimSpace(string(out))
}

func ourLucene(ctx context.Context, n *node, s subject) answer {
	if s.rejected != "" {
		return answer{failed: "rule refused by the mapping's pipeline: " + s.rejected}
	}
	qs, diags := lucene.Backend{}.Convert(s.rule)
	if diags.HasErrors() {
		return answer{failed: "not converted: " + string(diags.Errors()[0].Code) + ": " + diags.Errors()[0].Message}
	}
	var texts []string
	for _, q := range qs {
		texts = append(texts, q.Text)
	}
	return runLucene(ctx, n, s, texts)
}

func refLucene(ctx context.Context, n *node, s subject, r refQueries) answer {
	if r.err != "" {
		return answer{failed: "not converted: " + r.err}
	}
	return runLucene(ctx, n, s, r.queries)
}

func runLucene(ctx context.Context, n *node, s subject, queries []string) answer {
	a := answer{hits: map[string]bool{}, queries: queries}
	for _, q := range queries {
		res, err := n.client.QueryString(ctx, strings.Join(s.set.indexes(), ","), q, maxHits)
		if err != nil {
			return answer{queries: queries, failed: "refused by Elasticsearch: " + strings.ReplaceAll(err.Error(), n.client.URL(), "the node")}
		}
		for id := range hitIDs(res) {
			a.hits[id] = true
		}
	}
	return a
}

// caseOnlyMatches returns the documents the rule matches only because matching ignores
// letter case: a copy of the rule with every string match made case-sensitive misses them.
func caseOnlyMatches(t *testing.T, s subject) map[string]bool {
	cased := s.rule.Clone()
	for i, c := range cased.Conditions {
		cased.Conditions[i] = casedTree(c)
	}
	folded, errs := evaluator.Compile([]*ir.Rule{s.rule})
	strict, errs2 := evaluator.Compile([]*ir.Rule{cased})
	if len(errs)+len(errs2) > 0 {
		t.Fatalf("%s: %v %v", s.name, errs, errs2)
	}
	out := map[string]bool{}
	for _, d := range s.set.docs {
		a, _ := folded.MatchJSON(d.Source)
		b, _ := strict.MatchJSON(d.Source)
		if len(a) > 0 && len(b) == 0 {
			out[d.ID] = true
		}
	}
	return out
}

// casedTree makes every string comparison of a tree case-sensitive.
func casedTree(n ir.Node) ir.Node {
	switch x := n.(type) {
	case *ir.And:
		c := &ir.And{}
		for _, k := range x.Children {
			c.Children = append(c.Children, casedTree(k))
		}
		return c
	case *ir.Or:
		c := &ir.Or{}
		for _, k := range x.Children {
			c.Children = append(c.Children, casedTree(k))
		}
		return c
	case *ir.Not:
		return &ir.Not{Child: casedTree(x.Child)}
	case *ir.Match:
		c := *x
		c.Cased = true
		return &c
	case *ir.Keyword:
		c := *x
		c.Cased = true
		return &c
	case *ir.Regex:
		c := *x
		c.Flags.I = false
		return &c
	case *ir.FieldRef:
		c := *x
		c.Cased = true
		return &c
	}
	return n
}

// departureNotes explain the departures other than letter case, by "rule mapping converter".
// Each was checked by hand against the node; the test fails when one no longer applies.
var departureNotes = map[string]string{
	"aws/lambda_maximum_resources.yml templates pySigma":                "`responseElements.memorySize:>=8192` is a range on a keyed flattened sub-field, which matches nothing.",
	"aws/lambda_maximum_resources_custom_runtime.yml templates pySigma": "`responseElements.memorySize:>=8192` is a range on a keyed flattened sub-field, which matches nothing.",
	"aws/lambda_policy_cross_account_invoke.yml templates pySigma":      "`/^(\\d{12}|...)$/`: `^` and `$` are literal characters in a Lucene regular expression (and on the flattened field a regular expression matches nothing anyway).",
	"aws/lambda_policy_cross_account_invoke.yml objects pySigma":        "`/^(\\d{12}|...)$/`: `^` and `$` are literal characters in a Lucene regular expression, so it matches no value.",
}

// diffRow is one rule on one mapping.
type diffRow struct {
	subject
	want     map[string]bool
	caseOnly map[string]bool
	byID     map[string]*doc
	ours     answer
	ref      answer
}

// departure summarises one answer against the evaluator.
type departure struct {
	missCase, missOther, extra []string
}

func (r diffRow) departure(a answer) departure {
	var d departure
	for id := range r.want {
		if !a.hits[id] {
			if r.caseOnly[id] {
				d.missCase = append(d.missCase, id)
			} else {
				d.missOther = append(d.missOther, id)
			}
		}
	}
	for id := range a.hits {
		if !r.want[id] {
			d.extra = append(d.extra, id)
		}
	}
	slices.Sort(d.missCase)
	slices.Sort(d.missOther)
	slices.Sort(d.extra)
	return d
}

func (d departure) none() bool { return len(d.missCase)+len(d.missOther)+len(d.extra) == 0 }

// cell is the table cell for an answer.
func (r diffRow) cell(a answer) string {
	if a.failed != "" {
		switch {
		case strings.HasPrefix(a.failed, "rule refused"):
			return "not run (mapping)"
		case strings.HasPrefix(a.failed, "not converted"):
			return "not converted"
		}
		return "**refused by ES**"
	}
	d := r.departure(a)
	if d.none() {
		return fmt.Sprintf("= (%d)", len(a.hits))
	}
	var parts []string
	if len(d.missCase) > 0 {
		parts = append(parts, fmt.Sprintf("**−%d case**", len(d.missCase)))
	}
	if len(d.missOther) > 0 {
		parts = append(parts, fmt.Sprintf("**−%d**", len(d.missOther)))
	}
	if len(d.extra) > 0 {
		parts = append(parts, fmt.Sprintf("**+%d**", len(d.extra)))
	}
	return strings.Join(parts, " ")
}

func renderReport(rows []diffRow, refVersions, esVersion string, rules int) string {
	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	w("# Lucene differential: sigmabridge and pySigma on a real Elasticsearch\n\n")
	w("Generated by `bash bench/differential-lucene.sh` (`TestDifferentialLucene -update` in\n")
	w("`backends/elasticsearch/integration`); do not edit by hand. The test fails when this file no\nlonger matches what it generates.\n\n")
	w("- Reference: %s (`sigma convert -t lucene -f default`, `--without-pipeline`, or `-p testdata/rules/placeholders.yml` for the rules with placeholders: pySigma reads that file as its own `value_placeholders` pipeline).\n", refVersions)
	w("- sigmabridge: the `lucene` target, with the same placeholder values.\n")
	w("- Elasticsearch %s (`.ci/elasticsearch`), queries sent as `query_string` without `default_field`.\n", esVersion)
	w("- Data: the %d rules' sample events, the example events of `testdata/elasticsearch/samples`, and for every event a rule matches an upper-cased and a case-swapped copy of the values it reads; one index per logsource, as in `TestPackOnElasticsearch`. The oracle is sigmabridge's evaluator (Sigma semantics: case-insensitive unless `cased`).\n", rules)
	w("- Mappings: **templates** = `testdata/elasticsearch/templates` (raw field names, Elastic integrations' types, flattened request objects); **objects** = the same with flattened and nested fields made plain objects of keywords. On *templates*, `backends/elasticsearch/integration/testdata/raw_flattened.yml` tells sigmabridge which fields are flattened; pySigma has no such notion.\n\n")

	w("Cells: `= (n)` equal to the evaluator (n hits); `−k case` misses k events that match only case-insensitively; `−k` misses k other events; `+k` hits k events the rule does not match; `not converted` (sigmabridge: a named diagnostic, listed under Details), `not run (mapping)` (the mapping's pipeline refuses the rule), `refused by ES` (HTTP 400).\n\n")

	w("## Summary\n\n| mapping | rules | sigmabridge equal | sigmabridge not converted | pySigma equal | pySigma misses case-only matches | pySigma other misses | pySigma extra hits | pySigma not converted or refused | sigmabridge departs |\n|---|---|---|---|---|---|---|---|---|---|\n")
	for _, m := range []string{"templates", "objects"} {
		var total, oursEq, oursNamed, refEq, refCase, refMiss, refExtra, refFail, oursDiff int
		for _, r := range rows {
			if r.mapping != m {
				continue
			}
			total++
			switch {
			case r.ours.failed == "" && r.departure(r.ours).none():
				oursEq++
			case strings.HasPrefix(r.ours.failed, "rule refused"), strings.HasPrefix(r.ours.failed, "not converted"):
				oursNamed++
			default:
				oursDiff++
			}
			if r.ref.failed != "" {
				refFail++
				continue
			}
			d := r.departure(r.ref)
			if d.none() {
				refEq++
			}
			if len(d.missCase) > 0 {
				refCase++
			}
			if len(d.missOther) > 0 {
				refMiss++
			}
			if len(d.extra) > 0 {
				refExtra++
			}
		}
		w("| %s | %d | %d | %d | %d | %d | %d | %d | %d | %d |\n", m, total, oursEq, oursNamed, refEq, refCase, refMiss, refExtra, refFail, oursDiff)
	}
	w("\nColumns of pySigma count rules (one rule can be in several). \"sigmabridge departs\" counts rules whose sigmabridge query runs and differs, or is refused by Elasticsearch; \"sigmabridge not converted\" counts the rules it names as inexpressible (on *templates*, leaves a keyed flattened field cannot answer: `unsupported-flattened`).\n\n")

	w("## Why they differ\n\n")
	w("- **Letter case** (every rule, pySigma). `query_string` compares keyword fields case-sensitively and has no option to fold case. pySigma writes the rule's values as they are (`eventName:CreateFunction20*`), so every event whose value differs from the rule's only in letter case is missed. sigmabridge spells each letter's case (`/[cC][rR].../`) and finds them: on the *objects* mapping it equals the evaluator on every rule.\n")
	w("- **Flattened fields** (*templates*, both). A keyed sub-field of a flattened field takes exact terms and trailing-`*` prefixes only: regular expressions and ranges (`requestParameters.memorySize:>=10240`) match nothing, and a leading-`*` term matches the text under *any* key of the object. pySigma writes such terms anyway. sigmabridge reads the flattened objects from the pipeline state `flattened_fields` and writes only exact terms, trailing-`*` prefixes and `_exists_` there, for values without letters or cased ones (a case-insensitive value with letters would need a regular expression); a rule that needs anything else on such a field is `not converted` (`unsupported-flattened`).\n")
	w("- **Anchors** (both mappings, pySigma). Lucene regular expressions are always anchored and treat `^` and `$` as literal characters; pySigma keeps the rule's `^(...)$`, so the regular expression never matches. sigmabridge translates the regular expression: the anchors become the whole-value match Lucene always does (`/([0-9]{12}|...)/`), and an unanchored end gets `.*`.\n\n")
	w("Rule-specific explanations are under Details.\n\n")
	w("## Rules\n\n| rule | mapping | evaluator | sigmabridge | pySigma |\n|---|---|---|---|---|\n")
	for _, r := range rows {
		w("| `%s` | %s | %d | %s | %s |\n", r.path, r.mapping, len(r.want), r.cell(r.ours), r.cell(r.ref))
	}

	w("\n## Details\n\nEvery rule and mapping where either converter departs from the evaluator, with its queries and the events concerned (ids are sample files and lines; `~upper@<rule>` and `~swapcase@<rule>` are the case-changed copies made for that rule).\n")
	for _, r := range rows {
		if r.ours.failed == "" && r.departure(r.ours).none() && r.ref.failed == "" && r.departure(r.ref).none() {
			continue
		}
		w("\n### `%s` on %s\n\n", r.path, r.mapping)
		for _, side := range []struct {
			name string
			a    answer
		}{{"sigmabridge", r.ours}, {"pySigma", r.ref}} {
			for _, q := range side.a.queries {
				w("- %s query: `%s`\n", side.name, shorten(q, 700))
			}
			if side.a.failed != "" {
				w("- %s: %s\n", side.name, shorten(side.a.failed, 400))
				continue
			}
			d := r.departure(side.a)
			list := func(what string, ids []string) {
				if len(ids) == 0 {
					return
				}
				w("- %s %s (%d): %s\n", side.name, what, len(ids), idList(ids))
			}
			list("misses events that match only case-insensitively", d.missCase)
			list("misses", d.missOther)
			list("also hits events the rule does not match", d.extra)
			if note := departureNotes[r.path+" "+r.mapping+" "+side.name]; note != "" {
				w("- why: %s\n", note)
			}
			if d.none() {
				w("- %s: equal to the evaluator (%d hits)\n", side.name, len(side.a.hits))
			}
		}
	}
	return b.String()
}

func idList(ids []string) string {
	const most = 8
	shown := ids
	if len(ids) > most {
		shown = ids[:most]
	}
	out := "`" + strings.Join(shown, "`, `") + "`"
	if len(ids) > most {
		out += fmt.Sprintf(" and %d more", len(ids)-most)
	}
	return out
}

func shorten(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n-- // never cut a character in two
	}
	return s[:n] + " …"
}
