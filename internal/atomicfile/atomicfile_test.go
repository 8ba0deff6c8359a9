//go:build unix

package atomicfile

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// noTemporaries fails when a temporary file is left in dir.
func noTemporaries(t *testing.T, dir string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if strings.Contains(e.Name(), ".tmp") {
			t.Errorf("temporary file left behind: %s", e.Name())
		}
	}
}

func TestWriteReplacesRegularFileKeepingItsMode(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "out.txt")
	if err := os.WriteFile(p, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(p, 0o640); err != nil {
		t.Fatal(err)
	}
	if err := Write(p, []byte("new\n"), 0o666); err != nil {
		t.Fatal(err)
	}
	info, err := os.Lstat(p)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(p); string(got) != "new\n" {
		t.Errorf("content %q", got)
	}
	if info.Mode() != 0o640 {
		t.Errorf("mode %v, want the old file's -rw-r-----", info.Mode())
	}
	noTemporaries(t, dir)
}

// TestWriteReplacesALinkToARegularFile: the link is replaced by the new file, with the
// old file's mode, and the file it named is not touched.
func TestWriteReplacesALinkToARegularFile(t *testing.T) {
	dir := t.TempDir()
	real := filepath.Join(dir, "real.txt")
	link := filepath.Join(dir, "link.txt")
	if err := os.WriteFile(real, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(real, 0o640); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("real.txt", link); err != nil {
		t.Fatal(err)
	}
	if err := Write(link, []byte("new"), 0o666); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(real); string(got) != "old" {
		t.Errorf("the link's target holds %q", got)
	}
	info, err := os.Lstat(link)
	if err != nil || !info.Mode().IsRegular() || info.Mode().Perm() != 0o640 {
		t.Errorf("the link is not a regular file of mode 0640: %v %v", info, err)
	}
	if got, _ := os.ReadFile(link); string(got) != "new" {
		t.Errorf("the new file holds %q", got)
	}
	noTemporaries(t, dir)
}

// TestHostileNonRegularTargets: a FIFO, a device, a directory, links to them, /dev/stdout
// and a dangling link are refused by name, and nothing is written to or in place of them.
func TestHostileNonRegularTargets(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	// Hold the read end open without blocking, to see whether anything was written.
	rd, err := os.OpenFile(fifo, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Close()
	sub := filepath.Join(dir, "sub")
	if err := os.Mkdir(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	// A descriptor of a regular file, as /dev/stdout is when the output is redirected: the
	// file must not be replaced behind the process that holds it.
	open, err := os.Create(filepath.Join(dir, "held.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer open.Close()
	fdPath := "/proc/self/fd/" + strconv.Itoa(int(open.Fd()))
	links := map[string]string{"to-fd": fdPath, "to-fifo": fifo, "to-null": "/dev/null", "to-stdout": "/dev/stdout", "dangling": filepath.Join(dir, "nothing"), "to-dir": sub}
	for name, dest := range links {
		if err := os.Symlink(dest, filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
	}
	cases := []struct{ path, kind string }{
		{fifo, "a named pipe (FIFO)"},
		{sub, "a directory"},
		{filepath.Join(dir, "to-fifo"), "a named pipe (FIFO)"},
		{filepath.Join(dir, "to-null"), "a character device"},
		{filepath.Join(dir, "to-dir"), "a directory"},
		{filepath.Join(dir, "dangling"), "missing"},
		{filepath.Join(dir, "to-stdout"), fdKind},
		{fdPath, fdKind},
		{"/dev/fd/" + strconv.Itoa(int(open.Fd())), fdKind},
		{filepath.Join(dir, "to-fd"), fdKind},
	}
	if dev := nullDevice(t, dir); dev != "" {
		cases = append(cases, struct{ path, kind string }{dev, "a character device"})
	}
	for _, c := range cases {
		before, _ := os.Lstat(c.path)
		err := Write(c.path, []byte("payload\n"), 0o666)
		var nr *NotRegularError
		if !errors.As(err, &nr) {
			t.Errorf("%s: error %v, want a NotRegularError", c.path, err)
			continue
		}
		if nr.Path != c.path || !strings.Contains(err.Error(), c.path) {
			t.Errorf("%s: the error does not name the path: %v", c.path, err)
		}
		if c.kind != "" && nr.Kind != c.kind {
			t.Errorf("%s: kind %q, want %q (%v)", c.path, nr.Kind, c.kind, err)
		}
		after, err := os.Lstat(c.path)
		if err != nil || after.Mode() != before.Mode() || !os.SameFile(before, after) {
			t.Errorf("%s: the target changed: %v -> %v (%v)", c.path, before.Mode(), after, err)
		}
	}
	buf := make([]byte, 64)
	if n, _ := rd.Read(buf); n != 0 {
		t.Errorf("%d bytes were written into the FIFO: %q", n, buf[:n])
	}
	if held, err := os.Stat(filepath.Join(dir, "held.txt")); err != nil || held.Size() != 0 {
		t.Errorf("the held file changed: %v %v", held, err)
	} else if info, _ := open.Stat(); !os.SameFile(info, held) {
		t.Errorf("the held file was replaced")
	}
	if _, err := os.Lstat(filepath.Join(dir, "nothing")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the dangling link's target was created: %v", err)
	}
	noTemporaries(t, dir)
}

// nullDevice makes a copy of /dev/null's device node in dir, or returns "" (and logs why)
// when this process may not. Tests name the copy and links to /dev/null, never the system's
// own device files: code that replaced its target would replace them.
func nullDevice(t *testing.T, dir string) string {
	t.Helper()
	p := filepath.Join(dir, "null")
	// Character device 1,3 is /dev/null on Linux.
	if err := syscall.Mknod(p, syscall.S_IFCHR|0o666, 1<<8|3); err != nil {
		t.Logf("no device node of our own (%v): the device case runs through a link to /dev/null only", err)
		return ""
	}
	return p
}

// umaskChild is set in the environment of a re-executed test binary that must write a file
// under the umask it names.
const umaskChild = "ATOMICFILE_TEST_UMASK"

// TestUmaskChild is the child's side of TestWriteHonoursTheUmask.
func TestUmaskChild(t *testing.T) {
	mask := os.Getenv(umaskChild)
	if mask == "" {
		t.Skip("run by TestWriteHonoursTheUmask in a child process")
	}
	m, err := strconv.ParseUint(mask, 8, 32)
	if err != nil {
		t.Fatal(err)
	}
	syscall.Umask(int(m))
	for _, arg := range strings.Split(os.Getenv(umaskChild+"_FILES"), ",") {
		path, perm, _ := strings.Cut(arg, ":")
		p, err := strconv.ParseUint(perm, 8, 32)
		if err != nil {
			t.Fatal(err)
		}
		if err := Write(path, []byte("x"), fs.FileMode(p)); err != nil {
			t.Fatal(err)
		}
	}
}

// TestWriteHonoursTheUmask writes new files in a child process under several umasks (the
// umask is process-wide, so it is not changed in this one) and checks their modes; an
// existing file keeps its own mode under any umask.
func TestWriteHonoursTheUmask(t *testing.T) {
	for _, c := range []struct {
		umask     uint32
		perm      fs.FileMode
		want      fs.FileMode
		existing  fs.FileMode // 0: a new file
		wantExist fs.FileMode
	}{
		{umask: 0o077, perm: 0o666, want: 0o600, existing: 0o644, wantExist: 0o644},
		{umask: 0o022, perm: 0o666, want: 0o644, existing: 0o600, wantExist: 0o600},
		{umask: 0o002, perm: 0o666, want: 0o664, existing: 0o640, wantExist: 0o640},
		{umask: 0o027, perm: 0o644, want: 0o640},
	} {
		t.Run(fmt.Sprintf("%03o", c.umask), func(t *testing.T) {
			dir := t.TempDir()
			fresh := filepath.Join(dir, "new.txt")
			files := fresh + ":" + strconv.FormatUint(uint64(c.perm), 8)
			old := filepath.Join(dir, "old.txt")
			if c.existing != 0 {
				if err := os.WriteFile(old, nil, 0o600); err != nil {
					t.Fatal(err)
				}
				if err := os.Chmod(old, c.existing); err != nil {
					t.Fatal(err)
				}
				files += "," + old + ":" + strconv.FormatUint(uint64(c.perm), 8)
			}
			cmd := exec.Command(os.Args[0], "-test.run=^TestUmaskChild$", "-test.count=1")
			cmd.Env = append(os.Environ(), umaskChild+"="+strconv.FormatUint(uint64(c.umask), 8), umaskChild+"_FILES="+files)
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("child: %v\n%s", err, out)
			}
			info, err := os.Stat(fresh)
			if err != nil {
				t.Fatal(err)
			}
			if info.Mode() != c.want {
				t.Errorf("new file under umask %03o: mode %v, want %v", c.umask, info.Mode(), c.want)
			}
			if c.existing != 0 {
				info, err := os.Stat(old)
				if err != nil {
					t.Fatal(err)
				}
				if info.Mode() != c.wantExist {
					t.Errorf("existing file under umask %03o: mode %v, want %v", c.umask, info.Mode(), c.wantExist)
				}
			}
			noTemporaries(t, dir)
		})
	}
}
