package integration

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sigmabridge/sigmabridge/backends/elasticsearch/internal/estest"
	"github.com/sigmabridge/sigmabridge/internal/esclient/esclienttest"
	"github.com/sigmabridge/sigmabridge/translator/evaluator"
	"github.com/sigmabridge/sigmabridge/translator/ir"
	"github.com/sigmabridge/sigmabridge/translator/pipeline"
)

// packRule is one rule of the pack with its events.
type packRule struct {
	path   string // inside rules.FS, e.g. aws/lambda_function_url_auth_none.yml
	rule   *ir.Rule
	events []*doc
}

// logsourceIndex is the index name of a logsource in testdata/elasticsearch: its templates
// match sigmabridge-<product>-<service>*.
func logsourceIndex(ls ir.Logsource) string {
	return "sigmabridge-" + strings.ToLower(ls.Product) + "-" + strings.ToLower(ls.Service)
}

// mapping is one way of storing the pack's events.
type mapping struct {
	name string
	// pipeline is applied after the placeholders: it tells the backends about the mapping.
	pipeline *pipeline.Pipeline
	// index names the index set of a logsource; fixed is its mapping before any document.
	index func(ls ir.Logsource) string
	fixed func(ls ir.Logsource) fixedMapping
}

// TestPackOnElasticsearch indexes the samples of every rule of the pack (and the example
// events of testdata/elasticsearch/samples), with case-changed copies of every event a rule
// matches, and checks that every target's query hits exactly the documents the evaluator
// matches. It runs twice: on the raw-field index templates of testdata/elasticsearch
// (flattened fields as in the Elastic integrations, declared by testdata/raw_flattened.yml),
// and on the same templates with flattened and nested fields made plain objects, so rules the
// flattened fields rule out are still proven.
func TestPackOnElasticsearch(t *testing.T) {
	n := connect(t)
	start := time.Now()
	pack, subjects := preparePack(t, n, "pack")
	ty := newTally()
	for _, s := range subjects {
		if s.rejected != "" {
			t.Logf("%s: the mapping cannot serve the rule, skipped on every target: %s", s.name, s.rejected)
			for _, tg := range targets {
				ty.skip(tg.name, "mapping-rejects-rule")
			}
			continue
		}
		t.Run(s.name, func(t *testing.T) { check(t, n, s, ty) })
	}
	ty.report(t, fmt.Sprintf("pack (%d rules, %d rule-mapping pairs)", len(pack), len(subjects)))
	t.Logf("whole test took %v", time.Since(start).Round(time.Millisecond))
}

// preparePack loads the pack and its events into the node, once per mapping, under index
// names carrying tag, and returns the rules and one subject per rule and mapping. The
// mapping's subject is left out (and logged) when its pipeline rejects the rule.
func preparePack(t *testing.T, n *node, tag string) ([]packRule, []subject) {
	t.Helper()
	root := esclienttest.RepoRoot()
	flattened, err := pipeline.ParseFile(filepath.Join("testdata", "raw_flattened.yml"))
	if err != nil {
		t.Fatal(err)
	}
	templates := readTemplates(t, filepath.Join(root, "testdata", "elasticsearch", "templates"))
	pack := loadPack(t, root)
	extra := exampleEvents(t, filepath.Join(root, "testdata", "elasticsearch", "samples"))

	run := esclienttest.RunID + "-" + tag
	objectsPrefix := "sigmabridge-it-" + run + "-objects-"
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	// The objects mapping: one test template per logsource, removed at the end.
	var objectTemplates []string
	for _, ls := range logsources(pack) {
		tpl := templates.forIndex(t, logsourceIndex(ls))
		name := objectsPrefix + strings.TrimPrefix(logsourceIndex(ls), "sigmabridge-")
		body, _ := json.Marshal(map[string]any{
			"index_patterns": []string{name + "*"},
			"priority":       100,
			"template": map[string]any{
				"settings": tpl.Template.Settings,
				"mappings": withProperties(tpl.Template.Mappings, objectsMapping(tpl.properties())),
			},
		})
		if err := n.client.PutIndexTemplate(ctx, name, body); err != nil {
			t.Fatalf("objects template for %s: %v", ls, err)
		}
		objectTemplates = append(objectTemplates, name)
	}
	t.Cleanup(func() {
		for _, name := range objectTemplates {
			_ = n.client.DeleteIndexTemplate(context.Background(), name)
		}
	})

	mappings := []mapping{
		{
			name:     "templates",
			pipeline: flattened,
			index:    func(ls ir.Logsource) string { return logsourceIndex(ls) + "-it-" + run },
			fixed: func(ls ir.Logsource) fixedMapping {
				return readMapping(templates.forIndex(t, logsourceIndex(ls)).properties())
			},
		},
		{
			name: "objects",
			index: func(ls ir.Logsource) string {
				return objectsPrefix + strings.TrimPrefix(logsourceIndex(ls), "sigmabridge-")
			},
			fixed: func(ls ir.Logsource) fixedMapping {
				return readMapping(objectsMapping(templates.forIndex(t, logsourceIndex(ls)).properties()))
			},
		},
	}

	// Every event of a logsource, with the case-changed copies, goes into that logsource's
	// index set, once per mapping: each rule meets every other rule's samples as well.
	events := map[string][]*doc{} // logsource index -> documents
	for _, pr := range pack {
		key := logsourceIndex(pr.rule.Logsource)
		events[key] = append(events[key], pr.events...)
	}
	for key, docs := range extra {
		events[key] = append(events[key], docs...)
	}
	for _, pr := range pack {
		key := logsourceIndex(pr.rule.Logsource)
		prog, errs := evaluator.Compile([]*ir.Rule{pr.rule})
		if len(errs) > 0 {
			t.Fatalf("%s: %v", pr.path, errs)
		}
		tag := strings.TrimSuffix(pr.path, ".yml")
		for _, d := range slices.Clone(events[key]) {
			if strings.Contains(d.ID, "~") {
				continue
			}
			ms, err := prog.MatchJSON(d.Source)
			if err != nil {
				t.Fatalf("%s: %v", d.Origin, err)
			}
			if len(ms) == 0 {
				continue
			}
			vs, err := caseVariants(d, pr.rule, tag)
			if err != nil {
				t.Fatalf("%s: %v", d.Origin, err)
			}
			events[key] = append(events[key], vs...)
		}
	}

	var subjects []subject
	var sets []*indexSet
	for _, m := range mappings {
		setOf := map[string]*indexSet{}
		for _, ls := range logsources(pack) {
			s := newIndexSet(m.index(ls), m.fixed(ls))
			for _, d := range events[logsourceIndex(ls)] {
				c := *d
				if err := s.add(&c); err != nil {
					t.Fatal(err)
				}
			}
			setOf[logsourceIndex(ls)] = s
			sets = append(sets, s)
		}
		for _, pr := range pack {
			sub := subject{name: pr.path + " (mapping " + m.name + ")", path: pr.path, mapping: m.name, rule: pr.rule, set: setOf[logsourceIndex(pr.rule.Logsource)]}
			if m.pipeline != nil {
				processed, ds := m.pipeline.Apply(pr.rule)
				if ds.HasErrors() {
					sub.rejected = ds.Errors()[0].Message
				} else {
					sub.rule = processed
				}
			}
			subjects = append(subjects, sub)
		}
	}
	var names []string
	for _, s := range sets {
		names = append(names, s.indexes()...)
	}
	esclienttest.Cleanup(t, n.client, names...)
	load(t, n, sets)
	return pack, subjects
}

// loadPack loads every rule of the pack with the placeholders resolved, and its sample events.
func loadPack(t *testing.T, root string) []packRule {
	t.Helper()
	var out []packRule
	for _, r := range estest.PackRules(t, root) {
		pr := packRule{path: r.Path, rule: r.Rule}
		for _, rec := range r.Records {
			pr.events = append(pr.events, &doc{
				ID:     fmt.Sprintf("%s:%d", rec.Shown, rec.Line),
				Origin: fmt.Sprintf("%s line %d, expect %s", rec.Shown, rec.Line, rec.Expect),
				Source: rec.JSON,
			})
		}
		out = append(out, pr)
	}
	return out
}

// exampleEvents reads testdata/elasticsearch/samples/<index>.ndjson.
func exampleEvents(t *testing.T, dir string) map[string][]*doc {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(dir, "*.ndjson"))
	out := map[string][]*doc{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		key := strings.TrimSuffix(filepath.Base(f), ".ndjson")
		sc := bufio.NewScanner(bytes.NewReader(data))
		sc.Buffer(make([]byte, 1<<20), 16<<20)
		for line := 1; sc.Scan(); line++ {
			if len(bytes.TrimSpace(sc.Bytes())) == 0 {
				continue
			}
			shown := fmt.Sprintf("elasticsearch/samples/%s:%d", filepath.Base(f), line)
			out[key] = append(out[key], &doc{ID: shown, Origin: shown, Source: append([]byte(nil), sc.Bytes()...)})
		}
	}
	return out
}

func logsources(pack []packRule) []ir.Logsource {
	seen := map[string]bool{}
	var out []ir.Logsource
	for _, pr := range pack {
		if k := logsourceIndex(pr.rule.Logsource); !seen[k] {
			seen[k] = true
			out = append(out, pr.rule.Logsource)
		}
	}
	return out
}

// indexTemplate is one file of testdata/elasticsearch/templates.
type indexTemplate struct {
	IndexPatterns []string `json:"index_patterns"`
	Template      struct {
		Settings map[string]any `json:"settings"`
		Mappings map[string]any `json:"mappings"`
	} `json:"template"`
}

func (tpl indexTemplate) properties() map[string]any {
	p, _ := tpl.Template.Mappings["properties"].(map[string]any)
	return p
}

func withProperties(mappings map[string]any, props map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range mappings {
		out[k] = v
	}
	out["properties"] = props
	return out
}

type templateSet []indexTemplate

func readTemplates(t *testing.T, dir string) templateSet {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(dir, "*.json"))
	var out templateSet
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var tpl indexTemplate
		if err := json.Unmarshal(data, &tpl); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		out = append(out, tpl)
	}
	return out
}

// forIndex returns the template whose pattern matches the index name (all patterns are
// "<prefix>*").
func (ts templateSet) forIndex(t *testing.T, index string) indexTemplate {
	for _, tpl := range ts {
		for _, p := range tpl.IndexPatterns {
			if strings.HasPrefix(index, strings.TrimSuffix(p, "*")) {
				return tpl
			}
		}
	}
	t.Fatalf("no template in testdata/elasticsearch/templates matches index %s", index)
	return indexTemplate{}
}
