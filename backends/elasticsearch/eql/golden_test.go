package eql

import (
	"testing"

	"github.com/sigmabridge/sigmabridge/backends/goldentest"
)

func TestGolden(t *testing.T) { goldentest.Run(t, Backend{}) }
