package serve_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/sigmabridge/sigmabridge/internal/esclient/esclienttest"
	"github.com/sigmabridge/sigmabridge/serve"
)

// The browser tests drive Debian's Chromium through chromedp. They skip, saying why, when
// no Chromium is installed (.ci/test.sh installs it), and fail instead when
// SIGMABRIDGE_REQUIRE_BROWSER=1. With SIGMABRIDGE_UPDATE_SCREENSHOTS=1 they write the
// screenshots under docs/serve/ that the README shows.

// browserRule has a lint error on line 14 (level) and converts on every target.
const browserRule = `title: Lambda function created from the console
id: 6d0c1f7e-3a5b-4c2d-9e8f-0a1b2c3d4e5f
status: experimental
description: A Lambda function was created from the AWS console.
author: playground test
date: 2026-12-07
logsource:
  product: aws
  service: cloudtrail
detection:
  selection:
    eventSource: lambda.amazonaws.com
    eventName|startswith: CreateFunction
  console:
    userAgent|contains: console.amazonaws.com
  condition: selection and console
level: hgih
`

const browserLintLine = 17

const browserEvents = `{"eventSource":"lambda.amazonaws.com","eventName":"CreateFunction20150331","userAgent":"console.amazonaws.com"}
{"eventSource":"lambda.amazonaws.com","eventName":"CreateFunction20150331","userAgent":"aws-cli/2.15"}
{"eventSource":"lambda.amazonaws.com","eventName":"Invoke","userAgent":"console.amazonaws.com"}`

func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{os.Getenv("SIGMABRIDGE_CHROMIUM"), "chromium", "chromium-browser"} {
		if name == "" {
			continue
		}
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("SIGMABRIDGE_REQUIRE_BROWSER") == "1" {
		t.Fatal("no Chromium found (chromium on PATH or $SIGMABRIDGE_CHROMIUM) and SIGMABRIDGE_REQUIRE_BROWSER=1")
	}
	t.Skip("no Chromium found (chromium on PATH or $SIGMABRIDGE_CHROMIUM): `apt-get install chromium` runs these tests; .ci/test.sh does")
	return ""
}

// browser starts a fresh Chromium (a new empty profile) and returns a tab's context,
// bounded by the test's overall deadline.
func browser(t *testing.T, ctx context.Context, exe string) context.Context {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(exe),
		chromedp.Flag("headless", true),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1440, 1150),
	}
	actx, cancelA := chromedp.NewExecAllocator(ctx, opts...)
	bctx, cancelB := chromedp.NewContext(actx)
	t.Cleanup(func() { cancelB(); cancelA() })
	if err := chromedp.Do(bctx); err != nil {
		t.Fatalf("starting Chromium %s: %v", exe, err)
	}
	return bctx
}

// step runs actions under their own deadline, so no wait is unbounded.
func step(t *testing.T, ctx context.Context, what string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(sctx, actions...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// value runs one action that returns a value, under its own deadline.
func value[T any](t *testing.T, ctx context.Context, what string, a chromedp.Action[T]) T {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	v, err := chromedp.Run(sctx, a)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	return v
}

// until waits, at most timeout, for a JavaScript expression to become true.
func until(expr string, timeout time.Duration) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := chromedp.Poll[bool](expr, chromedp.WithPollingInterval(50*time.Millisecond), chromedp.WithPollingTimeout(timeout))(ctx, tg)
		return err
	})
}

// generation returns the page's update counter (how many updates have been rendered).
func generation(t *testing.T, ctx context.Context) string {
	return value(t, ctx, "reading the update counter", chromedp.Evaluate[string](`document.body.dataset.generation || "0"`))
}

// waitUpdated waits until an update newer than gen has been rendered.
func waitUpdated(t *testing.T, ctx context.Context, gen string) {
	t.Helper()
	step(t, ctx, "waiting for the page to update",
		until(fmt.Sprintf(`document.body.dataset.state === "ready" && document.body.dataset.generation !== %q`, gen), 20*time.Second))
}

// setText replaces a textarea's text as typing would, with an input event.
func setText(sel, text string) chromedp.Action[chromedp.Void] {
	return chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`(() => { const e = document.querySelector(%q); e.value = %s; e.dispatchEvent(new Event("input", {bubbles: true})); return true })()`,
		sel, jsString(text)))
}

func jsString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\n':
			b.WriteString(`\n`)
		case r < 0x20:
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// pageState is what the page shows, read from the DOM.
type pageState struct {
	Rule      string            `json:"rule"`
	Events    string            `json:"events"`
	Pipelines []string          `json:"pipelines"`
	Targets   []string          `json:"targets"`
	States    map[string]string `json:"states"`
	Queries   map[string]string `json:"queries"`
	Via       map[string]string `json:"via"`
	Findings  []string          `json:"findings"`
	BadLines  []string          `json:"badLines"`
	Matched   []string          `json:"matched"`
	Missed    []string          `json:"missed"`
	Sels      []string          `json:"sels"`
	Fields    []string          `json:"fields"`
}

const readState = `(() => {
  const all = (s) => [...document.querySelectorAll(s)];
  const st = {rule: document.querySelector("#rule").value, events: document.querySelector("#events").value,
    pipelines: all("#pipelines input:checked").map(e => e.value), targets: [], states: {}, queries: {}, via: {},
    findings: all("#findings li").map(e => e.dataset.line + ":" + e.dataset.col + ":" + e.dataset.check),
    badLines: all("#gutter .bad").map(e => e.dataset.line),
    matched: all("#events-out tr[data-matched=yes]").map(e => e.dataset.n),
    missed: all("#events-out tr[data-matched=no]").map(e => e.dataset.n),
    sels: all("#events-out tr[data-matched=yes] [data-selection]").map(e => e.dataset.selection),
    fields: all("#events-out tr[data-matched=yes] .field").map(e => e.textContent)};
  for (const c of all("#targets .target")) {
    const t = c.dataset.target;
    st.targets.push(t);
    st.states[t] = c.dataset.state;
    st.queries[t] = [...c.querySelectorAll("pre.query")].map(e => e.textContent).join("\n");
    st.via[t] = c.querySelector(".via").textContent;
  }
  return st;
})()`

func readPage(t *testing.T, ctx context.Context) pageState {
	t.Helper()
	return value(t, ctx, "reading the page", chromedp.Evaluate[pageState](readState))
}

func screenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	if os.Getenv("SIGMABRIDGE_UPDATE_SCREENSHOTS") != "1" {
		return
	}
	png := value(t, ctx, "screenshot "+name, chromedp.FullScreenshot(100))
	dir := filepath.Join("..", "docs", "serve")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %s (%d bytes)", filepath.Join(dir, name+".png"), len(png))
}

func TestBrowserPlayground(t *testing.T) {
	exe := chromium(t)
	srv := httptest.NewServer(serve.New(serve.Config{}))
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	// Load the page, paste a rule and events.
	tab := browser(t, ctx, exe)
	step(t, tab, "loading the page", chromedp.Navigate(srv.URL+"/"),
		until(`document.body.dataset.state === "ready"`, 20*time.Second))
	gen := generation(t, tab)
	step(t, tab, "pasting the rule and events", setText("#rule", browserRule), setText("#events", browserEvents))
	waitUpdated(t, tab, gen)
	st := readPage(t, tab)

	// All five targets, each with a query.
	want := []string{"splunk", "lucene", "dsl", "esql", "eql"}
	if strings.Join(st.Targets, ",") != strings.Join(want, ",") {
		t.Fatalf("targets shown %v, want %v", st.Targets, want)
	}
	for _, tg := range want {
		if st.States[tg] != "ok" || st.Queries[tg] == "" {
			t.Errorf("target %s: state %q, query %q; want a query", tg, st.States[tg], st.Queries[tg])
		}
	}
	if !strings.Contains(st.Queries["splunk"], `eventSource="lambda.amazonaws.com"`) {
		t.Errorf("splunk query %q does not test eventSource", st.Queries["splunk"])
	}
	// The lint finding at its line, in the list and in the gutter.
	lintAt := fmt.Sprintf("%d:", browserLintLine)
	found := false
	for _, f := range st.Findings {
		if strings.HasPrefix(f, lintAt) && strings.HasSuffix(f, ":level-value") {
			found = true
		}
	}
	if !found {
		t.Errorf("no level-value finding at line %d; findings %v", browserLintLine, st.Findings)
	}
	if strings.Join(st.BadLines, ",") != fmt.Sprint(browserLintLine) {
		t.Errorf("gutter marks lines %v, want %d", st.BadLines, browserLintLine)
	}
	// The matched events, with the selections that matched and their fields.
	if strings.Join(st.Matched, ",") != "1" || strings.Join(st.Missed, ",") != "2,3" {
		t.Errorf("matched events %v, missed %v; want 1 and 2,3", st.Matched, st.Missed)
	}
	if strings.Join(st.Sels, ",") != "selection,console" {
		t.Errorf("selections of event 1: %v, want selection,console", st.Sels)
	}
	if !contains(st.Fields, `userAgent="console.amazonaws.com"`) {
		t.Errorf("fields of event 1: %v, want userAgent with its value", st.Fields)
	}
	screenshot(t, tab, "playground")

	// A copy button copies (or falls back to a selection copy) and says so.
	step(t, tab, "copying the Splunk query", chromedp.Click(chromedp.CSS(`.target[data-target=splunk] button.copy`)),
		until(`document.querySelector(".target[data-target=splunk] button.copy").textContent === "Copied"`, 5*time.Second))

	// Change the pipeline: the Elastic targets go through ecs_t1648, Splunk does not.
	before := st
	gen = generation(t, tab)
	step(t, tab, "choosing ecs_t1648", chromedp.Click(chromedp.CSS(`#pl-ecs_t1648`)))
	waitUpdated(t, tab, gen)
	st = readPage(t, tab)
	for _, tg := range []string{"lucene", "dsl", "esql", "eql"} {
		if !strings.Contains(st.Via[tg], "ecs_t1648") {
			t.Errorf("%s: %q, want via ecs_t1648", tg, st.Via[tg])
		}
		if st.Queries[tg] == before.Queries[tg] {
			t.Errorf("%s: the query did not change with ecs_t1648: %q", tg, st.Queries[tg])
		}
	}
	if !strings.Contains(st.Queries["lucene"], "event.provider") {
		t.Errorf("lucene under ecs_t1648: %q, want the ECS field event.provider", st.Queries["lucene"])
	}
	if st.Queries["splunk"] != before.Queries["splunk"] || st.Via["splunk"] != "no pipeline" {
		t.Errorf("splunk changed with an Elastic pipeline: %q via %q", st.Queries["splunk"], st.Via["splunk"])
	}
	screenshot(t, tab, "pipeline")

	// The share link, opened in a fresh browser, shows the same state.
	step(t, tab, "making the share link", chromedp.Click(chromedp.CSS(`#share`)),
		until(`document.querySelector("#share-link").value.includes("#s=")`, 10*time.Second))
	link := value(t, tab, "reading the share link", chromedp.Value(chromedp.CSS(`#share-link`)))
	if !strings.HasPrefix(link, srv.URL+"/#s=") {
		t.Fatalf("share link %q", link)
	}
	fresh := browser(t, ctx, exe)
	step(t, fresh, "opening the share link", chromedp.Navigate(link),
		until(`document.body.dataset.state === "ready"`, 20*time.Second))
	got := readPage(t, fresh)
	if got.Rule != browserRule || got.Events != browserEvents {
		t.Errorf("shared rule or events differ:\nrule %q\nevents %q", got.Rule, got.Events)
	}
	if strings.Join(got.Pipelines, ",") != "ecs_t1648" {
		t.Errorf("shared pipelines %v, want ecs_t1648", got.Pipelines)
	}
	for _, tg := range want {
		if got.Queries[tg] != st.Queries[tg] {
			t.Errorf("%s in the shared page: %q, want %q", tg, got.Queries[tg], st.Queries[tg])
		}
	}
	if strings.Join(got.Matched, ",") != "1" || strings.Join(got.BadLines, ",") != fmt.Sprint(browserLintLine) {
		t.Errorf("shared page: matched %v, lint lines %v", got.Matched, got.BadLines)
	}
	screenshot(t, fresh, "shared")

	// The pack: open it, pick a rule, and its samples run as events.
	step(t, fresh, "opening the pack", chromedp.Click(chromedp.CSS(`#pack-open`)),
		until(`document.querySelectorAll("#pack-table tbody tr").length > 10`, 30*time.Second))
	screenshot(t, fresh, "pack")
	path := value(t, fresh, "reading a pack row", chromedp.Evaluate[string](`document.querySelector("#pack-table tbody tr").dataset.path`))
	gen = generation(t, fresh)
	step(t, fresh, "choosing "+path, chromedp.Click(chromedp.CSS(`#pack-table tbody tr`)))
	waitUpdated(t, fresh, gen)
	got = readPage(t, fresh)
	if !strings.Contains(got.Rule, "detection:") || len(got.Matched) == 0 || len(got.Missed) == 0 {
		t.Errorf("pack rule %s: %d events matched, %d not; want both (its samples)", path, len(got.Matched), len(got.Missed))
	}

	// A keyword: EQL cannot express it, and its card names the diagnostic.
	kw := strings.Replace(browserRule, "  condition: selection and console", "  words: [evil]\n  condition: selection and console or words", 1)
	gen = generation(t, fresh)
	step(t, fresh, "pasting a keyword rule", setText("#rule", kw))
	waitUpdated(t, fresh, gen)
	got = readPage(t, fresh)
	if got.States["eql"] != "cannot express" || got.Queries["eql"] != "" || got.States["splunk"] != "ok" {
		t.Errorf("keyword rule: eql %q %q, splunk %q", got.States["eql"], got.Queries["eql"], got.States["splunk"])
	}
	code := value(t, fresh, "reading the EQL diagnostic", chromedp.Evaluate[string](
		`(document.querySelector(".target[data-target=eql] li[data-code]") || {}).textContent || ""`))
	if !strings.HasPrefix(code, "unsupported-keyword") {
		t.Errorf("EQL card shows %q, want the unsupported-keyword diagnostic", code)
	}
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// TestBrowserLiveNode presses the live-node button with the test node: the Lucene, DSL and
// ES|QL forms find the events the evaluator matches, and the page says they agree.
func TestBrowserLiveNode(t *testing.T) {
	exe := chromium(t)
	c := esclienttest.Connect(t)
	srv := httptest.NewServer(serve.New(serve.Config{ES: c}))
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	tab := browser(t, ctx, exe)
	step(t, tab, "loading the page", chromedp.Navigate(srv.URL+"/"),
		until(`document.body.dataset.state === "ready"`, 20*time.Second))
	gen := generation(t, tab)
	step(t, tab, "pasting the rule and events", setText("#rule", browserRule), setText("#events", browserEvents))
	waitUpdated(t, tab, gen)
	step(t, tab, "running on Elasticsearch", chromedp.Click(chromedp.CSS(`#es-run`)),
		until(`document.querySelectorAll("#es-out tr[data-form]").length === 3`, 60*time.Second))
	rows := value(t, tab, "reading the live-node table", chromedp.Evaluate[[]string](
		`[...document.querySelectorAll("#es-out tr[data-form]")].map(r => r.dataset.form + ":" + r.dataset.differs + ":" + r.children[1].textContent + ":" + r.children[2].textContent)`))
	want := []string{"lucene:no:1:1", "dsl:no:1:1", "esql:no:1:1"}
	if strings.Join(rows, " ") != strings.Join(want, " ") {
		t.Errorf("live-node rows %v, want %v", rows, want)
	}
	screenshot(t, tab, "live-node")
}
