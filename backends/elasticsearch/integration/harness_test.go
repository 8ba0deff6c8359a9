package integration

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode"

	"github.com/sigmabridge/sigmabridge/backends"
	"github.com/sigmabridge/sigmabridge/backends/elasticsearch/dsl"
	"github.com/sigmabridge/sigmabridge/backends/elasticsearch/eql"
	"github.com/sigmabridge/sigmabridge/backends/elasticsearch/esql"
	"github.com/sigmabridge/sigmabridge/backends/elasticsearch/lucene"
	"github.com/sigmabridge/sigmabridge/internal/esclient"
	"github.com/sigmabridge/sigmabridge/internal/esclient/esbulk"
	"github.com/sigmabridge/sigmabridge/internal/esclient/esclienttest"
	"github.com/sigmabridge/sigmabridge/translator/evaluator"
	"github.com/sigmabridge/sigmabridge/translator/ir"
)

// maxHits bounds every search; the test indexes hold far fewer documents, and a search that
// reaches it fails the comparison rather than being cut short silently.
const maxHits = 10000

// target is one Elasticsearch query language and how its queries run.
type target struct {
	name    string
	backend backends.Backend
}

var targets = []target{
	{lucene.Target, lucene.Backend{}},
	{dsl.Target, dsl.Backend{}},
	{esql.Target, esql.Backend{}},
	{eql.Target, eql.Backend{}},
}

// node is the live cluster and what it offers.
type node struct {
	client *esclient.Client
	// unavailable maps a target to why this node cannot run it (EQL without x-pack-eql).
	unavailable map[string]string
}

func connect(t *testing.T) *node {
	t.Helper()
	c := esclienttest.Connect(t)
	esclienttest.InstallTemplates(t, c)
	n := &node{client: c, unavailable: map[string]string{}}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := c.ESQL(ctx, "ROW a = 1"); err != nil {
		n.unavailable[esql.Target] = err.Error()
	}
	// EQL needs an index to answer; any missing index proves the endpoint exists.
	_, err := c.EQL(ctx, "sigmabridge-it-"+esclienttest.RunID+"-eql-probe", "any where true", 1)
	if errors.Is(err, esclient.ErrNoEndpoint) {
		n.unavailable[eql.Target] = err.Error()
	}
	for name, why := range n.unavailable {
		t.Logf("target %s: not run, this node cannot: %s", name, why)
	}
	return n
}

// subject is one rule checked against the documents of one index set.
type subject struct {
	name string // rule file or case name, and the mapping
	// path and mapping are the pack rule's file (inside rules/) and the mapping's name.
	path, mapping string
	// rejected, when set, is why the mapping's pipeline refuses the rule: no target runs it,
	// and rule is the rule before that pipeline (the evaluator's view).
	rejected string
	rule     *ir.Rule // after the pipeline
	set      *indexSet
}

// tally counts outcomes per target for the summary line.
type tally struct {
	mu      sync.Mutex
	counts  map[string]map[string]int // target -> proven | pinned | failed -> rules
	skipped map[string]map[string]int // target -> reason code -> rules
}

func newTally() *tally {
	return &tally{counts: map[string]map[string]int{}, skipped: map[string]map[string]int{}}
}

func (ty *tally) count(target, verdict string) {
	ty.mu.Lock()
	defer ty.mu.Unlock()
	if ty.counts[target] == nil {
		ty.counts[target] = map[string]int{}
	}
	ty.counts[target][verdict]++
}

func (ty *tally) skip(target, why string) {
	ty.mu.Lock()
	defer ty.mu.Unlock()
	if ty.skipped[target] == nil {
		ty.skipped[target] = map[string]int{}
	}
	ty.skipped[target][why]++
}

func (ty *tally) report(t *testing.T, what string) {
	for _, tg := range targets {
		var skips []string
		for _, why := range slices.Sorted(maps.Keys(ty.skipped[tg.name])) {
			skips = append(skips, fmt.Sprintf("%s %d", why, ty.skipped[tg.name][why]))
		}
		c := ty.counts[tg.name]
		t.Logf("%s, %s: %d rules equal to the evaluator, %d equal but for pinned storage artifacts, %d differ; skipped: %s", what, tg.name,
			c["proven"], c["pinned"], c["failed"], orNone(strings.Join(skips, ", ")))
	}
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

// oracle is the evaluator's verdict on every document of a subject: per condition, the ids
// of the documents it matches.
func oracle(t *testing.T, s subject) map[int]map[string]bool {
	t.Helper()
	prog, errs := evaluator.Compile([]*ir.Rule{s.rule})
	if len(errs) > 0 {
		t.Fatalf("evaluator: %v", errs)
	}
	want := map[int]map[string]bool{}
	for i := range s.rule.Conditions {
		want[i] = map[string]bool{}
	}
	for _, d := range s.set.docs {
		ms, err := prog.MatchJSON(d.Source)
		if err != nil {
			t.Fatalf("evaluator on %s: %v", d.Origin, err)
		}
		for _, m := range ms {
			want[m.Condition][d.ID] = true
		}
	}
	return want
}

// outcome is how a query's answer departs from the evaluator: the index generations that
// refused it ("g1", "g2", ...) and the documents only one side matches (of the other
// generations).
type outcome struct {
	refused, onlyES, onlyEval []string
}

func (o outcome) empty() bool {
	return len(o.refused) == 0 && len(o.onlyES) == 0 && len(o.onlyEval) == 0
}

func (o outcome) String() string {
	return fmt.Sprintf("refused by %v, only Elasticsearch %v, only the evaluator %v", o.refused, o.onlyES, o.onlyEval)
}

// check runs the subject's rule on every target and compares the hits with the evaluator.
func check(t *testing.T, n *node, s subject, ty *tally) {
	want := oracle(t, s)
	byID := map[string]*doc{}
	for _, d := range s.set.docs {
		byID[d.ID] = d
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	for _, tg := range targets {
		rule := s.rule.Clone()
		rule.Deployment.Index = s.set.indexes()
		// The fields that hold several values in some document, as the pipeline of a real
		// deployment would list them (ecs_t1648 does for the integrations' arrays).
		if mv := s.set.arrayFields(); len(mv) > 0 {
			rule.Deployment.MultiValuedFields = mv
		}
		queries, diags := tg.backend.Convert(rule)
		if diags.HasErrors() {
			codes := map[string]bool{}
			for _, d := range diags.Errors() {
				codes[string(d.Code)] = true
			}
			why := strings.Join(slices.Sorted(maps.Keys(codes)), "+")
			ty.skip(tg.name, why)
			t.Logf("%s: cannot express the rule (%s): %v", tg.name, why, diags.Errors()[0].Message)
			continue
		}
		if _, ok := n.unavailable[tg.name]; ok {
			ty.skip(tg.name, "node-lacks-"+tg.name)
			continue
		}
		verdict := "proven"
		for _, q := range queries {
			got, shown, refused := run(ctx, n, tg, s, rule, q)
			var o outcome
			for idx := range refused {
				o.refused = append(o.refused, s.set.generation(idx))
			}
			sort.Strings(o.refused)
			inRefused := func(id string) bool { d := byID[id]; return d != nil && refused[d.Index] != nil || refused["*"] != nil }
			for id := range got {
				if !want[q.Condition][id] && !inRefused(id) {
					o.onlyES = append(o.onlyES, id)
				}
			}
			for id := range want[q.Condition] {
				if !got[id] && !inRefused(id) {
					o.onlyEval = append(o.onlyEval, id)
				}
			}
			sort.Strings(o.onlyES)
			sort.Strings(o.onlyEval)
			key := fmt.Sprintf("%s %s %d", s.name, tg.name, q.Condition)
			pinned, isPinned := storageArtifacts[key]
			switch {
			case isPinned && fmt.Sprint(pinned.outcome) == fmt.Sprint(o):
				t.Logf("%s: known storage artifact (%s): %s", tg.name, o, pinned.why)
				if verdict == "proven" {
					verdict = "pinned"
				}
				continue
			case isPinned:
				t.Errorf("%s: the pinned storage artifact changed: want %s, got %s (update storageArtifacts)", key, pinned.outcome, o)
			case o.empty():
				continue
			}
			verdict = "failed"
			for idx, err := range refused {
				t.Errorf("%s, target %s, condition %d: Elasticsearch refused the query on %s:\n  query: %s\n  error: %v", s.name, tg.name, q.Condition, idx, shown, err)
			}
			if diff := describeDiff(o, byID); diff != "" {
				t.Errorf("%s, target %s, condition %d: hits differ from the evaluator\n  rule: %s\n  query: %s\n%s",
					s.name, tg.name, q.Condition, s.rule.Conditions[q.Condition], shown, diff)
			}
		}
		ty.count(tg.name, verdict)
	}
}

// run executes one query and returns the ids it hits, the query as shown in messages, and
// the indexes that refused it ("*" when the whole request failed).
func run(ctx context.Context, n *node, tg target, s subject, rule *ir.Rule, q backends.Query) (map[string]bool, string, map[string]error) {
	c := n.client
	index := strings.Join(s.set.indexes(), ",")
	var res *esclient.SearchResult
	var err error
	switch tg.name {
	case lucene.Target:
		res, err = c.QueryString(ctx, index, q.Text, maxHits)
	case dsl.Target:
		res, err = c.Search(ctx, index, []byte(q.Text), maxHits)
	case eql.Target:
		res, err = c.EQL(ctx, index, q.Text, maxHits)
	case esql.Target:
		return runESQL(ctx, n, s, rule, q)
	default:
		err = fmt.Errorf("no runner for target %s", tg.name)
	}
	if err != nil {
		return nil, q.Text, map[string]error{"*": err}
	}
	return hitIDs(res), q.Text, nil
}

func hitIDs(res *esclient.SearchResult) map[string]bool {
	if res == nil {
		return nil
	}
	out := map[string]bool{}
	for _, h := range res.Hits {
		out[h.ID] = true
	}
	if res.Total > int64(len(res.Hits)) {
		out["(more hits than the test reads)"] = true
	}
	return out
}

// runESQL renders the rule once per concrete index (FROM names the index, through the
// pipeline state "index") and unions the rows: the generations of an index set map a field
// with different types, which ES|QL refuses to read as one column. An index that refuses the
// query does not stop the others.
func runESQL(ctx context.Context, n *node, s subject, rule *ir.Rule, q backends.Query) (map[string]bool, string, map[string]error) {
	out := map[string]bool{}
	refused := map[string]error{}
	var shown []string
	fields := readFields(s.rule)
	for g, index := range s.set.indexes() {
		if missing := s.set.missingFields(g, fields); len(missing) > 0 {
			if err := n.client.PutMapping(ctx, index, fieldMapping(missing)); err != nil {
				refused[index] = fmt.Errorf("adding mappings for %v: %w", missing, err)
				continue
			}
			for f := range missing {
				s.set.added[g][f] = true
			}
		}
		r := rule.Clone()
		r.Deployment.Index = []string{index}
		qs, diags := esql.Backend{}.Convert(r)
		if diags.HasErrors() || len(qs) <= q.Condition {
			refused[index] = fmt.Errorf("rendering: %v", diags)
			continue
		}
		text := qs[q.Condition].Text
		shown = append(shown, text)
		res, err := n.client.ESQL(ctx, text)
		if err == nil && res.Column("_id") < 0 {
			err = fmt.Errorf("the answer has no _id column (columns %v)", res.Columns)
		}
		if err == nil && len(res.Values) >= 1000 {
			err = fmt.Errorf("%d rows: ES|QL's default LIMIT may have cut the answer", len(res.Values))
		}
		if err != nil {
			refused[index] = err
			continue
		}
		col := res.Column("_id")
		for _, row := range res.Values {
			var id string
			if err := json.Unmarshal(row[col], &id); err != nil {
				refused[index] = fmt.Errorf("_id %s: %v", row[col], err)
				break
			}
			out[id] = true
		}
	}
	return out, strings.Join(shown, "\n         "), refused
}

// describeDiff lists the documents on which Elasticsearch and the evaluator disagree.
func describeDiff(o outcome, byID map[string]*doc) string {
	var b strings.Builder
	section := func(title string, ids []string, verdict string) {
		if len(ids) == 0 {
			return
		}
		fmt.Fprintf(&b, "  %s (%d):\n", title, len(ids))
		for _, id := range ids {
			d := byID[id]
			if d == nil {
				fmt.Fprintf(&b, "    %s (not a test document)\n", id)
				continue
			}
			src := string(d.Source)
			if len(src) > 600 {
				src = src[:600] + "..."
			}
			fmt.Fprintf(&b, "    %s [%s, index %s; evaluator: %s]\n      %s\n", d.ID, d.Origin, d.Index, verdict, src)
		}
	}
	section("Elasticsearch hits that the evaluator does not match", o.onlyES, "no match")
	section("evaluator matches that Elasticsearch misses", o.onlyEval, "match")
	return b.String()
}

// readFields returns the fields a rule reads (FieldRef: both sides), each with the mapping
// type its use implies: long or double for numeric comparisons and numbers, boolean for
// booleans, date for time parts, ip for CIDR, keyword otherwise.
func readFields(r *ir.Rule) map[string]string {
	out := map[string]string{}
	set := func(f, typ string) {
		if _, ok := out[f]; !ok || out[f] == "keyword" {
			out[f] = typ
		}
	}
	for _, c := range r.Conditions {
		ir.Inspect(c, func(n ir.Node) bool {
			switch x := n.(type) {
			case *ir.FieldRef:
				set(x.Field, "keyword")
				set(x.Ref, "keyword")
			case *ir.Compare:
				set(x.Field, numberType(x.Value.Text))
			case *ir.Match:
				switch x.Kind {
				case ir.Number:
					set(x.Field, numberType(x.Pattern.Literal()))
				case ir.Bool:
					set(x.Field, "boolean")
				default:
					set(x.Field, "keyword")
				}
			case *ir.TimePart:
				set(x.Field, "date")
			case *ir.CIDR:
				set(x.Field, "ip")
			case *ir.Keyword, *ir.And, *ir.Or, *ir.Not:
			default:
				if f := ir.Field(n); f != "" {
					set(f, "keyword")
				}
			}
			return true
		})
	}
	return out
}

func numberType(text string) string {
	if strings.ContainsAny(text, ".eE") {
		return "double"
	}
	return "long"
}

// caseVariants returns copies of a document that the rule matches with the letter case of
// the values it reads changed: every letter upper-cased, and every letter's case swapped.
// The values changed are the string values of the fields the rule reads (not those of time
// parts, which stay parseable dates) and, for keyword rules, every string holding a keyword.
func caseVariants(d *doc, r *ir.Rule, tag string) ([]*doc, error) {
	fields := map[string]bool{}
	var keywords []string
	for _, c := range r.Conditions {
		ir.Inspect(c, func(n ir.Node) bool {
			switch x := n.(type) {
			case *ir.Keyword:
				keywords = append(keywords, strings.ToLower(x.Pattern.Literal()))
			case *ir.TimePart:
			case *ir.FieldRef:
				fields[x.Field], fields[x.Ref] = true, true
			case *ir.And, *ir.Or, *ir.Not:
			default:
				if f := ir.Field(n); f != "" {
					fields[f] = true
				}
			}
			return true
		})
	}
	selected := func(path, value string) bool {
		if fields[path] {
			return true
		}
		lower := strings.ToLower(value)
		for _, k := range keywords {
			if k != "" && strings.Contains(lower, k) {
				return true
			}
		}
		return false
	}
	var out []*doc
	for _, v := range []struct {
		name string
		f    func(string) string
	}{{"upper", strings.ToUpper}, {"swapcase", swapCase}} {
		dec := json.NewDecoder(bytes.NewReader(d.Source))
		dec.UseNumber()
		var ev any
		if err := dec.Decode(&ev); err != nil {
			return nil, err
		}
		changed := mapStrings(ev, "", func(path, s string) string {
			if selected(path, s) {
				return v.f(s)
			}
			return s
		})
		src, err := marshal(changed)
		if err != nil {
			return nil, err
		}
		if canon, _ := marshal(ev); bytes.Equal(src, canon) {
			continue // no letter to change
		}
		out = append(out, &doc{ID: d.ID + "~" + v.name + "@" + tag, Origin: d.Origin + ", " + v.name + "d for " + tag, Source: src})
	}
	return out, nil
}

func marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	err := enc.Encode(v)
	return bytes.TrimSpace(buf.Bytes()), err
}

// mapStrings returns a copy of v with f applied to every string value; path is the dotted
// path of the value (arrays transparent).
func mapStrings(v any, path string, f func(path, s string) string) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			p := k
			if path != "" {
				p = path + "." + k
			}
			out[k] = mapStrings(e, p, f)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = mapStrings(e, path, f)
		}
		return out
	case string:
		return f(path, x)
	}
	return v
}

func swapCase(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case unicode.IsUpper(r):
			return unicode.ToLower(r)
		case unicode.IsLower(r):
			return unicode.ToUpper(r)
		}
		return r
	}, s)
}

// load indexes every document of the sets with one bulk load and one refresh. Documents
// Elasticsearch refuses are errors of the test and are dropped from their set.
func load(t *testing.T, n *node, sets []*indexSet) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	var docs []esbulk.Doc
	var names []string
	for _, s := range sets {
		names = append(names, s.indexes()...)
		if len(s.gens) > 1 {
			t.Logf("%s: %d indexes, because some events give a field another JSON type than others do", s.base, len(s.gens))
		}
		for _, d := range s.docs {
			docs = append(docs, esbulk.Doc{Index: d.Index, ID: d.ID, Source: d.Source})
		}
	}
	// Fields a rule reads one way are mapped as the rule reads them before any document
	// arrives (mapping_test.go: typedMapping).
	for _, s := range sets {
		for g, name := range s.indexes() {
			if typed := s.typedMapping(g); len(typed) > 0 {
				body, _ := json.Marshal(map[string]any{"mappings": json.RawMessage(fieldMapping(typed))})
				if err := n.client.CreateIndex(ctx, name, body); err != nil {
					t.Fatalf("creating %s: %v", name, err)
				}
			}
		}
	}
	start := time.Now()
	res, err := esbulk.Load(ctx, n.client, docs)
	if err != nil {
		t.Fatalf("bulk load: %v", err)
	}
	if len(res.Failures) > 0 {
		t.Errorf("bulk load: %v", res.Err())
		failed := map[string]bool{}
		for _, f := range res.Failures {
			failed[f.Index+"\x00"+f.ID] = true
		}
		for _, s := range sets {
			s.docs = slices.DeleteFunc(s.docs, func(d *doc) bool { return failed[d.Index+"\x00"+d.ID] })
		}
	}
	loaded := time.Since(start)
	if err := n.client.Refresh(ctx, names...); err != nil {
		t.Fatalf("refresh: %v", err)
	}
	t.Logf("indexed %d documents into %d indexes in %v (one bulk load), refreshed in %v",
		res.Indexed, len(names), loaded.Round(time.Millisecond), (time.Since(start) - loaded).Round(time.Millisecond))
}
