//go:build linux

package host_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/sigmabridge/sigmabridge/plugin/host"
	"github.com/sigmabridge/sigmabridge/translator/evaluator"
)

// sharedMappings counts the shared batch regions mapped into process pid.
func sharedMappings(t *testing.T, pid string) int {
	t.Helper()
	data, err := os.ReadFile("/proc/" + pid + "/maps")
	if err != nil {
		t.Fatal(err)
	}
	return strings.Count(string(data), "sigmabridge-batches-")
}

// TestScanThroughSharedMemory scans the same input through the built-in detector plugin
// with batches in shared memory and through the connection: the batches, matches and
// errors must be the same, and equal to the evaluator's in this process. The plugin maps
// the region; the host unmaps its own once the plugin is gone.
func TestScanThroughSharedMemory(t *testing.T) {
	hostPID := fmt.Sprint(os.Getpid())
	waitUnmapped := func(what string, within time.Duration) {
		// Regions are unmapped shortly after their plugin is gone.
		deadline := time.Now().Add(within)
		for sharedMappings(t, hostPID) != 0 {
			if time.Now().After(deadline) {
				t.Fatalf("the host still maps a shared region %s", what)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	// Earlier tests' regions go back in the background once their scans' goroutines end
	// (a correlated stream that stopped early is released after the plugin's wait), which
	// under -race on a loaded machine can take longer than this test's own bound.
	waitUnmapped("of an earlier test", 30*time.Second)
	m, _ := newManager(t, "", managerOpts{})
	ctx := context.Background()
	info := m.Describe(ctx, "evaluator")
	if info.Err != nil {
		t.Fatal(info.Err)
	}
	d, err := m.Detector(ctx, "evaluator")
	if err != nil {
		t.Fatal(err)
	}
	rules := goldenRules(t)
	if _, err := d.Load(ctx, rules); err != nil {
		t.Fatal(err)
	}
	var input bytes.Buffer
	for round := range 20 {
		for i, ev := range eventsFor(rules) {
			if (round+i)%97 == 0 {
				fmt.Fprintf(&input, `{"pad":"%s","unrelated":1}`+"\n", strings.Repeat("p", 5000)) // longer than a batch
			}
			input.Write(ev)
			input.WriteByte('\n')
		}
	}
	prog, _ := evaluator.Compile(rules)
	scan := func(opts host.ScanOptions) (string, int) {
		var out strings.Builder
		matches := 0
		err := d.Scan(ctx, bytes.NewReader(input.Bytes()), opts, func(b *host.ScanBatch) error {
			for i, ev := range b.Events {
				fmt.Fprintf(&out, "%d %s\n", b.Lines[i], ev)
			}
			for _, em := range b.Matches {
				fmt.Fprintf(&out, "match %d %d %s %d\n", b.Lines[em.Event], em.Rule, em.RuleID, em.Condition)
			}
			for _, e := range b.Errors {
				fmt.Fprintf(&out, "error %d %s\n", b.Lines[e.Event], e.Message)
			}
			matches += len(b.Matches)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return out.String(), matches
	}
	opts := host.ScanOptions{BatchEvents: 50, BatchBytes: 4096, InFlight: 3}
	shared, matches := scan(opts)
	if n := sharedMappings(t, fmt.Sprint(info.PID)); n != 1 {
		t.Errorf("the plugin has %d shared regions mapped, want 1", n)
	}
	if n := sharedMappings(t, hostPID); n != 1 {
		t.Errorf("the host has %d shared regions mapped, want 1", n)
	}
	again, _ := scan(opts)
	opts.NoSharedMemory = true
	inline, _ := scan(opts)
	if shared != inline || again != shared {
		t.Fatalf("shared and inline batches differ:\n%.2000s\n---\n%.2000s", shared, inline)
	}
	if n := sharedMappings(t, fmt.Sprint(info.PID)); n != 1 {
		t.Errorf("after three scans the plugin has %d shared regions mapped, want the first one reused", n)
	}
	want := 0
	for _, line := range bytes.Split(bytes.TrimSpace(input.Bytes()), []byte("\n")) {
		ms, _ := prog.MatchJSON(line)
		want += len(ms)
	}
	if want == 0 || matches != want {
		t.Errorf("%d matches through the plugin, %d in process", matches, want)
	}
	m.Close()
	waitUnmapped("after the plugin stopped", 5*time.Second)
}
