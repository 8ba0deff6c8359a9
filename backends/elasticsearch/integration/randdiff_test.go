package integration

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"github.com/sigmabridge/sigmabridge/backends/elasticsearch/esmapping"
	"io"
	"maps"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sigmabridge/sigmabridge/backends"
	"github.com/sigmabridge/sigmabridge/backends/elasticsearch/dsl"
	"github.com/sigmabridge/sigmabridge/backends/elasticsearch/esql"
	"github.com/sigmabridge/sigmabridge/backends/elasticsearch/lucene"
	"github.com/sigmabridge/sigmabridge/internal/esclient"
	"github.com/sigmabridge/sigmabridge/internal/esclient/esbulk"
	"github.com/sigmabridge/sigmabridge/internal/esclient/esclienttest"
	"github.com/sigmabridge/sigmabridge/internal/sigmagen"
	"github.com/sigmabridge/sigmabridge/translator"
	"github.com/sigmabridge/sigmabridge/translator/diag"
	"github.com/sigmabridge/sigmabridge/translator/evaluator"
	"github.com/sigmabridge/sigmabridge/translator/ir"
)

// The random differential (issue 12, "proof at scale"): random rules (sigmagen, read
// through the real loader) and random hostile events, indexed once per batch under three
// mappings; every lucene, dsl and esql query's hits must equal the evaluator's matches, or
// the target must refuse the rule with a named diagnostic.
//
// SIGMABRIDGE_DIFF_SEED fixes the seed (it is printed either way), SIGMABRIDGE_DIFF_RULES
// the rules per mapping (default 600), SIGMABRIDGE_DIFF_TIME the wall-time budget of the
// whole test (default 4m; batches not started by then are reported, not run).
const (
	envDiffSeed  = "SIGMABRIDGE_DIFF_SEED"
	envDiffRules = "SIGMABRIDGE_DIFF_RULES"
	envDiffTime  = "SIGMABRIDGE_DIFF_TIME"
	// envDiffOut names a directory to write each disagreement's rule and query into.
	envDiffOut = "SIGMABRIDGE_DIFF_OUT"

	rulesPerBatch  = 100
	eventsPerBatch = 150
	// queryTimeout bounds one _msearch or ES|QL request; a query the node cannot answer in
	// it counts as a disagreement.
	queryTimeout = time.Minute
)

// convertWithMapping converts r for target with the index mapping m, as `convert --mapping`
// and `hunt` do: each leaf is rendered for the field's real type or refused with a named
// mapping code.
func convertWithMapping(target string, r *ir.Rule, m *ir.IndexMapping) ([]backends.Query, diag.List) {
	r.Deployment.Mapping = m
	switch target {
	case lucene.Target:
		return lucene.Backend{}.Convert(r)
	case dsl.Target:
		return dsl.Backend{}.Convert(r)
	case esql.Target:
		return esql.Backend{}.Convert(r)
	}
	panic("randdiff: no backend for target " + target)
}

// diffScenario is one way of mapping the generated events.
type diffScenario struct {
	name   string
	schema sigmagen.Schema
	// index names batch b's index; create makes it (nil: the bulk load creates it).
	index  func(b int) string
	create func(ctx context.Context, c *esclient.Client, name string) error
	// longValuesIn, when not nil, are the only string fields whose values may pass the
	// mapping's ignore_above: there the mapping refuses inexact leaves by name, elsewhere
	// the leaves are answered and compared.
	longValuesIn []string
}

var genericSchema = sigmagen.Schema{
	Strings:      []string{"s1", "s2", "obj.a", "obj.b.c", "arr.k"},
	IPs:          []string{"ip"},
	Ints:         []string{"n"},
	Floats:       []string{"d"},
	Bools:        []string{"b"},
	ObjectArrays: []string{"arr"},
}

// cloudTrailSchema uses the fields of testdata/elasticsearch/templates/sigmabridge-aws-
// cloudtrail.json (keywords, with and without ignore_above 8191; nested objects; the
// resources array of objects; the readOnly boolean) and two fields the template leaves to
// its dynamic rules (long, double).
var cloudTrailSchema = sigmagen.Schema{
	Strings:      []string{"eventName", "userAgent", "errorMessage", "userIdentity.userName", "userIdentity.sessionContext.sessionIssuer.arn", "resources.ARN", "resources.type", "extraText"},
	IPs:          []string{"sourceIPAddress"},
	Ints:         []string{"extraCount"},
	Floats:       []string{"extraScore"},
	Bools:        []string{"readOnly"},
	ObjectArrays: []string{"resources"},
}

func diffScenarios() []diffScenario {
	base := "sigmabridge-randdiff-" + esclienttest.RunID
	settings := map[string]any{"number_of_shards": 1, "number_of_replicas": 0}
	createWith := func(mappings any) func(ctx context.Context, c *esclient.Client, name string) error {
		return func(ctx context.Context, c *esclient.Client, name string) error {
			body := map[string]any{"settings": settings}
			if mappings != nil {
				body["mappings"] = mappings
			}
			b, _ := json.Marshal(body)
			return c.CreateIndex(ctx, name, b)
		}
	}
	return []diffScenario{
		{
			name:   "keyword",
			schema: genericSchema,
			index:  func(b int) string { return fmt.Sprintf("%s-keyword-b%d", base, b) },
			// Every string a keyword; numbers (double for fractions) and booleans as their JSON
			// type.
			create: createWith(map[string]any{
				"date_detection": false, "numeric_detection": false,
				"dynamic_templates": []any{
					map[string]any{"strings": map[string]any{"match_mapping_type": "string", "mapping": map[string]any{"type": "keyword"}}},
					// Not float, Elasticsearch's default, which stores 9.99 as 9.98999977.
					map[string]any{"floats": map[string]any{"match_mapping_type": "double", "mapping": map[string]any{"type": "double"}}},
				},
			}),
		},
		{
			name:   "dynamic",
			schema: genericSchema,
			index:  func(b int) string { return fmt.Sprintf("%s-dynamic-b%d", base, b) },
			// Elasticsearch's default: text with a .keyword sub-field (ignore_above 256).
			create:       createWith(nil),
			longValuesIn: []string{"s1"},
		},
		{
			name:   "templates",
			schema: cloudTrailSchema,
			// The index template sigmabridge-aws-cloudtrail maps it (installed by connect).
			index: func(b int) string {
				return fmt.Sprintf("sigmabridge-aws-cloudtrail-randdiff-%s-b%d", esclienttest.RunID, b)
			},
			create: createWith(nil),
		},
	}
}

func envInt(t *testing.T, name string, def int) int {
	s := os.Getenv(name)
	if s == "" {
		return def
	}
	n, err := strconv.Atoi(s)
	if err != nil || n <= 0 {
		t.Fatalf("%s=%q: want a positive number", name, s)
	}
	return n
}

// diffCase is one generated rule of a batch.
type diffCase struct {
	n    int
	yaml string
	rule *ir.Rule
	want map[string]bool // ids of the events the evaluator matches
}

// disagreement is one query whose answer departs from the evaluator.
type disagreement struct {
	scenario, target string
	batch            int
	c                *diffCase
	query            string
	refused          string
	onlyES, onlyEval []string
}

// diffTally counts per scenario and target.
type diffTally struct {
	mu       sync.Mutex
	agree    map[string]int
	named    map[string]map[string]int // target -> code -> rules
	disagree map[string]int
	list     []disagreement
}

func TestRandomDifferential(t *testing.T) {
	n := connect(t)
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv(envDiffSeed); s != "" {
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("%s=%q: %v", envDiffSeed, s, err)
		}
		seed = v
	}
	rules := envInt(t, envDiffRules, 600)
	budget := 4 * time.Minute
	if s := os.Getenv(envDiffTime); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil {
			t.Fatalf("%s=%q: %v", envDiffTime, s, err)
		}
		budget = d
	}
	t.Logf("seed %d: rerun with %s=%d (%d rules per mapping, budget %v)", seed, envDiffSeed, seed, rules, budget)
	start := time.Now()
	scenarios := diffScenarios()
	batches := (rules + rulesPerBatch - 1) / rulesPerBatch
	for si, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			// Each scenario gets an equal share of what is left of the budget.
			deadline := time.Now().Add((budget - time.Since(start)) / time.Duration(len(scenarios)-si))
			ty := &diffTally{agree: map[string]int{}, named: map[string]map[string]int{}, disagree: map[string]int{}}
			ran := 0
			for b := range batches {
				// Every mapping runs at least one batch, whatever the budget.
				if ran > 0 && time.Now().After(deadline) {
					t.Logf("time budget spent: %d of %d batches run", ran, batches)
					break
				}
				runBatch(t, n, sc, seed, b, ty)
				ran++
			}
			cases := 0
			for _, tg := range []string{lucene.Target, dsl.Target, esql.Target} {
				var named []string
				for _, code := range slices.Sorted(maps.Keys(ty.named[tg])) {
					named = append(named, fmt.Sprintf("%s %d", code, ty.named[tg][code]))
					cases += ty.named[tg][code]
				}
				cases += ty.agree[tg] + ty.disagree[tg]
				t.Logf("%s, %s: %d rules equal to the evaluator, %d refused with a named diagnostic (%s), %d disagree",
					sc.name, tg, ty.agree[tg], ty.refusedRules(tg), orNone(strings.Join(named, ", ")), ty.disagree[tg])
			}
			t.Logf("%s: %d cases (rule x target, each over %d events) in %d batches, seed %d", sc.name, cases, eventsPerBatch+1, ran, seed)
			if cases == 0 {
				t.Errorf("no case ran (%d batches in the time budget)", ran)
			}
			for i, d := range ty.list {
				if i == 15 {
					t.Errorf("... and %d more disagreements (seed %d)", len(ty.list)-i, seed)
					break
				}
				t.Errorf("%s", d.describe(seed))
			}
		})
	}
}

func (d disagreement) describe(seed uint64) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s=%d, mapping %s, batch %d, rule %d, target %s: ", envDiffSeed, seed, d.scenario, d.batch, d.c.n, d.target)
	if d.refused != "" {
		fmt.Fprintf(&b, "Elasticsearch refused the query: %s\n", d.refused)
	} else {
		fmt.Fprintf(&b, "hits differ from the evaluator\n")
	}
	fmt.Fprintf(&b, "rule:\n%s\nquery: %s\n", indent(d.c.yaml), clipText(d.query, 2000))
	show := func(title string, ids []string) {
		if len(ids) == 0 {
			return
		}
		fmt.Fprintf(&b, "%s (%d):\n", title, len(ids))
		for i, id := range ids {
			if i == 3 {
				fmt.Fprintf(&b, "    ...\n")
				break
			}
			fmt.Fprintf(&b, "    %s\n", id)
		}
	}
	show("only Elasticsearch hits", d.onlyES)
	show("only the evaluator matches", d.onlyEval)
	return b.String()
}

func indent(s string) string {
	return "    " + strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", "\n    ")
}

func clipText(s string, n int) string {
	if len(s) > n {
		return s[:n] + "..."
	}
	return s
}

// runBatch indexes one batch of events, converts one batch of rules and compares.
func runBatch(t *testing.T, n *node, sc diffScenario, seed uint64, b int, ty *diffTally) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	tStart := time.Now()
	g := sigmagen.New(seed+uint64(b)*1_000_003, sc.schema, sigmagen.Options{LongLists: true, LongValuesIn: sc.longValuesIn})
	index := sc.index(b)
	if err := sc.create(ctx, n.client, index); err != nil {
		t.Fatalf("creating %s: %v", index, err)
	}
	if os.Getenv(esclienttest.EnvKeep) == "1" {
		t.Logf("keeping index %s (%s=1)", index, esclienttest.EnvKeep)
	} else {
		defer func() {
			if err := n.client.DeleteIndex(context.Background(), index); err != nil {
				t.Errorf("deleting %s: %v", index, err)
			}
		}()
	}
	// The first event holds every field, so the first document maps each with its type.
	sources := map[string][]byte{"e000": g.Full()}
	for i := range eventsPerBatch {
		sources[fmt.Sprintf("e%03d", i+1)] = g.Event()
	}
	ids := slices.Sorted(maps.Keys(sources))
	var docs []esbulk.Doc
	for _, id := range ids {
		docs = append(docs, esbulk.Doc{Index: index, ID: id, Source: sources[id]})
	}
	res, err := esbulk.Load(ctx, n.client, docs)
	if err != nil {
		t.Fatalf("bulk load: %v", err)
	}
	if len(res.Failures) > 0 {
		// A document the mapping refuses is a fault of the generator, not of a target.
		t.Fatalf("bulk load into %s: %v", index, res.Err())
	}
	if err := n.client.Refresh(ctx, index); err != nil {
		t.Fatal(err)
	}
	// The index's mapping, read as hunt reads it: ignore_above lifted on the fields where no
	// document had a value left out, so the answer is exact for the documents loaded.
	rawMapping, err := n.client.Mapping(ctx, index)
	if err != nil {
		t.Fatal(err)
	}
	mapping, err := esmapping.Read(index, rawMapping)
	if err != nil {
		t.Fatalf("the node's mapping of %s does not read: %v", index, err)
	}
	ignored, complete, err := n.client.IgnoredFields(ctx, index)
	if err != nil {
		t.Fatal(err)
	}
	if complete {
		esmapping.LiftIgnoreAbove(mapping, ignored)
	}

	tLoaded := time.Now()
	var cases []*diffCase
	for i := range rulesPerBatch {
		num := b*rulesPerBatch + i
		y := g.Rule(num)
		rules, diags := translator.LoadBytes(fmt.Sprintf("random-%d.yml", num), []byte(y))
		if diags.HasErrors() || len(rules) != 1 || len(rules[0].Conditions) != 1 {
			t.Fatalf("seed %d batch %d rule %d does not load: %v\n%s", seed, b, num, diags, y)
		}
		prog, errs := evaluator.Compile(rules)
		if len(errs) > 0 {
			t.Fatalf("evaluator: %v\n%s", errs, y)
		}
		c := &diffCase{n: num, yaml: y, rule: rules[0], want: map[string]bool{}}
		for _, id := range ids {
			ms, err := prog.MatchJSON(sources[id])
			if err != nil {
				t.Fatalf("evaluator on %s: %v", sources[id], err)
			}
			if len(ms) > 0 {
				c.want[id] = true
			}
		}
		cases = append(cases, c)
	}

	tEval := time.Now()
	mv := append(sc.schema.MultiValued(), sc.schema.ObjectArrays...)
	type pending struct {
		c      *diffCase
		target string
		query  string
	}
	var searches []pending // lucene and dsl, sent by _msearch
	var esqls []pending
	for _, c := range cases {
		for _, tg := range []target{{lucene.Target, lucene.Backend{}}, {dsl.Target, dsl.Backend{}}, {esql.Target, esql.Backend{}}} {
			r := c.rule.Clone()
			r.Deployment.Index = []string{index}
			r.Deployment.MultiValuedFields = mv
			var qs []backends.Query
			var diags diag.List
			qs, diags = convertWithMapping(tg.name, r, mapping)
			if diags.HasErrors() {
				code := string(diags.Errors()[0].Code)
				if code == "" {
					ty.add(disagreement{scenario: sc.name, target: tg.name, batch: b, c: c, refused: "a diagnostic without a code: " + diags.Errors()[0].Message})
					continue
				}
				ty.mu.Lock()
				if ty.named[tg.name] == nil {
					ty.named[tg.name] = map[string]int{}
				}
				ty.named[tg.name][code]++
				ty.mu.Unlock()
				continue
			}
			if len(qs) != 1 {
				t.Fatalf("%s: %d queries for one condition", tg.name, len(qs))
			}
			p := pending{c: c, target: tg.name, query: qs[0].Text}
			if tg.name == esql.Target {
				esqls = append(esqls, p)
			} else {
				searches = append(searches, p)
			}
		}
	}
	compare := func(p pending, got map[string]bool, refused error) {
		d := disagreement{scenario: sc.name, target: p.target, batch: b, c: p.c, query: p.query}
		if refused != nil {
			d.refused = strings.ReplaceAll(refused.Error(), n.client.URL(), "the node")
			ty.add(d)
			return
		}
		for id := range got {
			if !p.c.want[id] {
				d.onlyES = append(d.onlyES, id+" "+string(sources[id]))
			}
		}
		for id := range p.c.want {
			if !got[id] {
				d.onlyEval = append(d.onlyEval, id+" "+string(sources[id]))
			}
		}
		if len(d.onlyES)+len(d.onlyEval) > 0 {
			slices.Sort(d.onlyES)
			slices.Sort(d.onlyEval)
			ty.add(d)
			return
		}
		ty.mu.Lock()
		ty.agree[p.target]++
		ty.mu.Unlock()
	}
	tConv := time.Now()
	// The lucene and dsl searches go by _msearch, 50 at a time, and the ES|QL queries one by
	// one, on a few connections at once: the node answers them in parallel.
	jobs := make(chan func())
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for job := range jobs {
				job()
			}
		}()
	}
	for chunk := range slices.Chunk(searches, 50) {
		jobs <- func() {
			var body bytes.Buffer
			for _, p := range chunk {
				var search map[string]any
				if p.target == lucene.Target {
					search = map[string]any{"query": map[string]any{"query_string": map[string]any{"query": p.query}}}
				} else if err := json.Unmarshal([]byte(p.query), &search); err != nil {
					compare(p, nil, fmt.Errorf("the dsl query is not JSON: %v", err))
					continue
				}
				search["size"] = eventsPerBatch + 1
				search["_source"] = false
				head, _ := json.Marshal(map[string]any{"index": index})
				line, _ := json.Marshal(search)
				body.Write(head)
				body.WriteByte('\n')
				body.Write(line)
				body.WriteByte('\n')
			}
			qctx, cancel := context.WithTimeout(ctx, queryTimeout)
			defer cancel()
			answers, err := msearch(qctx, n.client, body.Bytes())
			if err == nil && len(answers) != len(chunk) {
				err = fmt.Errorf("_msearch: %d answers to %d searches", len(answers), len(chunk))
			}
			for i, p := range chunk {
				if err != nil {
					compare(p, nil, err)
					continue
				}
				a := answers[i]
				if a.Error != nil {
					compare(p, nil, fmt.Errorf("status %d: %s", a.Status, a.Error))
					continue
				}
				got := map[string]bool{}
				for _, h := range a.Hits.Hits {
					got[h.ID] = true
				}
				compare(p, got, nil)
			}
		}
	}
	for _, p := range esqls {
		jobs <- func() {
			qctx, cancel := context.WithTimeout(ctx, queryTimeout)
			defer cancel()
			res, err := n.client.ESQL(qctx, p.query)
			if err == nil && res.Column("_id") < 0 {
				err = fmt.Errorf("the answer has no _id column (columns %v)", res.Columns)
			}
			if err != nil {
				compare(p, nil, err)
				return
			}
			got := map[string]bool{}
			col := res.Column("_id")
			for _, row := range res.Values {
				var id string
				if err := json.Unmarshal(row[col], &id); err != nil {
					compare(p, nil, fmt.Errorf("_id %s: %v", row[col], err))
					return
				}
				got[id] = true
			}
			compare(p, got, nil)
		}
	}
	close(jobs)
	wg.Wait()
	t.Logf("batch %d: %d events, %d rules; load %v, evaluator %v, convert %v, %d lucene+dsl searches and %d esql queries %v",
		b, len(ids), len(cases), tLoaded.Sub(tStart).Round(time.Millisecond), tEval.Sub(tLoaded).Round(time.Millisecond),
		tConv.Sub(tEval).Round(time.Millisecond), len(searches), len(esqls), time.Since(tConv).Round(time.Millisecond))
}

func (ty *diffTally) refusedRules(target string) int {
	n := 0
	for _, k := range ty.named[target] {
		n += k
	}
	return n
}

func (ty *diffTally) add(d disagreement) {
	if dir := os.Getenv(envDiffOut); dir != "" {
		name := fmt.Sprintf("%s/%s-b%d-r%d-%s", dir, d.scenario, d.batch, d.c.n, d.target)
		_ = os.WriteFile(name+".yml", []byte(d.c.yaml), 0o644)
		_ = os.WriteFile(name+".query", []byte(d.query), 0o644)
	}
	ty.mu.Lock()
	defer ty.mu.Unlock()
	ty.disagree[d.target]++
	ty.list = append(ty.list, d)
}

// msearchAnswer is one search's answer within an _msearch response.
type msearchAnswer struct {
	Status int             `json:"status"`
	Error  json.RawMessage `json:"error"`
	Hits   struct {
		Hits []struct {
			ID string `json:"_id"`
		} `json:"hits"`
	} `json:"hits"`
}

// msearch sends an _msearch body (NDJSON) and returns the answers in order.
func msearch(ctx context.Context, c *esclient.Client, body []byte) ([]msearchAnswer, error) {
	var out struct {
		Responses []msearchAnswer `json:"responses"`
	}
	if err := rawRequest(ctx, c, http.MethodPost, "/_msearch", "application/x-ndjson", body, &out); err != nil {
		return nil, err
	}
	return out.Responses, nil
}

func rawRequest(ctx context.Context, c *esclient.Client, method, path, contentType string, body []byte, v any) error {
	req, err := http.NewRequestWithContext(ctx, method, path, bytes.NewReader(body))
	if err != nil {
		return err
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	res, err := c.Perform(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(res.Body, 256<<20))
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	if res.StatusCode/100 != 2 {
		return c.ResponseError(res.StatusCode, raw)
	}
	return json.Unmarshal(raw, v)
}
