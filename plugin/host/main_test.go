package host_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/sigmabridge/sigmabridge/backends"
	"github.com/sigmabridge/sigmabridge/plugin"
	"github.com/sigmabridge/sigmabridge/plugin/builtin"
	"github.com/sigmabridge/sigmabridge/plugin/host"
	"github.com/sigmabridge/sigmabridge/translator/diag"
	"github.com/sigmabridge/sigmabridge/translator/ir"
)

// echoBackend is the built-in backend of the tests (registered in both the test process
// and the plugin processes it launches): each condition's query is its canonical IR text,
// so a conversion through the plugin shows exactly what IR arrived. A rule whose title
// contains "fail" gets an error diagnostic instead.
type echoBackend struct{}

func (echoBackend) Name() string { return "irecho" }

func (echoBackend) Convert(r *ir.Rule) ([]backends.Query, diag.List) {
	if strings.Contains(r.Title, "fail") {
		return nil, diag.List{backends.Diag(r, r.Conditions[0], "irecho", diag.UnsupportedValue, "rule %q asked to fail", r.Title)}
	}
	var qs []backends.Query
	for i, c := range r.Conditions {
		qs = append(qs, backends.Query{Condition: i, Text: fmt.Sprintf("%s %s %v %v", r.Logsource, c, r.Custom, r.Deployment.Map())})
	}
	return qs, diag.List{{Path: r.Path, Line: r.Line, RuleID: r.ID, Code: "echo", Message: r.Title, Severity: diag.Warning}}
}

func init() { backends.Register(echoBackend{}) }

// faultyBinary is the faulty test plugin, built once by TestMain.
var faultyBinary string

// TestMain doubles as the sigmabridge executable: run as `TEST plugin serve NAME` it serves
// built-in plugin NAME, exactly as `sigmabridge plugin serve NAME` does, so the host can
// launch built-ins from the test binary. Run with SIGMABRIDGE_TEST_HOST_CHILD set, it is a
// host process for the orphan tests.
func TestMain(m *testing.M) {
	if len(os.Args) == 4 && os.Args[1] == "plugin" && os.Args[2] == "serve" {
		if err := builtin.Serve(os.Args[3]); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	if dir := os.Getenv("SIGMABRIDGE_TEST_HOST_CHILD"); dir != "" {
		runHostChild(dir)
		return
	}
	tmp, err := os.MkdirTemp("", "sigmabridge-host-test")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	faultyBinary = filepath.Join(tmp, "faulty")
	build := exec.Command("go", "build", "-o", faultyBinary, "github.com/sigmabridge/sigmabridge/plugin/internal/testplugins/faulty")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building the faulty test plugin:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(tmp)
	removeTestBuilds()
	os.Exit(code)
}

// pluginDir makes a plugin directory holding the faulty plugin under each mode's name,
// all pinned in plugins.lock.
func pluginDir(t *testing.T, modes ...string) string {
	t.Helper()
	dir := t.TempDir()
	for _, mode := range modes {
		installFaulty(t, dir, mode)
	}
	if _, err := host.PinPlugins(dir, nil); err != nil {
		t.Fatal(err)
	}
	return dir
}

func installFaulty(t *testing.T, dir, mode string) string {
	t.Helper()
	data, err := os.ReadFile(faultyBinary)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, plugin.BinaryPrefix+mode)
	if err := os.WriteFile(path, data, 0o755); err != nil {
		t.Fatal(err)
	}
	return path
}

// syncBuffer collects log output from several goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

type managerOpts struct {
	callTimeout, startTimeout time.Duration
}

// newManager returns a Manager over dir with the test binary's built-ins, closed at the
// end of the test, and the buffer its log goes to.
func newManager(t *testing.T, dir string, o managerOpts) (*host.Manager, *syncBuffer) {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	logs := &syncBuffer{}
	m, err := host.New(host.Config{
		Dir: dir, Builtins: builtin.Specs(exe),
		CallTimeout: o.callTimeout, StartTimeout: o.startTimeout,
		Logger: hclog.New(&hclog.LoggerOptions{Name: "test", Level: hclog.Warn, Output: logs}),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.Close)
	return m, logs
}

// runHostChild is a host process: it starts the built-in irecho backend and the external
// badresp plugin of dir, prints their pids, and waits for a signal.
func runHostChild(dir string) {
	exe, err := os.Executable()
	if err != nil {
		panic(err)
	}
	m, err := host.New(host.Config{Dir: dir, Builtins: builtin.Specs(exe),
		Logger: hclog.New(&hclog.LoggerOptions{Level: hclog.Error, Output: io.Discard})})
	if err != nil {
		panic(err)
	}
	ctx, stop := m.HandleSignals(context.Background())
	defer stop()
	var pids []string
	for _, name := range []string{"irecho", "badresp"} {
		info := m.Describe(ctx, name)
		if info.Err != nil || info.PID == 0 {
			fmt.Printf("ERROR %s: %v\n", name, info.Err)
			os.Exit(1)
		}
		pids = append(pids, fmt.Sprint(info.PID))
	}
	fmt.Printf("PIDS %s\n", strings.Join(pids, " "))
	<-ctx.Done()
	m.Close()
	os.Exit(0)
}
