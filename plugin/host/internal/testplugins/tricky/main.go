// Command tricky is a sigmabridge backend plugin for the host's hostile tests. Its mode is
// its file name, sigmabridge-plugin-MODE:
//
//	racer     Describe reports version "pinned"; a copy with the bytes "EVIL" appended
//	          (a tampered binary) reports version "evil" and, at start, creates the file
//	          named by $SIGMABRIDGE_TEST_MARKER, so a test sees that it ever ran
//	spawner   starts `sleep 300` at start (it stays in the plugin's process group), and
//	          reports the child's pid in its description as "child=PID"; Convert works
//	spawnhang as spawner, but Convert blocks forever
package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/sigmabridge/sigmabridge/plugin"
)

func main() {
	mode := strings.TrimPrefix(filepath.Base(os.Args[0]), plugin.BinaryPrefix)
	b := &backend{version: "pinned"}
	switch mode {
	case "racer":
		if tampered() {
			b.version = "evil"
			if marker := os.Getenv("SIGMABRIDGE_TEST_MARKER"); marker != "" {
				_ = os.WriteFile(marker, []byte(fmt.Sprintln(os.Getpid())), 0o644)
			}
		}
	case "spawner", "spawnhang":
		child := exec.Command("sleep", "300")
		if err := child.Start(); err != nil {
			fmt.Fprintln(os.Stderr, "tricky:", err)
			os.Exit(1)
		}
		b.description = fmt.Sprintf("child=%d", child.Process.Pid)
		b.hang = mode == "spawnhang"
	default:
		fmt.Fprintf(os.Stderr, "tricky: unknown mode %q\n", mode)
		os.Exit(2)
	}
	if err := plugin.Serve(&plugin.ServeOpts{Backend: b}); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// tampered reports whether the running executable ends with "EVIL". It reads
// /proc/self/exe, which is the executed file whatever path it was run by.
func tampered() bool {
	f, err := os.Open("/proc/self/exe")
	if err != nil {
		return false
	}
	defer f.Close()
	tail := make([]byte, 4)
	info, err := f.Stat()
	if err != nil || info.Size() < 4 {
		return false
	}
	if _, err := f.ReadAt(tail, info.Size()-4); err != nil && err != io.EOF {
		return false
	}
	return bytes.Equal(tail, []byte("EVIL"))
}

type backend struct {
	version, description string
	hang                 bool
}

func (b *backend) Describe(context.Context, *plugin.DescribeRequest) (*plugin.BackendDescription, error) {
	return &plugin.BackendDescription{Name: "tricky", Version: b.version, Description: b.description, Targets: []string{"tricky"}}, nil
}

func (b *backend) Convert(_ context.Context, req *plugin.ConvertRequest) (*plugin.ConvertResponse, error) {
	if b.hang {
		select {}
	}
	resp := &plugin.ConvertResponse{}
	for _, r := range req.Rules {
		resp.Results = append(resp.Results, plugin.ConvertResult{Queries: []plugin.Query{{Text: r.Title}}})
	}
	return resp, nil
}

var _ plugin.Backend = (*backend)(nil)
