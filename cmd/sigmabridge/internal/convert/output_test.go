//go:build unix

package convert

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/sigmabridge/sigmabridge/cmd/sigmabridge/internal/cli"
)

// TestHostileOutputNotRegular: -o naming a FIFO, a device or a link to /dev/stdout is
// refused before anything is converted, by name, and nothing is written to or in place of it.
func TestHostileOutputNotRegular(t *testing.T) {
	dir := t.TempDir()
	rules := write(t, dir, "r/good.yml", goodRule)
	fifo := filepath.Join(dir, "out.fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	rd, err := os.OpenFile(fifo, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Close()
	toStdout := filepath.Join(dir, "stdout.spl")
	if err := os.Symlink("/dev/stdout", toStdout); err != nil {
		t.Fatal(err)
	}
	toNull := filepath.Join(dir, "null.spl")
	if err := os.Symlink("/dev/null", toNull); err != nil {
		t.Fatal(err)
	}
	// The system's own /dev/null and /dev/stdout are reached through links only: code that
	// replaced its target would replace the link, not them.
	cases := []struct{ path, says string }{
		{fifo, "is a named pipe (FIFO), not a regular file"},
		{toNull, "is a symbolic link to /dev/null, which is a character device"},
		{toStdout, "which is a process's file-descriptor link"},
	}
	// Character device 1,3 is /dev/null on Linux; making one needs privilege.
	if dev := filepath.Join(dir, "null"); syscall.Mknod(dev, syscall.S_IFCHR|0o666, 1<<8|3) == nil {
		cases = append(cases, struct{ path, says string }{dev, "is a character device, not a regular file"})
	} else {
		t.Log("cannot make a device node here: the device case runs through the link to /dev/null only")
	}
	for _, c := range cases {
		before, _ := os.Lstat(c.path)
		code, stdout, stderr := run(t, Options{Target: "splunk", Output: c.path, Paths: []string{rules}})
		if code != cli.ExitUsage || !strings.Contains(stderr, "-o "+c.path+" ") || !strings.Contains(stderr, c.says) {
			t.Errorf("-o %s: exit %d, stderr %q; want 2 and a message naming it and saying %q", c.path, code, stderr, c.says)
		}
		if stdout != "" {
			t.Errorf("-o %s: stdout %q", c.path, stdout)
		}
		after, err := os.Lstat(c.path)
		if err != nil || !os.SameFile(before, after) || after.Mode() != before.Mode() {
			t.Errorf("-o %s: replaced: %v -> %v (%v)", c.path, before, after, err)
		}
	}
	buf := make([]byte, 64)
	if n, _ := rd.Read(buf); n != 0 {
		t.Errorf("written into the FIFO: %q", buf[:n])
	}
}

// TestHostileOutputIsAnInput: -o naming one of the rule files or pipeline files of the run,
// however spelled (another path, a hard link, a symbolic link), is refused and the input
// is left as it was.
func TestHostileOutputIsAnInput(t *testing.T) {
	dir := t.TempDir()
	rule := write(t, dir, "r/good.yml", goodRule)
	other := write(t, dir, "r/two.yml", twoConditions)
	pipe := write(t, dir, "p/map.yml", "name: m\ntransformations:\n- type: field_name_mapping\n  mapping: {eventName: EventName}\n")
	hard := filepath.Join(dir, "hard.spl")
	if err := os.Link(rule, hard); err != nil {
		t.Fatal(err)
	}
	soft := filepath.Join(dir, "soft.spl")
	if err := os.Symlink(rule, soft); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		output string
		paths  []string
		input  string
	}{
		{rule, []string{rule}, rule},
		{filepath.Join(dir, "r", ".", "good.yml"), []string{rule}, rule},
		{hard, []string{rule}, rule},
		{soft, []string{rule}, rule},
		{other, []string{filepath.Join(dir, "r")}, other},
		{pipe, []string{rule}, pipe},
	} {
		code, _, stderr := run(t, Options{Target: "splunk", Pipelines: []string{pipe}, Output: c.output, Paths: c.paths})
		if code != cli.ExitUsage || !strings.Contains(stderr, "-o "+c.output+" is the ") || !strings.Contains(stderr, c.input+": refusing to overwrite it") {
			t.Errorf("-o %s over %v: exit %d, stderr %q; want 2 naming the input %s", c.output, c.paths, code, stderr, c.input)
		}
	}
	for path, body := range map[string]string{rule: goodRule, other: twoConditions} {
		if got, _ := os.ReadFile(path); string(got) != body {
			t.Errorf("%s changed: %q", path, got)
		}
	}
	if got, _ := os.ReadFile(pipe); !strings.HasPrefix(string(got), "name: m\n") {
		t.Errorf("%s changed: %q", pipe, got)
	}
	// A file beside the inputs that is not one of them is written.
	out := filepath.Join(dir, "r", "out.spl")
	if code, _, stderr := run(t, Options{Target: "splunk", Output: out, Paths: []string{rule}}); code != cli.ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
}

const umaskChildEnv = "SIGMABRIDGE_CONVERT_UMASK_CHILD"

// TestOutputUmaskChild converts into the file its parent names, under umask 077.
func TestOutputUmaskChild(t *testing.T) {
	args := os.Getenv(umaskChildEnv)
	if args == "" {
		t.Skip("run by TestOutputHonoursTheUmask in a child process")
	}
	rules, out, _ := strings.Cut(args, string(os.PathListSeparator))
	syscall.Umask(0o077)
	if code, _, stderr := run(t, Options{Target: "splunk", Output: out, Paths: []string{rules}}); code != cli.ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
}

// TestOutputHonoursTheUmask runs convert -o in a child process under umask 077 (the umask
// belongs to the process): the new file is 0600; a file that already existed keeps its
// mode.
func TestOutputHonoursTheUmask(t *testing.T) {
	dir := t.TempDir()
	rules := write(t, dir, "r/good.yml", goodRule)
	fresh := filepath.Join(dir, "new.spl")
	old := write(t, dir, "old.spl", "previous\n")
	if err := os.Chmod(old, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, out := range []string{fresh, old} {
		cmd := exec.Command(os.Args[0], "-test.run=^TestOutputUmaskChild$", "-test.count=1")
		cmd.Env = append(os.Environ(), umaskChildEnv+"="+rules+string(os.PathListSeparator)+out)
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("child: %v\n%s", err, b)
		}
	}
	for path, want := range map[string]os.FileMode{fresh: 0o600, old: 0o644} {
		info, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if info.Mode() != want {
			t.Errorf("%s: mode %v, want %v", path, info.Mode(), want)
		}
		if got, _ := os.ReadFile(path); string(got) != "eventName=\"CreateFunction\"\n" {
			t.Errorf("%s: %q", path, got)
		}
	}
}
