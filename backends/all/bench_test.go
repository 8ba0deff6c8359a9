package all_test

import (
	"path/filepath"
	"testing"

	"github.com/sigmabridge/sigmabridge/backends"
	"github.com/sigmabridge/sigmabridge/ruleset"
)

// BenchmarkCorpus parses and converts the whole corpus in-process, once per iteration, per
// target. It reports rules/s.
func BenchmarkCorpus(b *testing.B) {
	root := corpusDir(b)
	var paths []string
	for _, tr := range corpusTrees {
		paths = append(paths, filepath.Join(root, tr))
	}
	files, _ := ruleset.Discover(paths)
	for _, target := range backends.Names() {
		be, _ := backends.Get(target)
		b.Run(target, func(b *testing.B) {
			b.ReportAllocs()
			n := 0
			for i := 0; i < b.N; i++ {
				rules, _ := ruleset.Load(files)
				for _, r := range rules {
					be.Convert(r)
				}
				n += len(rules)
			}
			b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "rules/s")
		})
	}
}
