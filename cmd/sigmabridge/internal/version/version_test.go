package version

import (
	"bytes"
	"encoding/json"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/sigmabridge/sigmabridge/cmd/sigmabridge/internal/cli"
)

func TestFromBuildInfo(t *testing.T) {
	bi := &debug.BuildInfo{GoVersion: "go1.26.0", Main: debug.Module{Path: "github.com/sigmabridge/sigmabridge", Version: "v1.2.3"},
		Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "0123456789abcdef0123"}, {Key: "vcs.modified", Value: "true"}, {Key: "vcs.time", Value: "2026-12-07T10:00:00Z"}}}
	info := fromBuildInfo(Info{Platform: "linux/amd64", Protocol: 1}, bi)
	want := "sigmabridge v1.2.3 (commit 0123456789ab, modified) go1.26.0 linux/amd64, plugin protocol 1"
	if got := info.String(); got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
	info = fromBuildInfo(Info{Version: "(unknown)", Go: "go1.26.0", Platform: "linux/amd64", Protocol: 1}, &debug.BuildInfo{Main: debug.Module{Path: "m", Version: "(devel)"}})
	if got := info.String(); got != "sigmabridge (devel) (commit unknown) go1.26.0 linux/amd64, plugin protocol 1" {
		t.Errorf("no vcs: %q", got)
	}
}

func TestRunJSONAndBadFormat(t *testing.T) {
	var out bytes.Buffer
	if code, err := Run(&Options{Format: "json", Stdout: &out}); code != cli.ExitOK || err != nil {
		t.Fatalf("exit %d %v", code, err)
	}
	var info Info
	if err := json.Unmarshal(out.Bytes(), &info); err != nil || info.Protocol != 1 || !strings.HasPrefix(info.Go, "go") || info.Module == "" {
		t.Errorf("%v %+v", err, info)
	}
	if code, err := Run(&Options{Format: "yaml", Stdout: &out}); code != cli.ExitUsage || err == nil {
		t.Errorf("yaml: exit %d %v", code, err)
	}
}
