// Package testbin builds the real sigmabridge binary once per test process, for tests
// that launch the built-in plugins as real processes (the test binary itself cannot
// serve them).
package testbin

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
)

var (
	once sync.Once
	path string
	err  error
)

// Path returns the path of a freshly built sigmabridge, building it on first use.
func Path(t testing.TB) string {
	t.Helper()
	once.Do(func() {
		dir, e := os.MkdirTemp("", "sigmabridge-testbin")
		if e != nil {
			err = e
			return
		}
		path = filepath.Join(dir, "sigmabridge")
		out, e := exec.Command("go", "build", "-o", path, "github.com/sigmabridge/sigmabridge/cmd/sigmabridge").CombinedOutput()
		if e != nil {
			err = fmt.Errorf("go build sigmabridge: %v\n%s", e, out)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	return path
}
