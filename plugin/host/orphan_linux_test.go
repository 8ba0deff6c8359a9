package host_test

import (
	"bufio"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// startHostChild starts this test binary as a host process that runs the built-in irecho
// backend and the external badresp plugin (which has no orphan watchdog of its own), and
// returns the host and the plugins' pids.
func startHostChild(t *testing.T) (*exec.Cmd, []int) {
	t.Helper()
	dir := pluginDir(t, "badresp")
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(), "SIGMABRIDGE_TEST_HOST_CHILD="+dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	lines := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	var line string
	select {
	case line = <-lines:
	case <-time.After(20 * time.Second):
		t.Fatal("the host child did not report its plugins")
	}
	fields := strings.Fields(line)
	if len(fields) != 3 || fields[0] != "PIDS" {
		t.Fatalf("host child said %q", line)
	}
	var pids []int
	for _, f := range fields[1:] {
		pid, err := strconv.Atoi(f)
		if err != nil {
			t.Fatal(err)
		}
		if processGone(pid, 0) {
			t.Fatalf("plugin pid %d is not running", pid)
		}
		pids = append(pids, pid)
	}
	return cmd, pids
}

// TestNoOrphanAfterHostKilled SIGKILLs the host: the parent-death signal must take its
// plugins down with it.
func TestNoOrphanAfterHostKilled(t *testing.T) {
	cmd, pids := startHostChild(t)
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	for _, pid := range pids {
		if !processGone(pid, 3*time.Second) {
			t.Errorf("plugin pid %d survived its SIGKILLed host", pid)
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	}
}

// TestNoOrphanAfterHostInterrupted sends SIGTERM and SIGINT to the host: it kills its
// plugins and exits.
func TestNoOrphanAfterHostInterrupted(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
		cmd, pids := startHostChild(t)
		if err := cmd.Process.Signal(sig); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("%v: host exited with %v", sig, err)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("%v: the host did not exit", sig)
		}
		for _, pid := range pids {
			if !processGone(pid, 3*time.Second) {
				t.Errorf("%v: plugin pid %d survived its host", sig, pid)
				_ = syscall.Kill(pid, syscall.SIGKILL)
			}
		}
	}
}
