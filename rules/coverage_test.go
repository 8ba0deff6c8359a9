package rules

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

var update = flag.Bool("update", false, "rewrite docs/coverage.md")

const (
	behavioursFile = "../testdata/coverage/behaviours.yml"
	coverageDoc    = "../docs/coverage.md"
)

// behaviour is one row of testdata/coverage/behaviours.yml.
type behaviour struct {
	ID        string   `yaml:"id"`
	Platform  string   `yaml:"platform"`
	Behaviour string   `yaml:"behaviour"`
	Kind      string   `yaml:"kind"`
	Anchors   []string `yaml:"anchors"`
	Rules     []string `yaml:"rules"`
	Note      string   `yaml:"note"`
}

var behaviourKinds = []string{"single", "correlation", "threshold", "anomaly"}

// packRule is what the coverage report shows of a rule: its level and its ATT&CK tags beyond
// the two every pack rule carries.
type packRule struct {
	title, level string
	tags         []string
}

func readBehaviours(t *testing.T) []behaviour {
	t.Helper()
	data, err := os.ReadFile(behavioursFile)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Behaviours []behaviour `yaml:"behaviours"`
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&doc); err != nil {
		t.Fatalf("%s: %v", behavioursFile, err)
	}
	return doc.Behaviours
}

// packRules maps "platform/name" (the rule file without .yml) to its metadata, for the
// standalone rules of the pack.
func packRules(t *testing.T) map[string]packRule {
	t.Helper()
	out := map[string]packRule{}
	for _, pf := range loadPack(t) {
		if pf.isCorrelationFile() || len(pf.docs) != 1 {
			continue
		}
		d := pf.docs[0]
		var extra []string
		for _, tag := range d.Tags {
			if tag != "attack.execution" && tag != "attack.t1648" {
				extra = append(extra, tag)
			}
		}
		out[strings.TrimSuffix(pf.path, ".yml")] = packRule{title: d.Title, level: d.Level, tags: extra}
	}
	return out
}

// TestCoverage checks the behaviour list against the pack and keeps docs/coverage.md, which
// is generated from both, up to date.
func TestCoverage(t *testing.T) {
	bs := readBehaviours(t)
	rules := packRules(t)
	if len(bs) < 69 {
		t.Errorf("%s lists %d behaviours, want the 69 of the review at least", behavioursFile, len(bs))
	}
	for _, problem := range coverageProblems(bs, rules) {
		t.Error(problem)
	}

	got := renderCoverage(bs, rules)
	if *update {
		if err := os.WriteFile(coverageDoc, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(coverageDoc)
	if err != nil {
		t.Fatalf("%v (generate it: go test ./rules/ -run TestCoverage -update)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s is stale: regenerate it with go test ./rules/ -run TestCoverage -update", coverageDoc)
	}
}

// coverageProblems checks the behaviour list against the pack's rules and returns what is
// wrong, one message each.
func coverageProblems(bs []behaviour, rules map[string]packRule) []string {
	var out []string
	errorf := func(format string, args ...any) { out = append(out, fmt.Sprintf(format, args...)) }
	seen := map[string]bool{}
	used := map[string]bool{}
	for _, b := range bs {
		where := fmt.Sprintf("%s: %s", behavioursFile, b.ID)
		if seen[b.ID] {
			errorf("%s: listed twice", where)
		}
		seen[b.ID] = true
		if !slices.Contains(behaviourKinds, b.Kind) {
			errorf("%s: kind %q is not one of %v", where, b.Kind, behaviourKinds)
		}
		if !slices.Contains(platforms, b.Platform) {
			errorf("%s: platform %q is not one of %v", where, b.Platform, platforms)
		}
		if strings.TrimSpace(b.Behaviour) == "" {
			errorf("%s: no behaviour text", where)
		}
		for _, r := range b.Rules {
			if _, ok := rules[r]; !ok {
				errorf("%s: rule %s is not a standalone rule of the pack (rules/%s.yml)", where, r, r)
			}
			if !strings.HasPrefix(r, b.Platform+"/") {
				errorf("%s: rule %s is not on platform %s", where, r, b.Platform)
			}
			used[r] = true
		}
		// The must-show: every single-event behaviour that an anchor detects is
		// covered by some pack rule.
		if b.Kind == "single" && len(b.Anchors) > 0 && len(b.Rules) == 0 {
			errorf("%s: single-event behaviour detected by %v has no covering pack rule", where, b.Anchors)
		}
	}
	for name := range rules {
		if !used[name] {
			errorf("rules/%s.yml covers no behaviour of %s", name, behavioursFile)
		}
	}

	return out
}

// coverageCounts are the summary figures of the report.
type coverageCounts struct {
	behaviours, covered                   int
	anchored, anchoredCovered             int
	singleAnchored, singleAnchoredCovered int
	packOnly                              int
}

func countCoverage(bs []behaviour) coverageCounts {
	var c coverageCounts
	for _, b := range bs {
		c.behaviours++
		covered := len(b.Rules) > 0
		if covered {
			c.covered++
		}
		if len(b.Anchors) > 0 {
			c.anchored++
			if covered {
				c.anchoredCovered++
			}
			if b.Kind == "single" {
				c.singleAnchored++
				if covered {
					c.singleAnchoredCovered++
				}
			}
		} else if covered {
			c.packOnly++
		}
	}
	return c
}

func renderCoverage(bs []behaviour, rules map[string]packRule) []byte {
	var w bytes.Buffer
	c := countCoverage(bs)
	fmt.Fprintf(&w, "# T1648 pack coverage\n\n")
	fmt.Fprintf(&w, "Generated by `go test ./rules/ -run TestCoverage -update` from `testdata/coverage/behaviours.yml`\n")
	fmt.Fprintf(&w, "(the behaviours of the pack review, section 2, in this project's words) and the rules' own\n")
	fmt.Fprintf(&w, "level and tags. Do not edit by hand; the test fails when this file is stale.\n\n")
	fmt.Fprintf(&w, "| figure | count |\n|---|---|\n")
	fmt.Fprintf(&w, "| behaviours listed | %d |\n", c.behaviours)
	fmt.Fprintf(&w, "| behaviours with a covering pack rule | %d |\n", c.covered)
	fmt.Fprintf(&w, "| behaviours some anchor detects | %d |\n", c.anchored)
	fmt.Fprintf(&w, "| of those, covered by the pack | %d |\n", c.anchoredCovered)
	fmt.Fprintf(&w, "| single-event behaviours some anchor detects | %d |\n", c.singleAnchored)
	fmt.Fprintf(&w, "| of those, covered by the pack | %d |\n", c.singleAnchoredCovered)
	fmt.Fprintf(&w, "| behaviours only the pack covers | %d |\n", c.packOnly)
	fmt.Fprintf(&w, "| standalone pack rules | %d |\n\n", len(rules))
	fmt.Fprintf(&w, "Kinds: `single` one event decides; `correlation`, `threshold` and `anomaly` need several events\n")
	fmt.Fprintf(&w, "or a baseline and belong to the correlation work (where a single-event part exists, its rule is listed).\n")
	fmt.Fprintf(&w, "Anchor codes are those of the review's section 1.\n\n")
	for _, p := range platforms {
		var rows []behaviour
		for _, b := range bs {
			if b.Platform == p {
				rows = append(rows, b)
			}
		}
		if len(rows) == 0 {
			continue
		}
		fmt.Fprintf(&w, "## %s\n\n", p)
		fmt.Fprintf(&w, "| id | behaviour | kind | anchors | pack rules (level; extra tags) | note |\n|---|---|---|---|---|---|\n")
		for _, b := range rows {
			var cells []string
			for _, r := range b.Rules {
				pr := rules[r]
				cell := fmt.Sprintf("`%s` (%s", r, pr.level)
				if len(pr.tags) > 0 {
					cell += "; " + strings.Join(pr.tags, " ")
				}
				cells = append(cells, cell+")")
			}
			pack := strings.Join(cells, "<br>")
			if pack == "" {
				pack = "—"
			}
			anchors := strings.Join(b.Anchors, " ")
			if anchors == "" {
				anchors = "—"
			}
			fmt.Fprintf(&w, "| %s | %s | %s | %s | %s | %s |\n", b.ID, mdCell(b.Behaviour), b.Kind, anchors, pack, mdCell(b.Note))
		}
		fmt.Fprintln(&w)
	}
	// Per ATT&CK tag: how many rules carry it.
	tagCount := map[string]int{}
	for _, r := range rules {
		for _, tag := range r.tags {
			tagCount[tag]++
		}
	}
	tags := make([]string, 0, len(tagCount))
	for tag := range tagCount {
		tags = append(tags, tag)
	}
	slices.Sort(tags)
	fmt.Fprintf(&w, "## Secondary ATT&CK tags\n\nEvery rule carries `attack.execution` and `attack.t1648`; the others:\n\n| tag | rules |\n|---|---|\n")
	for _, tag := range tags {
		fmt.Fprintf(&w, "| `%s` | %d |\n", tag, tagCount[tag])
	}
	return w.Bytes()
}

func mdCell(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "|", "\\|"), "\n", " ")
}

// TestCoverageProblems: the checks behind TestCoverage catch an uncovered single-event
// behaviour that an anchor detects, a rule that does not exist, and a rule no behaviour names.
func TestCoverageProblems(t *testing.T) {
	rules := map[string]packRule{"aws/a": {level: "low"}, "aws/b": {level: "low"}}
	bs := []behaviour{
		{ID: "B1", Platform: "aws", Behaviour: "x", Kind: "single", Anchors: []string{"E1"}, Rules: []string{"aws/a"}},
		{ID: "B2", Platform: "aws", Behaviour: "y", Kind: "single", Anchors: []string{"E2"}},
		{ID: "B3", Platform: "aws", Behaviour: "z", Kind: "threshold", Anchors: []string{"E3"}},
		{ID: "B4", Platform: "aws", Behaviour: "w", Kind: "single", Rules: []string{"aws/missing"}},
	}
	got := strings.Join(coverageProblems(bs, rules), "\n")
	for _, want := range []string{
		"B2: single-event behaviour detected by [E2] has no covering pack rule",
		"B4: rule aws/missing is not a standalone rule of the pack",
		"rules/aws/b.yml covers no behaviour",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("problems lack %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "B3") || strings.Contains(got, "B1") {
		t.Errorf("a threshold behaviour or a covered one was reported:\n%s", got)
	}
}
