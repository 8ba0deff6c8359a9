package hunt

import (
	"bytes"
	"errors"
	"net/http"
	"os/exec"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/sigmabridge/sigmabridge/cmd/sigmabridge/internal/testbin"
)

// TestHostileInterruptWritesHitsAndExits runs the real binary against a cluster that answers
// rule A and then holds rule B's search. SIGINT or SIGTERM while B waits stops the hunt: A's
// hit is written, C never runs, and the exit status is 128 plus the signal's number.
func TestHostileInterruptWritesHitsAndExits(t *testing.T) {
	bin := testbin.Path(t)
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		t.Run(sig.String(), func(t *testing.T) {
			held := make(chan struct{}, 1)
			var ranC atomic.Bool
			c := newFakeCluster(t, func(w http.ResponseWriter, r *http.Request, body string) {
				switch {
				case strings.Contains(body, "ZebraC"):
					ranC.Store(true)
					answer(w)
				case strings.Contains(body, "ZebraA"):
					answer(w, "logs-a", "hit-of-a")
				case strings.Contains(body, "ZebraB"):
					held <- struct{}{}
					<-r.Context().Done()
				default:
					answer(w)
				}
			})
			cmd := exec.Command(bin, "hunt", "--es", c.URL, "--index", "logs-*", "-f", "jsonl", "--timeout", "2m", threeRules(t))
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			select {
			case <-held:
			case <-time.After(time.Minute):
				cmd.Process.Kill()
				t.Fatalf("rule B's search never arrived; stderr:\n%s", stderr.String())
			}
			if err := cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			err := cmd.Wait()
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.ExitCode() != 128+int(sig) {
				t.Fatalf("exit %v, want %d; stderr:\n%s", err, 128+int(sig), stderr.String())
			}
			if !strings.Contains(stdout.String(), "hit-of-a") {
				t.Errorf("rule A's hit was not written:\n%s", stdout.String())
			}
			if ranC.Load() {
				t.Error("rule C was searched after the signal")
			}
			if !strings.Contains(stderr.String(), "interrupted") {
				t.Errorf("stderr does not say the hunt was interrupted:\n%s", stderr.String())
			}
		})
	}
}
