package esmapping_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sigmabridge/sigmabridge/backends/elasticsearch/esmapping"
	"github.com/sigmabridge/sigmabridge/internal/esclient"
	"github.com/sigmabridge/sigmabridge/internal/esclient/esbulk"
	"github.com/sigmabridge/sigmabridge/internal/esclient/esclienttest"
	"github.com/sigmabridge/sigmabridge/translator"
	"github.com/sigmabridge/sigmabridge/translator/evaluator"
	"github.com/sigmabridge/sigmabridge/translator/ir"
)

// dynamicDocs are events for an index with no mapping of its own: Elasticsearch's dynamic
// mapping makes name, tag and ip text with a keyword multi-field (ignore_above 256: the
// 300-character name is left out of name.keyword), count a long, flag a boolean, when a date.
var dynamicDocs = []string{
	`{"name":"CreateFunction","tag":"alpha","count":5,"flag":true,"ip":"10.1.2.3","when":"2025-05-14T08:00:00Z"}`,
	`{"name":"createfunction","tag":"Beta","count":10,"flag":false,"ip":"192.168.1.7","when":"2025-05-15T08:00:00Z"}`,
	`{"name":"Create Function now","tag":"ALPHA beta","count":7,"ip":"10.200.0.1"}`,
	`{"name":"","tag":"gamma"}`,
	`{"name":"` + strings.Repeat("x", 300) + `CreateFunction","tag":"delta"}`,
	`{"tag":"alphabet","count":6}`,
	`{"other":"CreateFunction"}`,
}

// TestLiveDynamicMapping runs the queries each target writes on the mapping of an index
// Elasticsearch mapped dynamically, and every leaf and its negation must hit exactly the
// documents the evaluator matches; a leaf the mapping cannot answer must fail with the
// mapping code expected of it, and the node must accept every query that is written.
func TestLiveDynamicMapping(t *testing.T) {
	c := esclienttest.Connect(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	index := "sigmabridge-esmapping-" + esclienttest.RunID
	if err := c.CreateIndex(ctx, index, []byte(`{"settings":{"number_of_shards":1,"number_of_replicas":0}}`)); err != nil {
		t.Fatal(err)
	}
	esclienttest.Cleanup(t, c, index)
	var docs []esbulk.Doc
	for i, d := range dynamicDocs {
		// EQL needs a timestamp to order events by.
		src := strings.Replace(d, "{", `{"@timestamp":"2025-01-01T00:00:00Z",`, 1)
		docs = append(docs, esbulk.Doc{Index: index, ID: fmt.Sprint(i), Source: []byte(src)})
	}
	if res, err := esbulk.Load(ctx, c, docs); err != nil || res.Err() != nil {
		t.Fatalf("bulk: %v %v", err, res.Err())
	}
	if err := c.Refresh(ctx, index); err != nil {
		t.Fatal(err)
	}
	body, err := c.Mapping(ctx, index)
	if err != nil {
		t.Fatal(err)
	}
	m, err := esmapping.Read(index, body)
	if err != nil {
		t.Fatal(err)
	}
	if f := m.Fields["name"]; f.Type != "text" || f.Keyword != "name.keyword" || m.Fields["name.keyword"].IgnoreAbove != 256 || m.Fields["count"].Type != "long" || m.Fields["when"].Type != "date" {
		t.Fatalf("the node's dynamic mapping is not the one this test is written for: %s", body)
	}
	ignored, complete, err := c.IgnoredFields(ctx, index)
	if err != nil || !complete || !slices.Equal(ignored, []string{"name.keyword"}) {
		t.Fatalf("ignored fields %v %v %v, want [name.keyword]", ignored, complete, err)
	}
	// EQL runs only where the node has the EQL plugin; the test node may not.
	_, eqlErr := c.EQL(ctx, index, "any where true", 1)
	eqlOK := eqlErr == nil
	if !eqlOK {
		t.Logf("EQL queries are converted but not run: %v", eqlErr)
	}
	lifted, _ := esmapping.Read(index, body)
	esmapping.LiftIgnoreAbove(lifted, ignored)

	for _, tc := range []struct {
		item string
		// fail is the mapping code expected on the mapping as read ("" answered), lifted
		// the one once ignore_above is checked against the data.
		fail, lifted string
	}{
		{"name: CreateFunction", "", ""},
		{"name|cased: CreateFunction", "", ""},
		{"name|exists: true", "", ""},
		{"name: '*'", "", ""},
		{"name: ''", "", ""},
		{"name|startswith: create", "mapping-ignore-above", "mapping-ignore-above"},
		{"name|contains: Function", "mapping-ignore-above", "mapping-ignore-above"},
		{"tag|contains: alpha", "mapping-ignore-above", ""},
		{"tag|endswith: A", "mapping-ignore-above", ""},
		{"tag|re: '^[ab]'", "mapping-ignore-above", ""},
		{"tag|re|i: '^al'", "mapping-ignore-above", ""},
		{"ip|cidr: 10.0.0.0/8", "mapping-ignore-above", ""},
		{"tag: [alpha, gamma]", "", ""},
		{"count: 5", "", ""},
		{"count|gte: 6", "", ""},
		{"count|lt: 7", "", ""},
		{"flag: true", "", ""},
		{"flag: false", "", ""},
		{"count: '5*'", "mapping-field-type", "mapping-field-type"},
		{"when: '2025*'", "mapping-field-type", "mapping-field-type"},
		{"tag|gt: 3", "mapping-field-type", "mapping-field-type"},
		{"missing: x", "", ""},
	} {
		for _, mm := range []struct {
			name string
			m    *ir.IndexMapping
			want string
		}{{"as read", m, tc.fail}, {"lifted", lifted, tc.lifted}} {
			r := liveRule(t, tc.item)
			r.Deployment.Mapping = mm.m
			r.Deployment.Index = []string{index}
			for _, b := range targets {
				qs, ds := b.Convert(r)
				want := mm.want
				if b.Name() == "esql" && strings.HasPrefix(tc.item, "missing:") {
					want = "mapping-unmapped-field" // ES|QL refuses an unknown column
				}
				if errs := ds.Errors(); len(errs) > 0 {
					if string(errs[0].Code) != want {
						t.Errorf("%s (%s) on %s: %s: %s, want %q", tc.item, mm.name, b.Name(), errs[0].Code, errs[0].Message, mm.want)
					}
					continue
				}
				if want != "" {
					t.Errorf("%s (%s) on %s: converted, want %s", tc.item, mm.name, b.Name(), want)
					continue
				}
				if b.Name() == "eql" && !eqlOK {
					continue
				}
				for i, q := range qs {
					got, err := run(ctx, c, b.Name(), index, q.Text)
					if err != nil {
						t.Errorf("%s (%s) on %s: %s: %v", tc.item, mm.name, b.Name(), q.Text, err)
						continue
					}
					if want := evaluatorIDs(t, r.Conditions[i]); !slices.Equal(got, want) {
						t.Errorf("%s (%s, condition %d) on %s: %s hits %v, the evaluator matches %v", tc.item, mm.name, i+1, b.Name(), q.Text, got, want)
					}
				}
			}
		}
	}
}

// liveRule is rule with the selection and its negation as two conditions.
func liveRule(t *testing.T, item string) *ir.Rule {
	t.Helper()
	src := "title: t\nid: 00000000-0000-4000-8000-000000000001\nlogsource: {product: test}\ndetection:\n  sel:\n    " + item + "\n  condition: [sel, not sel]\n"
	rs, ds := translator.LoadBytes("t.yml", []byte(src))
	if ds.HasErrors() || len(rs) != 1 {
		t.Fatalf("%s: %v", item, ds)
	}
	return rs[0]
}

func evaluatorIDs(t *testing.T, tree ir.Node) []string {
	p, errs := evaluator.Compile([]*ir.Rule{{ID: "x", Conditions: []ir.Node{tree}}})
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	out := []string{}
	for i, d := range dynamicDocs {
		if ms, _ := p.MatchJSON([]byte(d)); len(ms) > 0 {
			out = append(out, fmt.Sprint(i))
		}
	}
	return out
}

// run runs a target's query on the node and returns the ids it hits, sorted.
func run(ctx context.Context, c *esclient.Client, target, index, q string) ([]string, error) {
	var hits []esclient.Hit
	switch target {
	case "lucene":
		res, err := c.QueryString(ctx, index, q, 100)
		if err != nil {
			return nil, err
		}
		hits = res.Hits
	case "dsl":
		res, err := c.Search(ctx, index, []byte(q), 100)
		if err != nil {
			return nil, err
		}
		hits = res.Hits
	case "eql":
		res, err := c.EQL(ctx, index, q, 100)
		if err != nil {
			return nil, err
		}
		hits = res.Hits
	case "esql":
		res, err := c.ESQL(ctx, q+" | KEEP _id | LIMIT 100")
		if err != nil {
			return nil, err
		}
		out := []string{}
		for _, row := range res.Values {
			var id string
			if err := json.Unmarshal(row[0], &id); err != nil {
				return nil, err
			}
			out = append(out, id)
		}
		slices.Sort(out)
		return out, nil
	}
	out := []string{}
	for _, h := range hits {
		out = append(out, h.ID)
	}
	slices.Sort(out)
	return out, nil
}
