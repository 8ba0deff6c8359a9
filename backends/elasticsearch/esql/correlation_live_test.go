package esql

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/sigmabridge/sigmabridge/backends"
	"github.com/sigmabridge/sigmabridge/backends/elasticsearch/internal/estest"
	"github.com/sigmabridge/sigmabridge/translator/evaluator/corrcase"
)

// TestLiveCorrelationConformance runs the correlation conformance cases
// (testdata/correlation) on a real Elasticsearch (skipped without SIGMABRIDGE_ES_URL): each
// correlation ES|QL renders is run over the case's events and its rows must be the
// evaluator's alerts (the expectations, which the evaluator's own test checks).
func TestLiveCorrelationConformance(t *testing.T) {
	live := estest.LiveNode(t)
	cases, err := corrcase.Load("../../../testdata/correlation")
	if err != nil {
		t.Fatal(err)
	}
	keyword := map[string]any{"type": "keyword"}
	number := map[string]any{"type": "double", "ignore_malformed": true}
	props := map[string]any{"@timestamp": map[string]any{"type": "date"}, "bytes": number, "ms": number}
	for _, f := range []string{"action", "user", "host", "client", "fn", "created", "deleted"} {
		props[f] = keyword
	}
	ran := 0
	deadline := time.Now().Add(2 * time.Minute)
	for _, c := range cases {
		if time.Now().After(deadline) {
			t.Fatal("timed out")
		}
		set := c.Set(t)
		index := live.Index(props, c.Events)
		for _, corr := range set.Correlations {
			qs, ds := backends.ConvertCorrelation(Backend{}, corr, backends.RefRules(set, corr))
			if ds.HasErrors() {
				if !ds.OnlyUnsupported() {
					t.Errorf("%s: %v", c.Name, ds)
				}
				continue
			}
			ran++
			q := strings.Replace(qs[0].Text, "FROM * ", "FROM "+index+" ", 1)
			rows, err := live.ESQL(q)
			if err != nil {
				t.Errorf("%s: %v\n%s", c.Name, err, q)
				continue
			}
			seen := map[string]bool{}
			var got []corrcase.Alert
			for _, row := range rows {
				end, _ := time.Parse(time.RFC3339Nano, fmt.Sprint(row[0]))
				g := map[string]string{}
				for i, name := range corr.GroupBy {
					g[name] = fmt.Sprint(row[1+i])
				}
				a := corrcase.Alert{Correlation: corr.Name, End: end, Group: corrcase.GroupKey(g), Value: toFloat(row[len(row)-1])}
				if !seen[a.String()] {
					seen[a.String()] = true
					got = append(got, a)
				}
			}
			corrcase.Sort(got)
			var want []corrcase.Alert
			for _, a := range c.Want() {
				if a.Correlation == corr.Name {
					want = append(want, a)
				}
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("%s/%s: ES|QL and the evaluator differ:\n got  %v\n want %v\n%s", c.Name, corr.Name, got, want, q)
			}
		}
	}
	if ran < 7 {
		t.Errorf("only %d correlations ran on the node", ran)
	}
	t.Logf("%d correlations agree with the evaluator on the live node", ran)
}

func toFloat(v any) float64 {
	switch x := v.(type) {
	case float64:
		return x
	case int:
		return float64(x)
	}
	var f float64
	fmt.Sscan(fmt.Sprint(v), &f)
	return f
}
