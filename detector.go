package sigmabridge

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/sigmabridge/sigmabridge/plugin/builtin"
	"github.com/sigmabridge/sigmabridge/plugin/host"
	"github.com/sigmabridge/sigmabridge/samples"
	"github.com/sigmabridge/sigmabridge/translator/diag"
	"github.com/sigmabridge/sigmabridge/translator/evaluator"
	"github.com/sigmabridge/sigmabridge/translator/ir"
)

// HostOptions say where plugins come from.
type HostOptions struct {
	// PluginDir is the plugin directory ("" means $SIGMABRIDGE_PLUGIN_DIR, then the
	// per-user default).
	PluginDir string
	// Executable serves the built-in plugins (default: this executable, which must then be
	// the sigmabridge command).
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

// DetectorOptions choose the detector.
type DetectorOptions struct {
	// InProcess matches with the library evaluator in this process; otherwise the built-in
	// detector plugin is launched through the plugin host.
	InProcess bool
	Host      HostOptions
}

// Detector is a loaded rule set, in the detector plugin or in process.
type Detector struct {
	// Loaded is the number of rules that loaded.
	Loaded int
	// Errors are the diagnostics of the rules that did not load, by their index in the
	// rules given to LoadDetector.
	Errors map[int]diag.List

	ctx  context.Context
	prog *evaluator.Program
	m    *host.Manager
	det  *host.Detector
}

// LoadDetector loads rules into the detector o chooses. The caller must Close it.
func LoadDetector(ctx context.Context, o DetectorOptions, rules []*ir.Rule) (*Detector, error) {
	if o.InProcess {
		prog, errs := evaluator.Compile(rules)
		d := &Detector{ctx: ctx, prog: prog, Loaded: prog.Len(), Errors: map[int]diag.List{}}
		for _, e := range errs {
			d.Errors[e.Index] = e.Diags
		}
		return d, nil
	}
	m, err := OpenHost(o.Host)
	if err != nil {
		return nil, err
	}
	d, err := PluginDetector(ctx, m, rules)
	if err != nil {
		m.Close()
		return nil, err
	}
	d.m = m
	return d, nil
}

// PluginDetector loads rules into the built-in detector plugin of an open host, which the
// caller keeps and closes.
func PluginDetector(ctx context.Context, m *host.Manager, rules []*ir.Rule) (*Detector, error) {
	det, err := m.Detector(ctx, builtin.DetectorName)
	if err != nil {
		return nil, err
	}
	resp, err := det.Load(ctx, rules)
	if err != nil {
		return nil, err
	}
	d := &Detector{ctx: ctx, det: det, Loaded: resp.Loaded, Errors: map[int]diag.List{}}
	for _, e := range resp.Errors {
		d.Errors[e.RuleIndex] = append(d.Errors[e.RuleIndex], e.Diagnostic)
	}
	return d, nil
}

// Program is the in-process program, or nil when the detector is a plugin.
func (d *Detector) Program() *evaluator.Program { return d.prog }

// Plugin is the detector plugin, or nil when the detector runs in process.
func (d *Detector) Plugin() *host.Detector { return d.det }

// Match matches a batch of events and returns, for each, the indexes of the rules it
// matched; it has the shape of samples.MatchFunc. A plugin call runs under the context
// the detector was loaded with.
func (d *Detector) Match(events [][]byte) ([][]int, error) {
	if d.prog != nil {
		return samples.ProgramMatch(d.prog)(events)
	}
	resp, err := d.det.Match(d.ctx, events)
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

// Close stops the plugin host the detector started, if any.
func (d *Detector) Close() {
	if d.m != nil {
		d.m.Close()
	}
}
