package hunt

import (
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sigmabridge/sigmabridge/internal/esclient/esbulk"
	"github.com/sigmabridge/sigmabridge/internal/esclient/esclienttest"
	"github.com/sigmabridge/sigmabridge/rules"
	"github.com/sigmabridge/sigmabridge/translator"
	"github.com/sigmabridge/sigmabridge/translator/evaluator"
	"github.com/sigmabridge/sigmabridge/translator/ir"
	"github.com/sigmabridge/sigmabridge/translator/pipeline"
)

// dynIndex is the dynamic-mapping test index of a logsource.
func dynIndex(ls ir.Logsource) string {
	return "sigmabridge-hunt-dyn-" + esclienttest.RunID + "-" + ls.Product + "-" + ls.Service
}

// TestHuntOnDynamicMapping indexes the pack's samples into indices with no mapping of their
// own, so Elasticsearch's default dynamic mapping types them (strings as text with a keyword
// multi-field cut at 256 characters, numbers and booleans detected, dates detected), and
// hunts with the whole pack. Each rule must either find exactly the indexed events the
// evaluator matches, or be named on stderr as one the mapping cannot answer; then the exit
// status is 1. No rule may fail for another reason, and none may come back empty-handed
// without being named.
func TestHuntOnDynamicMapping(t *testing.T) {
	c := esclienttest.Connect(t)
	root := esclienttest.RepoRoot()
	byLS := packSamples(t, root)
	// Each new field is a mapping update of the cluster state: on a shared node that takes
	// a while.
	ctx, cancel := context.WithTimeout(context.Background(), 6*time.Minute)
	defer cancel()

	var docs []esbulk.Doc
	var names []string
	lss := logsourcesOf(byLS)
	for _, ls := range lss {
		name := dynIndex(ls)
		names = append(names, name)
		// Settings only: every field is mapped dynamically by the first document that has it.
		if err := c.CreateIndex(ctx, name, []byte(`{"settings":{"number_of_shards":1,"number_of_replicas":0}}`)); err != nil {
			t.Fatal(err)
		}
		for _, s := range byLS[ls] {
			docs = append(docs, esbulk.Doc{Index: name, ID: s.ID, Source: s.Source})
		}
	}
	esclienttest.Cleanup(t, c, names...)
	res, err := esbulk.Load(ctx, c, docs)
	if err != nil {
		t.Fatal(err)
	}
	// A document whose field the dynamic mapping typed otherwise before it (a string where
	// an object came first) is refused at indexing: it is in no index, and not in the oracle.
	refused := map[string]bool{}
	for _, f := range res.Failures {
		refused[f.Index+"/"+f.ID] = true
	}
	if err := c.Refresh(ctx, names...); err != nil {
		t.Fatal(err)
	}

	// The pipeline pointing each logsource at its index, and the oracle: the evaluator on
	// the indexed events, rule by rule.
	var b strings.Builder
	b.WriteString("name: hunt-dyn-indexes\npriority: 50\ntransformations:\n")
	for i, ls := range lss {
		fmt.Fprintf(&b, "  - id: index_%d\n    type: set_state\n    key: index\n    val: %s\n    rule_conditions: [{type: logsource, product: %s, service: %s}]\n", i, dynIndex(ls), ls.Product, ls.Service)
	}
	indexes := filepath.Join(t.TempDir(), "indexes.yml")
	if err := os.WriteFile(indexes, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	placeholders := filepath.Join(root, "testdata", "rules", "placeholders.yml")
	chain, err := pipeline.LoadChain(placeholders, indexes)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]string{} // rule id -> sorted "index/id"
	idOf := map[string]string{}   // rule file -> rule id
	var single []string
	err = fs.WalkDir(rules.FS, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.HasPrefix(path.Base(p), "mr_") {
			return err
		}
		data, _ := fs.ReadFile(rules.FS, p)
		loaded, _ := translator.LoadBytes(p, data)
		r, ds := chain.Apply(loaded[0])
		if ds.HasErrors() {
			return fmt.Errorf("%s: %v", p, ds)
		}
		prog, errs := evaluator.Compile([]*ir.Rule{r})
		if len(errs) > 0 {
			return fmt.Errorf("%s: %v", p, errs)
		}
		file := filepath.Join(root, "rules", filepath.FromSlash(p))
		single = append(single, file)
		idOf[file] = r.ID
		want[r.ID] = []string{}
		for _, s := range byLS[r.Logsource] {
			key := dynIndex(r.Logsource) + "/" + s.ID
			if refused[key] {
				continue
			}
			if ms, _ := prog.MatchJSON(s.Source); len(ms) > 0 {
				want[r.ID] = append(want[r.ID], key)
			}
		}
		slices.Sort(want[r.ID])
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	code, stdout, stderr := runHunt(t, Options{ES: esclienttest.URL(t), Format: "jsonl", Pipelines: []string{placeholders, indexes}, Paths: single, Timeout: 5 * time.Minute})
	got := map[string][]string{}
	for _, line := range strings.Split(strings.TrimSpace(stdout), "\n") {
		if line == "" {
			continue
		}
		var h Hit
		if err := json.Unmarshal([]byte(line), &h); err != nil {
			t.Fatalf("line %q: %v", line, err)
		}
		got[h.RuleID] = append(got[h.RuleID], h.Index+"/"+h.ID)
	}
	// Every failure line must name a rule the mapping cannot answer.
	named := map[string]string{} // rule id -> reason
	for _, line := range strings.Split(strings.TrimSpace(stderr), "\n") {
		rest, ok := strings.CutPrefix(line, "sigmabridge: hunt: ")
		if !ok || !strings.HasPrefix(rest, "/") {
			continue
		}
		file, _, _ := strings.Cut(rest, " (")
		id, ok := idOf[file]
		if !ok {
			t.Errorf("stderr names no pack rule: %s", line)
			continue
		}
		if _, reason, ok := strings.Cut(rest, "cannot be answered exactly on the mapping of "); ok {
			named[id] = reason
			continue
		}
		t.Errorf("a rule failed for another reason than the mapping: %s", line)
	}
	answered, withMatches, namedWithMatches := 0, 0, 0
	for id, w := range want {
		g := got[id]
		slices.Sort(g)
		if len(w) > 0 {
			withMatches++
		}
		if reason, ok := named[id]; ok {
			if len(g) > 0 {
				t.Errorf("rule %s is named as unanswerable yet printed hits %v", id, g)
			}
			if !strings.Contains(reason, "mapping-") {
				t.Errorf("rule %s: the reason names no mapping code: %s", id, reason)
			}
			if len(w) > 0 {
				namedWithMatches++
			}
			t.Logf("named: rule %s: %.300s", id, reason)
			continue
		}
		answered++
		if !slices.Equal(g, w) && !(len(g) == 0 && len(w) == 0) {
			t.Errorf("rule %s: hunt found\n  %v\nthe evaluator matches\n  %v", id, g, w)
		}
	}
	wantCode := 0
	if len(named) > 0 {
		wantCode = 1
	}
	summary := fmt.Sprintf("%d failed (%d of them not answerable on the index mapping)", len(named), len(named))
	if len(named) == 0 {
		summary = " 0 failed"
	}
	if code != wantCode || !strings.Contains(stderr, summary) {
		t.Errorf("exit %d (want %d), stderr lacks %q:\n%s", code, wantCode, summary, stderr)
	}
	// The test means something only if most rules are answered and find their events.
	if answered < len(want)/2 || withMatches < 40 {
		t.Errorf("only %d of %d rules answered, %d match their samples", answered, len(want), withMatches)
	}
	t.Logf("%d rules: %d answered exactly as the evaluator, %d named as unanswerable on the dynamic mapping (%d of which the evaluator matches); %d of %d documents refused by the dynamic mapping",
		len(want), answered, len(named), namedWithMatches, len(refused), len(docs))
	codes := map[string]int{}
	for _, reason := range named {
		if i := strings.Index(reason, "mapping-"); i >= 0 {
			c, _, _ := strings.Cut(reason[i:], ":")
			codes[c]++
		}
	}
	t.Logf("unanswerable by code: %v", codes)
}
