package host

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"slices"
	"sort"
	"sync"
	"syscall"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/sigmabridge/sigmabridge/plugin"
)

// Defaults of Config.
const (
	DefaultCallTimeout  = 60 * time.Second
	DefaultStartTimeout = 10 * time.Second
)

// Config configures a Manager.
type Config struct {
	// Dir is the plugin directory searched for external plugins; "" means none (use
	// ResolveDir to apply the flag / environment / per-user default order).
	Dir string
	// Builtins are the plugins served by the sigmabridge executable.
	Builtins []Spec
	// CallTimeout is the deadline of a call whose context has none.
	CallTimeout time.Duration
	// StartTimeout bounds the launch and handshake of a plugin.
	StartTimeout time.Duration
	// Logger receives the host's and the plugins' log lines; the default writes warnings
	// and errors to stderr.
	Logger hclog.Logger
}

// Manager launches plugins on first use and keeps them running until Close. It is safe
// for concurrent use.
type Manager struct {
	cfg    Config
	logger hclog.Logger
	specs  []Spec
	byName map[string]int
	// unsafe is why the whole plugin directory is refused, if it is.
	unsafe error

	mu      sync.Mutex
	closed  bool
	running map[string]*startOnce
	killWG  sync.WaitGroup
}

// startOnce starts one plugin once and keeps the outcome.
type startOnce struct {
	done chan struct{}
	inst *instance
	err  error
}

// New discovers the external plugins of cfg.Dir and returns a Manager. Refused plugins
// (not pinned, checksum mismatch, missing binary, unsafe ownership or mode, a built-in's
// name) are kept with their Problem so they can be listed; using one returns that problem.
// An unsafe plugin directory refuses its plugins but not the built-in ones.
func New(cfg Config) (*Manager, error) {
	if cfg.CallTimeout <= 0 {
		cfg.CallTimeout = DefaultCallTimeout
	}
	if cfg.StartTimeout <= 0 {
		cfg.StartTimeout = DefaultStartTimeout
	}
	logger := cfg.Logger
	if logger == nil {
		logger = hclog.New(&hclog.LoggerOptions{Name: "sigmabridge", Level: hclog.Warn, Output: os.Stderr})
	}
	m := &Manager{cfg: cfg, logger: logger, byName: map[string]int{}, running: map[string]*startOnce{}}
	for _, s := range cfg.Builtins {
		s.Builtin = true
		m.add(s)
	}
	if cfg.Dir != "" {
		external, unsafe, err := discover(cfg.Dir)
		if err != nil {
			return nil, fmt.Errorf("plugin directory %s: %w", cfg.Dir, err)
		}
		if unsafe != nil {
			m.unsafe = unsafe
		}
		for _, s := range external {
			if _, clash := m.byName[s.Name]; clash {
				s.Problem = pluginErr(s.Name, NameClash, "%s has the name of a built-in plugin; rename it", s.Path)
				s.Name = s.Name + " (" + s.Path + ")"
			}
			m.add(s)
		}
	}
	return m, nil
}

func (m *Manager) add(s Spec) {
	m.byName[s.Name] = len(m.specs)
	m.specs = append(m.specs, s)
}

// Specs lists every plugin, built-ins first, then external plugins by name.
func (m *Manager) Specs() []Spec { return slices.Clone(m.specs) }

// Spec returns the plugin named name.
func (m *Manager) Spec(name string) (Spec, bool) {
	i, ok := m.byName[name]
	if !ok {
		return Spec{}, false
	}
	return m.specs[i], true
}

// Problems returns why the plugin directory is refused, if it is (an *UnsafeError), then
// the refused plugins' problems.
func (m *Manager) Problems() []error {
	var out []error
	if m.unsafe != nil {
		out = append(out, m.unsafe)
	}
	for _, s := range m.specs {
		if s.Problem != nil {
			out = append(out, s.Problem)
		}
	}
	return out
}

// instance starts plugin name once (later calls wait for and share the outcome).
func (m *Manager) instance(name string) (*instance, error) {
	spec, ok := m.Spec(name)
	if !ok {
		return nil, pluginErr(name, NotFound, "no plugin named %s (known: %v)", name, m.names())
	}
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return nil, pluginErr(name, StartFailed, "the plugin host is shut down")
	}
	so, started := m.running[name]
	if !started {
		so = &startOnce{done: make(chan struct{})}
		m.running[name] = so
	}
	m.mu.Unlock()
	if !started {
		so.inst, so.err = m.launch(spec)
		close(so.done)
	}
	<-so.done
	if so.err != nil {
		return nil, so.err
	}
	if pe := so.inst.failure(); pe != nil {
		return nil, pe
	}
	return so.inst, nil
}

func (m *Manager) names() []string {
	names := make([]string, 0, len(m.specs))
	for _, s := range m.specs {
		names = append(names, s.Name)
	}
	sort.Strings(names)
	return names
}

// Backend starts plugin name (if needed) and returns it as a backend.
func (m *Manager) Backend(ctx context.Context, name string) (*Backend, error) {
	inst, err := m.instance(name)
	if err != nil {
		return nil, err
	}
	raw, err := dispense[plugin.Backend](inst, plugin.KindBackend)
	if err != nil {
		return nil, err
	}
	b := &Backend{inst: inst, raw: raw}
	var desc *plugin.BackendDescription
	err = inst.call(ctx, "Describe", func(ctx context.Context) error {
		var err error
		desc, err = raw.Describe(ctx, &plugin.DescribeRequest{})
		return err
	})
	if err != nil {
		return nil, kindError(err, name, plugin.KindBackend)
	}
	if len(desc.Targets) == 0 {
		return nil, inst.fail(pluginErr(name, Garbage, "its backend description lists no target"))
	}
	b.desc = desc
	return b, nil
}

// BackendForTarget returns the backend that serves target: the plugin named like the
// target (built-in or external), else the first external plugin whose description lists
// the target (external plugins are launched to ask them).
func (m *Manager) BackendForTarget(ctx context.Context, target string) (*Backend, error) {
	if s, ok := m.Spec(target); ok {
		b, err := m.Backend(ctx, target)
		if err != nil {
			return nil, err
		}
		if slices.Contains(b.desc.Targets, target) || s.Problem != nil {
			return b, nil
		}
	}
	var errs []error
	for _, s := range m.specs {
		if s.Builtin || s.Problem != nil || s.Name == target {
			continue
		}
		b, err := m.Backend(ctx, s.Name)
		if err != nil {
			if pe, ok := AsPluginError(err); !ok || pe.Failure != WrongKind {
				errs = append(errs, err)
			}
			continue
		}
		if slices.Contains(b.desc.Targets, target) {
			return b, nil
		}
	}
	return nil, errors.Join(append([]error{fmt.Errorf("no plugin serves target %q", target)}, errs...)...)
}

// Detector starts plugin name (if needed) and returns it as a detector.
func (m *Manager) Detector(ctx context.Context, name string) (*Detector, error) {
	inst, err := m.instance(name)
	if err != nil {
		return nil, err
	}
	raw, err := dispense[plugin.Detector](inst, plugin.KindDetector)
	if err != nil {
		return nil, err
	}
	d := &Detector{inst: inst, raw: raw}
	err = inst.call(ctx, "Describe", func(ctx context.Context) error {
		var err error
		d.desc, err = raw.Describe(ctx, &plugin.DescribeRequest{})
		return err
	})
	if err != nil {
		return nil, kindError(err, name, plugin.KindDetector)
	}
	return d, nil
}

// kindError turns a Describe the plugin does not implement into a WrongKind failure: a
// plugin implements Describe for every kind it serves.
func kindError(err error, name, kind string) error {
	if HasFailure(err, Unimplemented) {
		return pluginErr(name, WrongKind, "it does not serve the %s kind", kind)
	}
	return err
}

func dispense[T any](inst *instance, kind string) (T, error) {
	var zero T
	raw, err := inst.rpc.Dispense(kind)
	if err != nil {
		return zero, pluginErr(inst.spec.Name, StartFailed, "dispensing %s: %v", kind, err)
	}
	t, ok := raw.(T)
	if !ok {
		return zero, pluginErr(inst.spec.Name, StartFailed, "dispensed %s is a %T", kind, raw)
	}
	return t, nil
}

// Info is what `plugins list` shows about one plugin.
type Info struct {
	Spec
	// Kinds the plugin serves, learnt from Describe.
	Kinds []string
	// ProtocolVersion is the negotiated protocol version.
	ProtocolVersion int
	Backend         *plugin.BackendDescription
	Detector        *plugin.DetectorDescription
	// PID is the process id of the running plugin.
	PID int
	// Err is why the plugin could not be described (its Problem, or a start or call
	// failure).
	Err error
}

// Describe launches plugin name and asks it to describe every kind it serves.
func (m *Manager) Describe(ctx context.Context, name string) Info {
	spec, _ := m.Spec(name)
	info := Info{Spec: spec}
	inst, err := m.instance(name)
	if err != nil {
		info.Err = err
		return info
	}
	info.ProtocolVersion, info.PID = inst.version, inst.pid()
	var errs []error
	if b, err := m.Backend(ctx, name); err == nil {
		info.Kinds, info.Backend = append(info.Kinds, plugin.KindBackend), b.desc
	} else if pe, ok := AsPluginError(err); !ok || pe.Failure != WrongKind {
		errs = append(errs, err)
	}
	if d, err := m.Detector(ctx, name); err == nil {
		info.Kinds, info.Detector = append(info.Kinds, plugin.KindDetector), d.desc
	} else if pe, ok := AsPluginError(err); !ok || pe.Failure != WrongKind {
		errs = append(errs, err)
	}
	if len(info.Kinds) == 0 && len(errs) == 0 {
		errs = append(errs, pluginErr(name, WrongKind, "it serves neither a backend nor a detector"))
	}
	info.Err = errors.Join(errs...)
	return info
}

// Close kills every plugin and waits until they are gone. The Manager cannot start plugins
// afterwards.
func (m *Manager) Close() {
	m.mu.Lock()
	m.closed = true
	running := make([]*startOnce, 0, len(m.running))
	for _, so := range m.running {
		running = append(running, so)
	}
	m.mu.Unlock()
	var wg sync.WaitGroup
	for _, so := range running {
		<-so.done
		if so.inst == nil {
			continue
		}
		wg.Add(1)
		go func(inst *instance) {
			defer wg.Done()
			inst.kill()
		}(so.inst)
	}
	wg.Wait()
	m.killWG.Wait()
}

// HandleSignals returns a context that is cancelled on SIGINT or SIGTERM. The first
// signal also kills every plugin at once, so calls in flight fail fast and the command can
// report and exit; a second signal exits the process with status 130 after killing the
// plugins again. stop restores the default signal handling.
func (m *Manager) HandleSignals(parent context.Context) (ctx context.Context, stop func()) {
	ctx, cancel := context.WithCancel(parent)
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	done := make(chan struct{})
	go func() {
		select {
		case <-sigs:
		case <-done:
			return
		}
		cancel()
		m.Close()
		select {
		case <-sigs:
			m.Close()
			os.Exit(130)
		case <-done:
		}
	}()
	var once sync.Once
	return ctx, func() {
		once.Do(func() {
			signal.Stop(sigs)
			close(done)
			cancel()
		})
	}
}
