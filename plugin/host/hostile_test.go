//go:build linux

package host_test

import (
	"bufio"
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/sigmabridge/sigmabridge/plugin"
	"github.com/sigmabridge/sigmabridge/plugin/host"
)

// TestHostileRacingPluginWriter launches the pinned racer plugin over and over while a
// writer keeps replacing its binary with a tampered build and back: first by rewriting
// its last bytes in place (same inode), then by renaming a whole other file over it. A
// launch may be refused (the host read the tampered bytes), but no launch may ever run
// the tampered build: it would report version "evil" and leave a marker file. Each phase
// launches until both outcomes were seen a few times (or 150 launches, or 60 s).
func TestHostileRacingPluginWriter(t *testing.T) {
	marker := filepath.Join(t.TempDir(), "tampered-binary-ran")
	t.Setenv("SIGMABRIDGE_TEST_MARKER", marker)
	ctx := context.Background()

	// The detector works: the tampered build, when it is the one pinned, says so.
	evilDir := t.TempDir()
	host.InstallTricky(t, evilDir, "racer", "EVIL")
	if _, err := host.PinPlugins(evilDir, nil); err != nil {
		t.Fatal(err)
	}
	m, _ := newManager(t, evilDir, managerOpts{})
	if b, err := m.Backend(ctx, "racer"); err != nil || b.Description().Version != "evil" {
		t.Fatalf("the tampered build, pinned: %v", err)
	}
	m.Close()
	if _, err := os.Stat(marker); err != nil {
		t.Fatalf("the tampered build left no marker: %v", err)
	}
	if err := os.Remove(marker); err != nil {
		t.Fatal(err)
	}

	// The pinned build ends with "GOOD", the tampered one with "EVIL": same size.
	dir := t.TempDir()
	path := host.InstallTricky(t, dir, "racer", "GOOD")
	if _, err := host.PinPlugins(dir, nil); err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	spare := t.TempDir()
	goodCopy := host.InstallTricky(t, spare, "good", "GOOD")
	evilCopy := host.InstallTricky(t, spare, "evil", "EVIL")

	inPlace := func(evil bool) error {
		f, err := os.OpenFile(path, os.O_WRONLY, 0)
		if err != nil {
			return err
		}
		tail := "GOOD"
		if evil {
			tail = "EVIL"
		}
		if _, err := f.WriteAt([]byte(tail), info.Size()-4); err != nil {
			f.Close()
			return err
		}
		return f.Close()
	}
	byRename := func(evil bool) error {
		src := goodCopy
		if evil {
			src = evilCopy
		}
		tmp := filepath.Join(dir, ".racer.tmp")
		_ = os.Remove(tmp)
		if err := os.Link(src, tmp); err != nil {
			return err
		}
		return os.Rename(tmp, path)
	}
	for _, phase := range []struct {
		name string
		swap func(evil bool) error
	}{{"in place", inPlace}, {"rename", byRename}} {
		stop := make(chan struct{})
		var swaps atomic.Int64
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(1, 2))
			for i := 1; ; i++ {
				evil := i%2 == 1
				if err := phase.swap(evil); err != nil {
					t.Errorf("%s: swapping: %v", phase.name, err)
					return
				}
				swaps.Add(1)
				select {
				case <-stop:
					_ = phase.swap(false)
					return
				case <-time.After(time.Duration(rng.IntN(30)) * time.Millisecond):
				}
			}
		}()
		var launches, ok, refused int
		for start := time.Now(); launches < 150 && time.Since(start) < 60*time.Second && (ok < 6 || refused < 3); launches++ {
			m, err := host.New(host.Config{Dir: dir, Logger: quietLogger()})
			if err != nil {
				t.Fatal(err)
			}
			b, err := m.Backend(ctx, "racer")
			switch {
			case err == nil && b.Description().Version == "pinned":
				ok++
			case err == nil:
				t.Errorf("%s: launch %d ran the tampered build and reported ok (version %q)", phase.name, launches+1, b.Description().Version)
			default:
				pe, isPE := host.AsPluginError(err)
				if !isPE || pe.Failure != host.ChecksumMismatch {
					t.Errorf("%s: launch %d failed with %v, want ok or a checksum mismatch", phase.name, launches+1, err)
				}
				refused++
			}
			m.Close()
			if _, err := os.Stat(marker); err == nil {
				t.Fatalf("%s: launch %d: the tampered build ran", phase.name, launches+1)
			}
		}
		close(stop)
		wg.Wait()
		t.Logf("%s: %d launches: %d ran the pinned build, %d refused; the writer swapped the binary %d times",
			phase.name, launches, ok, refused, swaps.Load())
		if ok == 0 || refused == 0 {
			t.Errorf("%s: the race was not exercised: %d launches ok, %d refused", phase.name, ok, refused)
		}
	}
}

// unsafeCase makes a plugin directory with the good plugin pinned, then breaks one rule.
type unsafeCase struct {
	name   string
	breakf func(t *testing.T, dir string) (path string)
	what   string // the UnsafeError's What
	reason string // a fragment of its reason
	dirErr bool   // the whole directory is refused (Problems lists an *UnsafeError)
}

func chmod(mode os.FileMode, rel string) func(t *testing.T, dir string) string {
	return func(t *testing.T, dir string) string {
		p := filepath.Join(dir, rel)
		if err := os.Chmod(p, mode); err != nil {
			t.Fatal(err)
		}
		return filepath.Clean(p)
	}
}

func TestHostileUnsafePluginDir(t *testing.T) {
	cases := []unsafeCase{
		{"world-writable dir", chmod(0o777, "."), "plugin directory", "world-writable (mode 0777)", true},
		{"group-writable dir", chmod(0o775, "."), "plugin directory", "group-writable (mode 0775)", true},
		{"world-writable sticky dir", chmod(0o777|os.ModeSticky, "."), "plugin directory", "world-writable (mode 0777)", true},
		{"world-writable lock", chmod(0o666, host.LockFileName), "lock file", "world-writable (mode 0666)", true},
		{"group-writable lock", chmod(0o664, host.LockFileName), "lock file", "group-writable (mode 0664)", true},
		{"world-writable binary", chmod(0o777, "sigmabridge-plugin-good"), "plugin binary", "world-writable (mode 0777)", false},
		{"group-writable binary", chmod(0o775, "sigmabridge-plugin-good"), "plugin binary", "group-writable (mode 0775)", false},
		{"world-writable parent", func(t *testing.T, dir string) string {
			return chmod(0o777, "..")(t, dir)
		}, "parent directory", "world-writable (mode 0777)", true},
		{"huge lock", func(t *testing.T, dir string) string {
			p := filepath.Join(dir, host.LockFileName)
			if err := os.Truncate(p, 2<<20); err != nil {
				t.Fatal(err)
			}
			return p
		}, "lock file", "over the limit of 1048576", true},
	}
	if os.Geteuid() == 0 {
		// As root, hand each one to nobody.
		chown := func(rel string) func(t *testing.T, dir string) string {
			return func(t *testing.T, dir string) string {
				p := filepath.Clean(filepath.Join(dir, rel))
				if err := os.Lchown(p, 65534, 65534); err != nil {
					t.Fatal(err)
				}
				return p
			}
		}
		cases = append(cases,
			unsafeCase{"dir owned by nobody", chown("."), "plugin directory", "owned by uid 65534, neither by you (uid 0) nor by root", true},
			unsafeCase{"lock owned by nobody", chown(host.LockFileName), "lock file", "owned by uid 65534", true},
			unsafeCase{"binary owned by nobody", chown("sigmabridge-plugin-good"), "plugin binary", "owned by uid 65534", false},
			unsafeCase{"parent owned by nobody", chown(".."), "parent directory", "owned by uid 65534", true},
		)
	} else {
		t.Log("not root: the foreign-owner cases need root to chown a file to nobody, and are not run")
	}
	ctx := context.Background()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			parent := filepath.Join(t.TempDir(), "parent")
			if err := os.Mkdir(parent, 0o755); err != nil {
				t.Fatal(err)
			}
			dir := filepath.Join(parent, "plugins")
			if err := os.Mkdir(dir, 0o700); err != nil {
				t.Fatal(err)
			}
			installFaulty(t, dir, "good")
			if _, err := host.PinPlugins(dir, nil); err != nil {
				t.Fatal(err)
			}
			bad := c.breakf(t, dir)
			want := "unsafe " + c.what + " " + bad + ": it is "
			m, _ := newManager(t, dir, managerOpts{})
			_, err := m.Backend(ctx, "good")
			wantPluginError(t, err, "good", host.Unsafe, want, c.reason)
			var ue *host.UnsafeError
			if !errors.As(err, &ue) || ue.Path != bad || ue.What != c.what {
				t.Errorf("error %v: want an UnsafeError for the %s %s", err, c.what, bad)
			}
			probs := m.Problems()
			if _, isUE := probs[0].(*host.UnsafeError); isUE != c.dirErr || (c.dirErr && !strings.Contains(probs[0].Error(), want)) {
				t.Errorf("problems %v: the directory refused %v, want %v", probs, isUE, c.dirErr)
			}
			// The built-in plugins are unaffected.
			convertWithBuiltin(t, m)
			// `plugins lock` refuses too, and leaves the lock alone.
			before, _ := os.ReadFile(filepath.Join(dir, host.LockFileName))
			if _, err := host.PinPlugins(dir, nil); err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("pinning in it: %v, want %q", err, want)
			}
			if after, _ := os.ReadFile(filepath.Join(dir, host.LockFileName)); string(after) != string(before) {
				t.Errorf("the refused lock was rewritten")
			}
		})
	}

	t.Run("sticky world-writable parent is fine", func(t *testing.T) {
		parent := filepath.Join(t.TempDir(), "shared")
		if err := os.Mkdir(parent, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(parent, 0o777|os.ModeSticky); err != nil {
			t.Fatal(err)
		}
		dir := filepath.Join(parent, "plugins")
		if err := os.Mkdir(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		installFaulty(t, dir, "good")
		if _, err := host.PinPlugins(dir, nil); err != nil {
			t.Fatal(err)
		}
		m, _ := newManager(t, dir, managerOpts{})
		if _, err := m.Backend(ctx, "good"); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("symlink to an unsafe dir", func(t *testing.T) {
		real := filepath.Join(t.TempDir(), "real")
		if err := os.Mkdir(real, 0o755); err != nil {
			t.Fatal(err)
		}
		installFaulty(t, real, "good")
		if _, err := host.PinPlugins(real, nil); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(real, 0o777); err != nil {
			t.Fatal(err)
		}
		link := filepath.Join(t.TempDir(), "plugins")
		if err := os.Symlink(real, link); err != nil {
			t.Fatal(err)
		}
		m, _ := newManager(t, link, managerOpts{})
		_, err := m.Backend(ctx, "good")
		wantPluginError(t, err, "good", host.Unsafe, "unsafe plugin directory "+real+": it is world-writable")
	})
}

// readBytes is how many bytes this process has read so far (rchar of /proc/self/io).
func readBytes(t *testing.T) int64 {
	t.Helper()
	f, err := os.Open("/proc/self/io")
	if err != nil {
		t.Skipf("no /proc/self/io: %v", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "rchar: "); ok {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
	}
	t.Fatal("no rchar in /proc/self/io")
	return 0
}

// TestHostileHugeFilesInPluginDir puts sparse 20 GB files in the plugin directory: an
// unpinned one, one pinned in plugins.lock, one under another name, and one just over
// MaxBinarySize; and a FIFO that plugins.lock names. None of them may be read (the
// process reads far less than one of them), the working plugin still runs, and the pinned
// ones are refused naming their size.
func TestHostileHugeFilesInPluginDir(t *testing.T) {
	dir := pluginDir(t, "good")
	sparse := func(name string, size int64) string {
		p := filepath.Join(dir, name)
		f, err := os.OpenFile(p, os.O_CREATE|os.O_WRONLY, 0o755)
		if err != nil {
			t.Fatal(err)
		}
		if err := f.Truncate(size); err != nil {
			t.Fatal(err)
		}
		f.Close()
		return p
	}
	const huge = 20 << 30
	sparse(plugin.BinaryPrefix+"stray", huge)
	pinned := sparse(plugin.BinaryPrefix+"huge", huge)
	over := sparse(plugin.BinaryPrefix+"over", host.MaxBinarySize+1)
	sparse("core", huge)
	fifo := filepath.Join(dir, plugin.BinaryPrefix+"fifo")
	if err := syscall.Mkfifo(fifo, 0o755); err != nil {
		t.Fatal(err)
	}
	lock, err := host.ReadLock(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"huge", "over", "fifo"} {
		lock.Plugins[name] = lock.Plugins["good"]
	}
	if err := host.WriteLock(dir, lock); err != nil {
		t.Fatal(err)
	}

	before := readBytes(t)
	m, _ := newManager(t, dir, managerOpts{})
	ctx := context.Background()
	b, err := m.Backend(ctx, "good")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Convert(ctx, "good", "", testRules); err != nil {
		t.Fatal(err)
	}
	_, err = m.Backend(ctx, "huge")
	wantPluginError(t, err, "huge", host.Unsafe, "unsafe plugin binary "+pinned, "it is 21474836480 bytes, over the limit", "it was not read")
	_, err = m.Backend(ctx, "over")
	wantPluginError(t, err, "over", host.Unsafe, over, "it is 536870913 bytes")
	_, err = m.Backend(ctx, "stray")
	wantPluginError(t, err, "stray", host.Unsafe, "it is 21474836480 bytes")
	_, err = m.Backend(ctx, "fifo")
	wantPluginError(t, err, "fifo", host.StartFailed, fifo+" is not a regular file")
	m.Close()
	read := readBytes(t) - before
	t.Logf("read %d bytes in all", read)
	// The good plugin is read twice (discovery, launch); a fraction of one huge file would
	// be more than that.
	if read > host.MaxBinarySize/2 {
		t.Errorf("the host read %d bytes: a huge file was read", read)
	}
}

// TestHostilePluginChildrenKilled starts plugins that start a child process: the child
// dies with the plugin, when the host closes and when the plugin hangs and is killed.
func TestHostilePluginChildrenKilled(t *testing.T) {
	dir := t.TempDir()
	host.InstallTricky(t, dir, "spawner", "")
	host.InstallTricky(t, dir, "spawnhang", "")
	if _, err := host.PinPlugins(dir, nil); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	childOf := func(b *host.Backend) int {
		t.Helper()
		pid, err := strconv.Atoi(strings.TrimPrefix(b.Description().Description, "child="))
		if err != nil || pid <= 0 {
			t.Fatalf("description %q", b.Description().Description)
		}
		if processGone(pid, 0) {
			t.Fatalf("the child %d is not running", pid)
		}
		t.Cleanup(func() { _ = syscall.Kill(pid, syscall.SIGKILL) })
		return pid
	}
	m, _ := newManager(t, dir, managerOpts{callTimeout: 300 * time.Millisecond})

	hang, err := m.Backend(ctx, "spawnhang")
	if err != nil {
		t.Fatal(err)
	}
	hangChild := childOf(hang)
	_, err = hang.Convert(ctx, "tricky", "", testRules)
	wantPluginError(t, err, "spawnhang", host.Hung)
	if !processGone(hangChild, 5*time.Second) {
		t.Errorf("the child %d of the hung plugin outlived it", hangChild)
	}

	b, err := m.Backend(ctx, "spawner")
	if err != nil {
		t.Fatal(err)
	}
	child := childOf(b)
	if _, err := b.Convert(ctx, "tricky", "", testRules); err != nil {
		t.Fatal(err)
	}
	m.Close()
	if !processGone(child, 5*time.Second) {
		t.Errorf("the child %d of the plugin outlived the host's Close", child)
	}
}

// quietLogger is a logger that discards everything.
func quietLogger() hclog.Logger { return hclog.New(&hclog.LoggerOptions{Output: io.Discard}) }
