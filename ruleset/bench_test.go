package ruleset_test

import (
	"os"
	"testing"

	"github.com/sigmabridge/sigmabridge/ruleset"
)

// BenchmarkLoadCorpus discovers, reads, parses and lowers the whole SigmaHQ corpus named by
// SIGMABRIDGE_CORPUS once per iteration: the front end of every command. It reports rules/s.
func BenchmarkLoadCorpus(b *testing.B) {
	root := os.Getenv("SIGMABRIDGE_CORPUS")
	if root == "" {
		b.Skip("SIGMABRIDGE_CORPUS is not set; point it at a SigmaHQ rules checkout (e.g. /work/shared/corpus/sigmahq) to load the corpus")
	}
	files, diags := ruleset.Discover([]string{root})
	if len(diags) > 0 || len(files) < 100 {
		b.Fatalf("discovering %s: %d files, %v", root, len(files), diags.Err())
	}
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		rules, _ := ruleset.Load(files)
		n += len(rules)
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "rules/s")
}
