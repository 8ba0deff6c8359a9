package serve

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/sigmabridge/sigmabridge/cmd/sigmabridge/internal/cli"
)

func execute(args ...string) (int, string) {
	root := cli.NewRoot()
	root.AddCommand(NewCommand())
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&out)
	root.SetArgs(append([]string{"serve"}, args...))
	return cli.Execute(root), out.String()
}

// TestHostileNonLoopbackAddr: an address that is not loopback is refused with exit 2 and
// a reason, before anything listens, unless --allow-remote says so.
func TestHostileNonLoopbackAddr(t *testing.T) {
	for _, addr := range []string{"0.0.0.0:0", ":0", "[::]:0", "192.0.2.10:0", "example.com:0", "10.1.2.3:8080"} {
		start := time.Now()
		code, out := execute("--addr", addr)
		if code != cli.ExitUsage || !strings.Contains(out, "--allow-remote") {
			t.Errorf("--addr %s: exit %d, %q; want 2 naming --allow-remote", addr, code, out)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("--addr %s: refused after %v", addr, d)
		}
	}
	if code, out := execute("--addr", "no-port"); code != cli.ExitUsage {
		t.Errorf("--addr no-port: exit %d, %q", code, out)
	}
	if code, _ := execute("extra"); code != cli.ExitUsage {
		t.Errorf("an argument: exit %d", code)
	}
}

// TestServeLoopback serves on a loopback port, answers the API, and stops with exit 0.
func TestServeLoopback(t *testing.T) {
	for _, addr := range []string{"127.0.0.1:0", "localhost:0", "[::1]:0"} {
		t.Run(addr, func(t *testing.T) {
			stop := make(chan struct{})
			ready := make(chan string, 1)
			var out bytes.Buffer
			done := make(chan int, 1)
			go func() {
				code, _ := Run(&Options{Addr: addr, Stdout: &out, Stderr: &out, Stop: stop, Ready: func(a string) { ready <- a }})
				done <- code
			}()
			var got string
			select {
			case got = <-ready:
			case code := <-done:
				if addr == "[::1]:0" && strings.Contains(out.String(), "cannot assign") {
					t.Skip("no IPv6 loopback here")
				}
				t.Fatalf("exit %d before listening: %s", code, out.String())
			case <-time.After(10 * time.Second):
				t.Fatal("not listening after 10s")
			}
			resp, err := http.Post("http://"+got+"/api/lint", "application/json", strings.NewReader(`{"rule":"title: x"}`))
			if err != nil {
				t.Fatal(err)
			}
			var ans map[string]any
			_ = json.NewDecoder(resp.Body).Decode(&ans)
			resp.Body.Close()
			if resp.StatusCode != 200 || ans["findings"] == nil {
				t.Errorf("lint: %d %v", resp.StatusCode, ans)
			}
			close(stop)
			select {
			case code := <-done:
				if code != cli.ExitOK {
					t.Errorf("exit %d", code)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("did not stop within 10s")
			}
		})
	}
}
