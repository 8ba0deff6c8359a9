package splunk

import (
	"testing"

	"github.com/sigmabridge/sigmabridge/backends/goldentest"
)

// TestGolden converts every rule of testdata/golden/rules/ and compares the SPL (or the
// diagnostics) with testdata/golden/splunk/.
func TestGolden(t *testing.T) {
	goldentest.Run(t, Backend{})
}
