package plugins

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/sigmabridge/sigmabridge/backends"
	_ "github.com/sigmabridge/sigmabridge/backends/all" // the built-in targets, as in the binary
	"github.com/sigmabridge/sigmabridge/cmd/sigmabridge/internal/cli"
	"github.com/sigmabridge/sigmabridge/plugin/builtin"
	"github.com/sigmabridge/sigmabridge/plugin/host"
)

// TestMain lets the test binary stand in for the sigmabridge executable: the host runs
// `EXE plugin serve NAME` for the built-ins.
func TestMain(m *testing.M) {
	if len(os.Args) == 4 && os.Args[1] == "plugin" && os.Args[2] == "serve" {
		if err := builtin.Serve(os.Args[3]); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// buildExample builds the example KQL plugin into dir under name.
func buildExample(t *testing.T, dir, name string) string {
	t.Helper()
	bin := filepath.Join(dir, "sigmabridge-plugin-"+name)
	build := exec.Command("go", "build", "-o", bin, "github.com/sigmabridge/sigmabridge/plugin/example/cmd/sigmabridge-plugin-kql")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		t.Fatalf("go build: %v", err)
	}
	return bin
}

func TestLockAndList(t *testing.T) {
	dir := t.TempDir()
	bin := buildExample(t, dir, "kql")
	var out bytes.Buffer
	code, err := RunLock(&LockOptions{Dir: dir, Stdout: &out})
	if err != nil || code != cli.ExitOK {
		t.Fatalf("lock: %d %v", code, err)
	}
	sum, _ := host.FileSHA256(bin)
	if want := "pinned kql sha256 " + sum; !strings.Contains(out.String(), want) {
		t.Fatalf("lock said %q, want %q", out.String(), want)
	}
	out.Reset()
	if _, err := RunLock(&LockOptions{Dir: dir, Names: []string{"kql"}, Stdout: &out}); err != nil || !strings.Contains(out.String(), "unchanged kql") {
		t.Fatalf("second lock: %q %v", out.String(), err)
	}

	var stdout, stderr bytes.Buffer
	code, err = RunList(context.Background(), &ListOptions{Dir: dir, Format: "json", Stdout: &stdout, Stderr: &stderr})
	if err != nil || code != cli.ExitOK {
		t.Fatalf("list: %d %v\n%s", code, err, stderr.String())
	}
	var rows []Row
	if err := json.Unmarshal(stdout.Bytes(), &rows); err != nil {
		t.Fatalf("list -f json: %v\n%s", err, stdout.String())
	}
	byName := map[string]Row{}
	for _, r := range rows {
		byName[r.Name+"/"+r.Kind] = r
	}
	kql := byName["kql/backend"]
	if kql.Path != bin || kql.SHA256 != sum || kql.Version != "0.1.0" || kql.ProtocolVersion != 1 || kql.Builtin ||
		!slices.Equal(kql.Targets, []string{"kql"}) || !slices.Equal(kql.Formats, []string{"default"}) {
		t.Errorf("kql row: %+v", kql)
	}
	exe, _ := os.Executable()
	exeSum, _ := host.FileSHA256(exe)
	for _, name := range backends.Names() {
		r, ok := byName[name+"/backend"]
		if !ok || !r.Builtin || r.Path != exe || r.SHA256 != exeSum || !slices.Equal(r.Targets, []string{name}) || r.ProtocolVersion != 1 {
			t.Errorf("built-in %s: %+v", name, r)
		}
	}
	if r, ok := byName[builtin.DetectorName+"/detector"]; !ok || !r.Builtin || r.Error != "" {
		t.Errorf("built-in detector: %+v", r)
	}
	if len(rows) != len(backends.Names())+2 {
		t.Errorf("%d rows, want %d", len(rows), len(backends.Names())+2)
	}

	stdout.Reset()
	code, err = RunList(context.Background(), &ListOptions{Dir: dir, Format: "table", Stdout: &stdout, Stderr: &stderr})
	if err != nil || code != cli.ExitOK {
		t.Fatalf("list table: %d %v", code, err)
	}
	table := stdout.String()
	if !strings.HasPrefix(table, "NAME") || !strings.Contains(table, sum[:12]) || !strings.Contains(table, "built-in") {
		t.Errorf("table:\n%s", table)
	}
}

func TestListReportsRefusedPlugins(t *testing.T) {
	dir := t.TempDir()
	bin := buildExample(t, dir, "kql")
	if _, err := RunLock(&LockOptions{Dir: dir, Stdout: &bytes.Buffer{}}); err != nil {
		t.Fatal(err)
	}
	// A second, unpinned copy, and a pinned one whose binary then changes.
	data, _ := os.ReadFile(bin)
	if err := os.WriteFile(filepath.Join(dir, "sigmabridge-plugin-other"), data, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bin, append(data, 0), 0o755); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	code, err := RunList(context.Background(), &ListOptions{Dir: dir, Format: "json", Stdout: &stdout, Stderr: &stderr})
	if err != nil || code != cli.ExitFailure {
		t.Fatalf("list: exit %d %v, want %d", code, err, cli.ExitFailure)
	}
	for _, want := range []string{"plugin kql checksum mismatch", "plugin other is not pinned"} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr.String())
		}
	}
	if code, err := RunList(context.Background(), &ListOptions{Dir: dir, Format: "yaml"}); code != cli.ExitUsage || err == nil {
		t.Errorf("an unknown format gave %d %v", code, err)
	}
}

// TestHostileUnsafePluginDirRefused: a world-writable plugin directory is refused by
// `plugins lock` (nothing written) and by `plugins list` (exit 1, the path and the fault
// named), and the built-in plugins are still listed.
func TestHostileUnsafePluginDirRefused(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "plugins")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	buildExample(t, dir, "kql")
	if err := os.Chmod(dir, 0o777); err != nil {
		t.Fatal(err)
	}
	want := "unsafe plugin directory " + dir + ": it is world-writable (mode 0777); run: chmod go-w " + dir
	var out bytes.Buffer
	code, err := RunLock(&LockOptions{Dir: dir, Stdout: &out})
	if code != cli.ExitFailure || err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("lock: exit %d, %v; want %q", code, err, want)
	}
	if _, err := os.Stat(filepath.Join(dir, host.LockFileName)); err == nil {
		t.Error("plugins.lock was written in the unsafe directory")
	}

	// Pinned while the directory was safe, then made world-writable: refused.
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := RunLock(&LockOptions{Dir: dir, Stdout: &out}); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o777); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	code, err = RunList(context.Background(), &ListOptions{Dir: dir, Format: "json", Stdout: &stdout, Stderr: &stderr})
	if err != nil || code != cli.ExitFailure {
		t.Fatalf("list: exit %d %v, want %d", code, err, cli.ExitFailure)
	}
	if !strings.Contains(stderr.String(), want) || !strings.Contains(stderr.String(), "plugin kql is refused: "+want) {
		t.Errorf("stderr lacks %q:\n%s", want, stderr.String())
	}
	var rows []Row
	if err := json.Unmarshal(stdout.Bytes(), &rows); err != nil {
		t.Fatal(err)
	}
	builtins := 0
	for _, r := range rows {
		if r.Builtin && r.Error == "" {
			builtins++
		}
		if r.Name == "kql" && r.Error == "" {
			t.Errorf("kql listed without an error: %+v", r)
		}
	}
	if builtins != len(backends.Names())+1 {
		t.Errorf("%d built-in rows without error, want %d", builtins, len(backends.Names())+1)
	}
}

// TestHostileTableEscapesPluginText: what a plugin says about itself is printed escaped
// in the table, so it cannot drive the terminal or break the columns.
func TestHostileTableEscapesPluginText(t *testing.T) {
	var out bytes.Buffer
	writeTable(&out, []Row{{Name: "x", Kind: "backend", Version: "1\x1b]0;pwned\x07", Path: "/p",
		Targets: []string{"a\tb"}, Formats: []string{"\u202edefault"}}})
	got := out.String()
	if strings.ContainsAny(got, "\x1b\x07\u202e") {
		t.Errorf("raw control characters in the table: %q", got)
	}
	for _, want := range []string{`1\x1b]0;pwned\a`, `a\tb`, `\u202edefault`} {
		if !strings.Contains(got, want) {
			t.Errorf("table lacks %q:\n%s", want, got)
		}
	}
}
