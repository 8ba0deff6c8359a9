package sigmabridge_test

import (
	"context"
	"os"
	"testing"

	sigmabridge "github.com/sigmabridge/sigmabridge"
	"github.com/sigmabridge/sigmabridge/backends"
	"github.com/sigmabridge/sigmabridge/translator/profile"
)

// BenchmarkSetupConvertCorpus does what `convert -t TARGET CORPUS` does short of writing the
// output, once per iteration and target: load the SigmaHQ corpus named by
// SIGMABRIDGE_CORPUS, build the setup (no profile, no pipeline), prepare and convert every
// rule. It reports rules/s.
func BenchmarkSetupConvertCorpus(b *testing.B) {
	root := os.Getenv("SIGMABRIDGE_CORPUS")
	if root == "" {
		b.Skip("SIGMABRIDGE_CORPUS is not set; point it at a SigmaHQ rules checkout (e.g. /work/shared/corpus/sigmahq) to convert the corpus")
	}
	for _, target := range backends.Names() {
		be, err := backends.Get(target)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(target, func(b *testing.B) {
			b.ReportAllocs()
			n := 0
			for b.Loop() {
				rules, _, _, err := sigmabridge.LoadRules([]string{root})
				if err != nil {
					b.Fatal(err)
				}
				setup, err := sigmabridge.Setup(nil, profile.TargetOf(target), nil)
				if err != nil {
					b.Fatal(err)
				}
				res, _, err := sigmabridge.Convert(context.Background(), be, setup, rules)
				if err != nil || len(res) != len(rules) {
					b.Fatalf("%d results for %d rules: %v", len(res), len(rules), err)
				}
				n += len(rules)
			}
			b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "rules/s")
		})
	}
}
