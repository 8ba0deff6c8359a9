package estest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sigmabridge/sigmabridge/translator/evaluator"
	"github.com/sigmabridge/sigmabridge/translator/ir"
)

// Live is the Elasticsearch node named by SIGMABRIDGE_ES_URL (started by
// .ci/elasticsearch/start.sh), for tests that check a query form on a real engine. It
// speaks plain HTTP, so the targets' tests depend on no client library.
type Live struct {
	url    string
	t      testing.TB
	client *http.Client
}

// LiveNode connects to the node, or skips the test when SIGMABRIDGE_ES_URL is unset
// (fails it when SIGMABRIDGE_REQUIRE_ES=1).
func LiveNode(t testing.TB) *Live {
	t.Helper()
	url := strings.TrimRight(strings.TrimSpace(os.Getenv("SIGMABRIDGE_ES_URL")), "/")
	if url == "" {
		if os.Getenv("SIGMABRIDGE_REQUIRE_ES") == "1" {
			t.Fatal("SIGMABRIDGE_ES_URL is unset but SIGMABRIDGE_REQUIRE_ES=1")
		}
		t.Skip("SIGMABRIDGE_ES_URL is unset: no Elasticsearch to check the query forms on (SIGMABRIDGE_ES_URL=$(bash .ci/elasticsearch/start.sh))")
	}
	return &Live{url: url, t: t, client: &http.Client{Timeout: 60 * time.Second}}
}

// call sends a JSON request and decodes the answer into out (when not nil); an HTTP error
// status is returned as an error holding the body.
func (l *Live) call(method, path string, body any, out any) error {
	var rd io.Reader
	ctype := "application/json"
	switch b := body.(type) {
	case nil:
	case []byte:
		rd = bytes.NewReader(b)
		ctype = "application/x-ndjson"
	default:
		data, err := json.Marshal(b)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, l.url+path, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", ctype)
	resp, err := l.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode >= 300 {
		return fmt.Errorf("%s %s: HTTP %d: %s", method, path, resp.StatusCode, data)
	}
	if out != nil {
		return json.Unmarshal(data, out)
	}
	return nil
}

var liveIndexes atomic.Int64

// Index creates an index of its own with the given properties mapping, stores docs in it
// with ids "0", "1", ... (their positions), refreshes it, deletes it when the test ends, and
// returns its name.
func (l *Live) Index(properties map[string]any, docs []map[string]any) string {
	l.t.Helper()
	name := fmt.Sprintf("sbtest-%d-%d-%d", os.Getpid(), time.Now().UnixNano()%1_000_000, liveIndexes.Add(1))
	mapping := map[string]any{
		"settings": map[string]any{"number_of_shards": 1, "number_of_replicas": 0},
		"mappings": map[string]any{"dynamic": "strict", "properties": properties},
	}
	if err := l.call("PUT", "/"+name, mapping, nil); err != nil {
		l.t.Fatal(err)
	}
	l.t.Cleanup(func() {
		if err := l.call("DELETE", "/"+name, nil, nil); err != nil {
			l.t.Errorf("deleting %s: %v", name, err)
		}
	})
	var bulk bytes.Buffer
	for i, d := range docs {
		meta, _ := json.Marshal(map[string]any{"index": map[string]any{"_index": name, "_id": strconv.Itoa(i)}})
		src, err := json.Marshal(d)
		if err != nil {
			l.t.Fatal(err)
		}
		bulk.Write(meta)
		bulk.WriteByte('\n')
		bulk.Write(src)
		bulk.WriteByte('\n')
	}
	var res struct {
		Errors bool `json:"errors"`
		Items  []map[string]struct {
			Error json.RawMessage `json:"error"`
		} `json:"items"`
	}
	if err := l.call("POST", "/_bulk?refresh=true", bulk.Bytes(), &res); err != nil {
		l.t.Fatal(err)
	}
	if res.Errors {
		for _, it := range res.Items {
			for _, r := range it {
				if len(r.Error) > 0 {
					l.t.Fatalf("indexing into %s: %s", name, r.Error)
				}
			}
		}
	}
	return name
}

// Search runs a Query DSL query (the value of "query") and returns the ids of the hits,
// sorted by position.
func (l *Live) Search(index string, query any) ([]int, error) {
	var res struct {
		Hits struct {
			Hits []struct {
				ID string `json:"_id"`
			} `json:"hits"`
		} `json:"hits"`
	}
	body := map[string]any{"query": query, "size": 10000, "_source": false}
	if err := l.call("POST", "/"+index+"/_search", body, &res); err != nil {
		return nil, err
	}
	var ids []int
	for _, h := range res.Hits.Hits {
		n, err := strconv.Atoi(h.ID)
		if err != nil {
			return nil, fmt.Errorf("hit id %q", h.ID)
		}
		ids = append(ids, n)
	}
	slices.Sort(ids)
	return ids, nil
}

// Explain validates a Query DSL query (the value of "query") on index with
// _validate/query?explain and returns the explanations joined: query_string reports an
// expression it could not build as a MatchNoDocsQuery there instead of failing. A query
// the node finds invalid is an error.
func (l *Live) Explain(index string, query any) (string, error) {
	var res struct {
		Valid        bool `json:"valid"`
		Explanations []struct {
			Explanation string `json:"explanation"`
			Error       string `json:"error"`
		} `json:"explanations"`
	}
	if err := l.call("POST", "/"+index+"/_validate/query?explain=true", map[string]any{"query": query}, &res); err != nil {
		return "", err
	}
	var parts []string
	for _, e := range res.Explanations {
		if e.Error != "" {
			return "", fmt.Errorf("invalid query: %s", e.Error)
		}
		parts = append(parts, e.Explanation)
	}
	if !res.Valid {
		return "", fmt.Errorf("invalid query")
	}
	return strings.Join(parts, "\n"), nil
}

// ESQL runs an ES|QL query and returns its rows.
func (l *Live) ESQL(query string) ([][]any, error) {
	var res struct {
		Values [][]any `json:"values"`
	}
	if err := l.call("POST", "/_query", map[string]any{"query": query}, &res); err != nil {
		return nil, err
	}
	return res.Values, nil
}

// ESQLIDs runs `FROM index METADATA _id | WHERE condition` and returns the ids of the rows,
// sorted.
func (l *Live) ESQLIDs(index, condition string) ([]int, error) {
	rows, err := l.ESQL("FROM " + index + " METADATA _id | WHERE " + condition + " | KEEP _id | LIMIT 10000")
	if err != nil {
		return nil, err
	}
	var ids []int
	for _, r := range rows {
		s, _ := r[0].(string)
		n, err := strconv.Atoi(s)
		if err != nil {
			return nil, fmt.Errorf("row id %v", r[0])
		}
		ids = append(ids, n)
	}
	slices.Sort(ids)
	return ids, nil
}

// ESQLString writes s as an ES|QL string literal.
func ESQLString(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`, "\r", `\r`, "\t", `\t`).Replace(s) + `"`
}

// Matching returns the positions of the values match accepts.
func Matching(values []string, match func(string) bool) []int {
	var ids []int
	for i, v := range values {
		if match(v) {
			ids = append(ids, i)
		}
	}
	return ids
}

// EvaluatorIDs returns the positions of the documents the evaluator matches with tree.
func EvaluatorIDs(t testing.TB, tree ir.Node, docs []map[string]any) []int {
	t.Helper()
	p, errs := evaluator.Compile([]*ir.Rule{{ID: "ids", Conditions: []ir.Node{tree}}})
	if len(errs) > 0 {
		t.Fatalf("evaluator cannot compile %s: %v", tree, errs)
	}
	var ids []int
	for i, d := range docs {
		if len(p.MatchEvent(d)) > 0 {
			ids = append(ids, i)
		}
	}
	return ids
}

// IPDocs are events for an ip-typed field "ip" that Elasticsearch accepts: IPv4, its
// IPv4-mapped IPv6 spellings, IPv6 in several spellings, a zone, and the field missing.
var IPDocs = []map[string]any{
	{"ip": "10.1.2.3"}, {"ip": "::ffff:10.1.2.3"}, {"ip": "0:0:0:0:0:ffff:0a01:0203"}, {"ip": "192.168.1.7"},
	{"ip": "11.0.0.1"}, {"ip": "0.0.0.0"}, {"ip": "255.255.255.255"}, {"ip": "fc00::1"}, {"ip": "FD12:3456::9"},
	{"ip": "2001:db8::5"}, {"ip": "2001:DB8:0:0::6"}, {"ip": "::1"}, {"ip": "fe80::1%eth0"}, {"ip": "fe00::1"},
	{}, {"port": "80"},
}

// IPPrefixes are CIDR blocks to test IPDocs with; each has a native form on an ip field.
var IPPrefixes = []string{"10.0.0.0/8", "10.1.2.3/32", "192.168.1.0/24", "0.0.0.0/0", "fc00::/7", "2001:db8::/32", "fe80::/10", "::1/128", "2001:db8::/128"}

// Runner runs a target's query for tree, rendered under rule r, on index, and returns the
// positions of the indexed documents it hits and the query as shown in messages.
type Runner func(live *Live, index string, r *ir.Rule, tree ir.Node) (ids []int, shown string, err error)

// CheckLive indexes docs under the explicit mapping properties and checks, for every tree
// and its negation, rendered with the pipeline state, that run hits exactly the documents
// the evaluator matches.
func CheckLive(t *testing.T, live *Live, properties map[string]any, docs []map[string]any, state map[string]any, trees []ir.Node, run Runner) {
	t.Helper()
	index := live.Index(properties, docs)
	r := &ir.Rule{Path: "test.yml", ID: "t", Deployment: Deploy(t, state)}
	for _, n := range trees {
		for _, tree := range []ir.Node{n, &ir.Not{Child: n}} {
			got, shown, err := run(live, index, r, tree)
			if err != nil {
				t.Errorf("%s -> %s: %v", tree, shown, err)
				continue
			}
			if want := EvaluatorIDs(t, tree, docs); !slices.Equal(got, want) {
				t.Errorf("%s -> %s: hits %v, evaluator %v", tree, shown, got, want)
			}
		}
	}
}

// IPFieldCIDRs are the CIDR tests of IPPrefixes on the ip field of IPDocs.
func IPFieldCIDRs() []ir.Node {
	var out []ir.Node
	for _, ps := range IPPrefixes {
		out = append(out, &ir.CIDR{Field: "ip", Prefix: netip.MustParsePrefix(ps)})
	}
	return out
}

// IPFieldMapping maps IPDocs: ip as ip, port as keyword.
var IPFieldMapping = map[string]any{"ip": map[string]any{"type": "ip"}, "port": map[string]any{"type": "keyword"}}

// IPFieldState declares the ip field of IPDocs.
var IPFieldState = map[string]any{"ip_fields": []any{"ip"}}

// FlattenedDocs are events whose requestParameters Elasticsearch maps as flattened
// (FlattenedMapping), for the leaves of FlattenedExact and FlattenedCaseInsensitive: values
// in other cases, arrays, numbers in JSON and as text, a present, empty and missing key.
var FlattenedDocs = []map[string]any{
	{"requestParameters": map[string]any{"principal": "*", "role": "arn:aws:iam::1:role/Admin", "memorySize": 10240, "sourceArn": "arn:x"}},
	{"requestParameters": map[string]any{"principal": "123-456", "role": "ARN:aws:iam::1:role/admin", "memorySize": "10240", "action": "lambda:UpdateFunctionCode"}},
	{"requestParameters": map[string]any{"principal": []any{"x", "123-456"}, "role": "arn:aws:iam::12", "action": "LAMBDA:update"}},
	{"requestParameters": map[string]any{"principal": "**", "role": []any{"arn:aws:iam::1"}, "memorySize": 1024, "action": "lambda:InvokeFunction", "sourceArn": ""}},
	{"requestParameters": map[string]any{"other": "123-456", "action": "lambda:upd"}},
	{"requestParameters": map[string]any{}},
	{"eventName": "x"},
}

// FlattenedMapping maps FlattenedDocs.
var FlattenedMapping = map[string]any{"requestParameters": map[string]any{"type": "flattened"}, "eventName": map[string]any{"type": "keyword"}}

// MultiValuedDocs are events with arrays in tags (keyword) and n (long), for
// MultiValuedTrees.
var MultiValuedDocs = []map[string]any{
	{"tags": []any{"prod", "pci", "eu"}, "n": []any{1, 4688}},
	{"tags": []any{"prod"}, "n": 4688},
	{"tags": "prod", "n": 11},
	{"tags": []any{"PCI", "Prod"}, "n": []any{4689, 12}},
	{"tags": []any{"y", "x"}},
	{"tags": []any{"y", "z"}, "n": []any{}},
	{"other": "x"},
}

// MultiValuedMapping maps MultiValuedDocs.
var MultiValuedMapping = map[string]any{"tags": map[string]any{"type": "keyword"}, "n": map[string]any{"type": "long"}, "other": map[string]any{"type": "keyword"}}

// MultiValuedState declares the arrays of MultiValuedDocs.
var MultiValuedState = map[string]any{"multivalued_fields": []any{"tags", "n"}}

// MultiValuedTrees test MultiValuedDocs: case-insensitive equality, all of two values,
// contains, a regular expression, a cased value, numbers and comparisons.
var MultiValuedTrees = []ir.Node{
	&ir.Match{Field: "tags", Pattern: ir.LiteralPattern("prod")},
	&ir.And{Children: []ir.Node{&ir.Match{Field: "tags", Pattern: ir.LiteralPattern("prod")}, &ir.Match{Field: "tags", Pattern: ir.LiteralPattern("pci")}}},
	&ir.Match{Field: "tags", Pattern: ir.LiteralPattern("C").Wrap(true, true)},
	&ir.Regex{Field: "tags", Pattern: "^[xz]$"},
	&ir.Match{Field: "tags", Pattern: ir.LiteralPattern("x"), Cased: true},
	&ir.Match{Field: "n", Pattern: ir.LiteralPattern("4688"), Kind: ir.Number},
	&ir.Compare{Field: "n", Op: ir.GT, Value: ir.Num{Text: "11", Value: 11}},
	&ir.And{Children: []ir.Node{&ir.Match{Field: "tags", Pattern: ir.LiteralPattern("y"), Cased: true}, &ir.Match{Field: "other", Pattern: ir.LiteralPattern("x")}}},
	&ir.Exists{Field: "n"},
}

// SearchBody runs a whole search request body (a JSON document) on index and returns the
// response decoded.
func (l *Live) SearchBody(index, body string) (map[string]any, error) {
	var res map[string]any
	if err := l.call("POST", "/"+index+"/_search", json.RawMessage(body), &res); err != nil {
		return nil, err
	}
	return res, nil
}

// ScriptLanguages lists the script languages the node runs (GET _script_language).
func (l *Live) ScriptLanguages() ([]string, error) {
	var res struct {
		Contexts []struct {
			Language string `json:"language"`
		} `json:"language_contexts"`
	}
	if err := l.call("GET", "/_script_language", nil, &res); err != nil {
		return nil, err
	}
	var out []string
	for _, c := range res.Contexts {
		out = append(out, c.Language)
	}
	return out, nil
}

// Scores runs a Query DSL query (the value of "query") and returns the score of each hit by
// its id.
func (l *Live) Scores(index string, query any) (map[string]float64, error) {
	var res struct {
		Hits struct {
			Hits []struct {
				ID    string  `json:"_id"`
				Score float64 `json:"_score"`
			} `json:"hits"`
		} `json:"hits"`
	}
	body := map[string]any{"query": query, "size": 10000, "_source": false}
	if err := l.call("POST", "/"+index+"/_search", body, &res); err != nil {
		return nil, err
	}
	out := map[string]float64{}
	for _, h := range res.Hits.Hits {
		out[h.ID] = h.Score
	}
	return out, nil
}
