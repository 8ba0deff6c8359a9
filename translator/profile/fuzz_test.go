package profile

import (
	"strings"
	"testing"
)

// FuzzParse: any input either parses into a profile whose pipelines build, or fails with
// problems that each name the file; nothing panics.
func FuzzParse(f *testing.F) {
	f.Add(Starter())
	f.Add([]byte("aws:\n  account_ids: ['111122223333']\nlogs:\n  - logsource: {product: aws}\n    splunk: {index: [a, b], sourcetype: x}\n    elastic: {index: 'y-*'}\n"))
	f.Add([]byte("mail: {acepted_domains: x}\n"))
	f.Add([]byte("placeholders: {a: [1, 2], b: x}\n"))
	f.Add([]byte("logs: [{logsource: {product: \"\\x1b]0;t\"}, splunk: {index: \"`x`\"}}]\n"))
	f.Add([]byte("&a [*a]"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := Parse("f.yml", data)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "f.yml") {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		if _, err := p.ValuesPipeline(); err != nil {
			t.Fatalf("values pipeline of a valid profile: %v", err)
		}
		for _, tg := range []Target{Splunk, Elastic} {
			if _, err := p.LogsPipeline(tg); err != nil {
				t.Fatalf("logs pipeline of a valid profile: %v", err)
			}
		}
	})
}
