package integration

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/sigmabridge/sigmabridge/backends/elasticsearch/dsl"
	"github.com/sigmabridge/sigmabridge/backends/elasticsearch/eql"
	"github.com/sigmabridge/sigmabridge/backends/elasticsearch/esql"
	"github.com/sigmabridge/sigmabridge/backends/elasticsearch/lucene"
	"github.com/sigmabridge/sigmabridge/internal/esclient/esbulk"
	"github.com/sigmabridge/sigmabridge/internal/esclient/esclienttest"
	"github.com/sigmabridge/sigmabridge/translator/evaluator"
	"github.com/sigmabridge/sigmabridge/translator/ir"
	"github.com/sigmabridge/sigmabridge/translator/pipeline"
)

// The ecs_t1648 pipeline reads the flattened sub-keys the pack needs from keyword copies under
// sigmabridge.*, which its @custom ingest pipelines make at ingest
// (translator/pipeline/builtin/README.md, "The @custom ingest pipelines"). The test node has
// no ingest processors (no ingest-common or painless module on Maven Central), so the copies
// are proven in two steps: the copies the ingest pipelines' script makes from each pack sample
// equal what pipeline.Shape (check -p ecs_t1648) puts there, and on the live node, with the
// shaped samples in an index mapped as the integration and the component templates map them,
// every rule that reads a copy hits exactly the documents the evaluator matches.

const customDir = "translator/pipeline/builtin/elastic"

// customIngest is one @custom ingest pipeline: its name and its copies.
type customIngest struct {
	name   string
	copies []struct{ From, To string }
}

func readCustomIngest(t *testing.T) map[string]customIngest {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(esclienttest.RepoRoot(), customDir, "ingest-*.json"))
	if len(files) == 0 {
		t.Fatalf("no ingest pipelines in %s", customDir)
	}
	out := map[string]customIngest{}
	for _, f := range files {
		var body struct {
			Processors []struct {
				Script struct {
					Params struct {
						Copies []struct{ From, To string } `json:"copies"`
					} `json:"params"`
				} `json:"script"`
			} `json:"processors"`
		}
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(data, &body); err != nil || len(body.Processors) != 1 {
			t.Fatalf("%s: %v (want one script processor)", f, err)
		}
		name := strings.TrimSuffix(strings.TrimPrefix(filepath.Base(f), "ingest-"), ".json")
		out[name] = customIngest{name: name, copies: body.Processors[0].Script.Params.Copies}
	}
	return out
}

// flattenedPrefixes maps each flattened object of ecs_t1648 to the raw prefix it holds
// (aws.cloudtrail.flattened.request_parameters -> requestParameters), read from the pipeline's
// sigmabridge_flattened_object items.
func flattenedPrefixes(t *testing.T) map[string]string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(esclienttest.RepoRoot(), "translator", "pipeline", "builtin", "ecs_t1648.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Transformations []struct{ Type, Prefix, Field string } `yaml:"transformations"`
	}
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, it := range doc.Transformations {
		if it.Type == "sigmabridge_flattened_object" {
			out[it.Field] = strings.TrimSuffix(it.Prefix, ".")
		}
	}
	return out
}

// scriptCopy is what the ingest pipelines' painless script sets for one path: it walks the
// dotted path through objects and arrays and collects every leaf that is not an object, as
// text (Java's toString of the parsed JSON value).
func scriptCopy(v any, keys []string) []string {
	switch x := v.(type) {
	case nil:
		return nil
	case []any:
		var out []string
		for _, e := range x {
			out = append(out, scriptCopy(e, keys)...)
		}
		return out
	case map[string]any:
		if len(keys) == 0 {
			return nil
		}
		return scriptCopy(x[keys[0]], keys[1:])
	default:
		if len(keys) > 0 {
			return nil
		}
		return []string{fmt.Sprint(x)}
	}
}

// indexedTexts is what a keyword field indexes of a shaped value: the text of each leaf.
func indexedTexts(v any) []string {
	switch x := v.(type) {
	case nil:
		return nil
	case []any:
		var out []string
		for _, e := range x {
			out = append(out, indexedTexts(e)...)
		}
		return out
	default:
		return []string{fmt.Sprint(x)}
	}
}

// lookup reads a dotted path of nested objects, without crossing arrays.
func lookup(doc map[string]any, path string) any {
	var v any = doc
	for _, k := range strings.Split(path, ".") {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

func decode(t *testing.T, origin string, src []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(src, &m); err != nil {
		t.Fatalf("%s: %v", origin, err)
	}
	return m
}

// copyReaders are the pack rules whose ecs_t1648 form reads a keyword copy, with the form.
type copyReader struct {
	pr      packRule
	applied *ir.Rule
	shape   *pipeline.Shape
	dataset string // logs-<dataset>@custom
}

func copyReaders(t *testing.T, pack []packRule, ingest map[string]customIngest) []copyReader {
	t.Helper()
	ecs, err := pipeline.LoadChain("ecs_t1648")
	if err != nil {
		t.Fatal(err)
	}
	targets := map[string]string{} // copy field -> ingest pipeline
	for name, ci := range ingest {
		for _, c := range ci.copies {
			targets[c.To] = name
		}
	}
	var out []copyReader
	for _, pr := range pack {
		applied, ds := ecs.Apply(pr.rule)
		if ds.HasErrors() {
			t.Errorf("%s under ecs_t1648: %v", pr.path, ds.Errors())
			continue
		}
		name := ""
		for f := range readFields(applied) {
			if n, ok := targets[f]; ok {
				name = n
			} else if strings.HasPrefix(f, "sigmabridge.") && !strings.HasPrefix(f, "sigmabridge.mail.") {
				t.Errorf("%s reads %s, which no @custom ingest pipeline copies", pr.path, f)
			}
		}
		if name != "" {
			out = append(out, copyReader{pr: pr, applied: applied, shape: ecs.Shape(pr.rule), dataset: name})
		}
	}
	return out
}

// TestECSCustomIngestCopiesMatchShape: for every sample of every pack rule that reads a keyword
// copy, the copies the @custom ingest pipeline's script makes from the integration's
// flattened object hold the same texts as the fields pipeline.Shape fills, so check -p
// ecs_t1648 runs the rules on what the deployment indexes.
func TestECSCustomIngestCopiesMatchShape(t *testing.T) {
	root := esclienttest.RepoRoot()
	ingest := readCustomIngest(t)
	prefixes := flattenedPrefixes(t)
	readers := copyReaders(t, loadPack(t, root), ingest)
	if len(readers) < 15 {
		t.Fatalf("only %d pack rules read a keyword copy", len(readers))
	}
	filled := 0
	for _, cr := range readers {
		for _, d := range cr.pr.events {
			raw := decode(t, d.Origin, d.Source)
			shapedSrc, err := cr.shape.Apply(d.Source)
			if err != nil {
				t.Fatalf("%s: %v", d.Origin, err)
			}
			shaped := decode(t, d.Origin, shapedSrc)
			for _, c := range ingest[cr.dataset].copies {
				var rawPath string
				for obj, prefix := range prefixes {
					if key, ok := strings.CutPrefix(c.From, obj+"."); ok {
						rawPath = prefix + "." + key
					}
				}
				if rawPath == "" {
					t.Fatalf("%s: %s is in no flattened object of ecs_t1648", cr.dataset, c.From)
				}
				// The integration stores the raw object as the flattened object, so the script
				// reads at From what the raw event holds at rawPath.
				want := scriptCopy(raw, strings.Split(rawPath, "."))
				got := indexedTexts(lookup(shaped, c.To))
				if !slices.Equal(got, want) {
					t.Errorf("%s, %s: the ingest pipeline copies %q, the shape holds %q", d.Origin, c.To, want, got)
				}
				if len(want) > 0 {
					filled++
				}
			}
		}
	}
	if filled < 30 {
		t.Errorf("only %d copies filled over the samples", filled)
	}
	t.Logf("%d rules read keyword copies; %d copies filled over their samples agree with the shape", len(readers), filled)
}

// TestECSCustomIngestOnElasticsearch: on the live node, the shaped samples of the log sources
// with keyword copies go into one index per data stream, mapped as the integration maps them
// (the flattened objects ecs_t1648 declares, ip fields, strings as keyword) plus the
// component template of the @custom pipeline; every rule reading a copy hits, on lucene, dsl
// and esql, exactly what the evaluator matches, and the node types every copy keyword (EQL
// reads keyword fields; its queries are parsed in formats' TestEQLRulesParse).
func TestECSCustomIngestOnElasticsearch(t *testing.T) {
	n := connect(t)
	root := esclienttest.RepoRoot()
	ingest := readCustomIngest(t)
	pack := loadPack(t, root)
	readers := copyReaders(t, pack, ingest)
	ecs, err := pipeline.LoadChain("ecs_t1648")
	if err != nil {
		t.Fatal(err)
	}

	// One index per data stream; every pack sample of the data stream goes into it, shaped.
	type stream struct {
		index      string
		docs       []*doc
		flattened  map[string]bool
		ipFields   map[string]bool
		copyFields map[string]any
	}
	streams := map[string]*stream{}
	for _, cr := range readers {
		if streams[cr.dataset] == nil {
			var comp struct {
				Template struct {
					Mappings struct {
						Properties map[string]any `json:"properties"`
					} `json:"mappings"`
				} `json:"template"`
			}
			data, err := os.ReadFile(filepath.Join(root, customDir, "component-"+cr.dataset+".json"))
			if err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(data, &comp); err != nil {
				t.Fatal(err)
			}
			ds := strings.TrimSuffix(strings.TrimPrefix(cr.dataset, "logs-"), "@custom")
			streams[cr.dataset] = &stream{
				index:      "sigmabridge-it-" + esclienttest.RunID + "-ecs-" + strings.ReplaceAll(ds, ".", "-"),
				flattened:  map[string]bool{},
				ipFields:   map[string]bool{},
				copyFields: comp.Template.Mappings.Properties,
			}
		}
		s := streams[cr.dataset]
		for _, f := range cr.applied.Deployment.FlattenedFields {
			s.flattened[f] = true
		}
		for _, f := range cr.applied.Deployment.IPFields {
			s.ipFields[f] = true
		}
	}
	seen := map[string]bool{}
	for _, pr := range pack {
		applied, ds := ecs.Apply(pr.rule)
		if ds.HasErrors() {
			continue
		}
		var s *stream
		for _, cr := range readers {
			if slices.Equal(cr.applied.Deployment.Index, applied.Deployment.Index) {
				s = streams[cr.dataset]
			}
		}
		if s == nil {
			continue
		}
		shape := ecs.Shape(pr.rule)
		for _, d := range pr.events {
			if seen[d.ID] {
				continue
			}
			seen[d.ID] = true
			src, err := shape.Apply(d.Source)
			if err != nil {
				t.Fatalf("%s: %v", d.Origin, err)
			}
			s.docs = append(s.docs, &doc{ID: d.ID, Origin: d.Origin, Source: src, Index: s.index})
		}
	}

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	var names []string
	var docs []esbulk.Doc
	for _, s := range streams {
		props := map[string]any{}
		for k, v := range s.copyFields {
			props[k] = v
		}
		put := func(path string, m map[string]any) {
			parts := strings.Split(path, ".")
			p := props
			for _, k := range parts[:len(parts)-1] {
				o, _ := p[k].(map[string]any)
				if o == nil {
					o = map[string]any{"properties": map[string]any{}}
					p[k] = o
				}
				p = o["properties"].(map[string]any)
			}
			p[parts[len(parts)-1]] = m
		}
		for f := range s.flattened {
			put(f, map[string]any{"type": "flattened"})
		}
		for f := range s.ipFields {
			put(f, map[string]any{"type": "ip", "ignore_malformed": true})
		}
		body, _ := json.Marshal(map[string]any{"mappings": map[string]any{
			"dynamic_templates": []any{map[string]any{"strings_as_keyword": map[string]any{
				"match_mapping_type": "string",
				"mapping":            map[string]any{"type": "keyword", "ignore_above": 1024},
			}}},
			"properties": props,
		}})
		if err := n.client.CreateIndex(ctx, s.index, body); err != nil {
			t.Fatalf("creating %s: %v", s.index, err)
		}
		names = append(names, s.index)
		for _, d := range s.docs {
			docs = append(docs, esbulk.Doc{Index: d.Index, ID: d.ID, Source: d.Source})
		}
	}
	esclienttest.Cleanup(t, n.client, names...)
	res, err := esbulk.Load(ctx, n.client, docs)
	if err != nil {
		t.Fatalf("bulk load: %v", err)
	}
	if len(res.Failures) > 0 {
		t.Fatalf("bulk load: %v", res.Err())
	}
	if err := n.client.Refresh(ctx, names...); err != nil {
		t.Fatalf("refresh: %v", err)
	}

	// The node types every copy keyword.
	if _, ok := n.unavailable[esql.Target]; !ok {
		for name, s := range streams {
			r, err := n.client.ESQL(ctx, "FROM "+s.index+" | KEEP sigmabridge.* | LIMIT 0")
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			want := len(ingest[name].copies)
			got := 0
			for _, c := range r.Columns {
				if c.Type != "keyword" && !(c.Type == "long" && numericCopies[c.Name]) {
					t.Errorf("%s: %s is %s, want keyword (long only for the numeric copies)", s.index, c.Name, c.Type)
				}
				got++
			}
			// A copy no sample fills has no mapping beyond the component template's, which
			// still names it.
			if got != want {
				t.Errorf("%s: %d sigmabridge.* columns, want the %d copies", s.index, got, want)
			}
		}
	}

	proven := map[string]int{}
	for _, cr := range readers {
		s := streams[cr.dataset]
		prog, errs := evaluator.Compile([]*ir.Rule{cr.applied})
		if len(errs) > 0 {
			t.Fatalf("%s: %v", cr.pr.path, errs)
		}
		want := map[int][]string{}
		for _, d := range s.docs {
			ms, err := prog.MatchJSON(d.Source)
			if err != nil {
				t.Fatalf("%s: %v", d.Origin, err)
			}
			for _, m := range ms {
				want[m.Condition] = append(want[m.Condition], d.ID)
			}
		}
		if len(want) == 0 {
			t.Errorf("%s: the evaluator matches none of its shaped samples", cr.pr.path)
		}
		for _, tg := range targets {
			if _, ok := n.unavailable[tg.name]; ok || tg.name == eql.Target {
				continue
			}
			rule := cr.applied.Clone()
			rule.Deployment.Index = []string{s.index}
			qs, ds := tg.backend.Convert(rule)
			if ds.HasErrors() {
				t.Errorf("%s on %s: %v", cr.pr.path, tg.name, ds.Errors())
				continue
			}
			ok := true
			for _, q := range qs {
				var got []string
				switch tg.name {
				case lucene.Target, dsl.Target:
					var hits map[string]bool
					if tg.name == lucene.Target {
						res, err := n.client.QueryString(ctx, s.index, q.Text, maxHits)
						if err != nil {
							t.Fatalf("%s on %s: %v\n  query: %s", cr.pr.path, tg.name, err, q.Text)
						}
						hits = hitIDs(res)
					} else {
						res, err := n.client.Search(ctx, s.index, []byte(q.Text), maxHits)
						if err != nil {
							t.Fatalf("%s on %s: %v\n  query: %s", cr.pr.path, tg.name, err, q.Text)
						}
						hits = hitIDs(res)
					}
					for id := range hits {
						got = append(got, id)
					}
				case esql.Target:
					res, err := n.client.ESQL(ctx, q.Text)
					if err != nil {
						t.Fatalf("%s on esql: %v\n  query: %s", cr.pr.path, err, q.Text)
					}
					col := res.Column("_id")
					if col < 0 {
						t.Fatalf("%s on esql: no _id column", cr.pr.path)
					}
					for _, row := range res.Values {
						var id string
						if err := json.Unmarshal(row[col], &id); err != nil {
							t.Fatal(err)
						}
						got = append(got, id)
					}
				}
				sort.Strings(got)
				w := slices.Clone(want[q.Condition])
				sort.Strings(w)
				if !slices.Equal(got, w) {
					ok = false
					t.Errorf("%s on %s, condition %d: Elasticsearch hits %v, the evaluator %v\n  query: %s", cr.pr.path, tg.name, q.Condition, got, w, q.Text)
				}
			}
			if ok {
				proven[tg.name]++
			}
		}
	}
	t.Logf("%d rules reading keyword copies, %d shaped samples in %d indexes; equal to the evaluator: %v",
		len(readers), len(docs), len(names), proven)
}

// numericCopies are the copies the pack compares as numbers (|gte, a number value); their
// component templates map them as long (translator/pipeline/custom_ingest_test.go keeps the
// same list for the templates themselves).
var numericCopies = map[string]bool{
	"sigmabridge.aws.cloudtrail.response_elements.memorySize":             true,
	"sigmabridge.aws.cloudtrail.response_elements.timeout":                true,
	"sigmabridge.gcp.audit.request.function.serviceConfig.timeoutSeconds": true,
}
