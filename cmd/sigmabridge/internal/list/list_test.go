package list

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	sigmabridge "github.com/sigmabridge/sigmabridge"
	"github.com/sigmabridge/sigmabridge/backends"
	"github.com/sigmabridge/sigmabridge/cmd/sigmabridge/internal/cli"
	"github.com/sigmabridge/sigmabridge/cmd/sigmabridge/internal/convert"
	"github.com/sigmabridge/sigmabridge/input"
	"github.com/sigmabridge/sigmabridge/plugin/host"
	"github.com/sigmabridge/sigmabridge/translator/pipeline"
)

var update = flag.Bool("update", false, "rewrite the golden files")

func run(t *testing.T, o Options) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	o.Stdout, o.Stderr = &out, &errb
	code, err := Run(context.Background(), &o)
	if err != nil {
		errb.WriteString(err.Error())
	}
	return code, out.String(), errb.String()
}

// golden compares got with testdata/golden/name, or rewrites it under -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to write it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from the golden file (go test -update rewrites it):\n--- got\n%s--- want\n%s", name, got, want)
	}
}

// TestListGolden: every kind, as a table and as JSON, with no external plugin.
func TestListGolden(t *testing.T) {
	empty := t.TempDir()
	for _, kind := range Kinds {
		for _, format := range []string{"table", "json"} {
			code, out, stderr := run(t, Options{Kind: kind, Format: format, Host: sigmabridge.HostOptions{PluginDir: empty}})
			if code != cli.ExitOK || stderr != "" {
				t.Fatalf("%s %s: exit %d: %s", kind, format, code, stderr)
			}
			ext := ".txt"
			if format == "json" {
				ext = ".json"
				var items []Item
				if err := json.Unmarshal([]byte(out), &items); err != nil || len(items) == 0 {
					t.Errorf("%s json: %v, %d items", kind, err, len(items))
				}
			}
			golden(t, kind+ext, out)
		}
	}
}

// TestListPluginTargetsGolden: a pinned external backend's targets and formats are listed
// after the built-in ones, named by their plugin.
func TestListPluginTargetsGolden(t *testing.T) {
	plugins := t.TempDir()
	out, err := exec.Command("go", "build", "-o", filepath.Join(plugins, "sigmabridge-plugin-kql"),
		"github.com/sigmabridge/sigmabridge/plugin/example/cmd/sigmabridge-plugin-kql").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	if _, err := host.PinPlugins(plugins, nil); err != nil {
		t.Fatal(err)
	}
	for _, kind := range []string{"targets", "formats"} {
		for _, format := range []string{"table", "json"} {
			code, out, stderr := run(t, Options{Kind: kind, Format: format, Host: sigmabridge.HostOptions{PluginDir: plugins}})
			if code != cli.ExitOK || stderr != "" {
				t.Fatalf("%s %s: exit %d: %s", kind, format, code, stderr)
			}
			if !strings.Contains(out, "plugin kql") {
				t.Errorf("%s %s: no plugin row:\n%s", kind, format, out)
			}
			ext := ".txt"
			if format == "json" {
				ext = ".json"
			}
			golden(t, "plugin-"+kind+ext, out)
		}
	}
}

// TestListRefusedPluginIsNamed: an unpinned plugin is not listed, is named on stderr, and
// the built-in targets are still listed (exit 1).
func TestListRefusedPluginIsNamed(t *testing.T) {
	plugins := t.TempDir()
	if err := os.WriteFile(filepath.Join(plugins, "sigmabridge-plugin-rogue"), []byte("#!/bin/sh\n"), 0o700); err != nil {
		t.Fatal(err)
	}
	code, out, stderr := run(t, Options{Kind: "targets", Format: "table", Host: sigmabridge.HostOptions{PluginDir: plugins}})
	if code != cli.ExitFailure || !strings.Contains(out, "splunk") || strings.Contains(out, "rogue") ||
		!strings.Contains(stderr, "sigmabridge: not listed: ") || !strings.Contains(stderr, "rogue") {
		t.Errorf("exit %d\n%s%s", code, out, stderr)
	}
}

// TestEveryNameHasADescription: whatever is added to the registries gets its line here.
func TestEveryNameHasADescription(t *testing.T) {
	for _, n := range backends.Names() {
		if TargetHelp[n] == "" {
			t.Errorf("target %s has no description in TargetHelp", n)
		}
	}
	for _, n := range pipeline.BuiltinNames() {
		if PipelineHelp[n] == "" {
			t.Errorf("built-in pipeline %s has no description in PipelineHelp", n)
		}
	}
	for _, n := range input.Formats() {
		if InputHelp[n] == "" {
			t.Errorf("input format %s has no description in InputHelp", n)
		}
	}
	for _, n := range convert.Formats {
		if convert.FormatHelp[n] == "" {
			t.Errorf("convert format %s has no description in convert.FormatHelp", n)
		}
	}
}

func TestListUsage(t *testing.T) {
	for _, o := range []Options{{Kind: "target", Format: "table"}, {Kind: "targets", Format: "xml"}} {
		code, _, stderr := run(t, o)
		if code != cli.ExitUsage {
			t.Errorf("%+v: exit %d %s", o, code, stderr)
		}
	}
	if _, _, stderr := run(t, Options{Kind: "pipeline", Format: "table"}); !strings.Contains(stderr, `did you mean "pipelines"?`) {
		t.Errorf("no suggestion: %s", stderr)
	}
}

// TestListFormatsOfAPluginBeforeFormats: a backend built before plugin protocol revision 2
// is listed with its declared formats and named as having no formats of its own.
func TestListFormatsOfAPluginBeforeFormats(t *testing.T) {
	plugins := t.TempDir()
	out, err := exec.Command("go", "build", "-o", filepath.Join(plugins, "sigmabridge-plugin-old"),
		"github.com/sigmabridge/sigmabridge/plugin/internal/testplugins/faulty").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	if _, err := host.PinPlugins(plugins, nil); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := run(t, Options{Kind: "formats", Format: "table", Host: sigmabridge.HostOptions{PluginDir: plugins}})
	if code != cli.ExitOK || stderr != "" {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "plugin old") || !strings.Contains(stdout, "protocol revision 0, without formats of its own") {
		t.Errorf("no old plugin row naming its revision:\n%s", stdout)
	}
}
