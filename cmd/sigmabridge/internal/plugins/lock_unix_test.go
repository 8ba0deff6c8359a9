//go:build unix

package plugins

import (
	"bytes"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/sigmabridge/sigmabridge/plugin/host"
)

// TestLockFileModeAndReplacement: plugins.lock is created with mode 0644 less the umask,
// and replaces a symbolic link rather than writing through it.
func TestLockFileModeAndReplacement(t *testing.T) {
	dir := t.TempDir()
	buildExample(t, dir, "kql")
	lock := filepath.Join(dir, host.LockFileName)
	for _, c := range []struct {
		umask int
		want  os.FileMode
	}{{0o077, 0o600}, {0o022, 0o644}, {0, 0o644}} {
		old := syscall.Umask(c.umask)
		_ = os.Remove(lock)
		_, err := RunLock(&LockOptions{Dir: dir, Stdout: &bytes.Buffer{}})
		syscall.Umask(old)
		if err != nil {
			t.Fatal(err)
		}
		info, err := os.Stat(lock)
		if err != nil {
			t.Fatal(err)
		}
		if info.Mode().Perm() != c.want {
			t.Errorf("umask %03o: plugins.lock has mode %04o, want %04o", c.umask, info.Mode().Perm(), c.want)
		}
	}
	outside := filepath.Join(t.TempDir(), "elsewhere")
	data, err := os.ReadFile(lock)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(outside, data, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(lock); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, lock); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "sigmabridge-plugin-kql"), append(data, 0), 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := RunLock(&LockOptions{Dir: dir, Stdout: &bytes.Buffer{}}); err != nil {
		t.Fatal(err)
	}
	if after, _ := os.ReadFile(outside); string(after) != string(data) {
		t.Error("the lock was written through the symbolic link")
	}
	if info, err := os.Lstat(lock); err != nil || !info.Mode().IsRegular() {
		t.Errorf("plugins.lock is not a regular file after the lock: %v %v", info, err)
	}
	if leftovers, _ := filepath.Glob(filepath.Join(dir, ".plugins.lock.tmp*")); len(leftovers) > 0 {
		t.Errorf("temporary files left: %v", leftovers)
	}
}
