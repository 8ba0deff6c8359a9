package serve

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/elastic/go-elasticsearch/v8/esapi"

	sigmabridge "github.com/sigmabridge/sigmabridge"
	"github.com/sigmabridge/sigmabridge/backends"
	"github.com/sigmabridge/sigmabridge/input"
	"github.com/sigmabridge/sigmabridge/internal/esclient"
	"github.com/sigmabridge/sigmabridge/translator/evaluator"
	"github.com/sigmabridge/sigmabridge/translator/ir"
	"github.com/sigmabridge/sigmabridge/translator/profile"
)

// MaxESEvents caps the events indexed for one /api/es request.
const MaxESEvents = 1000

// esTargets are the forms run on the node: EQL needs an event category and a time field the
// pasted events need not have, so it is not among them.
var esTargets = []string{"lucene", "dsl", "esql"}

// FormOut is one target's form of the request's rules run on the node.
type FormOut struct {
	Rule   int    `json:"rule"`
	Target string `json:"target"`
	Query  string `json:"query"`
	// Hits are the event numbers (EventOut.N) the form found.
	Hits  []int  `json:"hits"`
	Error string `json:"error,omitempty"`
	// Differs is set when Hits are not the evaluator's hits for the rule.
	Differs bool `json:"differs"`
}

// ESOut is the answer of /api/es.
type ESOut struct {
	Index string `json:"index"`
	// Evaluator has, per rule, the events the evaluator matches.
	Evaluator [][]int   `json:"evaluator"`
	Forms     []FormOut `json:"forms"`
	Problems  []string  `json:"problems"`
}

// es indexes the pasted events in a throwaway index (strings as keyword, as the templates
// of testdata/elasticsearch have them), runs the Lucene, DSL and ES|QL forms of the rules on
// it, compares their hits with the evaluator's, and deletes the index.
func (s *Server) es(ctx context.Context, r *http.Request) (any, error) {
	c := s.cfg.ES
	if c == nil {
		return nil, &apiError{Status: http.StatusNotFound, Message: "no Elasticsearch node: start serve with --es URL"}
	}
	req, ps, rules, _, err := readRuleRequest(r)
	if err != nil {
		return nil, err
	}
	if len(rules) == 0 {
		return nil, &apiError{Status: http.StatusUnprocessableEntity, Message: "the rule does not load: see the lint findings"}
	}
	recs, problems, _, err := s.readEvents(ctx, req)
	if err != nil {
		return nil, err
	}
	if len(recs) > MaxESEvents {
		problems = append(problems, fmt.Sprintf("only the first %d events were indexed", MaxESEvents))
		recs = recs[:MaxESEvents]
	}
	if len(recs) == 0 {
		return nil, badRequest("no events to index")
	}
	out := &ESOut{Index: throwawayIndex(), Forms: []FormOut{}, Problems: problems}

	// The evaluator's hits, per rule.
	st, err := s.setup(req, profile.NoTarget, ps.forTarget(""))
	if err != nil {
		return nil, err
	}
	out.Evaluator = evaluatorHits(st, rules, recs)

	// The forms, per target, with the throwaway index as the pipeline state's index.
	type form struct {
		rule    int
		target  string
		queries []backends.Query
	}
	var forms []form
	fields := map[string]bool{}
	for _, name := range esTargets {
		b, err := backends.Get(name)
		if err != nil {
			return nil, err
		}
		st, err := s.setup(req, profile.Elastic, ps.forTarget(name))
		if err != nil {
			return nil, err
		}
		prep := sigmabridge.Prepare(st, rules)
		for i := range rules {
			j := prep.Index[i]
			if j < 0 {
				out.Forms = append(out.Forms, FormOut{Rule: i, Target: name, Hits: []int{}, Error: "the pipelines or the profile left the rule out"})
				continue
			}
			pr := prep.Rules[j].Clone()
			pr.Deployment.Index = []string{out.Index}
			qs, ds := b.Convert(pr)
			if ds.HasErrors() || len(qs) == 0 {
				out.Forms = append(out.Forms, FormOut{Rule: i, Target: name, Hits: []int{}, Error: ds.Err().Error()})
				continue
			}
			for _, cond := range pr.Conditions {
				ir.Inspect(cond, func(n ir.Node) bool {
					if f := ir.Field(n); f != "" {
						fields[f] = true
					}
					return true
				})
			}
			forms = append(forms, form{rule: i, target: name, queries: qs})
		}
	}

	// A short deadline of its own for the clean-up, whatever happened to the request's.
	defer func() {
		dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		_ = c.DeleteIndex(dctx, out.Index)
	}()
	if err := c.CreateIndex(ctx, out.Index, indexBody(fields)); err != nil {
		return nil, &apiError{Status: http.StatusBadGateway, Message: "creating the throwaway index: " + err.Error()}
	}
	refused, err := bulkIndex(ctx, c, out.Index, recs)
	if err != nil {
		return nil, &apiError{Status: http.StatusBadGateway, Message: "indexing the events: " + err.Error()}
	}
	out.Problems = append(out.Problems, refused...)
	if err := c.Refresh(ctx, out.Index); err != nil {
		return nil, &apiError{Status: http.StatusBadGateway, Message: "refreshing the throwaway index: " + err.Error()}
	}

	for _, f := range forms {
		fo := FormOut{Rule: f.rule, Target: f.target, Hits: []int{}}
		var texts []string
		for _, q := range f.queries {
			texts = append(texts, q.Text)
			hits, err := runForm(ctx, s, f.target, out.Index, q.Text)
			if err != nil {
				fo.Error = err.Error()
				break
			}
			for _, h := range hits {
				if !slices.Contains(fo.Hits, h) {
					fo.Hits = append(fo.Hits, h)
				}
			}
		}
		slices.Sort(fo.Hits)
		fo.Query = strings.Join(texts, "\n")
		fo.Differs = fo.Error == "" && !slices.Equal(fo.Hits, out.Evaluator[f.rule])
		out.Forms = append(out.Forms, fo)
	}
	return out, nil
}

func throwawayIndex() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return "sigmabridge-playground-" + hex.EncodeToString(b[:])
}

// evaluatorHits returns, per rule, the numbers of the events the evaluator matches.
func evaluatorHits(st *profile.Setup, rules []*ir.Rule, recs []input.Record) [][]int {
	out := make([][]int, len(rules))
	for i := range out {
		out[i] = []int{}
	}
	prep := sigmabridge.Prepare(st, rules)
	prog, _ := evaluator.Compile(prep.Rules)
	back := map[int]int{}
	for i, j := range prep.Index {
		if j >= 0 {
			back[j] = i
		}
	}
	for n, rec := range recs {
		ms, err := prog.MatchJSON(rec.JSON)
		if err != nil {
			continue
		}
		for _, m := range ms {
			i := back[m.RuleIndex]
			if !slices.Contains(out[i], n+1) {
				out[i] = append(out[i], n+1)
			}
		}
	}
	return out
}

// indexBody maps strings as keyword (what the Elastic backends assume of string fields)
// and declares the fields the queries read, so ES|QL knows them even when no event has one.
func indexBody(fields map[string]bool) []byte {
	props := map[string]any{}
	for f := range fields {
		props[f] = map[string]any{"type": "keyword", "ignore_above": 8191}
	}
	body := map[string]any{
		"settings": map[string]any{"index": map[string]any{"number_of_shards": 1, "number_of_replicas": 0}},
		"mappings": map[string]any{
			"date_detection":    false,
			"numeric_detection": false,
			"dynamic_templates": []any{
				map[string]any{"strings_as_keyword": map[string]any{"match_mapping_type": "string", "mapping": map[string]any{"type": "keyword", "ignore_above": 8191}}},
			},
			"properties": props,
		},
	}
	data, _ := json.Marshal(body)
	return data
}

// bulkIndex indexes every record with its event number as id, and lists the refused ones.
func bulkIndex(ctx context.Context, c interface {
	Perform(*http.Request) (*http.Response, error)
}, index string, recs []input.Record) ([]string, error) {
	var buf bytes.Buffer
	for n, rec := range recs {
		fmt.Fprintf(&buf, `{"index":{"_id":%q}}`+"\n", strconv.Itoa(n+1))
		buf.Write(bytes.TrimSpace(rec.JSON))
		buf.WriteByte('\n')
	}
	res, err := esapi.BulkRequest{Index: index, Body: &buf}.Do(ctx, c)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(res.Body, 16<<20))
	if err != nil {
		return nil, err
	}
	if res.IsError() {
		return nil, fmt.Errorf("HTTP %d: %s", res.StatusCode, shorten(raw))
	}
	var ans struct {
		Errors bool `json:"errors"`
		Items  []map[string]struct {
			ID    string `json:"_id"`
			Error *struct {
				Type   string `json:"type"`
				Reason string `json:"reason"`
			} `json:"error"`
		} `json:"items"`
	}
	if err := json.Unmarshal(raw, &ans); err != nil {
		return nil, err
	}
	var refused []string
	for _, it := range ans.Items {
		for _, r := range it {
			if r.Error != nil {
				refused = append(refused, fmt.Sprintf("event %s was not indexed: %s: %s", r.ID, r.Error.Type, r.Error.Reason))
			}
		}
	}
	return refused, nil
}

// runForm runs one query and returns the event numbers it hits.
func runForm(ctx context.Context, s *Server, target, index, text string) ([]int, error) {
	c := s.cfg.ES
	var ids []string
	switch target {
	case "lucene", "dsl":
		var (
			res *esclient.SearchResult
			err error
		)
		if target == "lucene" {
			res, err = c.QueryString(ctx, index, text, MaxESEvents)
		} else {
			res, err = c.Search(ctx, index, []byte(text), MaxESEvents)
		}
		if err != nil {
			return nil, err
		}
		for _, h := range res.Hits {
			ids = append(ids, h.ID)
		}
	case "esql":
		r, err := c.ESQL(ctx, text+" | LIMIT "+strconv.Itoa(MaxESEvents))
		if err != nil {
			return nil, err
		}
		col := r.Column("_id")
		if col < 0 {
			return nil, fmt.Errorf("the answer has no _id column")
		}
		for _, row := range r.Values {
			var id string
			if err := json.Unmarshal(row[col], &id); err != nil {
				return nil, fmt.Errorf("_id %s: %v", row[col], err)
			}
			ids = append(ids, id)
		}
	default:
		return nil, fmt.Errorf("no runner for %s", target)
	}
	var out []int
	for _, id := range ids {
		n, err := strconv.Atoi(id)
		if err != nil {
			return nil, fmt.Errorf("unexpected document id %q", id)
		}
		out = append(out, n)
	}
	return out, nil
}
