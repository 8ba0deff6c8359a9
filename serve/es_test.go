package serve_test

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sigmabridge/sigmabridge/internal/esclient"
	"github.com/sigmabridge/sigmabridge/internal/esclient/esclienttest"
	"github.com/sigmabridge/sigmabridge/serve"
)

// TestLiveNodeForms runs the Lucene, DSL and ES|QL forms of rules on the pasted events in a
// throwaway index of the test node: their hits are the evaluator's, and the index is gone
// afterwards.
func TestLiveNodeForms(t *testing.T) {
	c := esclienttest.Connect(t)
	srv := newServer(t, serve.Config{ES: c})
	kw := strings.Replace(typicalRule, "  condition: selection and console", "  words: [CreateFunction2]\n  condition: selection and console or words", 1)
	for _, rule := range []string{typicalRule, kw} {
		var out serve.ESOut
		if code := post(t, srv.Client(), srv.URL+"/api/es", serve.Request{Rule: rule, Events: typicalEvents}, &out); code != 200 {
			t.Fatalf("status %d: %+v", code, out)
		}
		want := "1"
		if rule == kw {
			want = "1,2"
		}
		if got := fmtInts(out.Evaluator[0]); got != want {
			t.Errorf("evaluator hits %v, want %s", out.Evaluator[0], want)
		}
		if len(out.Forms) != 3 {
			t.Fatalf("forms %+v", out.Forms)
		}
		for _, f := range out.Forms {
			if f.Error != "" || f.Differs || fmtInts(f.Hits) != fmtInts(out.Evaluator[0]) {
				t.Errorf("%s: hits %v, error %q, differs %v; evaluator %v\n  %s", f.Target, f.Hits, f.Error, f.Differs, out.Evaluator[0], f.Query)
			}
		}
		if ok, err := indexExists(c, out.Index); err != nil || ok {
			t.Errorf("the throwaway index %s is still there (%v)", out.Index, err)
		}
	}
}

func fmtInts(xs []int) string {
	var b strings.Builder
	for i, x := range xs {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.Itoa(x))
	}
	return b.String()
}

func indexExists(c *esclient.Client, name string) (bool, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := c.FieldTypes(ctx, name, "*")
	if err == nil {
		return true, nil
	}
	if errors.Is(err, esclient.ErrIndexNotFound) {
		return false, nil
	}
	return false, err
}
