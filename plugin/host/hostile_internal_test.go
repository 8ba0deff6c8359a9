//go:build linux

package host

import (
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/hashicorp/go-hclog"
)

// The tricky test plugin (plugin/host/internal/testplugins/tricky), built once on first
// use; RemoveTestBuilds (called by TestMain) removes it.
var tricky struct {
	once      sync.Once
	dir, path string
	err       error
}

// TrickyPlugin returns the path of the tricky test plugin, building it on first use.
func TrickyPlugin(t testing.TB) string {
	t.Helper()
	tricky.once.Do(func() {
		if tricky.dir, tricky.err = os.MkdirTemp("", "sigmabridge-tricky"); tricky.err != nil {
			return
		}
		tricky.path = filepath.Join(tricky.dir, "tricky")
		build := exec.Command("go", "build", "-o", tricky.path, "github.com/sigmabridge/sigmabridge/plugin/host/internal/testplugins/tricky")
		build.Stderr = os.Stderr
		tricky.err = build.Run()
	})
	if tricky.err != nil {
		t.Fatalf("building the tricky test plugin: %v", tricky.err)
	}
	return tricky.path
}

// RemoveTestBuilds removes the test plugins built by TrickyPlugin.
func RemoveTestBuilds() {
	if tricky.dir != "" {
		os.RemoveAll(tricky.dir)
	}
}

// InstallTricky copies the tricky plugin into dir as sigmabridge-plugin-MODE, with tail
// appended (the racer reads "EVIL" there as "I am tampered with"), and returns its path.
func InstallTricky(t testing.TB, dir, mode, tail string) string {
	t.Helper()
	data, err := os.ReadFile(TrickyPlugin(t))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, binaryPrefix+mode)
	if err := os.WriteFile(path, append(data, tail...), 0o755); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestHostileSwapBetweenVerifyAndExec replaces the pinned racer binary with a tampered
// one at the worst moment: after the host verified it and before it starts it, by a
// rewrite in place and by a rename, through the memfd and the private-directory route.
// The plugin that runs must be the pinned one, and the tampered one must never run.
func TestHostileSwapBetweenVerifyAndExec(t *testing.T) {
	marker := filepath.Join(t.TempDir(), "tampered-binary-ran")
	t.Setenv("SIGMABRIDGE_TEST_MARKER", marker)
	for _, route := range []string{"memfd", "private dir"} {
		for _, swap := range []string{"in place", "rename"} {
			t.Run(route+"/"+swap, func(t *testing.T) {
				forcePrivateDir = route == "private dir"
				defer func() { forcePrivateDir, beforeExec = false, nil }()
				dir := t.TempDir()
				path := InstallTricky(t, dir, "racer", "")
				if _, err := PinPlugins(dir, nil); err != nil {
					t.Fatal(err)
				}
				evil := InstallTricky(t, t.TempDir(), "racer", "EVIL")
				evilData, err := os.ReadFile(evil)
				if err != nil {
					t.Fatal(err)
				}
				swapped := false
				beforeExec = func(spec Spec) {
					if spec.Name != "racer" {
						return
					}
					if swap == "in place" {
						err = os.WriteFile(path, evilData, 0o755)
					} else {
						tmp := filepath.Join(dir, ".swap")
						if err = os.WriteFile(tmp, evilData, 0o755); err == nil {
							err = os.Rename(tmp, path)
						}
					}
					swapped = err == nil
				}
				privateDirs := func() []string {
					dirs, _ := filepath.Glob(filepath.Join(os.TempDir(), "sigmabridge-plugin-*"))
					return dirs
				}
				before := privateDirs()
				m, err := New(Config{Dir: dir, Logger: hclog.New(&hclog.LoggerOptions{Output: io.Discard})})
				if err != nil {
					t.Fatal(err)
				}
				defer m.Close()
				b, err := m.Backend(context.Background(), "racer")
				if !swapped {
					t.Fatalf("the binary was not swapped: %v", err)
				}
				if err != nil {
					t.Fatalf("launch: %v", err)
				}
				if v := b.Description().Version; v != "pinned" {
					t.Errorf("the plugin that ran reports version %q, want the pinned build", v)
				}
				m.Close()
				if _, err := os.Stat(marker); err == nil {
					t.Errorf("the tampered binary ran")
				}
				if after := privateDirs(); len(after) > len(before) {
					t.Errorf("private copies left behind: %v (before the launch: %v)", after, before)
				}
			})
		}
	}
}

// TestHostileVerifiedCopyIsSealed: the memfd copy a plugin runs from has the pinned
// sha256 under the same path in the host, and nobody, the host included, can change it:
// writes, truncation and growth are refused by its seals.
func TestHostileVerifiedCopyIsSealed(t *testing.T) {
	dir := t.TempDir()
	InstallTricky(t, dir, "racer", "")
	pins, err := PinPlugins(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	spec := Spec{Name: "racer", Path: pins[0].Path, SHA256: pins[0].SHA256}
	v, pe := verifyPinned(spec)
	if pe != nil {
		t.Fatal(pe)
	}
	defer v.release()
	if v.extra == nil {
		t.Skip("no memfd on this kernel: the private-directory route is used")
	}
	if sum, err := FileSHA256(v.path); err != nil || sum != spec.SHA256 {
		t.Fatalf("%s in the host: sha256 %s (%v), want the pin %s", v.path, sum, err, spec.SHA256)
	}
	if _, err := v.extra.WriteAt([]byte("EVIL"), 0); err == nil {
		t.Error("writing into the sealed copy worked")
	}
	if err := v.extra.Truncate(10); err == nil {
		t.Error("shrinking the sealed copy worked")
	}
	if _, err := v.extra.WriteAt([]byte("EVIL"), 1<<30); err == nil {
		t.Error("growing the sealed copy worked")
	}
	if f, err := os.OpenFile(v.path, os.O_WRONLY, 0); err == nil {
		_, werr := f.Write([]byte("EVIL"))
		f.Close()
		if werr == nil {
			t.Error("writing into the sealed copy reopened by path worked")
		}
	}
	if sum, _ := FileSHA256(v.path); sum != spec.SHA256 {
		t.Errorf("the sealed copy changed: sha256 %s", sum)
	}
}

// TestScriptPluginRunsFromCopy: a #! script plugin runs from its verified copy too (the
// interpreter reopens it by the same path), through both routes.
func TestScriptPluginRunsFromCopy(t *testing.T) {
	for _, route := range []string{"memfd", "private dir"} {
		t.Run(route, func(t *testing.T) {
			forcePrivateDir = route == "private dir"
			defer func() { forcePrivateDir = false }()
			dir := t.TempDir()
			marker := filepath.Join(t.TempDir(), "script-ran")
			script := "#!/bin/sh\necho \"$0\" > " + marker + "\nexit 3\n"
			if err := os.WriteFile(filepath.Join(dir, binaryPrefix+"script"), []byte(script), 0o755); err != nil {
				t.Fatal(err)
			}
			if _, err := PinPlugins(dir, nil); err != nil {
				t.Fatal(err)
			}
			m, err := New(Config{Dir: dir, Logger: hclog.New(&hclog.LoggerOptions{Output: io.Discard})})
			if err != nil {
				t.Fatal(err)
			}
			defer m.Close()
			_, err = m.Backend(context.Background(), "script")
			if pe, ok := AsPluginError(err); !ok || pe.Failure != Crashed {
				t.Fatalf("got %v, want the script's exit before the handshake", err)
			}
			ran, err := os.ReadFile(marker)
			if err != nil {
				t.Fatalf("the script did not run: %v", err)
			}
			if strings.Contains(string(ran), dir) {
				t.Errorf("the script ran from the original path %s, not from its copy", ran)
			}
			t.Logf("the script ran as %s", ran)
		})
	}
}
