package formats_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	sigmabridge "github.com/sigmabridge/sigmabridge"
	"github.com/sigmabridge/sigmabridge/formats"
	"github.com/sigmabridge/sigmabridge/input"
	"github.com/sigmabridge/sigmabridge/internal/esclient"
	"github.com/sigmabridge/sigmabridge/internal/esclient/esbulk"
	"github.com/sigmabridge/sigmabridge/internal/esclient/esclienttest"
	"github.com/sigmabridge/sigmabridge/samples"
	"github.com/sigmabridge/sigmabridge/translator/evaluator"
	"github.com/sigmabridge/sigmabridge/translator/ir"
	"github.com/sigmabridge/sigmabridge/translator/profile"
)

// liveDoc is one sample event in the node.
type liveDoc struct {
	id     string
	source []byte
}

// plainObjects turns the flattened and nested fields of a mapping into plain objects, so
// every rule of the pack can be run on raw events (the Elastic integrations' flattened
// fields limit what a query can ask; backends/elasticsearch/integration proves that part).
func plainObjects(props map[string]any) map[string]any {
	out := map[string]any{}
	for name, v := range props {
		def, _ := v.(map[string]any)
		c := map[string]any{}
		for k, x := range def {
			c[k] = x
		}
		if c["type"] == "flattened" || c["type"] == "nested" {
			c = map[string]any{"type": "object"}
		}
		if sub, ok := c["properties"].(map[string]any); ok {
			c["properties"] = plainObjects(sub)
		}
		out[name] = c
	}
	return out
}

// TestElasticRulesOnElasticsearch loads every pack rule's samples into the live node, one
// index per log source, whose pattern the organisation profile's logs entries give; renders
// the pack as Elastic Security rules for every Elastic target; and runs each rule's query
// (lucene as query_string, dsl as its filter, ES|QL as written, EQL as an EQL search) on the
// rule's own index patterns. Each rule must hit exactly the documents the evaluator matches
// among all the documents of its log source.
func TestElasticRulesOnElasticsearch(t *testing.T) {
	c := esclienttest.Connect(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	run := "sbformats-" + esclienttest.RunID
	root := ".." // the formats package is at the top of the module

	rules, files, diags, err := sigmabridge.LoadRules(nil)
	if err != nil || diags.HasErrors() {
		t.Fatal(err, diags)
	}
	sources := sigmabridge.RuleSources(nil, files)

	// One index per log source, with the raw-field template's mapping (plain objects) and
	// an @timestamp for EQL; the profile places the log source at a pattern matching it.
	prof := packProfile(t)
	prof.Logs = nil
	indexOf := map[ir.Logsource]string{}
	var indexes []string
	for _, r := range rules {
		ls := r.Logsource
		if _, ok := indexOf[ls]; ok {
			continue
		}
		name := strings.ToLower(fmt.Sprintf("%s-%s-%s", run, ls.Product, ls.Service))
		indexOf[ls] = name + "-000001"
		if slices.Contains(indexes, indexOf[ls]) {
			continue // another logsource value of the same product and service
		}
		indexes = append(indexes, indexOf[ls])
		m := templateFor(t, root, "sigmabridge-"+strings.ToLower(ls.Product)+"-"+strings.ToLower(ls.Service))
		props := plainObjects(m["properties"].(map[string]any))
		props["@timestamp"] = map[string]any{"type": "date"}
		m["properties"] = props
		body, _ := json.Marshal(map[string]any{"settings": map[string]any{"number_of_shards": 1, "number_of_replicas": 0}, "mappings": m})
		if err := c.CreateIndex(ctx, indexOf[ls], body); err != nil {
			t.Fatalf("index %s: %v", indexOf[ls], err)
		}
		esclienttest.Cleanup(t, c, indexOf[ls])
		prof.Logs = append(prof.Logs, profile.LogLocation{
			Logsource: profile.Logsource{Product: ls.Product, Service: ls.Service},
			Elastic:   &profile.ElasticLocation{Index: profile.Strings{name + "*"}},
		})
	}

	// Every sample event of every rule, into its log source's index.
	docsOf := map[string][]liveDoc{}
	arrays := map[ir.Logsource]map[string]bool{} // the paths that hold arrays, per log source
	var bulk []esbulk.Doc
	for _, r := range rules {
		dir := strings.TrimSuffix(sources[r.Path], ".yml")
		m, err := samples.ReadManifest(sigmabridge.PackSamples, dir, dir)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range m.Samples {
			err = m.Read(s, func(rec input.Record) error {
				var ev map[string]any
				if err := json.Unmarshal(rec.JSON, &ev); err != nil {
					return err
				}
				ev["@timestamp"] = "2026-12-01T00:00:00Z"
				if arrays[r.Logsource] == nil {
					arrays[r.Logsource] = map[string]bool{}
				}
				arrayPaths(ev, "", arrays[r.Logsource])
				src, _ := json.Marshal(ev)
				d := liveDoc{id: fmt.Sprintf("%s/%s:%d", dir, s.File, rec.Line), source: src}
				docsOf[indexOf[r.Logsource]] = append(docsOf[indexOf[r.Logsource]], d)
				bulk = append(bulk, esbulk.Doc{Index: indexOf[r.Logsource], ID: d.id, Source: src})
				return nil
			})
			if err != nil {
				t.Fatalf("%s/%s: %v", dir, s.File, err)
			}
		}
	}
	res, err := esbulk.Load(ctx, c, bulk)
	if err == nil {
		err = res.Err()
	}
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Refresh(ctx, indexes...); err != nil {
		t.Fatal(err)
	}
	t.Logf("%d sample events in %d indexes", len(bulk), len(indexes))

	// The events' arrays, declared as the ecs_t1648 pipeline declares the integrations'
	// (multivalued_fields): ES|QL compares a multi-valued field differently.
	mv := multiValuedPipeline(t, arrays)
	for _, target := range []string{"lucene", "dsl", "esql", "eql"} {
		t.Run(target, func(t *testing.T) {
			if _, err := c.EQL(ctx, indexes[0], "any where true", 1); target == "eql" && errors.Is(err, esclient.ErrNoEndpoint) {
				t.Skipf("this node has no EQL endpoint (x-pack-eql is not on Maven Central; TestEQLRulesParse parses the EQL rules instead): %v", err)
			}
			items := convertRules(t, prof, target, []string{mv}, false, rules, sources)
			out := formats.RenderElastic(items, options(target))
			ran, hits := 0, 0
			for i, it := range items {
				if out.Diags[i].HasErrors() {
					t.Errorf("%s: %v", it.Rule.Path, out.Diags[i])
					continue
				}
				prog, errs := evaluator.Compile([]*ir.Rule{it.Rule})
				if len(errs) > 0 {
					t.Fatalf("%s: %v", it.Rule.Path, errs)
				}
				for ci, er := range out.ByRule[i] {
					index := indexOf[it.Rule.Logsource]
					if er.Type != "esql" && (len(er.Index) != 1 || !strings.HasPrefix(index, strings.TrimSuffix(er.Index[0], "*"))) {
						t.Errorf("%s: index %v does not come from the profile (%s)", it.Rule.Path, er.Index, index)
						continue
					}
					want := map[string]bool{}
					for _, d := range docsOf[index] {
						ms, err := prog.MatchJSON(d.source)
						if err != nil {
							t.Fatal(err)
						}
						if slices.ContainsFunc(ms, func(m evaluator.Match) bool { return m.Condition == ci }) {
							want[d.id] = true
						}
					}
					got, err := runRule(ctx, c, er)
					if err != nil {
						t.Errorf("%s (%s): Elasticsearch refused the rule's query: %v\n  query: %s", it.Rule.Path, target, err, er.Query)
						continue
					}
					ran++
					hits += len(got)
					if diff := setDiff(got, want); diff != "" {
						t.Errorf("%s (%s): hits differ from the evaluator: %s\n  query: %s", it.Rule.Path, target, diff, er.Query)
					}
				}
			}
			if ran < 25 {
				t.Errorf("only %d rules ran", ran)
			}
			t.Logf("%s: %d rules ran on their index patterns, %d hits, all as the evaluator", target, ran, hits)
		})
	}
}

// arrayPaths adds to out the dotted path of every array in v.
func arrayPaths(v any, prefix string, out map[string]bool) {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			p := k
			if prefix != "" {
				p = prefix + "." + k
			}
			arrayPaths(x, p, out)
		}
	case []any:
		out[prefix] = true
		for _, x := range v {
			arrayPaths(x, prefix, out)
		}
	}
}

// multiValuedPipeline writes a pipeline that sets multivalued_fields per log source.
func multiValuedPipeline(t *testing.T, arrays map[ir.Logsource]map[string]bool) string {
	t.Helper()
	var b strings.Builder
	b.WriteString("name: formats-live-multivalued\npriority: 30\ntransformations:\n")
	n := 0
	for ls, paths := range arrays {
		if len(paths) == 0 {
			continue
		}
		var ps []string
		for p := range paths {
			ps = append(ps, p)
		}
		sort.Strings(ps)
		q, _ := json.Marshal(ps)
		n++
		fmt.Fprintf(&b, "  - id: mv_%d\n    type: set_state\n    key: multivalued_fields\n    val: %s\n    rule_conditions: [{type: logsource, product: %q, service: %q}]\n", n, q, ls.Product, ls.Service)
	}
	p := filepath.Join(t.TempDir(), "multivalued.yml")
	if err := os.WriteFile(p, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// templateFor returns the mappings of the index template of testdata/elasticsearch whose
// pattern takes the index name.
func templateFor(t *testing.T, root, index string) map[string]any {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(root, "testdata", "elasticsearch", "templates", "*.json"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no templates: %v", err)
	}
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		var tp struct {
			Patterns []string `json:"index_patterns"`
			Template struct {
				Mappings map[string]any `json:"mappings"`
			} `json:"template"`
		}
		if err := json.Unmarshal(data, &tp); err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		for _, pat := range tp.Patterns {
			if strings.HasPrefix(index, strings.TrimSuffix(pat, "*")) {
				return tp.Template.Mappings
			}
		}
	}
	t.Fatalf("no template takes %s", index)
	return nil
}

// runRule runs an Elastic rule's query the way its type and language say, on its index
// patterns, and returns the ids it hits.
func runRule(ctx context.Context, c *esclient.Client, er formats.ElasticRule) (map[string]bool, error) {
	idx := strings.Join(er.Index, ",")
	var res *esclient.SearchResult
	var err error
	switch {
	case er.Type == "query" && er.Language == "lucene":
		res, err = c.QueryString(ctx, idx, er.Query, 1000)
	case er.Type == "query" && len(er.Filters) == 1:
		body, _ := json.Marshal(map[string]any{"query": er.Filters[0]["query"]})
		res, err = c.Search(ctx, idx, body, 1000)
	case er.Type == "eql":
		res, err = c.EQL(ctx, idx, er.Query, 1000)
	case er.Type == "esql":
		r, err := c.ESQL(ctx, er.Query)
		if err != nil {
			return nil, err
		}
		col := r.Column("_id")
		if col < 0 {
			return nil, fmt.Errorf("the ES|QL result has no _id column")
		}
		out := map[string]bool{}
		for _, row := range r.Values {
			var id string
			if err := json.Unmarshal(row[col], &id); err != nil {
				return nil, err
			}
			out[id] = true
		}
		return out, nil
	default:
		return nil, fmt.Errorf("no runner for type %s language %s", er.Type, er.Language)
	}
	if err != nil {
		return nil, err
	}
	out := map[string]bool{}
	for _, h := range res.Hits {
		out[h.ID] = true
	}
	if res.Total > int64(len(res.Hits)) {
		return nil, fmt.Errorf("%d hits, more than the test reads", res.Total)
	}
	return out, nil
}

func setDiff(got, want map[string]bool) string {
	var extra, missing []string
	for id := range got {
		if !want[id] {
			extra = append(extra, id)
		}
	}
	for id := range want {
		if !got[id] {
			missing = append(missing, id)
		}
	}
	if len(extra)+len(missing) == 0 {
		return ""
	}
	sort.Strings(extra)
	sort.Strings(missing)
	return fmt.Sprintf("not matched by the evaluator %v; missed %v", extra, missing)
}
