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
