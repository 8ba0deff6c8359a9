package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/sigmabridge/sigmabridge/plugin/builtin"
	"github.com/sigmabridge/sigmabridge/plugin/host"
	"github.com/sigmabridge/sigmabridge/translator/diag"
	"github.com/sigmabridge/sigmabridge/translator/evaluator"
	"github.com/sigmabridge/sigmabridge/translator/ir"
	"github.com/sigmabridge/sigmabridge/translator/samples"
)

// HostOptions say where plugins come from.
type HostOptions struct {
	// PluginDir is the --plugin-dir flag ("" means $SIGMABRIDGE_PLUGIN_DIR, then the
	// per-user default).
	PluginDir string
	// Executable serves the built-in plugins (default: this executable; tests set it to a
	// freshly built sigmabridge).
	Executable string
	// CallTimeout is the deadline of one plugin call (0: the host's default).
	CallTimeout time.Duration
}

// OpenHost returns a plugin host over the plugin directory and the built-in plugins of
// the executable. The caller must Close it.
func OpenHost(o HostOptions) (*host.Manager, error) {
	dir, err := host.ResolveDir(o.PluginDir)
	if err != nil {
		return nil, err
	}
	exe := o.Executable
	if exe == "" {
		if exe, err = os.Executable(); err != nil {
			return nil, fmt.Errorf("locating the sigmabridge executable: %w", err)
		}
	}
	return host.New(host.Config{Dir: dir, Builtins: builtin.Specs(exe), CallTimeout: o.CallTimeout})
}

// Detector is a loaded rule set, in the detector plugin or in process.
type Detector struct {
	// Match matches a batch of events.
	Match samples.MatchFunc
	// LoadErrors are the rules that did not load, by index.
	LoadErrors map[int][]diag.Diagnostic
	// Close stops the plugin, if any.
	Close func()
}

// LoadDetector loads rules into the built-in detector plugin (through the host) or, with
// inProcess, into the library evaluator.
func LoadDetector(ctx context.Context, o HostOptions, inProcess bool, rules []*ir.Rule) (*Detector, error) {
	d := &Detector{LoadErrors: map[int][]diag.Diagnostic{}, Close: func() {}}
	if inProcess {
		prog, errs := evaluator.Compile(rules)
		for _, e := range errs {
			var de diag.Diagnostic
			if !errors.As(e, &de) {
				de = diag.Diagnostic{Code: diag.RuleStructure, Message: e.Error()}
			}
			for i, r := range rules {
				if r.Path == de.Path && r.ID == de.RuleID && r.Line <= de.Line {
					d.LoadErrors[i] = append(d.LoadErrors[i], de)
					break
				}
			}
		}
		d.Match = samples.ProgramMatch(prog)
		return d, nil
	}
	m, err := OpenHost(o)
	if err != nil {
		return nil, err
	}
	d.Close = m.Close
	det, err := m.Detector(ctx, builtin.DetectorName)
	if err != nil {
		m.Close()
		return nil, err
	}
	resp, err := det.Load(ctx, rules)
	if err != nil {
		m.Close()
		return nil, err
	}
	for _, e := range resp.Errors {
		d.LoadErrors[e.RuleIndex] = append(d.LoadErrors[e.RuleIndex], e.Diagnostic)
	}
	d.Match = DetectorMatch(ctx, det)
	return d, nil
}

// DetectorMatch is a samples.MatchFunc over a detector plugin: one Match call per sample.
func DetectorMatch(ctx context.Context, det *host.Detector) samples.MatchFunc {
	return func(events [][]byte) ([][]int, error) {
		resp, err := det.Match(ctx, events)
		if err != nil {
			return nil, err
		}
		if len(resp.Errors) > 0 {
			return nil, fmt.Errorf("event %d: %s", resp.Errors[0].Event+1, resp.Errors[0].Message)
		}
		out := make([][]int, len(events))
		for _, mt := range resp.Matches {
			out[mt.Event] = append(out[mt.Event], mt.Rule)
		}
		return out, nil
	}
}
