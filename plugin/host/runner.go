package host

import (
	"bytes"
	"context"
	"errors"
	"io"
	"maps"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"

	goplugin "github.com/hashicorp/go-plugin"

	"github.com/sigmabridge/sigmabridge/plugin"
)

// maxHandshakeLine bounds the first stdout line kept for classifying a failed start.
const maxHandshakeLine = 4 << 10

// cmdRunner runs the plugin command for go-plugin (as go-plugin's own runner does) and
// keeps the first line the plugin writes to stdout, its handshake. A failed start is then
// classified by what the plugin did, not by the text of go-plugin's error, which has no
// type.
type cmdRunner struct {
	cmd *exec.Cmd
	// dir is the directory go-plugin made for the plugin's socket.
	dir            string
	stdout, stderr io.ReadCloser

	mu      sync.Mutex
	line    []byte
	newline bool // the first line is complete
}

// newCmdRunner adopts go-plugin's environment and stdin (in spec) for cmd; dir is the
// socket directory go-plugin made.
func newCmdRunner(cmd, spec *exec.Cmd, dir string) (*cmdRunner, error) {
	cmd.Env, cmd.Stdin = spec.Env, spec.Stdin
	r := &cmdRunner{cmd: cmd, dir: dir}
	var err error
	if r.stdout, err = cmd.StdoutPipe(); err != nil {
		return nil, err
	}
	if r.stderr, err = cmd.StderrPipe(); err != nil {
		return nil, err
	}
	return r, nil
}

func (r *cmdRunner) Start(context.Context) error { return r.cmd.Start() }
func (r *cmdRunner) Wait(context.Context) error  { return r.cmd.Wait() }
func (r *cmdRunner) Stderr() io.ReadCloser       { return r.stderr }
func (r *cmdRunner) Name() string                { return r.cmd.Path }
func (r *cmdRunner) Diagnose(context.Context) string {
	return "the plugin printed this instead of a go-plugin handshake"
}

func (r *cmdRunner) ID() string {
	if r.cmd.Process == nil {
		return ""
	}
	return strconv.Itoa(r.cmd.Process.Pid)
}

func (r *cmdRunner) Kill(context.Context) error {
	if r.cmd.Process == nil {
		return nil
	}
	if err := r.cmd.Process.Kill(); !errors.Is(err, os.ErrProcessDone) {
		return err
	}
	return nil
}

func (r *cmdRunner) PluginToHost(network, addr string) (string, string, error) {
	return network, addr, nil
}

func (r *cmdRunner) HostToPlugin(network, addr string) (string, string, error) {
	return network, addr, nil
}

// Stdout is the plugin's stdout, read through a copy of its first line.
func (r *cmdRunner) Stdout() io.ReadCloser { return firstLineReader{r} }

type firstLineReader struct{ r *cmdRunner }

func (f firstLineReader) Read(p []byte) (int, error) {
	n, err := f.r.stdout.Read(p)
	f.r.mu.Lock()
	if !f.r.newline && len(f.r.line) < maxHandshakeLine {
		chunk := p[:n]
		if i := bytes.IndexByte(chunk, '\n'); i >= 0 {
			chunk, f.r.newline = chunk[:i], true
		}
		f.r.line = append(f.r.line, chunk[:min(len(chunk), maxHandshakeLine-len(f.r.line))]...)
	}
	f.r.mu.Unlock()
	return n, err
}

func (f firstLineReader) Close() error { return f.r.stdout.Close() }

// handshake returns what the plugin wrote on its first stdout line so far.
func (r *cmdRunner) handshake() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return strings.TrimSpace(string(r.line))
}

// classifyStart names the cause of a failed start from what the plugin did: nothing
// within the start timeout, nothing before it exited, or a first line that is not a
// handshake this host speaks.
func classifyStart(spec Spec, err error, r *cmdRunner, timedOut bool) *PluginError {
	if errors.Is(err, os.ErrNotExist) || errors.Is(err, exec.ErrNotFound) {
		return pluginErr(spec.Name, NotFound, "%s does not exist", spec.Path)
	}
	if r == nil || r.cmd.Process == nil {
		return pluginErr(spec.Name, StartFailed, "%v", err)
	}
	line := r.handshake()
	switch {
	case line == "" && timedOut:
		return pluginErr(spec.Name, Hung, "no handshake within the start timeout")
	case line == "":
		return pluginErr(spec.Name, Crashed, "exited before completing the handshake (its stderr is in the log)")
	}
	parts := strings.Split(line, "|")
	if len(parts) < 4 {
		return pluginErr(spec.Name, Garbage, "instead of a handshake: %s", line)
	}
	version, verr := strconv.Atoi(parts[1])
	_, known := plugin.HostPluginSets()[version]
	if parts[0] != strconv.Itoa(goplugin.CoreProtocolVersion) || verr != nil || !known {
		return pluginErr(spec.Name, IncompatibleProtocol, "Plugin version: %s (core %s), Client versions: %v",
			parts[1], parts[0], slices.Sorted(maps.Keys(plugin.HostPluginSets())))
	}
	return pluginErr(spec.Name, Garbage, "after the handshake %q: %v", line, err)
}
