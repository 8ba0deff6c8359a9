package serve_test

import (
	"testing"

	"github.com/sigmabridge/sigmabridge/serve"
)

// The API's end-to-end cost for a typical rule (typicalRule: two selections, three
// events), over a real HTTP connection to an httptest server: encoding, the request, the
// work and the decoded answer. The README reports the figures.
//
//	go test -run='^$' -bench=BenchmarkAPI -benchtime=200x ./serve

func benchAPI(b *testing.B, ep string, req serve.Request) {
	srv := newServer(b, serve.Config{})
	client := srv.Client()
	var out map[string]any
	if code := post(b, client, srv.URL+"/api/"+ep, req, &out); code != 200 {
		b.Fatalf("status %d: %v", code, out)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		out = nil
		if code := post(b, client, srv.URL+"/api/"+ep, req, &out); code != 200 {
			b.Fatalf("status %d", code)
		}
	}
}

func BenchmarkAPIConvert(b *testing.B) {
	benchAPI(b, "convert", serve.Request{Rule: typicalRule})
}

func BenchmarkAPIConvertPipelines(b *testing.B) {
	benchAPI(b, "convert", serve.Request{Rule: typicalRule, Pipelines: []string{"splunk_t1648", "ecs_t1648"}})
}

func BenchmarkAPILint(b *testing.B) {
	benchAPI(b, "lint", serve.Request{Rule: typicalRule})
}

func BenchmarkAPIMatch(b *testing.B) {
	benchAPI(b, "match", serve.Request{Rule: typicalRule, Events: typicalEvents})
}
