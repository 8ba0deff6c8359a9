package scan

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sigmabridge/sigmabridge/cmd/sigmabridge/internal/testbin"
)

// TestHostileInterruptKeepsMatches runs the real binary on a pipe that stays open, waits
// until matches have come out (they are flushed as found: in process after each event,
// through the plugin after each batch of 4,096 events), writes half a line, and sends
// SIGINT or SIGTERM, as a terminal (to the whole process group, plugin included) or a
// supervisor (to scan only) does. scan must exit 130 or 143 having written the match of
// every whole line it read, as whole JSON lines, and no complaint about the half line.
func TestHostileInterruptKeepsMatches(t *testing.T) {
	bin := testbin.Path(t)
	r, _ := setup(t)
	cases := []struct {
		name      string
		sig       syscall.Signal
		code      int
		inProcess bool
		group     bool
	}{
		{"SIGINT to the group, plugin", syscall.SIGINT, 130, false, true},
		{"SIGTERM to scan, plugin", syscall.SIGTERM, 143, false, false},
		{"SIGINT to scan, in process", syscall.SIGINT, 130, true, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			args := []string{"scan", r, "-f", "jsonl"}
			if c.inProcess {
				args = append(args, "--in-process")
			}
			cmd := exec.Command(bin, append(args, "--logs", "-")...)
			cmd.Env = append(cmd.Environ(), "SIGMABRIDGE_PLUGIN_DIR="+t.TempDir())
			cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
			stdin, err := cmd.StdinPipe()
			if err != nil {
				t.Fatal(err)
			}
			stdout, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			defer cmd.Process.Kill()
			n := 5
			if !c.inProcess {
				n = 5000 // more than one batch
			}
			var in bytes.Buffer
			for i := range n {
				fmt.Fprintf(&in, "{\"eventName\":\"CreateFunction\",\"i\":%d}\n{\"eventName\":\"Invoke\"}\n", i)
			}
			if _, err := stdin.Write(in.Bytes()); err != nil {
				t.Fatal(err)
			}
			lines := make(chan string)
			go func() {
				sc := bufio.NewScanner(stdout)
				for sc.Scan() {
					lines <- sc.Text()
				}
				close(lines)
			}()
			var got []string
			timeout := time.After(60 * time.Second)
			for len(got) == 0 {
				select {
				case l, ok := <-lines:
					if !ok {
						t.Fatalf("stdout closed after %d matches; stderr %s", len(got), stderr.String())
					}
					got = append(got, l)
				case <-timeout:
					t.Fatalf("no match came out before the signal: output is not flushed as found")
				}
			}
			io.WriteString(stdin, `{"eventName":"CreateFunc`)
			time.Sleep(100 * time.Millisecond)
			target := cmd.Process.Pid
			if c.group {
				target = -target
			}
			if err := syscall.Kill(target, c.sig); err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() {
				for l := range lines {
					got = append(got, l)
				}
				done <- cmd.Wait()
			}()
			select {
			case err = <-done:
			case <-time.After(30 * time.Second):
				t.Fatalf("scan did not exit within 30 s of %v; stderr %s", c.sig, stderr.String())
			}
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.ExitCode() != c.code {
				t.Fatalf("exit %v, want status %d; stderr %s", err, c.code, stderr.String())
			}
			if len(got) != n {
				t.Errorf("%d matches, want %d", len(got), n)
			}
			for _, l := range got {
				var m jsonMatch
				if err := json.Unmarshal([]byte(l), &m); err != nil || m.Line == 0 {
					t.Errorf("not a whole JSON match line: %q (%v)", l, err)
				}
			}
			if s := stderr.String(); !strings.Contains(s, "interrupted") || strings.Contains(s, "not valid JSON") {
				t.Errorf("stderr %q: want the interruption said, and no problem made up for the half line", s)
			}
		})
	}
}
