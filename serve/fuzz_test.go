package serve_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/sigmabridge/sigmabridge/serve"
)

// FuzzAPI sends arbitrary rules, pipelines, events and formats to every POST endpoint of
// an in-process server: each answers 200 with the shape of its endpoint, or a 4xx with an
// error message, never a panic or a 5xx.
func FuzzAPI(f *testing.F) {
	f.Add(typicalRule, "", typicalEvents, "jsonl")
	f.Add("title: x\ndetection: {a: {b|re: '(['}, condition: a}\n", "", "{}", "jsonl")
	f.Add("a: [", "name: p\ntransformations: [{type: field_name_mapping, mapping: {a: b}}]\n", "not json", "cloudtrail")
	f.Add(typicalRule, "transformations:\n  - type: drop_detection_item\n", `{"Records":[{"eventSource":"lambda.amazonaws.com"}]}`, "cloudtrail")
	f.Add("title: k\nlogsource: {product: x}\ndetection:\n  k: ['*']\n  condition: k\n", "", "From: a@b\nTo: c@d\n\nbody", "eml")
	srv := serve.New(serve.Config{MaxEvents: 50})
	f.Fuzz(func(t *testing.T, rule, pipelineYAML, events, format string) {
		body, _ := json.Marshal(serve.Request{Rule: rule, PipelineYAML: pipelineYAML, Events: events, Format: format})
		for _, ep := range []string{"convert", "lint", "match"} {
			rec := httptest.NewRecorder()
			srv.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/api/"+ep, bytes.NewReader(body)))
			var ans map[string]any
			if err := json.Unmarshal(rec.Body.Bytes(), &ans); err != nil {
				t.Fatalf("%s: %d, not JSON: %v: %q", ep, rec.Code, err, rec.Body.String())
			}
			switch {
			case rec.Code == http.StatusOK:
				want := map[string]string{"convert": "targets", "lint": "findings", "match": "events"}[ep]
				if _, ok := ans[want]; !ok {
					t.Fatalf("%s: 200 without %q: %v", ep, want, ans)
				}
			case rec.Code >= 400 && rec.Code < 500:
				if msg, _ := ans["error"].(string); msg == "" {
					t.Fatalf("%s: %d without an error message: %v", ep, rec.Code, ans)
				}
			default:
				t.Fatalf("%s: status %d: %v", ep, rec.Code, ans)
			}
		}
	})
}
