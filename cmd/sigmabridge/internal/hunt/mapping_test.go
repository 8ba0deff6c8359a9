package hunt

import (
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// mappingCluster is a fake node whose logs-dyn index has Elasticsearch's dynamic mapping of
// eventName (text with eventName.keyword, ignore_above 256), for which the _ignored field
// holds ignored, and whose searches are recorded and answered with no hit.
func mappingCluster(t *testing.T, mapping, ignored string) (url string, searches func() []string) {
	t.Helper()
	var mu sync.Mutex
	var seen []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Elastic-Product", "Elasticsearch")
		w.Header().Set("Content-Type", "application/json")
		body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		switch {
		case r.URL.Path == "/":
			io.WriteString(w, `{"cluster_name":"fake","version":{"number":"8.19.21"}}`)
		case strings.HasSuffix(r.URL.Path, "/_mapping"):
			io.WriteString(w, mapping)
		case strings.Contains(string(body), `"_ignored"`):
			io.WriteString(w, `{"hits":{"hits":[]},"aggregations":{"ignored":{"sum_other_doc_count":0,"buckets":[`+ignored+`]}}}`)
		default:
			mu.Lock()
			seen = append(seen, string(body))
			mu.Unlock()
			io.WriteString(w, `{"hits":{"total":{"value":0},"hits":[]}}`)
		}
	}))
	t.Cleanup(srv.Close)
	return srv.URL, func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), seen...)
	}
}

const dynamicEventName = `{"logs-dyn":{"mappings":{"properties":{"eventName":{"type":"text","fields":{"keyword":{"type":"keyword","ignore_above":256}}}}}}}`

func containsRule(t *testing.T) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "contains.yml")
	body := "title: Contains\nid: 00000000-0000-4000-8000-000000000042\nstatus: test\nlevel: high\nlogsource: {product: aws, service: cloudtrail}\ndetection:\n  sel:\n    eventName|contains: Function\n  condition: sel\n"
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestHuntNamesWhatTheMappingCannotAnswer: on a text field whose keyword multi-field left a
// long value out (_ignored names it), a substring search is never sent as a clean hunt: the
// rule is named with mapping-ignore-above and the exit status is 1. Once no value was
// ignored, the same rule runs on the keyword multi-field.
func TestHuntNamesWhatTheMappingCannotAnswer(t *testing.T) {
	rule := containsRule(t)
	url, searches := mappingCluster(t, dynamicEventName, `{"key":"eventName.keyword","doc_count":1}`)
	code, stdout, stderr := runHunt(t, Options{ES: url, Index: "logs-dyn", Paths: []string{rule}})
	for _, want := range []string{
		rule + " (Contains): cannot be answered exactly on the mapping of logs-dyn, so its hits could not be trusted: mapping-ignore-above",
		"1 rule, 0 with hits, 0 hits, 1 failed (1 of them not answerable on the index mapping)",
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
	if code != 1 || stdout != "" || len(searches()) != 0 {
		t.Errorf("exit %d, stdout %q, searches %q: want 1, nothing, none", code, stdout, searches())
	}

	url, searches = mappingCluster(t, dynamicEventName, "")
	code, _, stderr = runHunt(t, Options{ES: url, Index: "logs-dyn", Paths: []string{rule}})
	if s := searches(); code != 0 || len(s) != 1 || !strings.Contains(s[0], `"eventName.keyword"`) {
		t.Errorf("nothing ignored: exit %d, searches %q, stderr %q", code, s, stderr)
	}

	// --mapping FILE is used instead of the cluster's, whatever _ignored says.
	file := filepath.Join(t.TempDir(), "m.json")
	os.WriteFile(file, []byte(`{"logs-dyn":{"mappings":{"properties":{"eventName":{"type":"keyword"}}}}}`), 0o600)
	url, searches = mappingCluster(t, dynamicEventName, `{"key":"eventName.keyword","doc_count":1}`)
	code, _, stderr = runHunt(t, Options{ES: url, Index: "logs-dyn", Mapping: file, Paths: []string{rule}})
	if s := searches(); code != 0 || len(s) != 1 || strings.Contains(s[0], ".keyword") {
		t.Errorf("--mapping: exit %d, searches %q, stderr %q", code, s, stderr)
	}
}

// TestHostileMappingAnswers: a cluster whose mapping answer is not one fails each rule by
// name, sending no search; a --mapping file that cannot be read is a usage error naming it.
func TestHostileMappingAnswers(t *testing.T) {
	rule := containsRule(t)
	for _, bad := range []string{`not json`, `{"logs-dyn":{"settings":{}}}`, `[]`, `{"logs-dyn":{"mappings":{"properties":{"eventName":{"type":"keyword","ignore_above":"\u001b[2J"}}}}}`} {
		url, searches := mappingCluster(t, bad, "")
		code, stdout, stderr := runHunt(t, Options{ES: url, Index: "logs-dyn", Paths: []string{rule}})
		if code != 1 || stdout != "" || len(searches()) != 0 || !strings.Contains(stderr, rule+" (Contains): reading the mapping of logs-dyn, which the query is written for: the cluster's answer: ") {
			t.Errorf("%s: exit %d, stdout %q, searches %q, stderr %q", bad, code, stdout, searches(), stderr)
		}
		if strings.Contains(stderr, "\x1b") {
			t.Errorf("%s: a raw escape reached the terminal: %q", bad, stderr)
		}
	}
	missing := filepath.Join(t.TempDir(), "missing.json")
	code, _, stderr := runHunt(t, Options{ES: "http://127.0.0.1:1", Index: "logs-dyn", Mapping: missing, Paths: []string{rule}})
	if code != 2 || !strings.Contains(stderr, "mapping "+missing+": open "+missing) {
		t.Errorf("missing --mapping: exit %d, stderr %q", code, stderr)
	}
}
