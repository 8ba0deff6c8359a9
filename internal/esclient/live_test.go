package esclient_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sigmabridge/sigmabridge/internal/esclient"
	"github.com/sigmabridge/sigmabridge/internal/esclient/esbulk"
	"github.com/sigmabridge/sigmabridge/internal/esclient/esclienttest"
)

// TestLiveNode runs every call of the client against the real node, and the error paths the
// node can produce: a refused document, a missing index, queries it cannot parse.
func TestLiveNode(t *testing.T) {
	c := esclienttest.Connect(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	index := "sigmabridge-it-" + esclienttest.RunID + "-client"
	esclienttest.Cleanup(t, c, index)
	mapping := `{"mappings":{"properties":{"n":{"type":"long"},"s":{"type":"keyword"},"t":{"type":"date"}}}}`
	if err := c.CreateIndex(ctx, index, []byte(mapping)); err != nil {
		t.Fatal(err)
	}
	err := c.CreateIndex(ctx, index, nil)
	if !errors.Is(err, esclient.ErrRejected) || !strings.Contains(err.Error(), "resource_already_exists_exception") {
		t.Errorf("creating it twice: %v", err)
	}

	res, err := esbulk.Load(ctx, c, []esbulk.Doc{
		{Index: index, ID: "a", Source: []byte(`{"n":1,"s":"Alpha","t":"2025-01-01T00:00:00Z"}`)},
		{Index: index, ID: "b", Source: []byte(`{"n":2,"s":"beta","t":"2025-01-02T00:00:00Z"}`)},
		{Index: index, ID: "bad", Source: []byte(`{"n":"not a number","s":"gamma"}`)},
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.Indexed != 2 || len(res.Failures) != 1 || res.Failures[0].ID != "bad" || res.Failures[0].Status != 400 ||
		!strings.Contains(res.Failures[0].Type, "parsing_exception") || !strings.Contains(res.Failures[0].Reason, "[n]") {
		t.Fatalf("bulk result %+v", res)
	}
	if err := c.Refresh(ctx, index); err != nil {
		t.Fatal(err)
	}

	ids := func(r *esclient.SearchResult) []string {
		var out []string
		for _, h := range r.Hits {
			if h.Index != index || len(h.Source) == 0 {
				t.Errorf("hit %+v", h)
			}
			out = append(out, h.ID)
		}
		slices.Sort(out)
		return out
	}
	sr, err := c.Search(ctx, index, []byte(`{"query":{"term":{"s":{"value":"ALPHA","case_insensitive":true}}}}`), 10)
	if err != nil || sr.Total != 1 || !slices.Equal(ids(sr), []string{"a"}) {
		t.Errorf("DSL search: %+v %v", sr, err)
	}
	sr, err = c.QueryString(ctx, index, `s:/[bB]eta/ OR n:1`, 10)
	if err != nil || !slices.Equal(ids(sr), []string{"a", "b"}) {
		t.Errorf("query_string: %+v %v", sr, err)
	}
	// The pattern form finds the index; size limits the hits but not the total.
	sr, err = c.Search(ctx, "sigmabridge-it-"+esclienttest.RunID+"-cl*", []byte(`{"query":{"match_all":{}}}`), 1)
	if err != nil || sr.Total != 2 || len(sr.Hits) != 1 {
		t.Errorf("pattern search: %+v %v", sr, err)
	}

	types, err := c.FieldTypes(ctx, index, "n", "s", "t", "absent")
	if err != nil || !slices.Equal(types["n"], []string{"long"}) || !slices.Equal(types["s"], []string{"keyword"}) || !slices.Equal(types["t"], []string{"date"}) || types["absent"] != nil {
		t.Errorf("field types: %v %v", types, err)
	}

	er, err := c.ESQL(ctx, "FROM "+index+" METADATA _id | WHERE n > 1 | KEEP _id, s")
	if err != nil {
		t.Errorf("ES|QL: %v", err)
	} else if col := er.Column("_id"); col < 0 || len(er.Values) != 1 || string(er.Values[0][col]) != `"b"` {
		t.Errorf("ES|QL answer %+v", er)
	}
	_, err = c.ESQL(ctx, "FROM "+index+" | WHERE nosuchfield == 1")
	if !errors.Is(err, esclient.ErrRejected) || !strings.Contains(err.Error(), "verification_exception") || !strings.Contains(err.Error(), "nosuchfield") {
		t.Errorf("ES|QL unknown column: %v", err)
	}

	eq, err := c.EQL(ctx, index, `any where s == "beta"`, 10)
	switch {
	case errors.Is(err, esclient.ErrNoEndpoint):
		t.Logf("this node has no EQL: %v", err)
	case err != nil:
		t.Errorf("EQL: %v", err)
	case len(eq.Hits) != 1 || eq.Hits[0].ID != "b":
		t.Errorf("EQL answer %+v", eq)
	}

	// Error paths the node itself produces.
	missing := "sigmabridge-it-" + esclienttest.RunID + "-no-such-index"
	_, err = c.Search(ctx, missing, []byte(`{"query":{"match_all":{}}}`), 1)
	var e *esclient.Error
	if !errors.Is(err, esclient.ErrIndexNotFound) || !errors.As(err, &e) || e.Index != missing || !strings.Contains(err.Error(), `index "`+missing+`" does not exist`) {
		t.Errorf("missing index: %v", err)
	}
	_, err = c.Search(ctx, missing+"-*", []byte(`{"query":{"match_all":{}}}`), 1)
	if !errors.Is(err, esclient.ErrIndexNotFound) {
		t.Errorf("pattern matching no index: %v", err)
	}
	_, err = c.QueryString(ctx, index, `s:(alpha`, 1)
	if !errors.Is(err, esclient.ErrRejected) || !strings.Contains(err.Error(), "HTTP 400") || !strings.Contains(err.Error(), "Cannot parse 's:(alpha'") {
		t.Errorf("bad query_string: %v", err)
	}
	_, err = c.Search(ctx, index, []byte(`{"query":{"no_such_query":{}}}`), 1)
	if !errors.Is(err, esclient.ErrRejected) || !strings.Contains(err.Error(), "parsing_exception") || !strings.Contains(err.Error(), "no_such_query") {
		t.Errorf("bad DSL: %v", err)
	}
	_, err = c.Search(ctx, index, []byte(`{"query":{"wildcard":{"n":{"value":"1*"}}}}`), 1)
	if !errors.Is(err, esclient.ErrRejected) || !strings.Contains(err.Error(), "query_shard_exception") {
		t.Errorf("wildcard on a long field: %v", err)
	}
}
