package host

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"
	goplugin "github.com/hashicorp/go-plugin"
	pluginrunner "github.com/hashicorp/go-plugin/runner"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/sigmabridge/sigmabridge/plugin"
)

// instance is one running plugin process.
type instance struct {
	spec        Spec
	client      *goplugin.Client
	rpc         goplugin.ClientProtocol
	version     int
	callTimeout time.Duration
	// released is closed once the process is dead; it lets the goroutine that started
	// the process (and holds its OS thread) go.
	released chan struct{}
	killed   sync.Once
	killWG   *sync.WaitGroup
	// pgid is the plugin's process group (its pid), 0 if it never started.
	pgid int
	// verified is the private copy an external plugin runs from.
	verified *verifiedCopy

	mu     sync.Mutex
	failed *PluginError // set once the plugin crashed, hung or answered garbage
}

// launch starts the plugin of spec. An external plugin runs from a private copy whose
// sha256 was checked against its pin (see verifyPinned). The plugin leads a process group
// of its own, which is killed with it. The fork happens on a goroutine locked to its OS
// thread, and that goroutine (and thread) lives until the plugin is dead: Linux delivers
// the parent-death signal when the forking *thread* exits, not the process.
func (m *Manager) launch(spec Spec) (*instance, error) {
	if spec.Problem != nil {
		return nil, spec.Problem
	}
	var cmd *exec.Cmd
	var verified *verifiedCopy
	if spec.Builtin {
		cmd = exec.Command(spec.Path, spec.Args...)
	} else {
		var pe *PluginError
		if verified, pe = verifyPinned(spec); pe != nil {
			return nil, pe
		}
		cmd = verified.command(spec.Path, spec.Args)
		if beforeExec != nil {
			beforeExec(spec)
		}
	}
	setParentDeathSignal(cmd)
	setProcessGroup(cmd)
	var runner *cmdRunner
	cfg := &goplugin.ClientConfig{
		HandshakeConfig:  plugin.Handshake(),
		VersionedPlugins: plugin.HostPluginSets(),
		RunnerFunc: func(_ hclog.Logger, spec *exec.Cmd, dir string) (pluginrunner.Runner, error) {
			var err error
			runner, err = newCmdRunner(cmd, spec, dir)
			return runner, err
		},
		AllowedProtocols: []goplugin.Protocol{goplugin.ProtocolGRPC},
		StartTimeout:     m.cfg.StartTimeout,
		Logger:           m.logger.Named(spec.Name),
		GRPCDialOptions:  plugin.DialOptions(),
	}
	inst := &instance{spec: spec, client: goplugin.NewClient(cfg), callTimeout: m.cfg.CallTimeout,
		released: make(chan struct{}), killWG: &m.killWG, verified: verified}
	started := make(chan error, 1)
	startedAt := time.Now()
	go func() {
		runtime.LockOSThread()
		_, err := inst.client.Start()
		started <- err
		if err == nil {
			<-inst.released
		}
		// The thread is left locked on purpose: when this goroutine returns, the
		// runtime ends the thread, which is harmless now that the plugin is gone.
	}()
	err := <-started
	if cmd.Process != nil {
		inst.pgid = cmd.Process.Pid
	}
	if verified != nil {
		verified.started()
	}
	if err != nil {
		inst.client.Kill()
		killProcessGroup(inst.pgid)
		if runner != nil {
			_ = os.RemoveAll(runner.dir) // go-plugin leaves it when the process never started
		}
		if verified != nil {
			verified.release()
		}
		close(inst.released)
		return nil, classifyStart(spec, err, runner, time.Since(startedAt) >= m.cfg.StartTimeout)
	}
	rpc, err := inst.client.Client()
	if err != nil {
		inst.kill()
		return nil, pluginErr(spec.Name, StartFailed, "connecting: %v", err)
	}
	inst.rpc = rpc
	inst.version = inst.client.NegotiatedVersion()
	if _, ok := plugin.HostPluginSets()[inst.version]; !ok {
		inst.kill()
		return nil, pluginErr(spec.Name, IncompatibleProtocol, "negotiated protocol version %d, which this host does not speak", inst.version)
	}
	return inst, nil
}

// fail records a fatal failure, kills the plugin and returns the failure.
func (i *instance) fail(pe *PluginError) *PluginError {
	i.mu.Lock()
	if i.failed == nil {
		i.failed = pe
	}
	i.mu.Unlock()
	i.killWG.Add(1)
	go func() {
		defer i.killWG.Done()
		i.kill()
	}()
	return pe
}

// failure returns the failure recorded earlier, if any.
func (i *instance) failure() *PluginError {
	i.mu.Lock()
	defer i.mu.Unlock()
	return i.failed
}

// kill stops the plugin process, then kills what is left of its process group (the
// processes it started), and releases its thread; it is safe to call twice.
func (i *instance) kill() {
	i.killed.Do(func() {
		i.client.Kill()
		killProcessGroup(i.pgid)
		if i.verified != nil {
			i.verified.release()
		}
		close(i.released)
	})
}

// call runs one RPC with a deadline and turns its failure into a PluginError.
func (i *instance) call(ctx context.Context, method string, fn func(ctx context.Context) error) error {
	if pe := i.failure(); pe != nil {
		return pe
	}
	callCtx, cancel := ctx, context.CancelFunc(func() {})
	timeout := i.callTimeout
	if dl, ok := ctx.Deadline(); ok {
		timeout = time.Until(dl)
	} else {
		callCtx, cancel = context.WithTimeout(ctx, timeout)
	}
	defer cancel()
	err := fn(callCtx)
	if err == nil {
		return nil
	}
	return i.classify(ctx, callCtx, method, timeout, err)
}

func (i *instance) classify(ctx, callCtx context.Context, method string, timeout time.Duration, err error) error {
	name := i.spec.Name
	if errors.Is(err, plugin.ErrEncodeRequest) {
		return err
	}
	if errors.Is(ctx.Err(), context.Canceled) {
		return fmt.Errorf("plugin %s: %s cancelled: %w", name, method, ctx.Err())
	}
	if errors.Is(err, plugin.ErrMalformedResponse) {
		return i.fail(pluginErr(name, Garbage, "%v", err))
	}
	code := status.Code(err)
	switch {
	case code == codes.DeadlineExceeded || errors.Is(callCtx.Err(), context.DeadlineExceeded):
		if i.waitExited(0) {
			return i.fail(pluginErr(name, Crashed, "during %s: %v", method, err))
		}
		return i.fail(pluginErr(name, Hung, "no answer to %s within %s", method, timeout.Round(time.Millisecond)))
	case code == codes.Unavailable || code == codes.Canceled:
		if i.waitExited(time.Second) {
			return i.fail(pluginErr(name, Crashed, "during %s: %v", method, status.Convert(err).Message()))
		}
		return i.fail(pluginErr(name, Crashed, "lost the connection during %s: %v", method, status.Convert(err).Message()))
	case code == codes.Internal:
		// gRPC's own code for an answer it cannot decode, and the plugin package's for
		// a broken invariant of the protocol: a plugin's own errors travel as Unknown.
		return i.fail(pluginErr(name, Garbage, "to %s: %v", method, status.Convert(err).Message()))
	case code == codes.Unimplemented:
		return pluginErr(name, Unimplemented, "%s", method)
	}
	if s, ok := status.FromError(err); ok {
		return pluginErr(name, CallFailed, "%s: %s", method, s.Message())
	}
	return pluginErr(name, CallFailed, "%s: %v", method, err)
}

// waitExited reports whether the plugin process has exited, waiting up to d for it: a
// call can fail a moment before the host notices the process is gone.
func (i *instance) waitExited(d time.Duration) bool {
	deadline := time.Now().Add(d)
	for {
		if i.client.Exited() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// pid returns the plugin's process id, or 0.
func (i *instance) pid() int { return i.pgid }
