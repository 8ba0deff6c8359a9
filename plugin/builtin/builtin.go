package builtin

import (
	"fmt"
	"runtime/debug"

	"github.com/sigmabridge/sigmabridge/backends"
	"github.com/sigmabridge/sigmabridge/plugin"
	"github.com/sigmabridge/sigmabridge/plugin/host"
	"github.com/sigmabridge/sigmabridge/translator/ir"
)

// DetectorName is the name of the built-in detector plugin, the evaluator of
// translator/evaluator.
const DetectorName = "evaluator"

// ServeArgs are the arguments after the sigmabridge executable that serve built-in NAME.
func ServeArgs(name string) []string { return []string{"plugin", "serve", name} }

// Names lists the built-in plugins: every registered backend, then the detector.
func Names() []string {
	return append(backends.Names(), DetectorName)
}

// Specs describes the built-in plugins for the host: each is the sigmabridge executable
// run with ServeArgs(name).
func Specs(executable string) []host.Spec {
	var specs []host.Spec
	for _, name := range backends.Names() {
		specs = append(specs, host.Spec{Name: name, Builtin: true, Path: executable, Args: ServeArgs(name),
			Kinds: []string{plugin.KindBackend}, Targets: []string{name}})
	}
	specs = append(specs, host.Spec{Name: DetectorName, Builtin: true, Path: executable, Args: ServeArgs(DetectorName),
		Kinds: []string{plugin.KindDetector}})
	return specs
}

// Serve serves built-in plugin name until the host stops it.
func Serve(name string) error {
	logger := plugin.NewLogger("sigmabridge-" + name)
	if name == DetectorName {
		// The detector allocates a batch (about 1 MiB) per call over a small live heap;
		// collecting at every 4 MiB would spend a tenth of the matching time in the GC.
		debug.SetGCPercent(400)
		return plugin.Serve(&plugin.ServeOpts{Detector: NewDetector(), Logger: logger})
	}
	b, err := backends.Get(name)
	if err != nil {
		return fmt.Errorf("no built-in plugin %q (built-in plugins: %v)", name, Names())
	}
	return plugin.Serve(&plugin.ServeOpts{Backend: Backend(b), Logger: logger})
}

// Backend serves a registered backend as a plugin: one target, the backend's name, and
// its correlations (backends.ConvertCorrelation, which names what it cannot render).
func Backend(b backends.Backend) *plugin.RuleBackend {
	rb := &plugin.RuleBackend{
		Description: plugin.BackendDescription{
			Name:        b.Name(),
			Version:     Version(),
			Targets:     []string{b.Name()},
			Formats:     []string{"default"},
			Description: "built-in " + b.Name() + " backend",
		},
		ConvertRule: func(_, _ string, r *ir.Rule) ([]plugin.Query, plugin.Diagnostics) {
			return b.Convert(r)
		},
	}
	if cb, ok := b.(backends.Correlator); ok {
		for _, t := range cb.CorrelationTypes() {
			rb.Description.CorrelationTypes = append(rb.Description.CorrelationTypes, string(t))
		}
	}
	// Every built-in backend answers, so that its refusals read as in process.
	rb.ConvertCorrelation = func(_, _ string, c *ir.Correlation, rules []*ir.Rule) ([]plugin.Query, plugin.Diagnostics) {
		return backends.ConvertCorrelation(b, c, rules)
	}
	return rb
}

// Version is the sigmabridge version the binary was built as, or "dev".
func Version() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}
