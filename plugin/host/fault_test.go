//go:build unix

package host_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sigmabridge/sigmabridge/plugin"
	"github.com/sigmabridge/sigmabridge/plugin/host"
	"github.com/sigmabridge/sigmabridge/translator/ir"
)

var testRules = []*ir.Rule{
	{ID: "r1", Title: "one", Conditions: []ir.Node{&ir.Exists{Field: "a"}}},
	{ID: "r2", Title: "two", Conditions: []ir.Node{&ir.Match{Field: "b", Pattern: ir.LiteralPattern("x")}}},
}

// wantPluginError checks that err is a PluginError for plugin with failure f whose message
// contains every fragment.
func wantPluginError(t *testing.T, err error, name string, f host.Failure, fragments ...string) *host.PluginError {
	t.Helper()
	if err == nil {
		t.Fatalf("plugin %s: no error, want %q", name, f)
	}
	pe, ok := host.AsPluginError(err)
	if !ok {
		t.Fatalf("plugin %s: error %q (%T) is not a PluginError", name, err, err)
	}
	if pe.Plugin != name || pe.Failure != f {
		t.Fatalf("plugin %s: got plugin %q failure %q (%v), want %q", name, pe.Plugin, pe.Failure, err, f)
	}
	msg := err.Error()
	t.Logf("%s", msg)
	if !strings.Contains(msg, "plugin "+name+" ") {
		t.Errorf("message does not name the plugin: %s", msg)
	}
	for _, frag := range fragments {
		if !strings.Contains(msg, frag) {
			t.Errorf("message %q lacks %q", msg, frag)
		}
	}
	return pe
}

// processGone reports whether pid has exited (a zombie counts as gone) within d.
func processGone(pid int, d time.Duration) bool {
	deadline := time.Now().Add(d)
	for {
		if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
			return true
		}
		if stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat"); err == nil {
			// The state follows the parenthesised command name.
			if i := strings.LastIndexByte(string(stat), ')'); i > 0 && strings.HasPrefix(string(stat[i+1:]), " Z") {
				return true
			}
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// convertWithBuiltin proves the run goes on: the built-in backend still converts.
func convertWithBuiltin(t *testing.T, m *host.Manager) {
	t.Helper()
	b, err := m.BackendForTarget(context.Background(), "irecho")
	if err != nil {
		t.Fatalf("irecho after a failed plugin: %v", err)
	}
	res, err := b.Convert(context.Background(), "irecho", "", testRules)
	if err != nil || len(res) != 2 || len(res[1].Queries) != 1 {
		t.Fatalf("irecho after a failed plugin: %v %v", res, err)
	}
}

func TestPluginCrashesDuringCall(t *testing.T) {
	m, logs := newManager(t, pluginDir(t, "crash"), managerOpts{})
	ctx := context.Background()
	b, err := m.Backend(ctx, "crash")
	if err != nil {
		t.Fatal(err)
	}
	_, err = b.Convert(ctx, "good", "", testRules)
	wantPluginError(t, err, "crash", host.Crashed, "during Convert")
	// Later calls fail at once with the same cause; the plugin is not silently restarted.
	start := time.Now()
	_, err = b.Convert(ctx, "good", "", testRules)
	wantPluginError(t, err, "crash", host.Crashed)
	if time.Since(start) > 100*time.Millisecond {
		t.Errorf("the second call to a crashed plugin took %s", time.Since(start))
	}
	convertWithBuiltin(t, m)
	m.Close()
	if !strings.Contains(logs.String(), "faulty plugin: boom") {
		t.Errorf("the plugin's panic is not in the host log:\n%s", logs)
	}
}

func TestPluginKilledMidRun(t *testing.T) {
	m, _ := newManager(t, pluginDir(t, "good"), managerOpts{})
	ctx := context.Background()
	info := m.Describe(ctx, "good")
	if info.Err != nil || info.PID == 0 {
		t.Fatalf("describe: %+v", info)
	}
	d, err := m.Detector(ctx, "good")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.Load(ctx, testRules); err != nil {
		t.Fatal(err)
	}
	resp, err := d.Match(ctx, [][]byte{[]byte(`{"a":"hit"}`), []byte(`{"a":"miss"}`)})
	if err != nil || len(resp.Matches) != 1 || resp.Matches[0].Event != 0 {
		t.Fatalf("match before the kill: %+v %v", resp, err)
	}
	if err := syscall.Kill(info.PID, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_, err = d.Match(ctx, [][]byte{[]byte(`{"a":"hit"}`)})
	wantPluginError(t, err, "good", host.Crashed, "during Match")
	convertWithBuiltin(t, m)
}

func TestPluginHangsAndIsKilled(t *testing.T) {
	m, _ := newManager(t, pluginDir(t, "hang"), managerOpts{callTimeout: 300 * time.Millisecond})
	ctx := context.Background()
	info := m.Describe(ctx, "hang")
	if info.Err != nil {
		t.Fatal(info.Err)
	}
	b, err := m.Backend(ctx, "hang")
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err = b.Convert(ctx, "good", "", testRules)
	wantPluginError(t, err, "hang", host.Hung, "no answer to Convert within 300ms")
	if el := time.Since(start); el > 2*time.Second {
		t.Errorf("the hung call returned after %s", el)
	}
	if !processGone(info.PID, 5*time.Second) {
		t.Errorf("the hung plugin (pid %d) is still running", info.PID)
	}
	convertWithBuiltin(t, m)

	// A deadline of the caller's own counts the same way.
	m2, _ := newManager(t, pluginDir(t, "hang"), managerOpts{})
	d, err := m2.Detector(ctx, "hang")
	if err != nil {
		t.Fatal(err)
	}
	cctx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	defer cancel()
	_, err = d.Match(cctx, [][]byte{[]byte(`{}`)})
	wantPluginError(t, err, "hang", host.Hung, "no answer to Match within")
}

func TestPluginCancelledCallIsNotAFailure(t *testing.T) {
	m, _ := newManager(t, pluginDir(t, "hang"), managerOpts{})
	b, err := m.Backend(context.Background(), "hang")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	_, err = b.Convert(ctx, "good", "", testRules)
	if err == nil || !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want a cancellation", err)
	}
	if _, ok := host.AsPluginError(err); ok {
		t.Fatalf("a cancellation by the caller was blamed on the plugin: %v", err)
	}
}

func TestPluginStartFailures(t *testing.T) {
	dir := pluginDir(t, "junk", "exit", "slowstart", "v99")
	m, _ := newManager(t, dir, managerOpts{startTimeout: 700 * time.Millisecond})
	ctx := context.Background()
	cases := []struct {
		name      string
		failure   host.Failure
		fragments []string
	}{
		{"junk", host.Garbage, []string{"instead of a handshake", "hello, I am not a plugin"}},
		{"exit", host.Crashed, []string{"exited before completing the handshake"}},
		{"slowstart", host.Hung, []string{"no handshake within the start timeout"}},
		{"v99", host.IncompatibleProtocol, []string{"Plugin version: 99", "Client versions: [1]"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			start := time.Now()
			_, err := m.Backend(ctx, c.name)
			wantPluginError(t, err, c.name, c.failure, c.fragments...)
			if el := time.Since(start); el > 5*time.Second {
				t.Errorf("failing took %s", el)
			}
			// The failure sticks: no second launch.
			_, err2 := m.Detector(ctx, c.name)
			wantPluginError(t, err2, c.name, c.failure)
		})
	}
	convertWithBuiltin(t, m)
}

func TestPluginAnswersGarbage(t *testing.T) {
	ctx := context.Background()
	t.Run("convert", func(t *testing.T) {
		m, _ := newManager(t, pluginDir(t, "badresp"), managerOpts{})
		b, err := m.Backend(ctx, "badresp")
		if err != nil {
			t.Fatal(err)
		}
		_, err = b.Convert(ctx, "raw", "", testRules)
		wantPluginError(t, err, "badresp", host.Garbage, "1 results for 2 rules")
		convertWithBuiltin(t, m)
	})
	t.Run("load", func(t *testing.T) {
		m, _ := newManager(t, pluginDir(t, "badresp"), managerOpts{})
		d, err := m.Detector(ctx, "badresp")
		if err != nil {
			t.Fatal(err)
		}
		_, err = d.Load(ctx, testRules)
		wantPluginError(t, err, "badresp", host.Garbage, "error for rule 7 of 2")
	})
	t.Run("match", func(t *testing.T) {
		m, _ := newManager(t, pluginDir(t, "badresp"), managerOpts{})
		d, err := m.Detector(ctx, "badresp")
		if err != nil {
			t.Fatal(err)
		}
		_, err = d.Match(ctx, [][]byte{[]byte(`{}`)})
		wantPluginError(t, err, "badresp", host.Garbage, "a match for event 1 of 1")
	})
	t.Run("describe", func(t *testing.T) {
		m, _ := newManager(t, pluginDir(t, "badnode"), managerOpts{})
		_, err := m.Detector(ctx, "badnode")
		wantPluginError(t, err, "badnode", host.Garbage, "protocol version 7")
	})
	t.Run("wrong kind", func(t *testing.T) {
		m, _ := newManager(t, pluginDir(t, "badnode"), managerOpts{})
		_, err := m.Backend(ctx, "badnode")
		wantPluginError(t, err, "badnode", host.WrongKind, "does not serve the backend kind")
	})
	// A plugin serving only a detector answers the backend's Describe with gRPC
	// Unimplemented, which the host classifies as the wrong kind, not a failure of the
	// plugin: its detector still works.
	t.Run("detector only", func(t *testing.T) {
		m, _ := newManager(t, pluginDir(t, "detonly"), managerOpts{})
		_, err := m.Backend(ctx, "detonly")
		pe := wantPluginError(t, err, "detonly", host.WrongKind, "does not serve the backend kind")
		if pe.Fatal() {
			t.Errorf("a wrong kind is not fatal: %v", err)
		}
		d, err := m.Detector(ctx, "detonly")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := d.Load(ctx, testRules); err != nil {
			t.Fatal(err)
		}
		resp, err := d.Match(ctx, [][]byte{[]byte(`{"a":"hit"}`), []byte(`{}`)})
		if err != nil || len(resp.Matches) != 1 || resp.Matches[0].Event != 0 {
			t.Fatalf("match: %+v, %v", resp, err)
		}
	})
}

func TestChecksumPinning(t *testing.T) {
	ctx := context.Background()
	t.Run("mismatch at discovery", func(t *testing.T) {
		dir := pluginDir(t, "good")
		lock, err := host.ReadLock(dir)
		if err != nil {
			t.Fatal(err)
		}
		expected := lock.Plugins["good"].SHA256
		path := filepath.Join(dir, "sigmabridge-plugin-good")
		appendByte(t, path)
		actual, _ := host.FileSHA256(path)
		m, _ := newManager(t, dir, managerOpts{})
		_, err = m.Backend(ctx, "good")
		wantPluginError(t, err, "good", host.ChecksumMismatch, expected, actual, path)
		if len(m.Problems()) != 1 {
			t.Errorf("problems: %v", m.Problems())
		}
	})
	t.Run("binary swapped after discovery", func(t *testing.T) {
		dir := pluginDir(t, "good")
		m, _ := newManager(t, dir, managerOpts{})
		path := filepath.Join(dir, "sigmabridge-plugin-good")
		spec, _ := m.Spec("good")
		appendByte(t, path)
		actual, _ := host.FileSHA256(path)
		_, err := m.Backend(ctx, "good")
		wantPluginError(t, err, "good", host.ChecksumMismatch, spec.SHA256, actual)
	})
	t.Run("not pinned", func(t *testing.T) {
		dir := pluginDir(t)
		path := installFaulty(t, dir, "good")
		actual, _ := host.FileSHA256(path)
		m, _ := newManager(t, dir, managerOpts{})
		_, err := m.Backend(ctx, "good")
		// An unpinned binary is never read, so its sha256 is not in the message.
		pe := wantPluginError(t, err, "good", host.NotPinned, path, "sigmabridge plugins lock good")
		if strings.Contains(pe.Error(), actual) {
			t.Errorf("the unpinned binary was hashed: %v", pe)
		}
		// Pinning it makes it usable.
		pins, err := host.PinPlugins(dir, []string{"good"})
		if err != nil || len(pins) != 1 || pins[0].SHA256 != actual || pins[0].Previous != "" {
			t.Fatalf("pin: %+v %v", pins, err)
		}
		m2, _ := newManager(t, dir, managerOpts{})
		if _, err := m2.Backend(ctx, "good"); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("missing binary", func(t *testing.T) {
		dir := pluginDir(t, "good")
		if err := os.Remove(filepath.Join(dir, "sigmabridge-plugin-good")); err != nil {
			t.Fatal(err)
		}
		m, _ := newManager(t, dir, managerOpts{})
		_, err := m.Backend(ctx, "good")
		wantPluginError(t, err, "good", host.NotFound, "pinned in", "does not exist")
	})
	t.Run("binary removed after discovery", func(t *testing.T) {
		dir := pluginDir(t, "good")
		m, _ := newManager(t, dir, managerOpts{})
		if err := os.Remove(filepath.Join(dir, "sigmabridge-plugin-good")); err != nil {
			t.Fatal(err)
		}
		_, err := m.Backend(ctx, "good")
		wantPluginError(t, err, "good", host.NotFound)
	})
	t.Run("unknown name", func(t *testing.T) {
		m, _ := newManager(t, pluginDir(t), managerOpts{})
		_, err := m.Backend(ctx, "nosuch")
		wantPluginError(t, err, "nosuch", host.NotFound, "no plugin named nosuch")
	})
	t.Run("name of a built-in", func(t *testing.T) {
		dir := pluginDir(t, "irecho")
		m, _ := newManager(t, dir, managerOpts{})
		if len(m.Problems()) != 1 {
			t.Fatalf("problems: %v", m.Problems())
		}
		pe, _ := host.AsPluginError(m.Problems()[0])
		if pe == nil || pe.Failure != host.NameClash {
			t.Fatalf("got %v, want a name clash", m.Problems()[0])
		}
		convertWithBuiltin(t, m)
	})
	t.Run("fresh hash per launch", func(t *testing.T) {
		// Each Manager launches the same pinned binary; a hash reused across launches
		// would fail the second check.
		dir := pluginDir(t, "good")
		for i := 0; i < 3; i++ {
			m, _ := newManager(t, dir, managerOpts{})
			if _, err := m.Backend(ctx, "good"); err != nil {
				t.Fatalf("launch %d: %v", i+1, err)
			}
			m.Close()
		}
	})
}

func appendByte(t *testing.T, path string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write([]byte{0}); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestRunGoesOn converts with several plugins, some failing in different ways: each
// failure names its plugin and the working plugins deliver all their results.
func TestRunGoesOn(t *testing.T) {
	dir := pluginDir(t, "good", "crash", "hang", "junk")
	m, _ := newManager(t, dir, managerOpts{callTimeout: 300 * time.Millisecond})
	ctx := context.Background()
	targets := map[string]string{"irecho": "irecho", "good": "good", "crash": "good", "hang": "good", "junk": "good"}
	failures := map[string]host.Failure{}
	converted := map[string]int{}
	for _, name := range []string{"irecho", "crash", "good", "hang", "junk"} {
		b, err := m.Backend(ctx, name)
		if err == nil {
			var res []plugin.ConvertResult
			res, err = b.Convert(ctx, targets[name], "", testRules)
			converted[name] = len(res)
		}
		if err != nil {
			pe, ok := host.AsPluginError(err)
			if !ok {
				t.Fatalf("%s: %v is not a PluginError", name, err)
			}
			failures[name] = pe.Failure
		}
	}
	want := map[string]host.Failure{"crash": host.Crashed, "hang": host.Hung, "junk": host.Garbage}
	if len(failures) != len(want) {
		t.Errorf("failures %v, want %v", failures, want)
	}
	for n, f := range want {
		if failures[n] != f {
			t.Errorf("%s: failure %q, want %q", n, failures[n], f)
		}
	}
	if converted["irecho"] != 2 || converted["good"] != 2 {
		t.Errorf("converted %v, want 2 rules each from irecho and good", converted)
	}
}
