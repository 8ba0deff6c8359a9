package hunt

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode"

	"github.com/sigmabridge/sigmabridge/cmd/sigmabridge/internal/cli"
)

// fakeCluster is a fake Elasticsearch on 127.0.0.1: it answers GET / like a node (with the
// X-Elastic-Product header the client's product check wants), records the method and raw
// path of every request, and hands every other request, with its body, to search.
type fakeCluster struct {
	URL      string
	mu       sync.Mutex
	requests []string
}

func (c *fakeCluster) seen() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.requests...)
}

func newFakeCluster(t *testing.T, search func(w http.ResponseWriter, r *http.Request, body string)) *fakeCluster {
	t.Helper()
	c := &fakeCluster{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c.mu.Lock()
		c.requests = append(c.requests, r.Method+" "+strings.SplitN(r.RequestURI, "?", 2)[0])
		c.mu.Unlock()
		w.Header().Set("X-Elastic-Product", "Elasticsearch")
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Path == "/" {
			io.WriteString(w, `{"cluster_name":"fake","version":{"number":"8.19.21"}}`)
			return
		}
		body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		switch {
		case strings.HasSuffix(r.URL.Path, "/_mapping"):
			// Every index maps nothing yet (dynamic): each query is written as without a
			// mapping.
			io.WriteString(w, `{"fake":{"mappings":{}}}`)
			return
		case strings.Contains(string(body), `"_ignored"`):
			io.WriteString(w, `{"hits":{"hits":[]},"aggregations":{"ignored":{"sum_other_doc_count":0,"buckets":[]}}}`)
			return
		}
		search(w, r, string(body))
	}))
	t.Cleanup(srv.Close)
	c.URL = srv.URL
	return c
}

// answer writes a search answer with one hit per (index, id) pair.
func answer(w io.Writer, pairs ...string) {
	var hits []map[string]any
	for i := 0; i+1 < len(pairs); i += 2 {
		hits = append(hits, map[string]any{"_index": pairs[i], "_id": pairs[i+1], "_source": map[string]any{"eventName": "x"}})
	}
	b, _ := json.Marshal(map[string]any{"hits": map[string]any{"total": map[string]any{"value": len(hits)}, "hits": hits}})
	w.Write(b)
}

// testRule is a rule file: its title, logsource product and the marker its query searches
// for (the fake cluster tells the rules apart by it).
type testRule struct{ file, title, product, marker string }

// writeRules writes the rules into a new directory and returns it. The rules load in file
// name order.
func writeRules(t *testing.T, rules ...testRule) string {
	t.Helper()
	dir := t.TempDir()
	for i, r := range rules {
		service := map[string]string{"aws": "cloudtrail", "gcp": "gcp.audit"}[r.product]
		body := fmt.Sprintf("title: %q\nid: 00000000-0000-4000-8000-%012d\nstatus: test\nlogsource:\n  product: %s\n  service: %s\ndetection:\n  sel:\n    eventName: %s\n  condition: sel\nlevel: high\n",
			r.title, i+1, r.product, service, r.marker)
		if err := os.WriteFile(filepath.Join(dir, r.file), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// threeRules: a and c answer normally, b is the one the test's cluster mistreats.
func threeRules(t *testing.T) string {
	return writeRules(t,
		testRule{"a.yml", "Rule A", "aws", "ZebraA"},
		testRule{"b.yml", "Rule B", "aws", "ZebraB"},
		testRule{"c.yml", "Rule C", "aws", "ZebraC"})
}

// trickleForever sends the start of an answer, then one byte per tick until the client
// hangs up.
func trickleForever(w http.ResponseWriter, r *http.Request, tick time.Duration) {
	w.WriteHeader(200)
	io.WriteString(w, `{"hits":{"total":{"value":1},"hits":[`)
	w.(http.Flusher).Flush()
	for {
		select {
		case <-r.Context().Done():
			return
		case <-time.After(tick):
		}
		if _, err := io.WriteString(w, " "); err != nil {
			return
		}
		w.(http.Flusher).Flush()
	}
}

// deadlineAfterRuleA is a --timeout that rule A's hunt fits in on this machine however loaded
// it is: 2 s plus five times what a hunt of rule A alone takes here.
func deadlineAfterRuleA(t *testing.T, es string) time.Duration {
	t.Helper()
	dir := writeRules(t, testRule{"a.yml", "Rule A", "aws", "ZebraA"})
	start := time.Now()
	if code, _, stderr := runHunt(t, Options{ES: es, Index: "idx", Paths: []string{dir}}); code != 0 {
		t.Fatalf("rule A alone: exit %d, %s", code, stderr)
	}
	return (2*time.Second + 5*time.Since(start)).Round(time.Second)
}

// TestHostileTricklingCluster: a search whose answer trickles in a byte at a time is ended
// by --request-timeout, named by rule and flag, and the other rules keep their hits; with a
// longer request timeout, --timeout ends the hunt there, and the hits found before are
// written.
func TestHostileTricklingCluster(t *testing.T) {
	cluster := newFakeCluster(t, func(w http.ResponseWriter, r *http.Request, body string) {
		switch {
		case strings.Contains(strings.ToLower(body), "zebrab"):
			trickleForever(w, r, 100*time.Millisecond)
		case strings.Contains(strings.ToLower(body), "zebraa"):
			answer(w, "idx", "a1")
		default:
			answer(w, "idx", "c1")
		}
	})
	rules := threeRules(t)
	deadline := deadlineAfterRuleA(t, cluster.URL)

	start := time.Now()
	code, stdout, stderr := runHunt(t, Options{ES: cluster.URL, Index: "idx", Paths: []string{rules}, RequestTimeout: deadline})
	if d := time.Since(start); d > 3*deadline+30*time.Second {
		t.Errorf("the hunt took %v with --request-timeout %v", d, deadline)
	}
	want := fmt.Sprintf("%s (Rule B): Elasticsearch at %s did not complete its answer within --request-timeout %v", filepath.Join(rules, "b.yml"), cluster.URL, deadline)
	if code != 1 || !strings.Contains(stderr, want) || !strings.Contains(stderr, "3 rules, 2 with hits, 2 hits, 1 failed") {
		t.Errorf("exit %d, stderr %q; want 1 and %q", code, stderr, want)
	}
	if !strings.Contains(stdout, "a1") || !strings.Contains(stdout, "c1") {
		t.Errorf("the other rules' hits are missing: %q", stdout)
	}

	start = time.Now()
	code, stdout, stderr = runHunt(t, Options{ES: cluster.URL, Index: "idx", Format: "jsonl", Paths: []string{rules}, Timeout: deadline, RequestTimeout: time.Minute})
	if d := time.Since(start); d > deadline+30*time.Second {
		t.Errorf("the hunt took %v with --timeout %v", d, deadline)
	}
	want = fmt.Sprintf("%s (Rule B): stopped by --timeout %v, the deadline of the whole hunt", filepath.Join(rules, "b.yml"), deadline)
	if code != 1 || !strings.Contains(stderr, want) || !strings.Contains(stderr, "stopping: 1 more rules not run") {
		t.Errorf("exit %d, stderr %q; want 1 and %q", code, stderr, want)
	}
	var hit Hit
	if err := json.Unmarshal([]byte(stdout), &hit); err != nil || hit.ID != "a1" || hit.Title != "Rule A" {
		t.Errorf("rule A's hit was not written before the deadline: %q (%v)", stdout, err)
	}
}

// TestHostileSilentCluster: a server that accepts connections and never answers, and one
// that answers GET / but never a search.
func TestHostileSilentCluster(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	defer func() {
		l.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
	}()
	start := time.Now()
	code, stdout, stderr := runHunt(t, Options{ES: "http://" + l.Addr().String(), Index: "idx", Paths: []string{threeRules(t)}, RequestTimeout: time.Second})
	if d := time.Since(start); d > 30*time.Second {
		t.Errorf("took %v with --request-timeout 1s", d)
	}
	if code != 1 || stdout != "" || !strings.Contains(stderr, "did not complete its answer within --request-timeout 1s") {
		t.Errorf("exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}

	cluster := newFakeCluster(t, func(w http.ResponseWriter, r *http.Request, body string) {
		if strings.Contains(strings.ToLower(body), "zebraa") {
			answer(w, "idx", "a1")
			return
		}
		<-r.Context().Done()
	})
	deadline := deadlineAfterRuleA(t, cluster.URL)
	start = time.Now()
	code, stdout, stderr = runHunt(t, Options{ES: cluster.URL, Index: "idx", Paths: []string{threeRules(t)}, Timeout: deadline})
	if d := time.Since(start); d > deadline+30*time.Second {
		t.Errorf("took %v with --timeout %v", d, deadline)
	}
	if code != 1 || !strings.Contains(stdout, "a1") || !strings.Contains(stderr, fmt.Sprintf("(Rule B): stopped by --timeout %v", deadline)) || !strings.Contains(stderr, "1 more rules not run") {
		t.Errorf("silent search: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
}

// TestHostileOversizedAnswer: an endless answer to one rule's search fails that rule with a
// message naming the rule and --max-response, after reading no more than the cap; the other
// rules keep their hits.
func TestHostileOversizedAnswer(t *testing.T) {
	chunk := []byte(strings.Repeat(`{"_index":"idx","_id":"zzzzzzzzzzzzzzzz","_source":{"eventName":"ZebraB"}},`, 1024))
	cluster := newFakeCluster(t, func(w http.ResponseWriter, r *http.Request, body string) {
		switch {
		case strings.Contains(strings.ToLower(body), "zebrab"):
			io.WriteString(w, `{"hits":{"total":{"value":1000000000},"hits":[`)
			for { // without end: only the client's cap stops it
				if _, err := w.Write(chunk); err != nil {
					return
				}
			}
		case strings.Contains(strings.ToLower(body), "zebraa"):
			answer(w, "idx", "a1")
		default:
			answer(w, "idx", "c1")
		}
	})
	rules := threeRules(t)
	var code int
	var stdout, stderr string
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	code, stdout, stderr = runHunt(t, Options{ES: cluster.URL, Index: "idx", Paths: []string{rules}, MaxResponse: 1 << 20})
	runtime.ReadMemStats(&after)
	want := filepath.Join(rules, "b.yml") + " (Rule B): the answer from " + cluster.URL + " is larger than --max-response 1 MiB"
	if code != 1 || !strings.Contains(stderr, want) {
		t.Errorf("exit %d, stderr %q; want 1 and %q", code, stderr, want)
	}
	if !strings.Contains(stdout, "a1") || !strings.Contains(stdout, "c1") {
		t.Errorf("the other rules' hits are missing: %q", stdout)
	}
	// Everything the hunt allocated, the three rules and the server's writes included, is an
	// upper bound of its peak heap.
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 32<<20 {
		t.Errorf("the hunt allocated %d MiB refusing an endless answer with --max-response 1MiB", alloc>>20)
	}
}

// searchPath is the only kind of request a hunt without --since may send after GET /: a
// search of one path segment of indexes, or the mapping of one.
var searchPath = regexp.MustCompile(`^(POST /[^/?#]+/_search|GET /[^/?#]+/_mapping)$`)

// TestHostileIndexNames: --index and the pipeline state "index" never put anything but an
// index list into the request path.
func TestHostileIndexNames(t *testing.T) {
	cluster := newFakeCluster(t, func(w http.ResponseWriter, r *http.Request, body string) { answer(w, "logs-ok", "1") })
	rules := writeRules(t,
		testRule{"a.yml", "Rule A", "aws", "ZebraA"},
		testRule{"b.yml", "Rule B", "gcp", "ZebraB"})
	for _, index := range []string{"x/_close#", "x/_close", "../_close", "x?pretty=true&", "x#", "_cluster", "-x",
		"<logs-{now/d}>", "a b", `a\b`, "a,,b", "x\x1b[2J", "x\r\nHost: evil"} {
		code, stdout, stderr := runHunt(t, Options{ES: cluster.URL, Index: index, Paths: []string{rules}})
		if code != 2 || stdout != "" || !strings.Contains(stderr, "--index ") {
			t.Errorf("--index %q: exit %d, stdout %q, stderr %q; want a usage error", index, code, stdout, stderr)
		}
		if strings.ContainsAny(stderr, "\x1b\r") {
			t.Errorf("--index %q: raw control characters in %q", index, stderr)
		}
	}
	if got := cluster.seen(); len(got) != 0 {
		t.Fatalf("a refused --index sent requests: %q", got)
	}
	code, _, stderr := runHunt(t, Options{ES: cluster.URL, Index: "x/_close#", Paths: []string{rules}})
	if code != 2 || !strings.Contains(stderr, `--index "x/_close#": Elasticsearch names cannot contain '/'`) {
		t.Errorf("the message does not say why: %q", stderr)
	}

	// The pipeline state: rule B's logsource gets a hostile index, rule A's a good one.
	for _, val := range []string{`'x/_close#'`, `[logs-ok, '../_close']`} {
		pipe := filepath.Join(t.TempDir(), "p.yml")
		os.WriteFile(pipe, []byte("name: hostile\npriority: 50\ntransformations:\n"+
			"  - type: set_state\n    key: index\n    val: logs-ok\n    rule_conditions: [{type: logsource, product: aws}]\n"+
			"  - type: set_state\n    key: index\n    val: "+val+"\n    rule_conditions: [{type: logsource, product: gcp}]\n"), 0o600)
		before := len(cluster.seen())
		code, stdout, stderr := runHunt(t, Options{ES: cluster.URL, Pipelines: []string{pipe}, Paths: []string{rules}})
		if code != 1 || !strings.Contains(stdout, "logs-ok") || !strings.Contains(stderr, "(Rule B): pipeline state index ") || !strings.Contains(stderr, "is refused, no request was sent") {
			t.Errorf("state %s: exit %d, stdout %q, stderr %q", val, code, stdout, stderr)
		}
		for _, req := range cluster.seen()[before:] {
			if req != "GET /" && !searchPath.MatchString(req) {
				t.Errorf("state %s: sent %q", val, req)
			}
			if p, _ := url.PathUnescape(strings.TrimPrefix(req, "POST /")); req != "GET /" && req != "GET /logs-ok/_mapping" && p != "logs-ok/_search" {
				t.Errorf("state %s: searched %q", val, req)
			}
		}
	}
}

// rawControl finds a character that a terminal acts on (other than the line feed that ends
// each line).
func rawControl(s string) (rune, bool) {
	for _, r := range s {
		if r != '\n' && (unicode.IsControl(r) || unicode.Is(unicode.Cf, r)) || r == unicode.ReplacementChar {
			return r, true
		}
	}
	return 0, false
}

// TestHostileClusterText: escape sequences in _index, _id, error reasons and rule titles are
// printed escaped on the terminal; jsonl stays valid JSON with the same values.
func TestHostileClusterText(t *testing.T) {
	const evilIndex, evilID = "idx\x1b[2J\x1b]0;pwned\a", "id\u009b31m\u202e\x7f\tx"
	cluster := newFakeCluster(t, func(w http.ResponseWriter, r *http.Request, body string) {
		if strings.Contains(strings.ToLower(body), "zebrab") {
			w.WriteHeader(400)
			b, _ := json.Marshal(map[string]any{"error": map[string]any{"type": "parsing_exception", "reason": "bad \x1b]0;pwned\a query\nsecond line \u009b2J"}, "status": 400})
			w.Write(b)
			return
		}
		answer(w, evilIndex, evilID)
	})
	rules := writeRules(t,
		testRule{"a.yml", "Rule \x1b[5mA\u202e", "aws", "ZebraA"},
		testRule{"b.yml", "Rule B", "aws", "ZebraB"})

	code, stdout, stderr := runHunt(t, Options{ES: cluster.URL, Index: "idx", Paths: []string{rules}})
	if code != 1 {
		t.Errorf("exit %d", code)
	}
	for name, out := range map[string]string{"table": stdout, "stderr": stderr} {
		if r, ok := rawControl(out); ok {
			t.Errorf("%s holds a raw %U: %q", name, r, out)
		}
	}
	for _, want := range []string{`idx\x1b[2J\x1b]0;pwned\a`, `id\u009b31m\u202e\x7f\tx`, `Rule \x1b[5mA\u202e`} {
		if !strings.Contains(stdout, want) {
			t.Errorf("table %q lacks %q", stdout, want)
		}
	}
	if lines := strings.Split(strings.TrimSpace(stdout), "\n"); len(lines) != 2 || len(strings.Fields(lines[1])) != 5 {
		t.Errorf("table framing: %q", lines) // LEVEL, two words of title, INDEX, ID
	}
	if !strings.Contains(stderr, `bad \x1b]0;pwned\a query\nsecond line \u009b2J`) {
		t.Errorf("error reason not escaped on one line: %q", stderr)
	}

	code, stdout, _ = runHunt(t, Options{ES: cluster.URL, Index: "idx", Format: "jsonl", Paths: []string{rules}})
	if r, ok := rawControl(stdout); ok {
		t.Errorf("jsonl holds a raw %U: %q", r, stdout)
	}
	lines := strings.Split(strings.TrimSuffix(stdout, "\n"), "\n")
	var hit Hit
	if code != 1 || len(lines) != 1 || !json.Valid([]byte(lines[0])) || json.Unmarshal([]byte(lines[0]), &hit) != nil {
		t.Fatalf("jsonl: exit %d, %q", code, stdout)
	}
	if hit.Index != evilIndex || hit.ID != evilID || hit.Title != "Rule \x1b[5mA\u202e" {
		t.Errorf("jsonl changed the values: %+q", hit)
	}
}

// TestTerminalSafeJSON: the writer of hunt's jsonl (cli.JSONWriter) escapes what a terminal
// acts on and keeps the values.
func TestTerminalSafeJSON(t *testing.T) {
	for in, want := range map[string]string{
		`{"a":"plain é"}`:        `{"a":"plain é"}`,
		"{\"a\":\"\x7f\u0085\"}": `{"a":"\u007f\u0085"}`,
		"{\"a\":\"\u202e\"}":     `{"a":"\u202e"}`,
		"{\"a\":\"\U000e0001\"}": `{"a":"\udb40\udc01"}`,
		"{\"a\":\"\xff\"}":       `{"a":"\ufffd"}`,
	} {
		var out bytes.Buffer
		if _, err := cli.JSONWriter(&out).Write([]byte(in)); err != nil {
			t.Fatal(err)
		}
		got := out.Bytes()
		if string(got) != want {
			t.Errorf("%q: got %s, want %s", in, got, want)
		}
		var a, b any
		if json.Unmarshal(got, &a) != nil || json.Unmarshal([]byte(in), &b) != nil || fmt.Sprint(a) != fmt.Sprint(b) {
			t.Errorf("%q: the value changed: %v, %v", in, a, b)
		}
	}
}

// TestSecretsOnTheCommandLine: a secret given as a flag is warned about, naming the variable
// to use; the environment and the prompt are not.
func TestSecretsOnTheCommandLine(t *testing.T) {
	var auth []string
	var mu sync.Mutex
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		auth = append(auth, r.Header.Get("Authorization"))
		mu.Unlock()
		w.Header().Set("X-Elastic-Product", "Elasticsearch")
		w.WriteHeader(401)
		io.WriteString(w, `{"error":{"type":"security_exception","reason":"no"},"status":401}`)
	}))
	defer srv.Close()
	_, _, stderr := runHunt(t, Options{ES: srv.URL, User: "u", Password: "p"})
	if !strings.Contains(stderr, "warning: --password on the command line is visible to other local users") || !strings.Contains(stderr, "set ELASTIC_PASSWORD instead") {
		t.Errorf("--password: %q", stderr)
	}
	_, _, stderr = runHunt(t, Options{ES: srv.URL, APIKey: "k"})
	if !strings.Contains(stderr, "warning: --api-key on the command line") || !strings.Contains(stderr, "set ELASTIC_API_KEY instead") {
		t.Errorf("--api-key: %q", stderr)
	}
	env := map[string]string{"ELASTIC_USERNAME": "u", "ELASTIC_PASSWORD": "p"}
	_, _, stderr = runHunt(t, Options{ES: srv.URL, Getenv: func(k string) string { return env[k] }})
	if strings.Contains(stderr, "warning") {
		t.Errorf("environment: %q", stderr)
	}
	// --user alone on a terminal: the prompt names the user and the cluster, and its answer
	// is the password.
	var prompt string
	_, _, stderr = runHunt(t, Options{ES: srv.URL, User: "hunter", ReadPassword: func(p string) (string, error) { prompt = p; return "s3cret", nil }})
	mu.Lock()
	last := auth[len(auth)-1]
	mu.Unlock()
	if prompt != "Password for hunter at "+srv.URL+": " || last != "Basic aHVudGVyOnMzY3JldA==" || strings.Contains(stderr, "warning") {
		t.Errorf("prompt %q, Authorization %q, stderr %q", prompt, last, stderr)
	}
	code, _, stderr := runHunt(t, Options{ES: srv.URL, User: "hunter", ReadPassword: func(string) (string, error) { return "", io.ErrUnexpectedEOF }})
	if code != 2 || !strings.Contains(stderr, "reading the password") {
		t.Errorf("prompt failure: exit %d, %q", code, stderr)
	}
}

func TestDurationLimits(t *testing.T) {
	for s, ok := range map[string]bool{
		"106751d": true, "106752d": false, "213504d": false, "99999999999999999999d": false,
		"2562047h": true, "2562048h": false, "9223372036854775807ns": true, "9223372036854775808ns": false,
	} {
		_, err := parseDuration(s)
		if ok != (err == nil) || !ok && err != errTooLong {
			t.Errorf("parseDuration(%q): %v", s, err)
		}
	}
	for _, o := range []Options{{Since: "213504d"}, {Until: "213504d"}, {Since: "3000000h"}} {
		o.ES = "http://127.0.0.1:9"
		code, _, stderr := runHunt(t, o)
		if code != 2 || !strings.Contains(stderr, "longer than the longest duration, 106751d") {
			t.Errorf("%+v: exit %d, %q", o, code, stderr)
		}
	}
}

func TestByteSize(t *testing.T) {
	for s, want := range map[string]int64{"64MiB": 64 << 20, "64mb": 64e6, "1048576": 1 << 20, "512 KiB": 512 << 10, "1G": 1 << 30, "2GiB": 2 << 30} {
		if got, err := parseByteSize(s); err != nil || got != want {
			t.Errorf("%q: %d %v, want %d", s, got, err, want)
		}
	}
	for s, msg := range map[string]string{"": "want a size", "MiB": "want a size", "64XB": "want a size", "-1": "want a size", "0": "positive", "9999999999GiB": "largest size", "99999999999999999999": "largest size"} {
		if _, err := parseByteSize(s); err == nil || !strings.Contains(err.Error(), msg) {
			t.Errorf("%q: %v, want %q", s, err, msg)
		}
	}
	var n int64 = 64 << 20
	if got := (byteSize{&n}).String(); got != "64MiB" {
		t.Errorf("String %q", got)
	}
	var buf bytes.Buffer
	cmd := NewCommand()
	cmd.SetErr(&buf)
	if err := cmd.ParseFlags([]string{"--max-response", "1GiB", "--timeout", "30s", "--request-timeout", "5s"}); err != nil {
		t.Fatal(err)
	}
	for flag, want := range map[string]string{"max-response": "1GiB", "timeout": "30s", "request-timeout": "5s"} {
		if got := cmd.Flags().Lookup(flag).Value.String(); got != want {
			t.Errorf("--%s = %q, want %q", flag, got, want)
		}
	}
}
